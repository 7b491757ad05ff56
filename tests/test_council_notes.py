"""What a correction says beside a cell it no longer prints: never the audit's finding.

A revision that hides a cell its original printed says why, in "Hinweis" (CSV), on the Excel
sheet, the PDF and the page. The audit's own words for the finding were the hidden number
itself: "Unterschied zur früheren Fassung ist genau 1" beside "Begleitung Suchtberatung" gave
the hidden count (the original's plus one) and told the council that one person's addiction
counselling had been entered late; "„< 3“ ist berechenbar: nur 1 möglich" names a value.
So every note a council member can download is read here, and once the release numbers and
period labels it may name are taken out (and the meaning of "< 3" where the cell shows it), no number and no word of a finding is left.
"""

from __future__ import annotations

import io
import random
import re
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from db.figures.revisions import DISCLOSES, SMALL_NOW

from .helpers import programme_through_services
from .test_council_attack import correct_all, downloads, fresh, late_entries, release_everything

NAMES_A_RELEASE = re.compile(r"Freigabe Nr\. \d+|\d\. Quartal \d{4}|Jahr \d{4}")


@pytest.mark.parametrize("seed", [0, 2])  # seeds whose late entries change cells by one
def test_no_note_beside_a_correction_carries_a_number(_sqlite_template: Path, tmp_path: Path,
                                                      seed: int) -> None:
    db = fresh(_sqlite_template, tmp_path, f"note-{seed}")
    try:
        rng, today = random.Random(seed), date.today()
        actors = programme_through_services(db, rng, 40, today, 3)
        release_everything(db, actors["lead"], actors["council"])
        late_entries(db, actors, rng, today)
        correct_all(db, actors["lead"])
        notes = []
        for release_id, data in downloads(db, actors["council"]).items():
            frame = pd.read_csv(io.BytesIO(data), sep=";", dtype=str, keep_default_na=False,
                                encoding="utf-8-sig")
            notes += [(release_id, r.Tabelle, r.Zeile, r.Hinweis) for r in frame.itertuples() if r.Hinweis]
        assert notes, "no correction hid a printed cell: the test would prove nothing"
        for release_id, table, row, note in notes:
            # SMALL_NOW repeats what the cell's "< 3" says: 1 or 2.
            words = NAMES_A_RELEASE.sub("", note.removesuffix(SMALL_NOW))
            assert not re.search(r"\d", words) and "genau" not in words and "nur " not in words, \
                (release_id, table, row, note)
            assert note.endswith(DISCLOSES) or note.endswith(SMALL_NOW), note
    finally:
        db.dispose()
