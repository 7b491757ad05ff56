"""What is typed is what is stored (issue 37, item 1): no date or number field replaces a typed
value with another. Streamlit's fields refuse a value outside their min/max in the browser and
keep the previous one; the app's fields (pages/ui/fields.py) have no range of their own, and
the rules in db/ refuse out-of-range values in German, naming the field."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select
from streamlit.testing.v1 import AppTest

from db.store.database import Database
from db.store.models import Activity, Case
from db.vocabulary import CaseStatus

from .conftest import ROOT, as_read, log_in

WIDGETS = {"date_input", "number_input"}


def _sources() -> list[Path]:
    return [ROOT / "app.py", *sorted((ROOT / "pages").rglob("*.py"))]


def test_no_page_makes_a_date_or_number_field_of_its_own() -> None:
    """Every date and number input goes through pages/ui/fields.py – the one place that keeps
    the browser from replacing a typed value. A new page calling st.date_input fails here."""
    own = ROOT / "pages" / "ui" / "fields.py"
    found = []
    for path in _sources():
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                    and node.func.attr in WIDGETS and path != own:
                found.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.func.attr}")
    assert found == []


def _fields_script() -> None:
    from datetime import date

    from pages.ui.fields import date_field, number_field

    date_field("Tag", date.today(), key="day")
    number_field("Zahl", 5, key="number")


@pytest.mark.parametrize("day", [date(1, 1, 1), date(1899, 12, 31), date(2199, 1, 1), date(9999, 12, 31)])
def test_the_fields_keep_any_typed_value(day: date) -> None:
    """Whatever a DD.MM.YYYY field can show reaches the server unchanged (Streamlit resets a
    value outside an explicit min/max to the default – the silent replacement)."""
    at = AppTest.from_function(_fields_script, default_timeout=60).run()
    at.date_input(key="day").set_value(day)
    at.number_input(key="number").set_value(-10**9)
    at.run()
    assert not at.exception
    assert (at.date_input(key="day").value, at.number_input(key="number").value) == (day, -10**9)
    assert at.date_input(key="day").min <= date(1, 1, 1) and at.date_input(key="day").max >= date(9999, 12, 31)
    assert at.number_input(key="number").min is None and at.number_input(key="number").max is None


def _every_page(app: AppTest, username: str) -> Iterator[tuple[str, AppTest]]:
    """Each page of the role in turn (the same AppTest, switched: look before the next)."""
    from app import ROLE_PAGES

    from db.vocabulary import Role

    log_in(app, username)
    role = {"begleiter1": Role.COMPANION, "leitung": Role.LEAD, "fallmanager1": Role.CASE_MANAGER,
            "admin": Role.ADMIN}[username]
    for name in ROLE_PAGES[role]:
        if name == "case":
            continue  # needs a case: test_a_refused_contact_stores_nothing opens one
        yield name, app.switch_page(f"pages/{name}.py").run()  # app.pages(): each page is its file


@pytest.mark.parametrize("username", ["begleiter1", "leitung", "fallmanager1", "admin"])
def test_no_rendered_date_or_number_field_has_a_range(app: AppTest, username: str) -> None:
    """The sweep as the user meets it: every date and number field of every page of the role
    holds any value a person can type."""
    seen = 0
    for name, at in _every_page(app, username):
        assert not at.exception, name
        for field in at.date_input:
            assert field.min <= date(1, 1, 1) and field.max >= date(9999, 12, 31), (name, field.label)
        for field in at.number_input:
            assert field.min is None and field.max is None, (name, field.label)
        seen += len(at.date_input) + len(at.number_input)
    assert seen > 0  # every one of these roles has a page with such a field


def _active_case(db_url: str) -> int:
    db = Database.from_url(db_url)
    with db.read() as session:
        case_id = session.scalars(select(Case.id).where(Case.status == CaseStatus.ACTIVE)
                                  .order_by(Case.id)).first()
    db.dispose()
    assert case_id is not None
    return case_id


def _contacts(db_url: str, case_id: int) -> int:
    db = Database.from_url(db_url)
    with db.read() as session:
        n = session.scalar(select(func.count()).select_from(Activity).where(Activity.case_id == case_id))
    db.dispose()
    return n or 0


@pytest.mark.parametrize(("field", "value", "message"), [
    ("contact_on", "next_year", "„Datum“ darf nicht in der Zukunft liegen (erlaubt: bis heute"),
    ("contact_on", date(19, 12, 31), "„Datum“ (31.12.0019) ist kein mögliches Datum: erlaubt ist 01.01.1900"),
    ("contact_minutes", -30, "Dauer muss zwischen 1 und 1440 Minuten liegen."),
    ("contact_due", "last_week", "„Fällig am“ darf nicht in der Vergangenheit liegen (erlaubt: ab heute"),
])
def test_a_refused_contact_stores_nothing_and_says_why(app: AppTest, db_url: str, field: str,
                                                        value: object, message: str) -> None:
    """The contact form, typed as the issue tried it: nothing saved, a German message naming
    the field and what is allowed; the typed value stays in the field."""
    typed = {"next_year": date.today() + timedelta(days=366),
             "last_week": date.today() - timedelta(days=7)}.get(str(value), value)
    log_in(app, "leitung")
    case_id = _active_case(db_url)
    app.query_params["id"] = str(case_id)
    app.switch_page("pages/case.py").run()
    before = _contacts(db_url, case_id)
    widget = (app.number_input if field == "contact_minutes" else app.date_input)(key=f"{field}_{case_id}")
    widget.set_value(typed)
    if field == "contact_due":
        app.text_input(key=f"contact_step_{case_id}").input("Bewerbung schreiben")
    next(b for b in app.button if b.label == "Kontakt speichern").click()
    app.run()
    assert not app.exception
    assert _contacts(db_url, case_id) == before
    assert any(message in as_read(e.value) for e in app.error), [e.value for e in app.error]
    shown = (app.number_input if field == "contact_minutes" else app.date_input)(key=f"{field}_{case_id}")
    assert shown.value == typed


# Fields a refusal never names: filters and periods of lists and figures (no save behind them),
# and the entry form's fields, whose rule reports every problem of the form at once ("entry").
NOT_REFUSED_BESIDE = {
    ("pages/audit_log.py", "von"), ("pages/audit_log.py", "bis"),
    ("pages/results.py", "Abgänge von"), ("pages/results.py", "bis"),
    ("pages/dashboard.py", "Zeitraum von"), ("pages/dashboard.py", "Zeitraum bis"),
    ("pages/cases.py", "Zugewiesen ab"), ("pages/cases.py", "Zugewiesen bis"),
    ("pages/participant.py", "CORE_LABELS['birth_date']"), ("pages/participant.py", 'f"{CORE_LABELS[\'children\']} (nur Familienbedarfsgemeinschaft)"'),
    ("pages/referrals.py", "Geburtsdatum"),  # checked with the entry data ("entry")
    ("pages/office_hours.py", "Ab"),  # no rule on a location's first day
}


def test_every_field_of_a_form_names_the_rule_field_it_answers_to() -> None:
    """A refused save shows its message under the field it names (pages/ui/fields.py): a field
    made without `field=` would leave it under the form, a screen away on a phone. New fields
    say which name the rules in db/ give them – or are listed above with the reason."""
    missing = []
    for path in _sources():
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) \
                    and node.func.id in ("date_field", "number_field") \
                    and not any(k.arg == "field" for k in node.keywords):
                label = node.args[0]
                text = label.value if isinstance(label, ast.Constant) else ast.unparse(label)
                missing.append((str(path.relative_to(ROOT)), text))
    assert sorted(set(missing) - NOT_REFUSED_BESIDE) == []
    assert not NOT_REFUSED_BESIDE - set(missing)  # the list holds nothing that went away


def _refused_form_script() -> None:
    import streamlit as st

    from db.accounts import auth
    from db.errors import ValidationError
    from pages.ui.context import get_db
    from pages.ui.feedback import feedback, on_submit
    from pages.ui.fields import date_field, number_field

    if "actor" not in st.session_state:  # as a login: an action acts only for a live session
        st.session_state["username"], st.session_state["login_at"] = "leitung", None
        st.session_state["actor"] = auth.session_actor(get_db(), "leitung", None)

    def save() -> None:
        if st.session_state["count"] < 0:
            raise ValidationError("„Anzahl“ darf nicht negativ sein.", "count")
        raise ValidationError("Etwas anderes stimmt nicht.", "other")

    with st.form("f"):
        date_field("Tag", None, key="day", field="day")
        number_field("Anzahl", -1, key="count", field="count")
        st.form_submit_button("Speichern", **on_submit(save, "gespeichert", key="slot"))
    feedback("slot")


def test_a_refusal_naming_a_field_is_shown_once_beside_it_and_others_under_the_form(db_url: str) -> None:
    at = AppTest.from_function(_refused_form_script, default_timeout=60).run()
    at.button[0].click().run()
    assert [e.value for e in at.error] == ["„Anzahl“ darf nicht negativ sein."]
    # The message sits in the field's own slot, right after the field (the browser test measures it).
    at.run()
    assert not at.error  # once: the next run shows it no more
    at.number_input(key="count").set_value(3)
    at.button[0].click().run()
    assert [e.value for e in at.error] == ["Etwas anderes stimmt nicht."]  # no field of that name: under the form
