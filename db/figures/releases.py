"""Council releases: what the Kreistag sees, frozen once released, audited against all before it.

The council never sees a figure computed on the fly. The lead releases one quarter at a time,
once it is final (db.figures.periods). Releasing

1. drafts the quarter's tables, each protected on its own (db.figures.council);
2. audits them together with every earlier release (db.figures.feasibility): an integer program
   over every printed cell, total, mark and declared identity between tables
   (db.figures.identities). Where it can pin down a hidden value, the draft
   protects one more cell (db.figures.disclosure.widened) and the audit runs again, until
   nothing can be derived;
3. stores the briefing exactly as printed – tables, tiles, summary, no hidden value – with who
   released it, when, and a SHA-256 of its content, and makes its files (PDF, Excel, CSV, a PNG
   per chart) once. Both tables are append-only in the database.

A correction of a released quarter is a new release that names the one it corrects; the earlier
one stays visible, marked "berichtigt". The audit pairs each cell of the two versions: their
difference must not show that one or two persons' records changed.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime

from sqlalchemy import func, select

from ..accounts.permissions import require_role
from ..actors import Actor
from ..clock import today
from ..errors import NotFound, ValidationError
from ..store.audit import audit
from ..store.database import Database
from ..store.memo import until_data_change
from ..store.models import CouncilRelease, CouncilReleaseFile, User
from ..vocabulary import Role
from . import flows
from .council import COUNCIL_ROLES, Briefing, briefing_of, draft
from .disclosure import PublishedTable, widened
from .feasibility import CellRef, Exposure
from .feasibility import audit as disclosure_audit
from .identities import links
from .periods import ReportingPeriod, final_quarters
from .stichtage import DayRelease, StockSet, day_releases, is_day_key, stock_differences, stock_tables

RELEASE_ROLES = (Role.LEAD,)
NEW = "neu"  # the table id prefix of the release being prepared


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
    def title(self) -> str:
        return f"{self.period.label}{' (berichtigt)' if self.corrects_id else ''}"


@dataclass(frozen=True)
class Candidate:
    """A quarter ready to release: the briefing as it would be printed, audited."""

    period: ReportingPeriod
    briefing: Briefing
    content_hash: str
    hidden: int  # hidden cells in the draft, after the audit
    widened: int  # cells the audit had to protect beyond each table's own suppression
    current: Release | None  # the valid release of this quarter, if there is one

    @property
    def unchanged(self) -> bool:
        """Nothing to correct: the tables are those of the valid release (the team figures of
        the day of drafting do not count as a correction)."""
        return self.current is not None and (
            [t.to_json() for t in self.current.briefing.tables] == [t.to_json() for t in self.briefing.tables])


def content_hash(content: dict[str, object]) -> str:
    text = json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


# --- reading ----------------------------------------------------------------------------------

@until_data_change
def releases(db: Database, actor: Actor) -> list[Release]:
    """Every release, newest first. Aggregates only: the council and the lead see them."""
    require_role(actor, *COUNCIL_ROLES)
    with db.read() as session:
        rows = session.execute(
            select(CouncilRelease, User.display_name)
            .join(User, CouncilRelease.released_by_id == User.id)
            .order_by(CouncilRelease.id.desc())).all()
    corrected = {row.corrects_id: row.id for row, _ in rows if row.corrects_id}
    # Stichtag briefings share the table (one id sequence, one append-only rule): db.figures.briefings.
    return [Release(row.id, row.released_at, name, row.content_hash, row.corrects_id,
                    corrected.get(row.id), Briefing.from_json(row.content)) for row, name in rows
            if not is_day_key(row.period_key)]


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


def _tables(release: Release) -> dict[str, PublishedTable]:
    return {t.slug: t.table for t in release.briefing.tables}


def _check(earlier: list[Release], new: dict[str, PublishedTable], period: ReportingPeriod | None,
           days: Sequence[DayRelease] = (), new_day: date | None = None) -> list[Exposure]:
    """The audit over every earlier release – quarters and Stichtag briefings (`days`) – and the
    new one (see module doc), whose stocks are of `new_day` (a quarter: its last day)."""
    tables: dict[object, PublishedTable] = {
        (r.id, slug): t for r in earlier for slug, t in _tables(r).items()}
    tables.update({(d.id, t.slug): t.table for d in days for t in d.briefing.tables})
    tables.update({(NEW, slug): t for slug, t in new.items()})
    versions: list[tuple[object, dict[str, PublishedTable]]] = [
        (r.id, _tables(r)) for r in earlier if r.period == period]
    versions.append((NEW, new))
    differences: list[tuple[CellRef, CellRef]] = []
    for i, (later, later_tables) in enumerate(versions):
        for before, before_tables in versions[:i]:
            for slug, table in later_tables.items():
                other = before_tables.get(slug)
                if other is None:
                    continue
                differences += [(((later, slug), r, c), ((before, slug), r, c))
                                for r in table.rows if r in other.rows
                                for c in table.columns if c in other.columns]
    # Stocks of one day or of days close together, whatever kind of release printed them.
    differences += stock_differences([
        *(StockSet(r.id, r.period.end, True, stock_tables(_tables(r))) for r in earlier),
        *(StockSet(d.id, d.briefing.day, False, stock_tables({t.slug: t.table for t in d.briefing.tables}))
          for d in days),
        StockSet(NEW, new_day or period.end, period is not None, stock_tables(new))])  # type: ignore[union-attr]
    return disclosure_audit(tables, links=links(tables), differences=differences)


def _exposed_in_new(exposure: Exposure) -> tuple[str, tuple[str, str]] | None:
    for ref in (exposure.cell, exposure.other):
        if ref is not None and ref[0][0] == NEW:
            return ref[0][1], (ref[1], ref[2])
    return None


@until_data_change
def prepare(db: Database, actor: Actor, period_key: str) -> Candidate:
    """The quarter's briefing as it would be released, after the audit over all releases."""
    require_role(actor, *RELEASE_ROLES)
    period = ReportingPeriod.from_key(period_key)
    if period not in final_periods(db):
        raise ValidationError(f"{period.label} ist noch nicht abgeschlossen: Ergebnisse der Abgänge "
                              f"kommen bis 28 Tage nach Quartalsende. Freigabe ab {period.final_from:%d.%m.%Y}.")
    earlier, days = releases(db, actor), day_releases(db, actor)
    the_draft = draft(db, actor, period, period.end)  # the team of the Stichtag, too
    protected = dict(the_draft.tables)
    before = sum(len(t.hidden) for t in protected.values())
    while exposures := _check(earlier, {s: t.as_published() for s, t in protected.items()}, period, days):
        place = next(filter(None, map(_exposed_in_new, exposures)), None)
        if place is None:  # only earlier releases are exposed: none of this release's doing
            raise ValidationError("Die bisherigen Freigaben bestehen die Prüfung nicht: "
                                  + exposures[0].what + ". Bitte den Datenschutz einbeziehen.")
        slug, cell = place
        wider = widened(protected[slug], cell)
        if wider is None:
            raise ValidationError("Eine Tabelle lässt sich nicht schützen: " + exposures[0].what)
        protected[slug] = wider
    briefing = briefing_of(replace(the_draft, tables=protected))
    current = next((r for r in earlier if r.period == period and r.corrected_by is None), None)
    hidden = sum(len(t.hidden) for t in protected.values())
    return Candidate(period, briefing, content_hash(briefing.to_json()), hidden,
                     hidden - before, current)


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
    content = candidate.briefing.to_json()
    with db.write() as session:
        newest = session.scalar(select(func.max(CouncilRelease.id)).where(
            CouncilRelease.period_key == candidate.period.key))
        if newest != (candidate.current.id if candidate.current else None):
            raise ValidationError(f"{candidate.period.label} wurde inzwischen freigegeben. Bitte die "
                                  "Seite neu laden und die Vorschau prüfen.")
        row = CouncilRelease(period_key=candidate.period.key, released_by_id=actor.id, content=content,
                             content_hash=candidate.content_hash,
                             corrects_id=candidate.current.id if candidate.current else None)
        session.add(row)
        session.flush()
        stored = Release(row.id, row.released_at, actor.display_name, row.content_hash, row.corrects_id,
                         None, candidate.briefing)
        for name, data in release_files(stored).items():
            session.add(CouncilReleaseFile(release_id=row.id, name=name, data=data,
                                           sha256=hashlib.sha256(data).hexdigest()))
        audit(session, actor, "release", "council_release", row.id,
              {"period": candidate.period.key, "hash": candidate.content_hash,
               "corrects": row.corrects_id})
    return stored
