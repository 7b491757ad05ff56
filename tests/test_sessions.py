"""Several people at once on a freshly started app server, each in a session of their own
(driven through Streamlit's own protocol: tests/protocol.py)."""

from __future__ import annotations

import asyncio

from sqlalchemy import select

from db.store.database import Database
from db.store.models import User
from pages.ui.shown import plain

from .conftest import RunningApp
from .protocol import BrowserTab, Run, log_in, run_async

PEOPLE = ["begleiter1", "begleiter2", "leitung", "fallmanager1", "admin"]


def test_people_logging_in_at_the_same_moment_after_a_start_all_get_in(running_app: RunningApp) -> None:
    # After a restart every open browser reconnects at once. Their first script runs began before
    # the app had switched Streamlit's page-directory mode off (pages.ui.navigation.route_through_app),
    # and the login sent after such a run was dropped: one of three people got in.
    async def everyone() -> list[Run | BaseException]:
        tabs = [BrowserTab(running_app.url) for _ in PEOPLE]
        try:
            return await asyncio.gather(*(log_in(tab, name) for tab, name in zip(tabs, PEOPLE)),
                                        return_exceptions=True)
        finally:
            await asyncio.gather(*(tab.close() for tab in tabs))

    shown = run_async(everyone())

    assert [str(r) for r in shown if isinstance(r, BaseException)] == []
    db = Database.from_url(running_app.db_url)
    with db.read() as session:
        # The sidebar's line naming who is logged in ("**Name**", a line break, the role).
        names = {u: f"**{plain(n)}**  \n" for u, n in session.execute(select(User.username, User.display_name))}
    db.dispose()
    # Each session is its own person's.
    for username, run in zip(PEOPLE, shown, strict=True):
        assert isinstance(run, Run)
        assert run.shows(names[username]), (username, run.summary())
        assert not any(run.shows(names[other]) for other in PEOPLE if other != username)
