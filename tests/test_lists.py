"""Every list of the app goes one way (pages/narrow.py): a table or grid at a desk, blocks or
cards on a phone – a page that called st.dataframe or st.table itself would scroll sideways on a
phone again (issue 41)."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# st.dataframe / st.table / st.data_editor, also as a column's or container's method
# (cols[0].dataframe(…)); narrow.table and narrow.grid are the way in.
LIST_CALL = re.compile(r"(?<!\bnarrow)\.\s*(dataframe|table|data_editor)\s*\(")


def test_only_pages_narrow_draws_tables_and_grids() -> None:
    found = [f"{path.relative_to(ROOT)}:{n}: {line.strip()}"
             for path in [ROOT / "app.py", *sorted((ROOT / "pages").rglob("*.py"))]
             if path != ROOT / "pages" / "narrow.py"
             for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
             if LIST_CALL.search(line) and not line.lstrip().startswith("#")]
    assert found == []


def test_the_check_finds_a_grid_drawn_by_a_page() -> None:
    assert LIST_CALL.search('    picked = st.dataframe(frame, hide_index=True)')
    assert LIST_CALL.search('cols[1].table(frame)')
    assert LIST_CALL.search('st.data_editor(frame)')
    assert not LIST_CALL.search('narrow.table(frame, "key")')
