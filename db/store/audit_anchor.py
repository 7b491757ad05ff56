"""The audit log's anchor outside the database: a file of heads (entry id and hash).

The keyed chain (db/store/audit.py) shows an edited, inserted or deleted entry, but not entries cut
off the end: the rest is still a valid chain. So every transaction that writes to the log
appends the log's new head to AUDIT_ANCHOR_FILE, a line with its own HMAC (AUDIT_KEY), and
`python -m db verify-audit --anchor FILE` checks that each anchored head is still in the log,
unchanged. Lines are appended with O_APPEND (one write each, atomic on a local file system), so
several app servers on one machine can share the file; servers on other machines each keep
their own, and each file is checked on its own.

What it does not promise: whoever can write both the database and the anchor file (and knows
the key) can cut both. Copy the file elsewhere (a log server, `chattr +a`) to keep that apart.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..settings import anchor_file, audit_key
from .models import AuditEntry


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


def append_anchor(path: str | Path, entry: Head) -> None:
    """One line, appended in one write; the file is readable by this account only."""
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(fd, anchor_line(entry).encode("utf-8"))
    finally:
        os.close(fd)


def anchor_new_head(entry: Head) -> None:
    """Called after a commit that wrote to the log (db/store/audit.py), when AUDIT_ANCHOR_FILE is set."""
    if path := anchor_file(os.environ):
        append_anchor(path, entry)


@dataclass(frozen=True)
class AnchorCheck:
    lines: int
    problems: list[str]


def verify_anchor(session: Session, path: str | Path) -> AnchorCheck:
    """Every anchored head must still be in the log with its hash; a line that is not the app's
    (wrong HMAC, unreadable) is a problem too."""
    key = audit_key(os.environ)
    problems: list[str] = []
    anchored: dict[int, str] = {}
    lines = Path(path).read_text(encoding="utf-8").splitlines()
    for number, line in enumerate(lines, start=1):
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
    return AnchorCheck(len(lines), problems)
