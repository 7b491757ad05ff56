"""Employers: records, overview counts, and what each role sees of placements and contacts."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import event

from db.casework.activities import record_activity
from db.programme.employers import (
    EmployerInput,
    employer_detail,
    employer_names,
    employer_overview,
    list_employers,
    save_employer,
)
from db.errors import PermissionDenied, ValidationError
from db.vocabulary import ActivityKind, CaseStatus

from db.store.database import Database

from .conftest import World
from .helpers import audit_count, case_in, load_case


def placed_case(world: World, companion: str = "begleiter1") -> tuple[int, int]:
    """A case in follow-up support; returns (case id, employer id)."""
    case_id, _ = case_in(world.db, world.actor("leitung"), CaseStatus.EMPLOYED,
                         companion_id=world.user_id(companion), case_manager_id=world.user_id("fallmanager1"))
    with world.db.read() as session:
        from db.store.models import Placement

        employer_id = session.query(Placement.employer_id).filter_by(case_id=case_id).scalar()
    return case_id, employer_id


def test_companion_adds_an_employer_and_a_lead_corrects_it(world: World) -> None:
    employer_id = save_employer(world.db, world.actor("begleiter1"), EmployerInput(
        name="Neiße-Metall GmbH", sector="Metall", town="Guben", contact_person="Frau Lehmann"))
    save_employer(world.db, world.actor("leitung"), EmployerInput(
        name="Neiße-Metall GmbH", sector="Metallbau", town="Guben", contact_person="Frau Lehmann",
        phone="03561 1234"), employer_id)
    row = next(e for e in list_employers(world.db, world.actor("leitung")) if e.id == employer_id)
    assert (row.sector, row.phone) == ("Metallbau", "03561 1234")
    assert audit_count(world.db, entity="employer", action="create") == 1
    assert audit_count(world.db, entity="employer", action="update") == 1


def test_the_forms_choice_names_every_employer_in_name_order_for_staff_only(world: World) -> None:
    employer_id = save_employer(world.db, world.actor("begleiter1"), EmployerInput(name="Aaa Anfang GmbH"))
    names = employer_names(world.db, world.actor("begleiter1"))
    assert names == {e.id: e.name for e in list_employers(world.db, world.actor("leitung"))}
    assert list(names)[0] == employer_id  # name order (the database's collation)
    with pytest.raises(PermissionDenied):
        employer_names(world.db, world.actor("kreistag"))


@pytest.mark.parametrize("name", ["", "   ", "x" * 201, "bäckerei probemann (demo)"])
def test_bad_or_duplicate_names_are_refused(world: World, name: str) -> None:
    before = list_employers(world.db, world.actor("leitung"))
    with pytest.raises(ValidationError) as err:
        save_employer(world.db, world.actor("begleiter1"), EmployerInput(name=name))
    assert err.value.field == "name"
    assert list_employers(world.db, world.actor("leitung")) == before


def test_overview_counts_placements_follow_ups_and_contacts(world: World) -> None:
    case_id, employer_id = placed_case(world)

    def row():  # type: ignore[no-untyped-def]
        return next(e for e in employer_overview(world.db, world.actor("leitung")) if e.id == employer_id)

    demo_contacts = row().contacts  # the demo's own employer contacts, if any
    record_activity(world.db, world.actor("begleiter1"), case_id, ActivityKind.WORKPLACE_VISIT,
                    employer_id=employer_id, note="Erster Arbeitsplatzbesuch")
    after = row()
    assert (after.placements, after.in_follow_up, after.contacts, after.last_contact) == (
        1, 1, demo_contacts + 1, world.today)


def test_detail_shows_clients_only_to_those_who_may_see_the_case(world: World) -> None:
    case_id, employer_id = placed_case(world, companion="begleiter1")
    record_activity(world.db, world.actor("begleiter1"), case_id, ActivityKind.WORKPLACE_VISIT,
                    employer_id=employer_id, note="Gespräch mit dem Vorarbeiter")
    own = employer_detail(world.db, world.actor("begleiter1"), employer_id)
    assert [p.case_id for p in own.placements] == [case_id] and own.hidden_placements == 0
    assert own.contacts[0].note == "Gespräch mit dem Vorarbeiter"
    lead = employer_detail(world.db, world.actor("leitung"), employer_id)
    assert [p.case_id for p in lead.placements] == [case_id]

    other = employer_detail(world.db, world.actor("begleiter2"), employer_id)
    assert other.placements == [] and other.contacts == [] and other.hidden_placements == 1
    assert load_case(world.db, case_id).status == CaseStatus.EMPLOYED


def test_employers_are_not_for_case_managers_council_or_admin(world: World) -> None:
    employer_id = list_employers(world.db, world.actor("leitung"))[0].id
    for username in ("fallmanager1", "kreistag", "admin"):
        actor = world.actor(username)
        for call in (lambda: employer_overview(world.db, actor),
                     lambda: employer_detail(world.db, actor, employer_id),
                     lambda: save_employer(world.db, actor, EmployerInput(name="X GmbH"))):
            with pytest.raises(PermissionDenied):
                call()


@contextmanager
def employer_reads(db: Database) -> Iterator[list[str]]:
    """The statements that read the employers table while inside."""
    reads: list[str] = []

    def employers_read(conn, cursor, statement, *args):  # type: ignore[no-untyped-def]
        if "FROM employers" in statement:
            reads.append(statement)

    event.listen(db.engine, "before_cursor_execute", employers_read)
    try:
        yield reads
    finally:
        event.remove(db.engine, "before_cursor_execute", employers_read)


def test_the_forms_choice_is_kept_until_an_employer_changes_on_any_server(world: World) -> None:
    """employer_names is read once and kept (db.store.memo.until_change_of): a case changed
    meanwhile – by anyone – does not throw it away; an employer created or renamed through
    another app server (another Database on the same database) shows at the next read."""
    from db.casework.caseload import CaseFilter, caseload

    other = Database.from_url(world.db.engine.url.render_as_string(hide_password=False))
    companion, lead = world.actor("begleiter1"), world.actor("leitung")
    with employer_reads(world.db) as reads:
        try:
            first = employer_names(world.db, companion)
            assert reads
            reads.clear()
            assert employer_names(world.db, companion) == first and not reads  # kept
            case = caseload(other, lead, CaseFilter(statuses=(CaseStatus.ACTIVE,)), limit=1).rows[0]
            record_activity(other, lead, case.case_id, ActivityKind.PHONE, note="Rückruf")  # a case change
            assert employer_names(world.db, companion) == first and not reads  # still kept

            new_id = save_employer(other, lead, EmployerInput(name="Zzz Neu GmbH"))
            assert employer_names(world.db, companion) == {**first, new_id: "Zzz Neu GmbH"}
            renamed = next(iter(first))
            save_employer(other, lead, EmployerInput(name="Aaa Umbenannt GmbH"), renamed)
            names = employer_names(world.db, companion)
            assert names[renamed] == "Aaa Umbenannt GmbH" and list(names)[0] == renamed
            assert names == employer_names(other, lead)
            # A copy each time: changing what one caller got changes nothing for the next.
            names.clear()
            assert employer_names(world.db, companion)[renamed] == "Aaa Umbenannt GmbH"
            with pytest.raises(PermissionDenied):  # the permission check still runs per actor
                employer_names(world.db, world.actor("kreistag"))
        finally:
            other.dispose()


def test_the_forms_choice_outlasts_a_busy_minute_of_other_figures(world: World) -> None:
    """Under load every case change gives until_data_change's figures new keys, a few hundred a
    minute: they must not push the kept choice out (outside review, issue 42 – they shared one
    store of 256 entries)."""
    from db.casework.caseload import CaseFilter, caseload, client_towns
    from db.store.memo import MAX_ENTRIES

    lead, companion = world.actor("leitung"), world.actor("begleiter1")
    case_id = caseload(world.db, lead, CaseFilter(statuses=(CaseStatus.ACTIVE,)), limit=1).rows[0].case_id
    first = employer_names(world.db, companion)
    for n in range(MAX_ENTRIES + 4):
        record_activity(world.db, lead, case_id, ActivityKind.PHONE, note=f"Anruf {n}")
        client_towns(world.db, lead)  # a figure kept until the data change: a new key each time
    with employer_reads(world.db) as reads:
        assert employer_names(world.db, companion) == first
    assert not reads, "the kept choice was pushed out by other figures"


def test_the_case_page_reads_the_employers_stamp_with_the_case(world: World) -> None:
    """Within a page run (memo.one_stamp) case_detail reads the employers' change stamp in its
    own query: the contact form's choice then costs no round trip; after a write of this thread
    (here: a new employer) it is read anew and the new employer shows in the same run."""
    from db.casework.caseload import CaseFilter, case_detail, caseload
    from db.store.memo import one_stamp

    companion = world.actor("begleiter1")
    case_id = caseload(world.db, companion, CaseFilter(statuses=(CaseStatus.ACTIVE,)), limit=1).rows[0].case_id
    names = employer_names(world.db, companion)  # cached before the run
    statements: list[str] = []

    def count(conn, cursor, statement, *args):  # type: ignore[no-untyped-def]
        statements.append(statement)

    event.listen(world.db.engine, "before_cursor_execute", count)
    try:
        with one_stamp(world.db):
            case_detail(world.db, companion, case_id)
            statements.clear()
            assert employer_names(world.db, companion) == names and statements == []
            new_id = save_employer(world.db, companion, EmployerInput(name="Ahead GmbH"))
            assert employer_names(world.db, companion) == {**names, new_id: "Ahead GmbH"}
        statements.clear()
        assert employer_names(world.db, companion)[new_id] == "Ahead GmbH"  # outside a run: read
        queries = [s for s in statements if s.startswith("SELECT")]  # SQLite also sends BEGIN
        assert len(queries) == 1 and "audit_log" in queries[0]
    finally:
        event.remove(world.db.engine, "before_cursor_execute", count)
