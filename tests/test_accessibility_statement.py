"""The accessibility statement (BbgBITV): one text file the Jobcenter edits, shown in the Land's
structure on its own page for every role and below the login form."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from db.programme.accessibility import StatementError, load_statement, parse_statement, statement_path

from .conftest import as_read, log_in

SHIPPED = statement_path({}).read_text(encoding="utf-8")
SECTIONS = ["Stand der Vereinbarkeit mit den Anforderungen", "Nicht barrierefreie Inhalte",
            "Erstellung dieser Erklärung", "Feedback und Kontaktangaben", "Durchsetzungsverfahren"]


def test_the_shipped_statement_has_every_part_of_the_template() -> None:
    statement = parse_statement(SHIPPED)
    assert statement.compliance == "teilweise" and statement.limitations
    assert all(item.content and item.reason for item in statement.limitations)
    assert "Landesbeauftragte" in statement.enforcement.office
    assert statement.feedback.email


@pytest.mark.parametrize(("edit", "named"), [
    (lambda s: s.replace('stand = "teilweise"', 'stand = "gut"'), "stand (vollständig, teilweise oder nicht)"),
    (lambda s: s.replace('erstellt_am = "26.11.2026"', 'erstellt_am = "2026-11-26"'), "erstellt_am (TT.MM.JJJJ)"),
    (lambda s: s.replace("[durchsetzung]", "[nichts]"), "durchsetzung.stelle"),
    (lambda s: s.replace("[[nicht_barrierefrei]]", "[[anderes]]"), "nicht_barrierefrei (Inhalte und Gründe)"),
])
def test_a_statement_with_a_gap_is_refused_naming_the_gap(edit, named: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(StatementError) as refused:
        parse_statement(edit(SHIPPED))
    assert named in refused.value.message


def test_broken_toml_and_a_missing_file_get_german_messages(tmp_path: Path) -> None:
    with pytest.raises(StatementError, match="fehlerhaft geschrieben"):
        parse_statement('titel = "ohne Ende')
    with pytest.raises(StatementError, match="nicht lesbar"):
        load_statement(tmp_path / "fehlt.toml")


def test_the_jobcenter_points_to_its_own_file(tmp_path: Path) -> None:
    own = tmp_path / "erklaerung.toml"
    own.write_text(SHIPPED.replace('erstellt_am = "26.11.2026"', 'erstellt_am = "01.02.2027"'), encoding="utf-8")
    assert statement_path({"ACCESSIBILITY_STATEMENT": str(own)}) == own
    assert load_statement(own).prepared_on.isoformat() == "2027-02-01"


def _headings(at: AppTest) -> list[str]:
    return [m.value.lstrip("#").strip() for m in at.markdown if m.value.startswith("#")]


def test_the_statement_is_below_the_login_form_before_login(app: AppTest) -> None:
    expander = next(e for e in app.expander if e.label == "Erklärung zur Barrierefreiheit")
    headings = [m.value for m in expander.markdown if m.value.startswith("#")]
    assert headings[0] == "## Erklärung zur Barrierefreiheit"  # below the page's h1 and the form's h2
    assert [h.removeprefix("### ") for h in headings[1:]] == SECTIONS


def test_every_role_opens_the_statement_page(app: AppTest) -> None:
    log_in(app, "kreistag")
    app.switch_page("pages/accessibility.py").run()
    assert not app.exception
    assert _headings(app)[0] == "Erklärung zur Barrierefreiheit"
    assert _headings(app)[1:] == SECTIONS
    assert any("Diese Erklärung wurde am 26.11.2026 erstellt." in m.value for m in app.markdown)


def test_a_broken_statement_file_shows_a_message_not_a_traceback(app: AppTest, tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    broken = tmp_path / "kaputt.toml"
    broken.write_text('titel = "Erklärung"\n', encoding="utf-8")
    monkeypatch.setenv("ACCESSIBILITY_STATEMENT", str(broken))
    log_in(app, "admin")
    app.switch_page("pages/accessibility.py").run()
    assert not app.exception
    assert as_read(app.error[0].value).startswith("In der Erklärung zur Barrierefreiheit fehlt: einleitung, stand,")
