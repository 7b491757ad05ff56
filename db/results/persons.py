"""One participant, however often referred: the ESF+ rule that a person is recorded once per project.

Two records are the same person when they are the same client (one client number), or when first
and last name agree (any capitals, spaces around ignored) together with the postcode or the date
of birth. The referral form's duplicate check (db.casework.cases) and the funder's report (db.results.report)
both apply this rule.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable
from datetime import date
from typing import TypeVar

T = TypeVar("T")


def identity_keys(first_name: str, last_name: str, postcode: str | None,
                  birth_date: date | None) -> list[Hashable]:
    """The keys under which two records are one person (besides being the same client)."""
    name = (first_name.strip().lower(), last_name.strip().lower())
    keys: list[Hashable] = []
    if postcode:
        keys.append((*name, "postcode", postcode.strip()))
    if birth_date:
        keys.append((*name, "birth_date", birth_date))
    return keys


def same_persons(records: Iterable[T], keys: Callable[[T], list[Hashable]]) -> list[list[T]]:
    """The records grouped by person: any shared key joins two groups (so A~B and B~C make one
    person of all three), in the order each person first appears."""
    items = list(records)
    parent = list(range(len(items)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    first_with: dict[Hashable, int] = {}
    for i, item in enumerate(items):
        for key in keys(item):
            if key in first_with:
                parent[root(i)] = root(first_with[key])
            else:
                first_with[key] = i
    groups: dict[int, list[T]] = {}
    for i, item in enumerate(items):
        groups.setdefault(root(i), []).append(item)
    return list(groups.values())
