"""Files that hold social data or secrets, written readable by this account only (0600),
whatever the caller's umask: exports, reports, Art. 15 files, backups, the SQLite database, the
audit anchor. The one place in db/ that writes files (tests/test_private_files.py finds any
other writer).

A whole file is written beside its target under a temporary name (mkstemp: 0600 from the first
byte) and renamed over it only when complete: a failure leaves the old file as it was, never
half a file, and a file that was there before (perhaps 0644) is replaced, not reused.
"""

from __future__ import annotations

import os
import stat
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ..errors import DomainError

PRIVATE = 0o600
PRIVATE_DIRECTORY = 0o700


class FileNotWritten(DomainError):
    pass


def _refusal(path: Path, error: OSError) -> FileNotWritten:
    why = ("der Ordner fehlt" if isinstance(error, FileNotFoundError) else
           "keine Berechtigung" if isinstance(error, PermissionError) else
           "dort ist ein Ordner" if isinstance(error, IsADirectoryError) else
           error.strerror or "Fehler des Dateisystems")
    return FileNotWritten(f"Die Datei „{path}“ konnte nicht geschrieben werden ({why}). "
                          "Nichts wurde verändert.")


@contextmanager
def private_file(target: str | Path) -> Iterator[Path]:
    """A temporary 0600 file beside `target` for the caller to fill (e.g. SQLite's backup API);
    renamed to `target` when the block ends without an error, removed otherwise."""
    target = Path(target)
    try:
        fd, name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".part")
    except OSError as error:
        raise _refusal(target, error) from None
    os.close(fd)
    part = Path(name)
    try:
        yield part
        os.chmod(part, PRIVATE)  # in case the filler replaced the file it was given
        try:
            os.replace(part, target)
        except OSError as error:
            raise _refusal(target, error) from None
    finally:
        part.unlink(missing_ok=True)


def write_private(target: str | Path, data: bytes | str) -> Path:
    """Write the whole file at once, 0600; an existing file is replaced, nothing half-written."""
    payload = data.encode("utf-8") if isinstance(data, str) else data
    with private_file(target) as part:
        with open(part, "wb") as out:
            out.write(payload)
            out.flush()
            os.fsync(out.fileno())
    return Path(target)


def create_private(target: str | Path) -> bool:
    """Create an empty 0600 file (its directory 0700 if it is made too), unless it exists:
    for files others fill afterwards, such as a new SQLite database. True if created."""
    target = Path(target)
    target.parent.mkdir(mode=PRIVATE_DIRECTORY, parents=True, exist_ok=True)
    try:
        os.close(os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE))
    except FileExistsError:
        return False
    os.chmod(target, PRIVATE)  # the umask may have taken more than 0600 leaves
    return True


def append_private(target: str | Path, text: str, *, create: bool) -> bool:
    """Append `text` in one write (O_APPEND: atomic for a line on a local file system). The
    file is made (0600) only if `create`; False if it does not exist and may not be made. A file
    that others may read is tightened to 0600 first."""
    flags = os.O_WRONLY | os.O_APPEND | (os.O_CREAT if create else 0)
    try:
        fd = os.open(target, flags, PRIVATE)
    except FileNotFoundError:
        if create:
            raise
        return False
    try:
        if stat.S_IMODE(os.fstat(fd).st_mode) & 0o077:
            os.fchmod(fd, PRIVATE)
        os.write(fd, text.encode("utf-8"))
    finally:
        os.close(fd)
    return True


def why_not_appendable(target: str | Path) -> OSError | None:
    """Why this account could not read `target` and append to it as append_private does (None
    if it can): opened read-and-append – as under chattr +a –, nothing written, nothing made."""
    try:
        os.close(os.open(target, os.O_RDWR | os.O_APPEND))
    except OSError as error:
        return error
    return None
