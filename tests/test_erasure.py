"""Erasure (Art. 17) and access (Art. 15): a person can be erased completely – also from the
database files – and everything stored about them, with who saw it, can be handed out."""

from __future__ import annotations

import io
import re
import time
from datetime import date, timedelta
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import select, text

from db.casework.activities import record_activity
from db.store.audit import verify_chain
from db.casework.caseload import case_detail
from db.casework.cases import NewClient, update_client
from db.privacy.erasure import erase_person
from db.errors import NotFound, PermissionDenied, ValidationError
from db.figures.kpis import kpis
from db.store.models import Base, Case, Client, personal_columns
from db.privacy.subject_access import export_person
from db.vocabulary import ActivityKind, CaseStatus

from .conftest import World
from .helpers import audit_count, council_drafts

MARKERS = ("Zyxwvutaname", "Qponmlkfamilie", "0355 4711 0815", "NR-ERASE-77", "Klinik Sonnenhof-Zyx",
           "Zyxweg 77b")


def marked_person(world: World) -> tuple[int, str]:
    """An accompanied demo person renamed to unmistakable values, with a note naming them."""
    lead = world.actor("leitung")
    with world.db.read() as session:
        case = session.scalars(select(Case).where(Case.status == CaseStatus.ACTIVE).order_by(Case.id)).first()
        client = session.get(Client, case.client_id)
    update_client(world.db, lead, client.id, client.version, NewClient(
        client_number=MARKERS[3], first_name=MARKERS[0], last_name=MARKERS[1], phone=MARKERS[2],
        address=MARKERS[5], town=client.town))
    record_activity(world.db, lead, case.id, ActivityKind.HOME_VISIT, occurred_on=date.today(),
                    note=f"Besuch bei {MARKERS[0]}, Termin {MARKERS[4]}")
    case_detail(world.db, lead, case.id)  # a view, to be found in the access export
    return case.id, MARKERS[3]


def test_access_export_holds_the_data_and_who_saw_it(world: World) -> None:
    from db.casework.caseload_io import export_caseload
    from db.results.report import export_funder_report

    case_id, number = marked_person(world)
    export_caseload(world.db, world.actor("leitung"), "csv")  # the case list held the person
    export_funder_report(world.db, world.actor("leitung"), world.today - timedelta(days=90), world.today, "csv")
    book = load_workbook(io.BytesIO(export_person(world.db, world.actor("leitung"), number)))
    assert book.sheetnames == ["Person", "Fälle", "Teilnahmedaten", "Statusverlauf", "Kontakte",
                               "Hemmnisse", "Arbeitsaufnahmen", "Zugriffe"]
    person = {r[0]: r[1] for r in book["Person"].iter_rows(min_row=2, values_only=True)}
    assert (person["Vorname"], person["Telefon"]) == (MARKERS[0], MARKERS[2])
    assert person["Straße und Hausnummer"] == MARKERS[5]
    assert person["Geschlecht"] in ("weiblich", "männlich") and person["Postleitzahl"].startswith("03")
    entry = [dict(zip([c.value for c in book["Teilnahmedaten"][1]], row))
             for row in book["Teilnahmedaten"].iter_rows(min_row=2, values_only=True)]
    assert entry[0]["Erwerbsstatus bei Eintritt"] in ("langzeitarbeitslos", "nichterwerbstätig")
    notes = [r[4] for r in book["Kontakte"].iter_rows(min_row=2, values_only=True)]
    assert any(MARKERS[4] in (n or "") for n in notes)
    access = [r for r in book["Zugriffe"].iter_rows(min_row=2, values_only=True)]
    assert ("leitung", "angesehen") in {(r[1], r[2]) for r in access}  # the view of the case
    assert ("leitung", "geändert") in {(r[1], r[2]) for r in access}  # the renaming
    files = {(r[1], r[3]) for r in access if r[5] and r[5].startswith("Datei")}
    assert files == {("leitung", "Fallliste (Export)"), ("leitung", "Meldung an das Land")}
    assert audit_count(world.db, action="export", entity="client") == 1
    # In German throughout: no table, column or action names of the code (entry_data, client_id …).
    words = " ".join(str(cell) for row in access for cell in row[2:] if cell is not None)
    assert not re.search(r"\b[a-z]+_[a-z_]+\b", words), words


@pytest.mark.parametrize("username", ["begleiter1", "fallmanager1", "kreistag"])
def test_only_lead_and_admin_erase_or_export(world: World, username: str) -> None:
    with pytest.raises(PermissionDenied):
        erase_person(world.db, world.actor(username), "DEMO-1001", "Antrag")
    with pytest.raises(PermissionDenied):
        export_person(world.db, world.actor(username), "DEMO-1001")


def test_erasure_needs_a_reason_and_a_known_number(world: World) -> None:
    with pytest.raises(ValidationError):
        erase_person(world.db, world.actor("admin"), "DEMO-1001", " ")
    with pytest.raises(NotFound):
        erase_person(world.db, world.actor("admin"), "GIBT-ES-NICHT", "Antrag")


def _figures(world: World) -> tuple:
    council = world.actor("kreistag")
    return kpis(world.db, council), council_drafts(world.db, council, world.today)


def _analyse(db) -> None:  # type: ignore[no-untyped-def]
    """What autovacuum does on its own: statistics of every table, sampled from its rows."""
    if not db.is_sqlite:
        with db.engine.begin() as conn:
            conn.execute(text("ANALYZE"))


def _in_statistics(db, markers) -> list[tuple[str, str, str]]:  # type: ignore[no-untyped-def]
    """(table, column, marker) for every marker in pg_stats as this connection reads it."""
    with db.engine.connect() as conn:
        rows = conn.execute(text(
            "SELECT tablename, attname, concat_ws(' ', most_common_vals::text, histogram_bounds::text) "
            "FROM pg_stats WHERE schemaname = 'public'")).all()
    return [(table, column, m) for table, column, values in rows for m in markers if m in (values or "")]


def test_every_personal_column_keeps_no_statistics(postgres_db) -> None:  # type: ignore[no-untyped-def]
    """Issue 39, finding 3: a column marked personal (models.PERSONAL) without SET STATISTICS 0
    in the migrations fails here – ANALYZE would copy its values into pg_statistic."""
    personal = personal_columns()
    assert {("clients", "first_name"), ("clients", "phone"), ("activities", "note")} <= set(personal)
    with postgres_db.engine.connect() as conn:
        targets = dict(((t, c), v) for t, c, v in conn.execute(text(
            "SELECT c.relname, a.attname, a.attstattarget FROM pg_attribute a JOIN pg_class c "
            "ON c.oid = a.attrelid WHERE c.relnamespace = 'public'::regnamespace AND a.attnum > 0 "
            "AND c.relkind = 'r'")).all())
    assert {column: targets[column] for column in personal} == {column: 0 for column in personal}
    assert targets[("cases", "status")] == -1  # the others keep theirs: the planner needs them


def test_erasure_removes_the_person_everywhere_and_keeps_the_figures(world: World) -> None:
    case_id, number = marked_person(world)
    before = _figures(world)
    _analyse(world.db)
    erased = erase_person(world.db, world.actor("leitung"), number, "Antrag nach Art. 17 DSGVO")
    assert erased.cases == 1
    # Every column marked personal is empty or anonymous in the erased person's rows.
    with world.db.read() as session:
        client_id = session.get(Case, case_id).client_id
        for table, column in personal_columns():
            key = {"clients": "id", "users": None, "employers": None, "positions": None,
                   "office_hour_sessions": None, "cases": "id"}.get(table, "case_id")
            if key is None:
                continue  # staff, employers, office hours: not the person's rows
            owner = client_id if table == "clients" else case_id
            values = session.execute(text(f'SELECT "{column}" FROM "{table}" WHERE "{key}" = :id'),
                                     {"id": owner}).scalars().all()
            assert all(v in (None, "Anonymisiert", f"#{client_id}", f"ANON-{client_id}") for v in values), \
                (table, column, values)
    assert _figures(world) == before  # anonymous counts stay
    with world.db.read() as session:
        assert verify_chain(session).broken_at is None
    assert audit_count(world.db, action="erase", entity="client") == 1
    with pytest.raises(NotFound):  # erased means gone, also for a second request
        export_person(world.db, world.actor("leitung"), number)
    db = world.db
    if db.is_sqlite:
        path = Path(db.engine.url.database)
        raw = path.read_bytes() + (Path(f"{path}-wal").read_bytes() if Path(f"{path}-wal").exists() else b"")
        for marker in MARKERS:
            assert marker.encode() not in raw, marker
    else:
        with db.engine.connect() as conn:
            for table in Base.metadata.sorted_tables:
                for marker in MARKERS:
                    hits = conn.execute(text(f'SELECT count(*) FROM "{table.name}" t WHERE t::text LIKE :m'),
                                        {"m": f"%{marker}%"}).scalar()
                    assert hits == 0, (table.name, marker)
        assert erased.files_clean  # a superuser's connection VACUUMs at once
        assert _maintained_until_clean(db) == []  # nor in the table and index files
        assert _in_statistics(db, MARKERS) == []  # nor in the planner's statistics


def _maintained_until_clean(db) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    """What `maintain` does on its runs after an erasure: rewrite, until no transaction older
    than the erasure (here: other tests' on the same server) keeps an old version alive."""
    from db.privacy.erasure import flush_old_values

    for _ in range(40):
        if not (left := _in_relation_files(db, MARKERS)):
            return []
        time.sleep(0.5)
        assert flush_old_values(db)
    return left


def _in_relation_files(db, markers) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    """(file, marker) for every marker still in a file of the database's tables, their indexes
    and TOAST tables, and of pg_statistic (the planner's statistics), after a CHECKPOINT wrote
    every page to disk."""
    with db.engine.connect() as conn:
        conn.execute(text("CHECKPOINT"))
        directory = Path(conn.execute(text("SHOW data_directory")).scalar())
        rows = conn.execute(text(
            "SELECT pg_relation_filepath(c.oid), c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE (n.nspname IN ('public', 'pg_toast') OR c.oid = 'pg_catalog.pg_statistic'::regclass) "
            "AND c.relkind IN ('r', 'i', 't') AND pg_relation_filepath(c.oid) IS NOT NULL")).all()
    conn_names = {path: name for path, name in rows}
    files = list(conn_names)
    if not directory.exists():
        pytest.skip("Die Dateien des PostgreSQL-Servers liegen nicht auf diesem Rechner.")
    found = []
    for name in files:
        for part in sorted(directory.glob(f"{name}*")):  # segments (.1, …), free space map
            raw = part.read_bytes()
            found += [(f"{part.name}:{conn_names.get(name, name)}", m) for m in markers if m.encode() in raw]
    return found


def test_erasure_by_the_app_role_leaves_old_versions_until_the_owner_maintains(
        postgres_server, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    """PostgreSQL 15 lets only the owner VACUUM: the app role's erasure says so, and the owner's
    `maintain` removes the old row versions from the files."""
    from sqlalchemy.engine import make_url

    from db.bootstrap import prepare
    from db.store.database import Database
    from db.privacy.erasure import flush_old_values
    from db.store.roles import setup_app_role

    from .conftest import World

    monkeypatch.delenv("APP_ENV", raising=False)
    monkeypatch.setenv("DEMO_DATA", "1")
    owner_url = postgres_server.create_database()
    role = f"bc_app_{make_url(owner_url).database[-10:]}"
    owner = Database.from_url(owner_url)
    try:
        prepare(owner)
        setup_app_role(owner.engine, role)
        app = Database.from_url(make_url(owner_url).set(username=role).render_as_string(hide_password=False))
        world = World(db=app, today=date.today())
        _, number = marked_person(world)
        _analyse(owner)  # autovacuum's ANALYZE, before the request arrives
        erased = erase_person(app, world.actor("leitung"), number, "Antrag nach Art. 17 DSGVO")
        assert not erased.files_clean
        assert _in_relation_files(owner, MARKERS)  # the finding: UPDATE keeps the old version
        assert flush_old_values(owner)  # python -m db maintain, as the owner
        assert _maintained_until_clean(owner) == []
        # Issue 39, finding 3: the app role reads the statistics – none of the person there.
        assert _in_statistics(app, MARKERS) == []
        app.dispose()
    finally:
        owner.dispose()
        postgres_server.drop_database(owner_url)
        with postgres_server.admin.connect() as conn:
            conn.execute(text(f'DROP ROLE IF EXISTS "{role}"'))


def test_the_migration_removes_statistics_analyse_had_taken(postgres_server) -> None:  # type: ignore[no-untyped-def]
    """A database analysed before migration 0015: the personal columns' statistics go."""
    from sqlalchemy import create_engine

    from db.store.database import Database
    from db.store.migrate import upgrade

    url = postgres_server.create_database()
    engine = create_engine(url)
    try:
        upgrade(engine, "0013")
        with engine.begin() as conn:
            conn.execute(text(
                "INSERT INTO clients (client_number, first_name, last_name, town, phone, version, created_at) "
                "SELECT 'K-' || g, 'Vorname' || g, 'Zyxname' || g, 'Guben', '0355 ' || g, 1, now() "
                "FROM generate_series(1, 50) g"))
            conn.execute(text("ANALYZE clients"))
        assert _in_statistics(Database(engine), ["Zyxname7"])  # what autovacuum left
        upgrade(engine)
        assert _in_statistics(Database(engine), ["Zyxname7", "0355 7", "K-7"]) == []
        with engine.connect() as conn:  # the town, not personal, keeps its statistics
            assert conn.execute(text("SELECT count(*) FROM pg_stats WHERE tablename = 'clients' "
                                     "AND attname = 'town'")).scalar() == 1
    finally:
        engine.dispose()
        postgres_server.drop_database(url)
