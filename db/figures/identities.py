"""Identities between cells of different council tables, declared to the disclosure audit.

A "Summe" ties the cells of its own table; the audit knows those from the table. Any other
equation that holds between printed cells – the same events counted in two tables – lets a
reader compute a hidden cell from another table, so the audit must know it too. This is the one
list of them. It is not written from memory: tests/test_identities.py generates programmes
through the service functions, drafts every table the council can get, finds every integer
linear relation between their cells with linear algebra and fails for any relation that is
neither a table's own sum nor declared here. A new table that repeats a figure is therefore
either declared here or not published.

Cells are named by table slug, row and column, as printed; an identity applies to a release
(or any set of tables of one quarter) that prints all of its cells.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from dataclasses import dataclass

from ..reporting.registry import label
from ..vocabulary import ActivityKind
from .disclosure import PublishedTable
from .feasibility import Link

Place = tuple[str, str, str]  # (table slug, row, column)


@dataclass(frozen=True)
class Identity:
    """total = sum(parts), between cells of one quarter's tables."""

    why: str
    total: Place
    parts: tuple[Place, ...]


# Every held first interview writes exactly one contact of the kind "Erstgespräch" (the status
# change and the import write it, nobody else may: db.casework.activities.LOGGABLE_KINDS).
# Releases drafted since the table of contacts left that row out print the number once; the
# identity stays declared for the releases stored before, which print it twice.
FIRST_INTERVIEW_CONTACTS = Identity(
    "Jedes geführte Erstgespräch ist genau ein Kontakt der Art „Erstgespräch“.",
    ("kontakte", ActivityKind.FIRST_INTERVIEW.label, "Kontakte"),
    (("zugaenge", label("interviews_held"), "Anzahl"),))

IDENTITIES: tuple[Identity, ...] = (FIRST_INTERVIEW_CONTACTS,)


def _prints(tables: Mapping[str, PublishedTable], place: Place) -> bool:
    slug, row, col = place
    table = tables.get(slug)
    return table is not None and row in table.rows and col in table.columns


def links(tables: Mapping[tuple[Hashable, str], PublishedTable],
          identities: tuple[Identity, ...] = IDENTITIES) -> list[Link]:
    """The declared identities as audit links, for every table set (keyed (set, slug), one set
    per release) that prints all cells of an identity."""
    by_set: dict[Hashable, dict[str, PublishedTable]] = {}
    for (owner, slug), table in tables.items():
        by_set.setdefault(owner, {})[slug] = table
    out: list[Link] = []
    for owner, own in by_set.items():
        for identity in identities:
            places = (identity.total, *identity.parts)
            if all(_prints(own, p) for p in places):
                out.append(Link(_ref(owner, identity.total),
                                tuple(_ref(owner, p) for p in identity.parts)))
    return out


def _ref(owner: Hashable, place: Place) -> tuple[tuple[Hashable, str], str, str]:
    slug, row, col = place
    return (owner, slug), row, col
