"""Hints and forms that fit their state (issue 41, item 6): the audit log's times in the zone its
banner uses, a new account's form emptied once the account exists, and an empty password form
asked to be filled in rather than told the passwords are equal."""

from __future__ import annotations

import itertools
import re
from datetime import UTC, datetime

import pytest
from sqlalchemy import select
from streamlit.testing.v1 import AppTest

from db.accounts import auth
from db.accounts.auth import OWN_PASSWORD_LABELS, change_own_password
from db.clock import as_local
from db.errors import ValidationError
from db.store.database import Database
from db.store.models import AuditEntry, User

from .conftest import ROOT, World, as_read, log_in


def test_no_page_formats_a_time_on_its_own() -> None:
    """Times reach the pages through pages/ui/formatting.py alone (fmt_moment: local time), so
    no page shows a stored UTC moment as if it were the local clock."""
    own = [f"{path.relative_to(ROOT)}:{n}" for path in sorted((ROOT / "pages").rglob("*.py"))
           if path.name != "formatting.py"
           for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
           if ".strftime(" in line or re.search(r"\(UTC\)[\"']", line)]  # code or shown zone
    assert own == []


def test_the_audit_log_shows_local_time_like_its_banner(app: AppTest, db_url: str) -> None:
    log_in(app, "admin")
    app.switch_page("pages/audit_log.py").run()
    app.button(key="FormSubmitter:audit_filter-Suchen").click()
    app.run()
    assert not app.exception
    frame = app.dataframe[0].value
    assert "Zeitpunkt (Ortszeit)" in frame.columns and not any("UTC" in c for c in frame.columns)
    # The banner names the newest entry when it was drawn; the search is logged after it (under
    # load a second later): the entry is read by the number the banner gives.
    banner = as_read(app.success[0].value)
    named = re.search(r"Neuester Eintrag: Nr\. (\d+) vom", banner)
    assert named, banner
    db = Database.from_url(db_url)
    with db.read() as session:
        entry = session.get_one(AuditEntry, int(named.group(1)))
    db.dispose()
    # Berlin is one or two hours ahead of UTC on every day of the year: the two clocks differ.
    local = as_local(entry.at).strftime("%d.%m.%Y %H:%M:%S")
    assert local != entry.at.astimezone(UTC).strftime("%d.%m.%Y %H:%M:%S")
    assert f"vom {local} (Ortszeit)" in banner
    assert local in list(frame["Zeitpunkt (Ortszeit)"])
    for shown in frame["Zeitpunkt (Ortszeit)"]:
        datetime.strptime(shown, "%d.%m.%Y %H:%M:%S")  # noqa: DTZ007 - shown text, no zone


def fill_new_account(app: AppTest, username: str, password: str) -> None:
    app.text_input(key="new_user_username").input(username)
    app.text_input(key="new_user_name").input("Nora Neu")
    app.selectbox(key="new_user_role").select_index(0)
    app.text_input(key="new_user_password").input(password)
    app.button(key="FormSubmitter:new_user-Konto anlegen").click()
    app.run()


def test_the_new_account_form_is_empty_after_success_and_kept_after_a_refusal(
        app: AppTest, db_url: str) -> None:
    log_in(app, "admin")
    app.switch_page("pages/users.py").run()
    fill_new_account(app, "nora.neu", "kurz")  # refused: too short a password
    assert not app.exception and app.error
    assert app.text_input(key="new_user_username").value == "nora.neu"  # kept to fix
    assert app.text_input(key="new_user_password").value == "kurz"

    fill_new_account(app, "nora.neu", "Tasse-Regen-Gabel-42")
    assert not app.exception and not app.error
    assert any("Konto „nora.neu“ angelegt." in s.value for s in app.success)
    assert [app.text_input(key=k).value for k in
            ("new_user_username", "new_user_name", "new_user_password")] == ["", "", ""]
    assert app.selectbox(key="new_user_role").value.label == "Kreistag"  # least privilege again
    assert app.number_input(key="new_user_capacity").value == 20
    db = Database.from_url(db_url)
    with db.read() as session:
        assert session.scalar(select(User.display_name).where(User.username == "nora.neu")) == "Nora Neu"
    db.dispose()


def test_an_empty_password_form_asks_for_the_missing_fields(app: AppTest) -> None:
    log_in(app, "begleiter1")
    app.switch_page("pages/account.py").run()
    assert [w.label for w in app.text_input] == list(OWN_PASSWORD_LABELS)  # the message's words
    app.button(key="FormSubmitter:own_password-Passwort ändern").click()
    app.run()
    assert not app.exception
    message = app.error[0].value
    assert "unterscheiden" not in message
    assert all(label in as_read(message) for label in OWN_PASSWORD_LABELS)


@pytest.mark.parametrize("filled", [f for f in itertools.product([False, True], repeat=3) if not all(f)])
def test_every_partly_empty_password_form_names_exactly_its_empty_fields(
        world: World, filled: tuple[bool, bool, bool]) -> None:
    """Every combination of empty fields, equal values included (an empty new password equals
    an empty repetition): the message names the empty fields and nothing else."""
    given = ["demo-passwort", "demo-passwort", "demo-passwort"]
    values = [v if f else "" for v, f in zip(given, filled, strict=True)]
    with pytest.raises(ValidationError) as err:
        change_own_password(world.db, world.actor("begleiter1"), *values)
    message = err.value.message
    named = [label for label in OWN_PASSWORD_LABELS if f"„{label}“" in message]
    assert named == [label for label, f in zip(OWN_PASSWORD_LABELS, filled, strict=True) if not f]
    assert "unterscheiden" not in message and "überein" not in message
    # Nothing written: the old password still logs in.
    assert auth.login(world.db, "begleiter1", "demo-passwort").username == "begleiter1"
