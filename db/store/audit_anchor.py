"""The audit log's anchor outside the database: a file of heads (entry id and hash).

The keyed chain (db/store/audit.py) shows an edited, inserted or deleted entry, but not entries cut
off the end: the rest is still a valid chain. So every transaction that writes to the log
appends the log's new head to AUDIT_ANCHOR_FILE, a line with its own HMAC (AUDIT_KEY), and
`python -m db verify-audit --anchor FILE` checks that each anchored head is still in the log,
unchanged, and that the newest anchored head is the log's head: an anchor file that is missing,
empty or shorter than the log fails. Lines are appended with O_APPEND (one write each, atomic on
a local file system), so every writer – the app servers and the command line – appends to the
one file; a writer without AUDIT_ANCHOR_FILE leaves heads unanchored, and the check says so.

A new anchor file is begun only with the log itself (its first entry) or deliberately by
`python -m db new-anchor FILE`: the app never starts a fresh file beside an existing log – a
deleted anchor would otherwise pass as a new one.

Each anchor line also goes to the system log (syslog, /dev/log: the journal), an outside
witness: whoever cuts the log and the anchor file alike still leaves the heads in the journal,
and `journalctl -t begleiter-cockpit -o cat` is itself an anchor file verify-audit can check.

Rotation (`python -m db rotate-anchor OLD NEW`): the file only ever grows, and `chattr +a` forbids
renaming or truncating it. So it is never rewritten: a closing line (the log's head, "continued in
NEW") is appended to OLD, and NEW begins with the same head carried over, together with the SHA-256
of OLD up to and including its closing line. `verify-audit --anchor NEW` verifies as before (the
carried head is NEW's first anchor); `--anchor OLD --anchor NEW` checks the whole series, and an
archived OLD that was cut or edited no longer matches the digest NEW holds. A file that ends in a
closing line is closed: the app refuses to start with it as AUDIT_ANCHOR_FILE.

What it does not promise: whoever can write the database, the anchor file and the journal (root
on this machine, with the key) can cut all three. Forward the journal to another machine to
keep that apart.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import logging.handlers
import os
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import inspect, select
from sqlalchemy.orm import Session

from ..errors import ValidationError
from ..settings import ConfigurationError, anchor_file, audit_key
from .models import AuditEntry
from .private_files import append_private


@dataclass(frozen=True)
class Head:
    """The newest entry of the log: what an anchor, a backup and the Protokoll page show."""

    id: int
    hash: str
    at: datetime

    @property
    def text(self) -> str:
        return f"Eintrag {self.id}, Prüfwert {self.hash[:16]}"


def head(session: Session) -> Head | None:
    row = session.execute(select(AuditEntry.id, AuditEntry.hash, AuditEntry.at)
                          .order_by(AuditEntry.id.desc()).limit(1)).first()
    return Head(row.id, row.hash, row.at) if row is not None else None


def _mac(record: dict, key: bytes) -> str:
    """Over every field of the line but the MAC itself: a plain anchor has id, hash and written;
    a closing or carried line (rotation) has more, and none of it can be changed without the key."""
    payload = json.dumps(record, sort_keys=True).encode("utf-8")
    return hmac.new(key, b"anchor:" + payload, hashlib.sha256).hexdigest()


# Rotation (rotate_anchor): the closing line of the old file names the new one, the new file's
# first line names the old one and carries its digest.
CONTINUED_IN = "continued_in"
CONTINUES = "continues"
PREVIOUS_SHA256 = "previous_sha256"


def anchor_line(entry: Head, key: bytes | None = None, **extra: str) -> str:
    record = {"id": entry.id, "hash": entry.hash, "written": datetime.now(UTC).isoformat(timespec="seconds"),
              **extra}
    return json.dumps({**record, "mac": _mac(record, key or audit_key(os.environ))}) + "\n"


def genuine_record(line: str | bytes, key: bytes) -> dict | None:
    """The fields of an anchor line the app wrote (its MAC checks out with `key`), else None."""
    try:
        data = json.loads(line)
        record = {k: v for k, v in data.items() if k != "mac"}
        int(record["id"]), str(record["hash"]), str(record["written"])
        return record if hmac.compare_digest(str(data["mac"]), _mac(record, key)) else None
    except (ValueError, KeyError, TypeError, AttributeError):
        return None


SYSLOG_ADDRESS = "/dev/log"  # the journal's syslog socket; without it there is no witness
SYSLOG_IDENT = "begleiter-cockpit"
_witness: dict[str, logging.Logger] = {}


class _QuietSysLog(logging.handlers.SysLogHandler):
    def handleError(self, record: logging.LogRecord) -> None:  # noqa: N802 - logging's name
        """A syslog that went away must not stop the app's work: the anchor file still holds."""


def _syslog() -> logging.Logger | None:
    """A logger to SYSLOG_ADDRESS, made once per address; None where there is no syslog."""
    if (logger := _witness.get(SYSLOG_ADDRESS)) is not None:
        return logger
    if not os.path.exists(SYSLOG_ADDRESS):
        return None
    try:
        handler = _QuietSysLog(address=SYSLOG_ADDRESS)
    except OSError:
        return None
    handler.ident = f"{SYSLOG_IDENT}: "
    logger = logging.Logger(f"{SYSLOG_IDENT}.anchor.{len(_witness)}", logging.INFO)
    logger.addHandler(handler)
    _witness[SYSLOG_ADDRESS] = logger
    return logger


def witness(message: str, level: int = logging.INFO) -> None:
    """Send one line to the system log (harmless where there is none)."""
    if (logger := _syslog()) is not None:
        logger.log(level, message.rstrip("\n"))


def append_anchor(path: str | Path, entry: Head, *, starts_log: bool = False) -> bool:
    """One line, appended in one write, 0600, and the same line to the system log. The file is
    made only for the log's first entry (`starts_log`); beside an existing log a missing file is
    not replaced by a new one: False, and the system log hears an alarm."""
    line = anchor_line(entry)
    witness(line)
    if append_private(path, line, create=starts_log):
        return True
    witness(f"ALARM: Ankerdatei {path} fehlt – Eintrag {entry.id} nicht verankert. Bitte prüfen "
            "(python -m db verify-audit) und bewusst neu beginnen (python -m db new-anchor).",
            logging.CRITICAL)
    return False


def anchor_new_head(entry: Head, *, starts_log: bool = False) -> None:
    """Called after a commit that wrote to the log (db/store/audit.py), when AUDIT_ANCHOR_FILE is set."""
    if path := anchor_file(os.environ):
        append_anchor(path, entry, starts_log=starts_log)


def missing_anchor(session: Session, path: str | Path) -> str | None:
    """Why the app must not start with this anchor file, or None: the log has entries but the
    file is missing or empty – whoever deleted it would otherwise get a fresh one for free."""
    if not inspect(session.connection()).has_table(AuditEntry.__tablename__):
        return None  # no schema yet (a first `migrate`): no log, nothing to anchor
    newest = head(session)
    if newest is None:
        return None
    path = Path(path)
    if has_lines(path):
        if (closing := closed_by(path)) is not None:
            return (f"Die Ankerdatei {path} ist abgeschlossen (bei Eintrag {closing['id']}) und wird "
                    f"in {closing[CONTINUED_IN]} fortgesetzt. Bitte AUDIT_ANCHOR_FILE in allen "
                    f"Umgebungsdateien auf {closing[CONTINUED_IN]} stellen.")
        return None
    return (f"Die Ankerdatei {path} {'ist leer' if path.exists() else 'fehlt'}, das Protokoll "
            f"hat aber schon Einträge (bis {newest.text}). Eine gelöschte Ankerdatei darf nicht "
            "unbemerkt neu beginnen: bitte die Datei aus der Sicherung zurückholen, oder – nach "
            "Prüfung mit `python -m db verify-audit` – bewusst `python -m db new-anchor DATEI` "
            "ausführen.")


def has_lines(path: Path) -> bool:
    """True if the file has a line that is not blank; read only up to the first such character
    (an anchor file grows by a line per transaction). A file of blank lines is an empty one."""
    try:
        with path.open("rb") as stream:
            while chunk := stream.read(64 * 1024):
                if chunk.strip():
                    return True
    except FileNotFoundError:
        return False
    return False


TAIL_BYTES = 64 * 1024  # far more than the few lines at the end of an anchor file


def tail_records(path: str | Path, key: bytes | None = None) -> list[dict]:
    """The app's own lines at the end of the file (its last TAIL_BYTES), oldest first: what the
    start check and the readiness check need without reading a file that grows all year."""
    key = key or audit_key(os.environ)
    with Path(path).open("rb") as stream:
        size = stream.seek(0, os.SEEK_END)
        stream.seek(max(0, size - TAIL_BYTES))
        chunk = stream.read()
    lines = chunk.splitlines()
    if size > TAIL_BYTES:
        lines = lines[1:]  # the first may be cut
    return [record for line in lines if line.strip() and (record := genuine_record(line, key)) is not None]


def anchor_as_of(path: str | Path, newest: Head, *, settle_seconds: float = 0.5) -> bytes | None:
    """The anchor file as it stood when the log ended at `newest` (a backup's own anchor): every
    line but the app's lines for later entries. The live file goes on growing after a backup's
    snapshot, and its later heads are missing from a restored log (verify-audit: "fehlt im
    Protokoll"). A line that is not the app's stays: the check should still see it. None without
    the file. A writer appends its line just after its commit: looked at once more if the head's
    line is not there yet."""
    key = audit_key(os.environ)
    for attempt in range(2):
        try:
            content = Path(path).read_bytes()
        except FileNotFoundError:
            return None
        kept, reached = [], False
        for line in content.splitlines(keepends=True):
            record = genuine_record(line, key) if line.strip() else None
            if record is not None and int(record["id"]) > newest.id:
                continue
            reached |= record is not None and int(record["id"]) == newest.id
            kept.append(line)
        if reached or attempt:
            return b"".join(kept)
        time.sleep(settle_seconds)
    return None


def _closing(records: list[dict]) -> dict | None:
    """The closing line a file ends with: the last one, unless a carried line follows it (the
    journal, which holds both files' lines in order, goes on after a rotation)."""
    closing = None
    for record in records:
        if CONTINUED_IN in record:
            closing = record
        elif CONTINUES in record:
            closing = None
    return closing


def closed_by(path: str | Path) -> dict | None:
    """The closing line if this anchor file was rotated (no one may write to it any more)."""
    try:
        return _closing(tail_records(path))
    except (OSError, ConfigurationError):
        return None


def last_anchor(path: str | Path) -> dict | None:
    """The newest line the app wrote to this anchor file, None if there is none."""
    records = tail_records(path)
    return records[-1] if records else None


def rotate_anchor(session: Session, old: str | Path, new: str | Path) -> Head | None:
    """Close `old` with a line naming `new` and begin `new` with the same head and the digest of
    `old` up to that line. Only appends: `old` may be `chattr +a`. Refused unless `old` verifies
    against the log (no series is started on a cut file) and `new` is missing or empty."""
    old, new = Path(old), Path(new)
    if old.resolve() == new.resolve():
        raise ValidationError("Alte und neue Ankerdatei sind dieselbe Datei.")
    if has_lines(new):
        raise ValidationError(f"Die neue Ankerdatei {new} ist nicht leer; sie wird nicht ersetzt.")
    check = verify_anchor(session, old)
    if check.problems:
        raise ValidationError("Die alte Ankerdatei passt nicht zum Protokoll – keine Rotation:\n  "
                              + "\n  ".join(check.problems))
    newest = head(session)
    if newest is None:
        raise ValidationError("Das Protokoll ist leer: nichts zu verankern.")
    closing = anchor_line(newest, **{CONTINUED_IN: str(new)})
    witness(closing)
    if not append_private(old, closing, create=False):
        raise ValidationError(f"Die Ankerdatei {old} fehlt.")
    content = old.read_bytes()
    end = content.rfind(closing.encode("utf-8"))
    if end < 0:
        raise ValidationError(f"Die Abschlusszeile fehlt in {old} (Datei während der Rotation ersetzt?).")
    digest = hashlib.sha256(content[:end + len(closing)]).hexdigest()
    carried = anchor_line(newest, **{CONTINUES: str(old), PREVIOUS_SHA256: digest})
    witness(carried)
    append_private(new, carried, create=True)
    witness(f"Ankerdatei {old} abgeschlossen bei {newest.text}, fortgesetzt in {new}.", logging.WARNING)
    return newest


def start_anchor(session: Session, path: str | Path) -> Head | None:
    """Begin an anchor file deliberately (python -m db new-anchor) with the log's head; refused
    if the file has lines already. The system log hears that a new file was begun."""
    path = Path(path)
    if has_lines(path):
        raise ValidationError(f"Die Ankerdatei {path} ist nicht leer; sie wird nicht ersetzt.")
    newest = head(session)
    if newest is not None:
        witness(f"Ankerdatei {path} neu begonnen bei {newest.text}.", logging.WARNING)
        append_anchor(path, newest, starts_log=True)
    return newest


@dataclass(frozen=True)
class AnchorCheck:
    lines: int
    problems: list[str]
    continues: str | None = None  # the older file the first one continues (rotation)


@dataclass
class _File:
    path: Path
    content: bytes
    records: list[tuple[int, dict, int]]  # (line number, fields, byte offset after the line)
    lines: int


def _read(path: Path, key: bytes, problems: list[str]) -> _File | None:
    try:
        content = path.read_bytes()
    except FileNotFoundError:
        problems.append(f"Die Ankerdatei {path} fehlt.")
        return None
    except OSError as error:
        why = "keine Berechtigung" if isinstance(error, PermissionError) else "nicht lesbar"
        problems.append(f"Die Ankerdatei {path} lässt sich nicht lesen ({why}).")
        return None
    records: list[tuple[int, dict, int]] = []
    offset, count = 0, 0
    for number, line in enumerate(content.splitlines(keepends=True), start=1):
        offset += len(line)
        if not line.strip():
            continue  # no anchor and no forgery: an editor's or a copy's trailing newline
        count += 1
        record = genuine_record(line, key)
        if record is None:
            problems.append(f"{path}: Ankerzeile {number} ist nicht vom Cockpit (Prüfsumme falsch oder unlesbar).")
        else:
            records.append((number, record, offset))
    return _File(path, content, records, count)


def verify_anchor(session: Session, *paths: str | Path) -> AnchorCheck:
    """Every anchored head must still be in the log with its hash, and the newest anchored head
    must be the log's head: a missing, empty or shorter anchor file is a problem, as is a line
    that is not the app's (wrong HMAC, unreadable). Several files are a series, oldest first
    (rotate_anchor): each but the last must be closed, the next must carry its closing head and
    its digest, and only the last must reach the log's head."""
    key = audit_key(os.environ)
    problems: list[str] = []
    files = [found for path in paths if (found := _read(Path(path), key, problems)) is not None]
    if len(files) < len(paths):
        return AnchorCheck(sum(f.lines for f in files), problems)
    anchored: dict[int, str] = {}
    for file in files:
        for _, record, _ in file.records:
            anchored[int(record["id"])] = str(record["hash"])
    for older, newer in zip(files, files[1:]):
        closing = _closing([record for _, record, _ in older.records])
        if closing is None:
            problems.append(f"Die Ankerdatei {older.path} ist nicht abgeschlossen, es folgt aber {newer.path}.")
            continue
        end = next(offset for _, record, offset in older.records if record is closing)
        first = newer.records[0][1] if newer.records else None
        if (first is None or CONTINUES not in first or first["id"] != closing["id"]
                or first["hash"] != closing["hash"]):
            problems.append(f"{newer.path} beginnt nicht mit dem Abschluss von {older.path} "
                            f"(Eintrag {closing['id']}): nicht die Fortsetzung.")
        elif first.get(PREVIOUS_SHA256) != hashlib.sha256(older.content[:end]).hexdigest():
            problems.append(f"{older.path} ist nicht mehr die Datei, die {newer.path} fortsetzt "
                            "(Prüfsumme bis zur Abschlusszeile anders: gekürzt oder verändert).")
        later = [int(record["id"]) for _, record, offset in older.records
                 if offset > end and int(record["id"]) > int(closing["id"])]
        if later:
            problems.append(f"In {older.path} wurde nach dem Abschluss weitergeschrieben (Eintrag "
                            f"{later[0]}): ein Schreiber mit der alten AUDIT_ANCHOR_FILE.")
    ids = sorted(anchored)
    stored: dict[int, str] = {}
    for start in range(0, len(ids), 1000):
        chunk = ids[start:start + 1000]
        stored.update(session.execute(select(AuditEntry.id, AuditEntry.hash)
                                      .where(AuditEntry.id.in_(chunk))).all())
    for entry_id in ids:
        if entry_id not in stored:
            problems.append(f"Eintrag {entry_id} fehlt im Protokoll, war aber verankert "
                            "(gelöscht oder abgeschnitten).")
        elif stored[entry_id] != anchored[entry_id]:
            problems.append(f"Eintrag {entry_id} hat einen anderen Prüfwert als verankert.")
    newest = head(session)
    last = files[-1]
    last_ids = [int(record["id"]) for _, record, _ in last.records]
    closing = _closing([record for _, record, _ in last.records])
    if not last_ids:
        problems.append(f"Die Ankerdatei {last.path} enthält keinen Anker des Cockpits (leer).")
    elif closing is not None:
        problems.append(f"Die Ankerdatei {last.path} ist abgeschlossen (Eintrag {closing['id']}) und "
                        f"wird in {closing[CONTINUED_IN]} fortgesetzt: bitte diese Datei prüfen "
                        f"(`--anchor {last.path} --anchor {closing[CONTINUED_IN]}`).")
    elif newest is not None and newest.id > max(last_ids):
        # Cut from the anchor file, or written by a process without AUDIT_ANCHOR_FILE: either
        # way the newest entries are not witnessed.
        problems.append(f"Die Ankerdatei endet bei Eintrag {max(last_ids)}, das Protokoll reicht bis "
                        f"{newest.text}: Ankerdatei gekürzt, oder ein Schreiber ohne "
                        "AUDIT_ANCHOR_FILE.")
    first = files[0].records[0][1] if files[0].records else {}
    return AnchorCheck(sum(f.lines for f in files), problems,
                       continues=str(first[CONTINUES]) if CONTINUES in first else None)
