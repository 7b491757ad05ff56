"""Stocks on a day (Stichtag) across releases: which printed stock cells the audit pairs.

Every release prints the same two stock tables ("stichtag": in accompaniment, Nachbetreuung and
their sum; "geplant": planned first interviews) for one day – a quarter's last day, or the day a
Stichtag briefing (db.figures.briefings) was drafted for. Two of them relate in two ways:

- **the same day**: the same persons are counted. Like a correction of a quarter, a difference
  of 1 or 2 between the two versions says how many persons' records changed; the audit pairs
  the cells and refuses such a difference (db.figures.feasibility, `differences`).
- **days close together** (fewer than NEIGHBOUR_DAYS apart): the difference is the net movement
  of a few days – one person starting work between a briefing on Monday and one on Friday.
  The audit treats it the same way: a net change pinned to 1 or 2 is hidden in the newer release.
  Such a mark told its reason, so since the calendar below such pairs no longer arise for new
  releases: briefings are refused for close days, and a quarter close to a briefing prints its
  stocks wholly as "•". The pairing remains as the audit's check.
  Stocks further apart (consecutive quarter ends, a briefing and a quarter end a month away)
  move by many entries and exits at once; their net change says nothing about a person and is
  published, as official statistics publish monthly stocks.

A Stichtag briefing as stored (DayBriefing, DayRelease) is read here too, so that the quarter's
audit (db.figures.releases) can hold every briefing without importing the module that makes
them (db.figures.briefings). The day of a Stichtag briefing is its key in the release table: eight digits (20261206), so it
never looks like a quarter key ("2026-Q4").
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import Protocol
from datetime import date, datetime

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from ..accounts.permissions import require_role
from ..actors import Actor
from ..errors import ValidationError
from ..reporting.registry import Tile
from ..store.database import Database
from ..store.memo import until_data_change
from ..store.models import CouncilRelease, User
from ..validation import ascii_digits
from .council import COUNCIL_ROLES, CouncilTable
from .disclosure import PublishedTable
from .feasibility import CellRef

KIND = "stichtag"
STATUS = "Stand am Stichtag"

STOCK_SLUGS = ("stichtag", "geplant")
NEIGHBOUR_DAYS = 28  # as long as the results window: about a committee cycle


def day_key(day: date) -> str:
    return f"{day:%Y%m%d}"


def is_day_key(key: str) -> bool:
    return len(key) == 8 and ascii_digits(key) is not None


def day_of_key(key: str) -> date:
    if not is_day_key(key):
        raise ValueError(f"no Stichtag key: {key!r}")
    return date(int(key[:4]), int(key[4:6]), int(key[6:]))


@dataclass(frozen=True)
class StockSet:
    """The stock tables of one release (or of the release being prepared)."""

    owner: Hashable  # the release id, or releases.NEW
    day: date
    quarter: bool  # a quarter release: its versions are paired by the quarter's own rule
    tables: dict[str, PublishedTable]


def close(a: date, b: date) -> bool:
    return abs((a - b).days) < NEIGHBOUR_DAYS


def stock_differences(sets: Sequence[StockSet]) -> list[tuple[CellRef, CellRef]]:
    """Each stock cell paired with the same cell of every release whose day is close (the same
    day included); pairs of two quarter releases are left to the quarter's own rule (versions of
    one quarter), which pairs every table of them."""
    pairs: list[tuple[CellRef, CellRef]] = []
    for i, later in enumerate(sets):
        for before in sets[:i]:
            if (later.quarter and before.quarter) or not close(later.day, before.day):
                continue
            for slug in STOCK_SLUGS:
                a, b = later.tables.get(slug), before.tables.get(slug)
                if a is None or b is None:
                    continue
                pairs += [(((later.owner, slug), r, c), ((before.owner, slug), r, c))
                          for r in a.rows if r in b.rows for c in a.columns if c in b.columns]
    return pairs


# --- the release calendar of stocks ---------------------------------------------------------------
#
# The pairing above protects a single cell by hiding it when its difference to a close release is
# 1 or 2 – so the mark itself said why: in a table without "< 3", a "•" beside a close release that
# printed 19 meant 17, 18, 20 or 21 (tests/test_rev38_attacks.py). Whether a stock cell is hidden
# must not depend on how much it moved. Hence a calendar, decided by dates alone:
#
# - a Stichtag briefing is refused for a day fewer than NEIGHBOUR_DAYS from the stock day of any
#   release already stored – another briefing, a quarter's or a year's last day – and a released
#   briefing is never corrected (a second version of the same day would pair with it);
# - a quarter or year released later whose last day is close to a released briefing's day prints
#   its stock tables wholly as "•", whatever they hold (db.figures.releases).
#
# Close pairs then hold no printed stock on both sides, and the pairing above finds nothing to
# hide by value; it stays as the audit's check of releases stored before the calendar.


@dataclass(frozen=True)
class StockDay:
    """The stock day of a stored release, for the calendar."""

    day: date
    release_id: int
    what: str  # "der Lagebericht zum Stichtag 03.11.2026" / "3. Quartal 2026" – for the refusal
    briefing: bool


def conflict(day: date, stored: Sequence[StockDay]) -> StockDay | None:
    """The stored release nearest to `day` whose stocks are close to it (the same day included)."""
    near = [s for s in stored if close(s.day, day)]
    return min(near, key=lambda s: (abs((s.day - day).days), -s.release_id), default=None)


def allowed_days(stored: Sequence[StockDay], first: date, last: date) -> list[date]:
    """Every day from `first` to `last` a new Stichtag briefing may be drafted for."""
    out, day = [], first
    while day <= last:
        if conflict(day, stored) is None:
            out.append(day)
        day = date.fromordinal(day.toordinal() + 1)
    return out


def nearest_allowed(day: date, stored: Sequence[StockDay], first: date, last: date) -> date | None:
    """The allowed day nearest to `day` (the later of two as near: newer stocks), or None."""
    return min(allowed_days(stored, first, last), key=lambda d: (abs((d - day).days), -d.toordinal()),
               default=None)


def first_allowed_after(stored: Sequence[StockDay], after: date) -> date:
    """The first day after `after` no stored release is close to (the day the lead may wait for)."""
    latest = max((s.day for s in stored), default=after)
    return max(date.fromordinal(after.toordinal() + 1),
               date.fromordinal(latest.toordinal() + NEIGHBOUR_DAYS))


def stock_tables(tables: dict[str, PublishedTable]) -> dict[str, PublishedTable]:
    return {slug: t for slug, t in tables.items() if slug in STOCK_SLUGS}


# --- Stichtag briefings as stored (made by db.figures.briefings) -------------------------------

@dataclass(frozen=True)
class DayBriefing:
    """A Stichtag briefing as printed: stock tiles, summary, the two stock tables, office hours."""

    day: date
    stock_tiles: list[Tile]
    summary: str
    tables: list[CouncilTable]
    office_hours: list[tuple[str, str]]  # (place, when) as printed; no person's data

    @property
    def label(self) -> str:
        return f"Stichtag {self.day:%d.%m.%Y}"

    @property
    def status(self) -> str:
        """Beside a quarter's "vorläufig"/"endgültig": stocks of one day, never revised (a
        correction of the same day is a new, marked release)."""
        return STATUS

    def to_json(self) -> dict[str, object]:
        return {"kind": KIND, "day": self.day.isoformat(),
                "stock_tiles": [[t.label, t.value, t.help] for t in self.stock_tiles],
                "summary": self.summary, "tables": [t.to_json() for t in self.tables],
                "office_hours": [list(o) for o in self.office_hours]}

    @classmethod
    def from_json(cls, data: dict) -> DayBriefing:  # type: ignore[type-arg]
        return cls(date.fromisoformat(data["day"]), [Tile(*t) for t in data["stock_tiles"]],
                   data["summary"], [CouncilTable.from_json(t) for t in data["tables"]],
                   [(place, when) for place, when in data["office_hours"]])

    def table(self, slug: str) -> CouncilTable:
        return next(t for t in self.tables if t.slug == slug)


@dataclass(frozen=True)
class DayRelease:
    id: int
    released_at: datetime
    released_by: str
    content_hash: str
    corrects_id: int | None
    corrected_by: int | None
    briefing: DayBriefing

    @property
    def day(self) -> date:
        return self.briefing.day

    @property
    def title(self) -> str:
        return f"Lagebericht zum {self.briefing.label}{' (berichtigt)' if self.corrects_id else ''}"


# --- reading ----------------------------------------------------------------------------------

def stored_releases(db: Database, days: bool) -> list[tuple[CouncilRelease, str]]:
    """The stored releases of one kind – Stichtag briefings (`days`) or quarters and years – with
    who released them, newest first: both kinds share the table (one id sequence, one
    append-only rule)."""
    with db.read() as session:
        rows = session.execute(
            select(CouncilRelease, User.display_name)
            .join(User, CouncilRelease.released_by_id == User.id)
            .order_by(CouncilRelease.id.desc())).all()
    return [(row, name) for row, name in rows if is_day_key(row.period_key) == days]


_RELEASE_LOCK = 7_171_718  # PostgreSQL advisory lock id: one release stored at a time


class _Stored(Protocol):
    @property
    def id(self) -> int: ...


Premise = tuple[int, int]  # how many releases, and the newest id, the audit was run against


def premise_of(*kinds: Sequence[_Stored]) -> Premise:
    """The releases a preview was audited against, as (count, newest id): releases are never
    changed or deleted, so the same count and newest id mean the same set – also when the
    lists were read in separate transactions, one of them older than the other."""
    ids = [r.id for kind in kinds for r in kind]
    return len(ids), max(ids, default=0)


def refuse_what_was_released_since(session: Session, premise: Premise) -> None:
    """First thing in the transaction that stores a release (quarter, year or Stichtag). Its
    audit over every earlier release, the calendar and the choice of what it corrects held for
    exactly the releases it was given: anything else stored – on any server, any kind, before
    or after the preview read its lists – was in none of them, so the write is refused,
    whatever the new release holds. One writer at a time: PostgreSQL holds a lock until the
    commit and reads, in READ COMMITTED (db/store/database.py), what was committed before it
    got the lock; SQLite's BEGIN IMMEDIATE serialises writers already."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": _RELEASE_LOCK})
    count, newest = session.execute(select(func.count(), func.max(CouncilRelease.id))).one()
    if (count, newest or 0) != premise:
        raise ValidationError("Seit der Vorschau wurde eine Freigabe gespeichert, die die Prüfung "
                              "noch nicht kannte. Bitte die Seite neu laden und die neue Vorschau prüfen.")


@until_data_change
def day_releases(db: Database, actor: Actor) -> list[DayRelease]:
    """Every Stichtag briefing, newest first (the council and the lead)."""
    require_role(actor, *COUNCIL_ROLES)
    rows = stored_releases(db, days=True)
    corrected = {row.corrects_id: row.id for row, _ in rows if row.corrects_id}
    return [DayRelease(row.id, row.released_at, name, row.content_hash, row.corrects_id,
                       corrected.get(row.id), DayBriefing.from_json(row.content)) for row, name in rows]


