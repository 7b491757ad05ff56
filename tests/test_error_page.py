"""An unexpected error (issue 37, item 5): a German message with a reference that the log holds
next to the traceback – never Streamlit's English banner, never a stack trace."""

from __future__ import annotations

import logging
import os
import re

import pytest
from streamlit.testing.v1 import AppTest

from .conftest import log_in, open_panels


def _broken(*args: object, **kwargs: object) -> object:
    raise RuntimeError("interner Zustand kaputt: geheime Einzelheit")


@pytest.mark.parametrize("where", ["page", "click"])
def test_an_unexpected_error_shows_german_text_and_a_reference_found_in_the_log(
        app: AppTest, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, where: str) -> None:
    import db.casework.agenda as agenda_module
    import db.casework.cases as cases_module

    log_in(app, "leitung" if where == "click" else "begleiter1")
    if where == "page":  # the companion's start page cannot read its appointments
        monkeypatch.setattr(agenda_module, "agenda", _broken)
        app.run()
    else:  # a save fails in its click: the message stands under the form
        monkeypatch.setattr(cases_module, "apply_next_step", _broken)
        from sqlalchemy import select

        from db.store.database import Database
        from db.store.models import Case
        from db.vocabulary import CaseStatus

        db = Database.from_url(os.environ["DATABASE_URL"])  # the app's own (fixture db_url)
        with db.read() as session:
            case_id = session.scalars(select(Case.id).where(Case.status == CaseStatus.ACTIVE)).first()
        db.dispose()
        app.query_params["id"] = str(case_id)
        open_panels(app.switch_page("pages/case.py").run())
        app.text_input(key=f"step_text_{case_id}").input("Anrufen")
        next(b for b in app.button if b.label == "Speichern").click()
        app.run()
    assert not app.exception  # Streamlit's own error element: English banner, traceback
    shown = " ".join(e.value for e in app.error)
    found = re.search(r"unerwarteter Fehler.*Referenz \**([0-9A-F]{8})", shown)
    assert found, shown
    assert "geheime Einzelheit" not in shown and "Traceback" not in shown
    logged = [r for r in caplog.records if r.levelno == logging.ERROR and found.group(1) in r.getMessage()]
    assert logged and "geheime Einzelheit" in str(logged[0].exc_info[1])
