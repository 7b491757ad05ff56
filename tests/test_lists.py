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


def test_a_tables_views_are_kept_by_content_and_text_is_never_taken_for_markup() -> None:
    """Both views of a table (pages/ui/shown.shown_frame, pages/narrow.blocks) are kept by the
    frame's content: the same content gives the same views as made anew; content equal as str
    but escaped differently (a typed "a*b" and the page's md("a*b")), or a number as int and as
    float, gives its own."""
    import pandas as pd

    from pages import narrow
    from pages.ui import shown as shown_module
    from pages.ui.shown import md, plain, shown_frame

    def made(frame: pd.DataFrame) -> tuple[list[list[object]], str]:
        return shown_frame(frame).reset_index().to_numpy().tolist(), str(narrow.blocks(frame))

    def anew(frame: pd.DataFrame) -> tuple[list[list[object]], str]:
        return (shown_frame.__wrapped__(frame).reset_index().to_numpy().tolist(),  # type: ignore[attr-defined]
                str(narrow.blocks.__wrapped__(frame)))  # type: ignore[attr-defined]

    typed = pd.DataFrame({"Name": pd.Series(["a*b", "Eva"], dtype=object), "Zahl": [1, 2]})
    marked = pd.DataFrame({"Name": pd.Series([md("a*b"), plain("Eva")], dtype=object), "Zahl": [1, 2]})
    assert marked["Name"][0] == typed["Name"][0] == "a*b"  # equal, but the one is markup, the other typed
    as_float = typed.astype({"Zahl": float})
    named = typed.set_index("Name").rename_axis("Wer")
    for frame in (typed, marked, as_float, named, typed.copy()):
        assert made(frame) == anew(frame)
        assert made(frame) == anew(frame)  # the second time from the kept views
    assert anew(marked) != anew(typed) and anew(as_float) != anew(typed)
    missing = pd.DataFrame({"Name": pd.Series(["x", pd.NA], dtype=object)})
    assert made(missing) == anew(missing) and shown_module._cells(missing) is not None
    listed = pd.DataFrame({"Name": pd.Series([["a"], "b"], dtype=object)})  # kept by the list's content
    assert made(listed) == anew(listed) and shown_module._cells(listed) != shown_module._cells(
        pd.DataFrame({"Name": pd.Series([["c"], "b"], dtype=object)}))
    unpicklable = pd.DataFrame({"Name": pd.Series([lambda: "a", "b"], dtype=object)})
    assert shown_module._cells(unpicklable) is None and made(unpicklable)[1] == anew(unpicklable)[1]
