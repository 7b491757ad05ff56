"""A click's action runs in its callback, before app.py checks the login and before a
fragment's check (pages/ui/feedback.on_submit): a session revoked after the page was drawn must
act on nothing. Swept over every acting button of each role's first page (an acting button is
one whose click runs pages/ui/feedback._run_action), for a deactivation and a role change."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select, update

from db.store.database import Database
from db.store.models import AuditEntry, User

from .conftest import log_in

USERS = ["begleiter1", "leitung", "fallmanager1", "admin"]
REVOCATIONS = [{"active": False}, {"role": "council"}]


def _audit_entries(db: Database) -> int:
    with db.read() as session:
        return session.scalar(select(func.count()).select_from(AuditEntry))


def _acting_buttons(at) -> list[str]:  # type: ignore[no-untyped-def]
    from pages.ui.feedback import _run_action

    # The callbacks Streamlit registered in the last run, by widget id (its own session state).
    metadata = at.session_state._state._state._new_widget_state.widget_metadata
    return [b.key for b in at.button
            if b.id in metadata and metadata[b.id].callback is _run_action]


@pytest.mark.parametrize("username", USERS)
@pytest.mark.parametrize("revoke", REVOCATIONS, ids=["deaktiviert", "rolle-geaendert"])
def test_a_revoked_session_clicks_and_nothing_is_written(app, db_url: str, username: str,  # type: ignore[no-untyped-def]
                                                         revoke: dict[str, object]) -> None:
    at = log_in(app, username)
    assert not at.exception, at.exception
    keys = _acting_buttons(at)
    if not keys:
        pytest.skip(f"{username}: keine handelnde Schaltfläche auf der ersten Seite")
    db = Database.from_url(db_url)
    try:
        with db.write() as session:
            session.execute(update(User).where(User.username == username).values(**revoke))
        before = _audit_entries(db)
        at.button(key=keys[0]).click().run()
        assert not at.exception, at.exception
        assert _audit_entries(db) == before, f"{username} handelte nach dem Entzug ({keys[0]})"
        assert "flash" not in at.session_state
    finally:
        db.dispose()
