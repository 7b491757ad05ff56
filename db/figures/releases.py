"""Council releases: what the Kreistag sees, frozen once released, audited against all before it.

The council never sees a figure computed on the fly. The lead releases one quarter at a time,
once it is final (db.figures.periods). Releasing

1. drafts the quarter's tables, each protected on its own (db.figures.council);
2. audits them together with every earlier release (db.figures.revisions, db.figures.feasibility):
   an integer program over every printed cell, total, mark and declared identity between tables
   (db.figures.identities). Where it can pin down a hidden value, the draft protects one more
   cell and the audit runs again, until nothing can be derived;
3. stores the briefing exactly as printed – tables, tiles, summary, no hidden value – with who
   released it, when, and a SHA-256 of its content, and makes its files (PDF, Excel, CSV, a PNG
   per chart) once. Both tables are append-only in the database.

Revision policy (README "Revisionen"): a quarter is first released "vorläufig". Its figures are
revised once, in the annual release of its year (from 29 April of the next year, when the next
year's first quarter is final): the four quarters again, now "endgültig", and the year's totals,
audited together. After that a quarter no longer changes. Before it, a provisional quarter can be
corrected when an error is found (still "vorläufig"). A revision or correction is a new release
that names the one it replaces; the earlier one stays visible, marked as replaced. It keeps the
earlier version's hidden cells hidden and hides a cell the earlier version printed only where the
audit proves that printing it would disclose – and then says why (db.figures.revisions).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy import select

from ..accounts.permissions import require_role
from ..actors import Actor
from ..clock import today
from ..errors import NotFound, ValidationError
from ..store.audit import audit
from ..store.database import Database
from ..store.memo import until_data_change
from ..store.models import CouncilRelease, CouncilReleaseFile
from ..vocabulary import Role
from . import flows
from .council import COUNCIL_ROLES, Briefing, briefing_of, draft
from .disclosure import PublishedTable, hidden_whole
from .feasibility import Exposure
from .periods import ReportingPeriod, annual_years, final_quarters
from .revisions import DISCLOSES, Unprotectable, Version, check, protect_sets
from .stichtage import (STOCK_SLUGS, DayRelease, close, day_releases, Premise, premise_of,
                        refuse_what_was_released_since, stored_releases)

RELEASE_ROLES = (Role.LEAD,)


@dataclass(frozen=True)
class Release:
    id: int
    released_at: datetime
    released_by: str
    content_hash: str
    corrects_id: int | None
    corrected_by: int | None  # the later release that corrects this one
    briefing: Briefing

    @property
    def period(self) -> ReportingPeriod:
        return self.briefing.period

    @property
    def final(self) -> bool:
        return self.briefing.final

    @property
    def title(self) -> str:
        """"2. Quartal 2026 (vorläufig)", "… (vorläufig, berichtigt)", "… (endgültig)"."""
        corrected = ", berichtigt" if self.corrects_id and not self.final else ""
        return f"{self.period.label} ({self.briefing.status}{corrected})"


@dataclass(frozen=True)
class Candidate:
    """A quarter ready to release: the briefing as it would be printed, audited."""

    period: ReportingPeriod
    briefing: Briefing
    content_hash: str
    hidden: int  # hidden cells in the draft, after the audit
    widened: int  # cells the audit had to protect beyond each table's own suppression
    current: Release | None  # the valid release of this quarter, if there is one
    # An annual release: the year's quarters in their final version, stored with the year (this
    # candidate, whose content_hash then covers all of them).
    parts: tuple[Candidate, ...] = ()
    premise: Premise = (0, 0)  # the releases the audit was run against (stichtage.premise_of)

    @property
    def unchanged(self) -> bool:
        """Nothing to correct: the tables are those of the valid release (the team figures of
        the day of drafting do not count as a correction)."""
        return self.current is not None and self.current.final == self.briefing.final and (
            [(t.slug, t.table) for t in self.current.briefing.tables] == [(t.slug, t.table) for t in self.briefing.tables])

    @property
    def withheld(self) -> int:
        """Cells the replaced versions printed and this release hides (each with its reason)."""
        return sum(len(t.withheld) for c in (*self.parts, self) for t in c.briefing.tables)


def content_hash(content: dict[str, object]) -> str:
    text = json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


# --- reading ----------------------------------------------------------------------------------

@until_data_change
def releases(db: Database, actor: Actor) -> list[Release]:
    """Every release, newest first. Aggregates only: the council and the lead see them."""
    require_role(actor, *COUNCIL_ROLES)
    rows = stored_releases(db, days=False)  # Stichtag briefings: db.figures.briefings
    corrected = {row.corrects_id: row.id for row, _ in rows if row.corrects_id}
    return [Release(row.id, row.released_at, name, row.content_hash, row.corrects_id,
                    corrected.get(row.id), Briefing.from_json(row.content)) for row, name in rows]


def release_file(db: Database, actor: Actor, release_id: int, name: str) -> bytes:
    """A release's file, the same bytes on every download; the download is audited."""
    require_role(actor, *COUNCIL_ROLES)
    with db.write() as session:
        data = session.scalar(select(CouncilReleaseFile.data).where(
            CouncilReleaseFile.release_id == release_id, CouncilReleaseFile.name == name))
        if data is None:
            raise NotFound("Diese Datei gibt es zu der Freigabe nicht.")
        audit(session, actor, "export", "council_release", release_id, {"format": name})
    return data


# --- preparing and releasing --------------------------------------------------------------------

def final_periods(db: Database) -> list[ReportingPeriod]:
    """Quarters whose figures are final today (28-day result window over), oldest first."""
    return final_quarters(flows.programme_start(db), today())


def annual_periods(db: Database) -> list[ReportingPeriod]:
    """Years whose annual release is due today (from 29 April of the next year), oldest first."""
    return annual_years(flows.programme_start(db), today())


def releasable(db: Database, actor: Actor) -> list[ReportingPeriod]:
    """What the lead may release today, newest first: every final quarter not yet revised in
    its annual release, and every due year not yet released."""
    done = {r.period for r in releases(db, actor) if r.final}
    quarters = [q for q in final_periods(db) if q not in done]
    years = [y for y in annual_periods(db) if y not in done]
    return sorted([*quarters, *years], key=lambda p: (p.end, not p.is_year), reverse=True)


def _tables(release: Release) -> dict[str, PublishedTable]:
    return {t.slug: t.table for t in release.briefing.tables}


def versions(stored: Sequence[Release], days: Sequence[DayRelease] = ()) -> list[Version]:
    """Every stored release as the audit sees it: quarters and years by period, Stichtag
    briefings (db.figures.briefings) by the day of their stocks."""
    return [*(Version(r.id, r.period, _tables(r), marked=_marked(r), corrects=r.corrects_id) for r in stored),
            *(Version(d.id, None, {t.slug: t.table for t in d.briefing.tables}, d.day) for d in days)]


def _marked(release: Release) -> frozenset[tuple[str, str, str]]:
    """The cells a correction hides with DISCLOSES: read as "moved by 1 or 2" (revisions)."""
    return frozenset((t.slug, row, col) for t in release.briefing.tables for row, col, why in t.withheld
                     if why.endswith(DISCLOSES))


def _check(earlier: list[Release], new: dict[str, PublishedTable], period: ReportingPeriod,
           days: Sequence[DayRelease] = ()) -> list[Exposure]:
    """The audit over every earlier release and one new quarter (bench/council_audit.py)."""
    return check(versions(earlier, days), {period: new})


def _near_briefing(period: ReportingPeriod, days: Sequence[DayRelease]) -> DayRelease | None:
    """The released Stichtag briefing nearest to the period's last day among the close ones."""
    near = [d for d in days if close(d.day, period.end)]
    return min(near, key=lambda d: (abs((d.day - period.end).days), d.id), default=None)


WHATEVER_THEY_HOLD = "unabhängig von ihrer Höhe"  # in every note on stocks hidden by the calendar


def near_note(period: ReportingPeriod, briefing: DayRelease) -> str:
    """Why a quarter's (or year's) stocks are all "•": the same sentence whatever they hold."""
    return (f"Bestände am {period.end:%d.%m.%Y} nicht ausgewiesen („•“), {WHATEVER_THEY_HOLD}: "
            f"der Lagebericht zum {briefing.briefing.label} (Freigabe Nr. {briefing.id}) zeigt Bestände "
            "von weniger als 28 Tagen davor oder danach; nebeneinander zeigten beide, wie sich "
            "einzelne Fälle bewegt haben. Die Bestände stehen dort.")


def _valid(earlier: list[Release], period: ReportingPeriod) -> Release | None:
    return next((r for r in earlier if r.period == period and r.corrected_by is None), None)


@until_data_change
def prepare(db: Database, actor: Actor, period_key: str) -> Candidate:
    """The quarter's (or year's annual) release as it would be stored, after the audit over all
    releases."""
    require_role(actor, *RELEASE_ROLES)
    period = ReportingPeriod.from_key(period_key)
    earlier, days = releases(db, actor), day_releases(db, actor)
    if period.is_year:
        if period not in annual_periods(db):
            raise ValidationError(f"Der Jahresbericht {period.start.year} kann ab dem "
                                  f"{period.revision_from:%d.%m.%Y} freigegeben werden, wenn das "
                                  "1. Quartal des Folgejahres abgeschlossen ist.")
        quarters = [q for q in final_periods(db) if q.start.year == period.start.year]
        periods = [*quarters, period]
    else:
        if period not in final_periods(db):
            raise ValidationError(f"{period.label} ist noch nicht abgeschlossen: Ergebnisse der Abgänge "
                                  f"kommen bis 28 Tage nach Quartalsende. Freigabe ab {period.final_from:%d.%m.%Y}.")
        periods = [period]
    for p in periods:
        current = _valid(earlier, p)
        if current is not None and current.final:
            raise ValidationError(f"{p.label} ist endgültig freigegeben (Freigabe Nr. {current.id}) "
                                  "und wird nicht mehr geändert.")
    currents = {p: _valid(earlier, p) for p in periods}
    # The team of each Stichtag (the period's last day), too.
    drafts = {p: draft(db, actor, p, p.end, revises=_tables(c) if c else None) for p, c in currents.items()}
    # The calendar (db.figures.stichtage): stocks of a day close to a released Stichtag briefing
    # are printed wholly as "•" – decided by the dates, never by how much the stocks moved.
    near = {p: d for p in periods if (d := _near_briefing(p, days)) is not None}
    for p, briefing in near.items():
        drafts[p] = replace(drafts[p], tables={
            s: hidden_whole(t) if s in STOCK_SLUGS else t for s, t in drafts[p].tables.items()})
    revised = {p: {s: t for s, t in _tables(c).items() if not (p in near and s in STOCK_SLUGS)}
               for p, c in currents.items() if c}
    try:
        protected = protect_sets(versions(earlier, days), {p: dict(d.tables) for p, d in drafts.items()},
                                 revised)
    except Unprotectable as exc:
        if exc.earlier_only:
            raise ValidationError("Die bisherigen Freigaben bestehen die Prüfung nicht: "
                                  + exc.exposure.what + ". Bitte den Datenschutz einbeziehen.") from None
        raise ValidationError("Eine Tabelle lässt sich nicht schützen: " + exc.exposure.what) from None
    candidates, premise = [], premise_of(earlier, days)
    for p in periods:
        withheld = protected.withheld.get(p, {})
        briefing = briefing_of(replace(drafts[p], tables=protected.sets[p]))
        briefing = replace(briefing, final=period.is_year, tables=[
            replace(t, withheld=tuple(withheld.get(t.slug, ())),
                    explanation=t.explanation + (f" {near_note(p, near[p])}" if p in near and t.slug in STOCK_SLUGS
                                                 else "")) for t in briefing.tables])
        hidden = sum(len(t.hidden) for t in protected.sets[p].values())
        candidates.append(Candidate(p, briefing, content_hash(briefing.to_json()), hidden,
                                    protected.widened if p == period else 0, currents[p], premise=premise))
    *parts, main = candidates
    if parts:  # the year's content hash covers its quarters: one preview, one release
        main = replace(main, parts=tuple(parts), content_hash=content_hash(
            {"parts": [c.content_hash for c in parts], "year": main.content_hash}))
    return main


def release(db: Database, actor: Actor, period_key: str, expected_hash: str) -> Release:
    """Store the quarter as the lead saw it in the preview (`expected_hash`), with its files.

    Refused when the figures moved since the preview, or when they equal the valid release."""
    from .export import release_files  # the files need the stored release's id and hash

    candidate = prepare(db, actor, period_key)
    if candidate.content_hash != expected_hash:
        raise ValidationError("Die Zahlen haben sich seit der Vorschau geändert. Bitte die neue "
                              "Vorschau prüfen und dann freigeben.")
    if candidate.unchanged:
        raise ValidationError(f"{candidate.period.label} ist mit genau diesen Zahlen schon freigegeben.")
    with db.write() as session:
        refuse_what_was_released_since(session, candidate.premise)
        stored = None
        for part in (*candidate.parts, candidate):
            content = part.briefing.to_json()
            row = CouncilRelease(period_key=part.period.key, released_by_id=actor.id, content=content,
                                 content_hash=content_hash(content),
                                 corrects_id=part.current.id if part.current else None)
            session.add(row)
            session.flush()
            stored = Release(row.id, row.released_at, actor.display_name, row.content_hash, row.corrects_id,
                             None, part.briefing)
            for name, data in release_files(stored).items():
                session.add(CouncilReleaseFile(release_id=row.id, name=name, data=data,
                                               sha256=hashlib.sha256(data).hexdigest()))
            audit(session, actor, "release", "council_release", row.id,
                  {"period": part.period.key, "hash": row.content_hash, "corrects": row.corrects_id,
                   "status": part.briefing.status})
    assert stored is not None
    return stored
