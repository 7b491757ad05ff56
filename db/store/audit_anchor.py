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
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import inspect, select
from sqlalchemy.orm import Session

from ..errors import ValidationError
from ..settings import anchor_file, audit_key
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
    payload = json.dumps(record, sort_keys=True).encode("utf-8")
    return hmac.new(key, b"anchor:" + payload, hashlib.sha256).hexdigest()


def anchor_line(entry: Head, key: bytes | None = None) -> str:
    record = {"id": entry.id, "hash": entry.hash, "written": datetime.now(UTC).isoformat(timespec="seconds")}
    return json.dumps({**record, "mac": _mac(record, key or audit_key(os.environ))}) + "\n"


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


def verify_anchor(session: Session, path: str | Path) -> AnchorCheck:
    """Every anchored head must still be in the log with its hash, and the newest anchored head
    must be the log's head: a missing, empty or shorter anchor file is a problem, as is a line
    that is not the app's (wrong HMAC, unreadable)."""
    key = audit_key(os.environ)
    problems: list[str] = []
    anchored: dict[int, str] = {}
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        return AnchorCheck(0, [f"Die Ankerdatei {path} fehlt."])
    except (OSError, UnicodeDecodeError) as error:
        why = "keine Berechtigung" if isinstance(error, PermissionError) else "nicht lesbar"
        return AnchorCheck(0, [f"Die Ankerdatei {path} lässt sich nicht lesen ({why})."])
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue  # no anchor and no forgery: an editor's or a copy's trailing newline
        try:
            data = json.loads(line)
            record = {k: data[k] for k in ("id", "hash", "written")}
            genuine = hmac.compare_digest(str(data["mac"]), _mac(record, key))
        except (ValueError, KeyError, TypeError):
            genuine = False
        if not genuine:
            problems.append(f"Ankerzeile {number} ist nicht vom Cockpit (Prüfsumme falsch oder unlesbar).")
            continue
        anchored[int(record["id"])] = str(record["hash"])
    ids = sorted(anchored)
    stored: dict[int, str] = {}
    for start in range(0, len(ids), 1000):
        chunk = ids[start:start + 1000]
        stored.update(session.execute(select(AuditEntry.id, AuditEntry.hash)
                                      .where(AuditEntry.id.in_(chunk))).tuples().all())
    for entry_id in ids:
        if entry_id not in stored:
            problems.append(f"Eintrag {entry_id} fehlt im Protokoll, war aber verankert "
                            "(gelöscht oder abgeschnitten).")
        elif stored[entry_id] != anchored[entry_id]:
            problems.append(f"Eintrag {entry_id} hat einen anderen Prüfwert als verankert.")
    newest = head(session)
    if not ids:
        problems.append(f"Die Ankerdatei {path} enthält keinen Anker des Cockpits (leer).")
    elif newest is not None and newest.id > ids[-1]:
        # Cut from the anchor file, or written by a process without AUDIT_ANCHOR_FILE: either
        # way the newest entries are not witnessed.
        problems.append(f"Die Ankerdatei endet bei Eintrag {ids[-1]}, das Protokoll reicht bis "
                        f"{newest.text}: Ankerdatei gekürzt, oder ein Schreiber ohne "
                        "AUDIT_ANCHOR_FILE.")
    return AnchorCheck(sum(1 for line in lines if line.strip()), problems)
