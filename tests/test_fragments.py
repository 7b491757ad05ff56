"""In-page actions as fragments (pages/ui/fragments.py): every fragment's run alone checks the
live session first – a revoked session's fragment acts on nothing – and no page makes a
fragment any other way."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import update
from streamlit.testing.v1 import AppTest

from db.store.database import Database
from db.store.models import User

from .conftest import ROOT


def _script() -> None:
    import streamlit as st

    from db.accounts import auth
    from pages.ui.context import get_db
    from pages.ui.fragments import in_page

    db = get_db()
    if "started" not in st.session_state:  # as a login: app.py puts the actor there
        st.session_state["started"] = True
        st.session_state["username"], st.session_state["login_at"] = "leitung", None
        st.session_state["actor"] = auth.session_actor(db, "leitung", None)
    if "actor" not in st.session_state:  # as app.py: no actor, no page, no fragment
        st.markdown("Anmeldung")
        st.stop()

    @in_page
    def act() -> None:
        st.session_state["acted"] = st.session_state.get("acted", 0) + 1
        st.markdown("gehandelt")

    act()


@pytest.fixture
def fragment_app(db_url: str, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    at = AppTest.from_function(_script, default_timeout=60).run()
    assert not at.exception, at.exception
    assert at.session_state["acted"] == 1
    # From here on each run is the fragment's alone (AppTest itself always runs the script).
    monkeypatch.setattr("pages.ui.fragments._fragment_run", lambda: True)
    return at


def test_a_fragment_run_of_a_live_session_acts(fragment_app: AppTest) -> None:
    fragment_app.run()
    assert fragment_app.session_state["acted"] == 2


@pytest.mark.parametrize("revoke", [{"active": False}, {"role": "companion"}])
def test_a_revoked_sessions_fragment_run_does_nothing(fragment_app: AppTest, db_url: str,
                                                      revoke: dict[str, object]) -> None:
    db = Database.from_url(db_url)
    try:
        with db.write() as session:
            session.execute(update(User).where(User.username == "leitung").values(**revoke))
    finally:
        db.dispose()
    fragment_app.run()
    assert not fragment_app.exception, fragment_app.exception
    assert fragment_app.session_state["acted"] == 1
    assert "actor" not in fragment_app.session_state
    assert [m.value for m in fragment_app.markdown] == ["Anmeldung"]


def test_every_fragment_is_made_by_the_one_wrapper() -> None:
    """A page calling st.fragment itself would skip the session check."""
    found = [str(path.relative_to(ROOT)) for path in [ROOT / "app.py", *(ROOT / "pages").rglob("*.py")]
             if path.name != "fragments.py" and re.search(r"\bfragment\s*\(|@st\.fragment|\.fragment\b",
                                                         path.read_text(encoding="utf-8"))]
    assert found == []
