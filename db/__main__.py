"""Command line: `python -m db <command>`. Honours DATABASE_URL like the app."""

from __future__ import annotations

import argparse
import getpass
import json
import os
import sys
import time
from datetime import date
from pathlib import Path
from typing import NoReturn

from sqlalchemy.exc import DBAPIError, OperationalError

from .accounts.users import create_user, remove_demo_accounts
from .bootstrap import (NOT_YET_EXIT, REFUSED_EXIT, prepare, readiness,
                        refuse_a_new_anchor_beside_the_log, refuse_what_a_server_start_needs_named,
                        start_warnings)
from .casework.rules import stored_breaches
from .actors import Actor
from .clock import today
from .demo.seed import DEMO_PASSWORD, DEMO_USERS, has_data, seed_demo
from .errors import DomainError
from .figures.flows import programme_start
from .figures.kpis import figures_to_date
from .privacy.erasure import erase_person, erasure_pending, flush_old_values
from .privacy.retention import anonymise_closed_cases
from .privacy.subject_access import export_person
from .reporting.formats import fmt_number, fmt_percent, plural
from .reporting.registry import TO_DATE, Kind, indicator, label
from .results.report import export_funder_report
from .settings import ConfigurationError, database_url, demo_wanted, is_production
from .store.audit import verify_chain
from .store.audit_anchor import rotate_anchor, start_anchor, verify_anchor
from .store.backup import ALSO_BACK_UP, anchor_beside, backup
from .store.database import PROJECT_ROOT, Database, not_answering_yet
from .store.migrate import current_revision, upgrade
from .store.private_files import write_private
from .store.roles import setup_app_role
from .vocabulary import Role

# argparse's own words (usage, errors, help headings) in German: it asks gettext, which has no
# German catalogue for it on a server.
_ARGPARSE_GERMAN = {
    "usage: ": "Aufruf: ",
    "positional arguments": "Angaben",
    "options": "Optionen",
    "show this help message and exit": "diese Hilfe zeigen und beenden",
    "argument %(argument_name)s: %(message)s": "Angabe %(argument_name)s: %(message)s",
    "the following arguments are required: %s": "Diese Angaben fehlen: %s",
    "unrecognized arguments: %s": "Unbekannte Angaben: %s",
    "invalid %(type)s value: %(value)r": "ungültiger Wert (%(type)s): %(value)r",
    "invalid choice: %(value)r (choose from %(choices)s)": "unbekannt: %(value)r (möglich: %(choices)s)",
    "expected one argument": "erwartet einen Wert",
    "ambiguous option: %(option)s could match %(matches)s": "mehrdeutig: %(option)s passt zu %(matches)s",
    "%(prog)s: error: %(message)s\n": "%(prog)s: Fehler: %(message)s\n",
}
argparse._ = lambda text: _ARGPARSE_GERMAN.get(text, text)  # type: ignore[attr-defined]


def _day(text: str) -> date:
    return date.fromisoformat(text)


_day.__name__ = "Datum JJJJ-MM-TT"  # how argparse names the type in its error message


# Commands that run beside a missing or emptied anchor file: the ones that find out and repair,
# and `preflight`, which is the app's start check itself (db/bootstrap.prepare refuses the same
# anchor and says so as a refused start). Every other command – a new one too – is refused there
# like the app's start: each may write to the log, and a deleted anchor must not pass unnoticed.
# `ready` reports the anchor as one of its checks, `rotate-anchor` closes the file it is given.
# `maintain` writes nothing to the log (it reads it and rewrites table files): its unit runs as an
# account of its own that cannot read the app's data folder, where the anchor file lives.
WITHOUT_ANCHOR = frozenset({"verify-audit", "new-anchor", "preflight", "ready", "rotate-anchor",
                            "database-url", "maintain", "serve"})


# `database-url` makes the address before there is a database (and mends a malformed one): it
# opens none. Every other command opens DATABASE_URL first – and refuses a malformed one in one line.
OPENS_NO_DATABASE = frozenset({"database-url"})


def _secret_from_stdin(command: argparse.ArgumentParser, what: str) -> None:
    """A password never on the command line: there every local user reads it in `ps`, and the
    shell keeps it in its history. `--password-stdin` reads it from the first line of standard
    input (a pipe, a file) or asks at the terminal. `--password VALUE` is refused with the way."""
    command.add_argument("--password-stdin", action="store_true",
                         help=f"{what} aus der ersten Zeile der Standardeingabe lesen; am Terminal fragen")
    command.add_argument("--password", help=argparse.SUPPRESS)


def _read_secret(prompt: str) -> str:
    if sys.stdin.isatty():
        return getpass.getpass(prompt)
    return sys.stdin.readline().rstrip("\r\n")


PASSWORD_ON_THE_COMMAND_LINE = (
    "Fehler: Ein Passwort gehört nicht auf die Befehlszeile – dort lesen es alle Benutzer des "
    "Rechners mit `ps`, und die Shell speichert es im Verlauf. Bitte `--password-stdin` verwenden: "
    "am Terminal wird gefragt, sonst die erste Zeile der Standardeingabe gelesen "
    "(z. B. `… --password-stdin < datei`).")


def command_line() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m db", description="Begleiter-Cockpit: Datenbank")
    sub = parser.add_subparsers(dest="command", required=True, metavar="Befehl")
    sub.add_parser("migrate", help="Schema auf den neuesten Stand bringen")
    sub.add_parser("preflight", help="Startprüfung des App-Servers (`serve` vor dem Start): "
                                     "Schlüssel, Datenbankrolle, Schema, Demo-Konten, Ankerdatei; "
                                     f"Exit-Status {REFUSED_EXIT} mit dem Grund, wenn eine Einstellung "
                                     f"verweigert wird, {NOT_YET_EXIT}, wenn die Datenbank (noch) "
                                     "nicht antwortet")
    sv = sub.add_parser("serve", help="App-Server (Produktion, die systemd-Unit): erst die Startprüfung, "
                                      "dann Streamlit im selben Prozess; deren Exit-Status, wenn sie "
                                      "verweigert")
    sv.add_argument("--port", type=int, default=8501)
    sv.add_argument("--address", default="127.0.0.1")
    sub.add_parser("ready", help="Bereitschaft für die Überwachung: Datenbank erreichbar, Schema "
                                 "aktuell, Schlüssel gültig, (Produktion) keine Demo-Konten und "
                                 "App-Rolle, Ankerdatei endet beim Kopf des Protokolls; Exit 1, "
                                 "wenn etwas fehlt (dieselbe Prüfung: /_cockpit/ready)")
    seed = sub.add_parser("seed-demo", help="Demodaten in eine leere Datenbank laden")
    seed.add_argument("--if-empty", action="store_true",
                      help="nichts tun (statt Fehler), wenn schon Daten da sind")
    k = sub.add_parser("kpis", help="Kennzahlen ausgeben")
    k.add_argument("--json", action="store_true")
    cu = sub.add_parser("create-user", help="Konto anlegen (z. B. die erste Administration)")
    cu.add_argument("--username", required=True)
    cu.add_argument("--name", required=True, help="Anzeigename")
    cu.add_argument("--role", required=True, choices=[r.value for r in Role])
    _secret_from_stdin(cu, "das Passwort des Kontos (sonst wird am Terminal gefragt)")
    cu.add_argument("--capacity", type=int)
    cu.add_argument("--start-date", type=_day)
    b = sub.add_parser("backup", help="Konsistente Sicherung im laufenden Betrieb, 0600: SQLite als "
                                      "Datenbankdatei, PostgreSQL mit pg_dump im Custom-Format "
                                      "(pg_restore); nennt, was außerdem dazugehört")
    b.add_argument("file", type=Path)
    sub.add_parser("remove-demo", help="Demo-Konten endgültig sperren (vor dem Produktionsbetrieb)")
    sub.add_parser("maintain", help="PostgreSQL, als Eigentümer: alte Fassungen gelöschter Daten "
                                    "aus den Tabellendateien entfernen (VACUUM)")
    va = sub.add_parser("verify-audit", help="Protokoll auf Veränderungen prüfen (Hash-Kette, Anker)")
    va.add_argument("--anchor", type=Path, action="append",
                    help="Ankerdatei (AUDIT_ANCHOR_FILE): fehlt am Ende etwas? Mehrmals: die Reihe "
                         "rotierter Dateien, älteste zuerst")
    ra = sub.add_parser("rotate-anchor", help="Ankerdatei abschließen und in einer neuen fortsetzen "
                                              "(schreibt nur ans Ende: geht mit chattr +a)")
    ra.add_argument("old", type=Path, help="die bisherige Ankerdatei")
    ra.add_argument("new", type=Path, help="die neue (fehlt oder leer)")
    du = sub.add_parser("database-url", help="DATABASE_URL mit URL-kodiertem Passwort ausgeben "
                                             "(Passwort wird gefragt; @, #, / usw. sind dann erlaubt)")
    du.add_argument("--user", required=True)
    du.add_argument("--host", default="127.0.0.1")
    du.add_argument("--port", type=int, default=5432)
    du.add_argument("--database", required=True)
    na = sub.add_parser("new-anchor",
                        help="Ankerdatei bewusst neu beginnen (nur wenn sie fehlt oder leer ist)")
    na.add_argument("file", type=Path)
    sr = sub.add_parser("setup-roles", help="PostgreSQL: Anwendungsrolle anlegen (mit Eigentümer-Verbindung)")
    sr.add_argument("--app-role", required=True)
    _secret_from_stdin(sr, "das Passwort der Rolle (ohne: keins, z. B. für Peer-/Zertifikats-Anmeldung)")
    er = sub.add_parser("erase-person", help="Alle Personendaten einer Person löschen (Art. 17 DSGVO)")
    er.add_argument("--client-number", required=True)
    er.add_argument("--reason", default="Antrag nach Art. 17 DSGVO")
    er.add_argument("--yes", action="store_true", help="ohne Rückfrage")
    ex = sub.add_parser("export-person", help="Auskunft: alles über eine Person als Excel (Art. 15 DSGVO)")
    ex.add_argument("--client-number", required=True)
    ex.add_argument("--out", required=True, type=Path)
    fr = sub.add_parser("funder-report", help="Teilnehmendendaten und Indikatoren für das Land (ESF+)")
    fr.add_argument("--from", dest="start", type=_day,
                    help="JJJJ-MM-TT (Standard: Programmstart, die erste Zuweisung)")
    fr.add_argument("--to", dest="end", type=_day, help="JJJJ-MM-TT (Standard: heute)")
    fr.add_argument("--out", required=True, type=Path, help="Datei: .xlsx, .csv oder .pdf")
    an = sub.add_parser("anonymise", help="Personendaten lange beendeter Fälle entfernen (Aufbewahrungsfrist)")
    an.add_argument("--years", type=int, help="Frist in Jahren nach dem Ende (Standard: RETENTION_YEARS oder 3)")
    sub.add_parser("check", help="Gespeicherte Fälle gegen die Regeln prüfen (Reihenfolge der Ereignisse, "
                                 "Pflichtfelder, Telefon); Exit-Status 1, wenn etwas gefunden wird")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = command_line().parse_args(argv)
    if getattr(args, "password", None) is not None:
        print(PASSWORD_ON_THE_COMMAND_LINE, file=sys.stderr)
        return 2
    if args.command in ("preflight", "serve"):
        status = preflight()
        if status or args.command == "preflight":
            return status
        serve(args.port, args.address)
    db = None
    try:
        db = None if args.command in OPENS_NO_DATABASE else Database.from_url()
        if db is not None and args.command not in WITHOUT_ANCHOR:
            refuse_a_new_anchor_beside_the_log(db)
        return _run(args, db)
    except DomainError as exc:
        print(f"Fehler: {exc.message}", file=sys.stderr)
        return 1
    except OperationalError as exc:  # no connection (or it broke off): not a crash, a reason
        reason = (str(exc.orig or exc).strip().splitlines() or [""])[0]
        if exc.connection_invalidated or "connect" in reason.lower() or "open database" in reason.lower():
            print(f"Fehler: Die Datenbank ist nicht erreichbar ({reason}). Bitte DATABASE_URL und "
                  "den Datenbankserver prüfen.", file=sys.stderr)
        else:
            print(f"Fehler: Die Datenbank hat den Befehl abgebrochen ({reason}). Nichts davon ist "
                  "gespeichert; bitte erneut versuchen.", file=sys.stderr)
        return 1
    finally:
        if db is not None:
            db.dispose()


AGAIN_AFTER = 3  # seconds before the start check connects once more after a refused connect


def preflight() -> int:
    """The app server's own start check (db.bootstrap.prepare), run before the server opens its
    port: a refused setting stops the start – the unit fails, no browser sees it. 0, or
    REFUSED_EXIT (a setting: systemd does not retry) or NOT_YET_EXIT (the database does not
    answer yet: systemd retries) with one German line on stderr (the journal)."""
    def refused(message: str, status: int = REFUSED_EXIT) -> int:
        print(f"Begleiter-Cockpit startet nicht: {message}", file=sys.stderr)
        return status

    for attempt in range(2):
        db = None
        try:
            # Before any database is opened: an unnamed one would be made in the project.
            refuse_what_a_server_start_needs_named()
            db = Database.from_url()
            prepare(db)
            break
        except DomainError as exc:  # ConfigurationError among them
            return refused(exc.message)
        except DBAPIError as exc:
            kind = type(exc.orig or exc).__name__
            if db is not None and not_answering_yet(db.engine, exc.orig):
                return refused(f"Die Datenbank antwortet (noch) nicht ({kind}); systemd versucht "
                               "es gleich wieder. Bleibt es dabei: DATABASE_URL und den "
                               "Datenbankserver prüfen.", NOT_YET_EXIT)
            if attempt == 0:  # it may have come up between the failed connect and the ping (boot)
                time.sleep(AGAIN_AFTER)
                continue
            first_line = (str(exc.orig or exc).strip().splitlines() or [""])[0]
            return refused(f"Die Datenbank verweigert die Verbindung oder den Zugriff ({kind}: "
                           f"{first_line}). Bitte DATABASE_URL (Rolle, Passwort, Datenbankname) "
                           "prüfen.")
        except Exception as exc:  # noqa: BLE001 - never a traceback and an endless restart: a reason, stopped
            return refused(f"Die Startprüfung ist unerwartet abgebrochen ({type(exc).__name__}). "
                           "Einzelheiten: `.venv/bin/python -m db ready`.")
        finally:
            if db is not None:
                db.dispose()
    for warning in start_warnings():
        print(warning, file=sys.stderr)
    print("Startprüfung bestanden.", flush=True)
    return 0


def serve(port: int, address: str) -> NoReturn:
    """Streamlit in place of this process (exec: the unit's main process, its PID and journal),
    after the start check passed. Files it writes are this account's only, whatever the caller's
    umask; its configuration (.streamlit/config.toml) is read from the project."""
    os.umask(0o077)
    os.chdir(PROJECT_ROOT)
    sys.stderr.flush()
    os.execv(sys.executable, [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port),
                              "--server.address", address, "--server.headless", "true"])


def _run(args: argparse.Namespace, db: Database) -> int:
    system = Actor.system()
    if args.command == "database-url":
        password = getpass.getpass("Passwort der Datenbankrolle: ")
        print(database_url(args.user, password, args.host, args.port, args.database))
    elif args.command == "migrate":
        before = current_revision(db.engine)
        try:
            upgrade(db.engine)
        except DBAPIError as exc:
            # PostgreSQL: the whole run was one transaction – the schema is where it was.
            reason = (str(exc.orig or exc).strip().splitlines() or [""])[0]
            print(f"Migration gescheitert ({reason}). Das Schema steht auf Stand "
                  f"{current_revision(db.engine) or '(leer)'} (vorher {before or '(leer)'}). Bitte die "
                  "vorige Version wieder einspielen (README: Update, zurück zur vorigen Version).",
                  file=sys.stderr)
            return 1
        after = current_revision(db.engine)
        print("Schema ist aktuell (Stand " + str(after) + ")." if before == after else
              f"Schema angelegt (Stand {after})." if before is None else
              f"Schema aktualisiert von Stand {before} auf {after}.")
    elif args.command == "seed-demo":
        if is_production(os.environ):
            if args.if_empty:  # `make run` with APP_ENV=production: start without demo data
                print("Produktionsbetrieb: keine Demodaten.")
                return 0
            raise ConfigurationError("Im Produktionsbetrieb (APP_ENV=production) werden keine Demodaten geladen.")
        upgrade(db.engine)
        if args.if_empty and not demo_wanted(os.environ):
            print("Keine Demodaten geladen (dafür DEMO_DATA=1 setzen).")
            return 0
        if args.if_empty and has_data(db):
            print("Datenbank enthält bereits Daten – keine Demodaten geladen.")
            return 0
        seed_demo(db)
        print(f"Demodaten geladen. Demo-Konten (nur zur Vorführung!): "
              f"{', '.join(user[0] for user in DEMO_USERS)} – Passwort „{DEMO_PASSWORD}“.")
    elif args.command == "remove-demo":
        closed = remove_demo_accounts(db, system)
        print(f"Demo-Konten gesperrt: {', '.join(closed)}." if closed else "Keine Demo-Konten (mehr) offen.")
    elif args.command == "kpis":
        figures = figures_to_date(db, system)
        if args.json:
            print(json.dumps(figures))
        else:  # the labels of the registry, as on every page and in every export
            lines = []
            for key, value in figures.items():
                shown = (fmt_percent(value, none="noch keine Abgänge" if key == "integration_rate" else "–")
                         if indicator(key).kind is Kind.SHARE else fmt_number(value))
                name = label(key) if indicator(key).kind in (Kind.STOCK, Kind.STAFF) else f"{label(key)} ({TO_DATE})"
                lines.append((name, shown))
            width = max(len(name) for name, _ in lines) + 2
            for name, shown in lines:
                print(f"{name:{width}}{shown}")
    elif args.command == "create-user":
        password = _read_secret("Passwort: ")
        upgrade(db.engine)
        user_id = create_user(db, system, username=args.username, display_name=args.name,
                              role=Role(args.role), password=password, capacity=args.capacity,
                              start_date=args.start_date)
        print(f"Konto „{args.username}“ angelegt (id {user_id}).")
    elif args.command == "backup":
        newest = backup(db, args.file)
        # Noted with the backup, the head shows later whether the log was cut short since.
        print(f"Sicherung geschrieben: {args.file}. Protokoll darin bis "
              f"{newest.text if newest else 'Eintrag 0 (leer)'}.")
        if anchor_beside(args.file).exists() and newest is not None:
            print(f"Ankerdatei bis zu diesem Eintrag daneben: {anchor_beside(args.file)} (für "
                  "`verify-audit --anchor` nach einer Wiederherstellung).")
        print(ALSO_BACK_UP)
    elif args.command == "erase-person":
        if not args.yes and input(f"Alle Personendaten zu „{args.client_number}“ löschen? [ja/nein] ").strip().lower() != "ja":
            print("Abgebrochen – nichts gelöscht.")
            return 1
        erased = erase_person(db, system, args.client_number, args.reason)
        print(f"Personendaten gelöscht ({plural(erased.cases, 'Fall bleibt', 'Fälle bleiben')} "
              "als anonyme Zahlen).")
        if not erased.files_clean:
            print("Die alten Fassungen stehen noch in den Tabellendateien von PostgreSQL, bis der "
                  "Eigentümer der Datenbank `python -m db maintain` ausführt (Timer in deploy/).")
    elif args.command == "export-person":
        write_private(args.out, export_person(db, system, args.client_number))
        print(f"Auskunft geschrieben: {args.out}")
    elif args.command == "setup-roles":
        upgrade(db.engine)
        setup_app_role(db.engine, args.app_role,
                       (_read_secret("Passwort der Rolle: ") or None) if args.password_stdin else None)
        print(f"Rolle „{args.app_role}“ eingerichtet: Daten lesen und schreiben, Protokoll nur anfügen.")
    elif args.command == "maintain":
        if db.is_sqlite:
            print("SQLite: nichts zu tun – gelöschte Inhalte werden sofort überschrieben.")
        elif not erasure_pending(db):
            print("Keine Löschung in den letzten 25 Stunden: nichts zu tun.")
        elif not flush_old_values(db):
            print("Diese Verbindung darf die Tabellen nicht bereinigen (VACUUM): bitte als "
                  "Eigentümer der Datenbank ausführen.", file=sys.stderr)
            return 2
        else:
            print("Tabellen bereinigt: alte Fassungen gelöschter Daten sind aus den Dateien entfernt.")
    elif args.command == "ready":
        checks = readiness(db)
        for found in checks:
            print(f"{found.name}: {'in Ordnung' if found.ok else found.problem}",
                  file=sys.stdout if found.ok else sys.stderr)
        failed = [found.name for found in checks if not found.ok]
        print(f"Nicht bereit: {', '.join(failed)}." if failed else "Bereit.",
              file=sys.stderr if failed else sys.stdout)
        return 1 if failed else 0
    elif args.command == "rotate-anchor":
        with db.read() as session:
            check = verify_chain(session)
            if check.broken_at is not None:
                print(f"Protokoll VERÄNDERT (Eintrag {check.broken_at}): keine Rotation.", file=sys.stderr)
                return 2
            newest = rotate_anchor(session, args.old, args.new)
        print(f"Ankerdatei {args.old} abgeschlossen bei {newest.text if newest else '–'} und in "
              f"{args.new} fortgesetzt. Jetzt AUDIT_ANCHOR_FILE in allen Umgebungsdateien auf "
              f"{args.new} stellen, dann die App-Server starten; {args.old} archivieren (wird nie "
              f"mehr beschrieben). Prüfen: `verify-audit --anchor {args.old} --anchor {args.new}`.")
    elif args.command == "verify-audit":
        with db.read() as session:
            check = verify_chain(session)
            anchors = verify_anchor(session, *args.anchor) if args.anchor else None
        if check.broken_at is not None:
            print(f"Protokoll VERÄNDERT: Eintrag {check.broken_at} – {check.problem}. "
                  f"{check.entries - 1} Einträge davor sind in Ordnung.", file=sys.stderr)
        if anchors is not None and anchors.problems:
            print("Protokoll GEKÜRZT oder VERÄNDERT laut Ankerdatei:", *anchors.problems,
                  sep="\n  ", file=sys.stderr)
        if check.broken_at is not None or (anchors is not None and anchors.problems):
            return 2
        checked = (f", alle {anchors.lines} Anker gefunden, der neueste ist der Kopf"
                   + (f" (setzt {anchors.continues} fort)" if anchors.continues else "")
                   if anchors is not None else "")
        print(f"Protokoll unverändert: {check.entries} Einträge, Hash-Kette vollständig{checked}. "
              f"Neuester: {check.head.text if check.head else '–'}.")
    elif args.command == "new-anchor":
        with db.read() as session:
            check = verify_chain(session)
            if check.broken_at is not None:
                print(f"Protokoll VERÄNDERT (Eintrag {check.broken_at}): keine neue Ankerdatei "
                      "auf einem veränderten Protokoll.", file=sys.stderr)
                return 2
            newest = start_anchor(session, args.file)
        print(f"Ankerdatei {args.file} neu begonnen"
              + (f" bei {newest.text}." if newest else " (Protokoll noch leer)."))
    elif args.command == "funder-report":
        end = args.end or today()
        start = args.start or programme_start(db) or end
        data = export_funder_report(db, system, start, end, args.out.suffix.lstrip(".").lower())
        write_private(args.out, data)
        rows = max(data.count(b"\n") - 1, 0) if args.out.suffix.lower() == ".csv" else None
        print(f"Bericht {start:%d.%m.%Y}–{end:%d.%m.%Y} geschrieben: {args.out}"
              + (f" ({plural(rows, 'Person', 'Personen')})" if rows is not None else ""))
    elif args.command == "check":
        found = stored_breaches(db, system)
        for breach in found:
            print(f"Fall {breach.case_id} (Kundennummer {breach.client_number}): {breach.message}")
        cases = len({breach.case_id for breach in found})
        print(f"{plural(cases, 'Fall verstößt', 'Fälle verstoßen')} gegen eine Regel." if found else
              "Alle gespeicherten Fälle halten die Regeln ein.", file=sys.stderr if found else sys.stdout)
        return 1 if found else 0
    elif args.command == "anonymise":
        upgrade(db.engine)
        result = anonymise_closed_cases(db, system, args.years)
        print(f"{result.clients} Personen ({result.cases} Fälle) anonymisiert; "
              f"Fälle beendet vor dem {result.cutoff:%d.%m.%Y}.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
