"""Everything secret or personal is written 0600 whatever the caller's umask: one helper in db/
(db/store/private_files.py) writes files, a sweep finds any other writer, and each writer is run
here with the common umask 022."""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest

from db.settings import cookie_key
from db.store.database import Database
from db.store.private_files import FileNotWritten, append_private, write_private

from .conftest import World
from .test_cli import ROOT

HELPER = ROOT / "db" / "store" / "private_files.py"
# Calls that make or fill a file on disk. A serialiser (save, to_excel, to_csv, ExcelWriter,
# output) is a writer unless it writes into an in-memory buffer made in the same module.
FILE_CALLS = {"write_text", "write_bytes", "touch", "mkstemp", "mkdtemp", "NamedTemporaryFile",
              "symlink_to", "hardlink_to"}
SHUTIL_CALLS = {"copy", "copy2", "copyfile", "copytree", "move", "copyfileobj"}
SERIALISERS = {"save", "to_excel", "to_csv", "to_parquet", "to_json", "ExcelWriter", "output"}
BUFFERS = {"BytesIO", "StringIO"}


def _name(node: ast.expr) -> str:
    return node.attr if isinstance(node, ast.Attribute) else node.id if isinstance(node, ast.Name) else ""


def file_writers(source: str, filename: str = "<source>") -> list[str]:
    """'file:line call' for every call in `source` that writes a file other than through the
    helper: into a file the helper handed out (`with private_file(…) as part`) is allowed."""
    tree = ast.parse(source, filename)
    buffers = {target.id for node in ast.walk(tree) if isinstance(node, ast.Assign)
               and isinstance(node.value, ast.Call) and _name(node.value.func) in BUFFERS
               for target in node.targets if isinstance(target, ast.Name)}
    # Names bound by `with …(buffer) as writer` (a serialiser into memory) or by
    # `with private_file(…) as part` (the helper's own file).
    for node in ast.walk(tree):
        if isinstance(node, ast.With):
            for item in node.items:
                call, alias = item.context_expr, item.optional_vars
                if isinstance(call, ast.Call) and isinstance(alias, ast.Name) and (
                        _name(call.func) == "private_file" or (call.args and isinstance(call.args[0], ast.Name)
                                                               and call.args[0].id in buffers)):
                    buffers.add(alias.id)
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        name = _name(node.func)
        module = _name(node.func.value) if isinstance(node.func, ast.Attribute) else ""
        method = isinstance(node.func, ast.Attribute) and module not in ("io", "builtins", "codecs", "os")
        # open(path, mode) – but Path(…).open(mode)
        mode = next((a.value for a in node.args[0 if method else 1:][:1] if isinstance(a, ast.Constant)), None)
        mode = next((k.value.value for k in node.keywords if k.arg == "mode"
                     and isinstance(k.value, ast.Constant)), mode)
        into_private = bool(node.args) and isinstance(node.args[0], ast.Name) and node.args[0].id in buffers
        writes = not into_private and (
            name in FILE_CALLS
            or (name in SHUTIL_CALLS and module == "shutil")
            or (name == "open" and module in ("", "io", "builtins", "codecs")
                and (mode is None and len(node.args) > 1 or any(c in str(mode) for c in "wax+")))
            or (name == "open" and module not in ("", "io", "builtins", "codecs", "os")
                and any(c in str(mode) for c in "wax+"))  # Path(...).open("w")
            or (name == "open" and module == "os")
            or (name == "connect" and module == "sqlite3")
            or (name in SERIALISERS and bool(node.args))
        )
        if writes:
            found.append(f"{filename}:{node.lineno} {ast.unparse(node.func)}")
    return found


def project_sources() -> list[Path]:
    files = [*ROOT.glob("db/**/*.py"), *ROOT.glob("pages/**/*.py"), ROOT / "app.py"]
    return [path for path in files if "migrations" not in path.parts and path != HELPER]


def test_no_module_writes_a_file_but_the_helper() -> None:
    found = [hit for path in project_sources()
             for hit in file_writers(path.read_text(), str(path.relative_to(ROOT)))]
    assert found == [], "Dateien nur über db/store/private_files.py schreiben:\n" + "\n".join(found)


@pytest.mark.parametrize("sibling", [
    'Path(out).write_bytes(data)', 'out.write_text("x")', 'open(out, "w")', 'open(out, "ab")',
    'open(out, mode="x")', 'Path(out).open("w")', 'os.open(out, os.O_CREAT)', 'sqlite3.connect(out)',
    'shutil.copy(a, b)', 'book.save("bericht.xlsx")', 'frame.to_csv(out)', 'pdf.output(out)',
    'tempfile.mkstemp()', 'pd.ExcelWriter(out)', 'Path(out).touch()',
])
def test_the_sweep_finds_a_new_writer(sibling: str) -> None:
    assert file_writers(f"def export(out, data):\n    {sibling}\n")


def test_the_sweep_lets_in_memory_files_and_reading_pass() -> None:
    source = ("import io\ndef f(book, frame, path):\n    buffer = io.BytesIO()\n    book.save(buffer)\n"
              "    frame.to_csv(sep=';')\n    open(path).read()\n    open(path, 'rb')\n    pdf.output()\n")
    assert file_writers(source) == []


@pytest.fixture
def loose_umask() -> Iterator[None]:
    """The umask of an ordinary shell: without the helper, new files would be 0644."""
    before = os.umask(0o022)
    yield
    os.umask(before)


def mode(path: Path) -> int:
    return path.stat().st_mode & 0o777


def test_the_helper_writes_whole_private_files(tmp_path: Path, loose_umask: None) -> None:
    target = tmp_path / "auskunft.xlsx"
    target.write_bytes(b"alt")  # an older file, 0644: replaced, not reused
    assert mode(target) == 0o644
    write_private(target, b"neu")
    assert (target.read_bytes(), mode(target)) == (b"neu", 0o600)
    with pytest.raises(FileNotWritten, match="Ordner fehlt"):
        write_private(tmp_path / "fehlt" / "x.csv", b"x")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["auskunft.xlsx"]  # no part left behind
    log = tmp_path / "anker.log"
    assert not append_private(log, "a\n", create=False) and not log.exists()
    assert append_private(log, "a\n", create=True) and mode(log) == 0o600
    log.chmod(0o644)
    assert append_private(log, "b\n", create=False)
    assert (log.read_text(), mode(log)) == ("a\nb\n", 0o600)


def test_every_command_line_writer_is_private_under_umask_022(
        world: World, tmp_path: Path, loose_umask: None, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    from db.__main__ import main

    monkeypatch.setenv("DATABASE_URL", world.db.engine.url.render_as_string(hide_password=False))
    anchor = tmp_path / "anker.log"
    assert main(["new-anchor", str(anchor)]) == 0
    written = [anchor]
    if world.db.is_sqlite:
        new_database = tmp_path / "neu.sqlite3"
        Database.from_url(f"sqlite:///{new_database}").dispose()
        assert main(["backup", str(tmp_path / "sicherung.sqlite3")]) == 0
        written += [new_database, tmp_path / "sicherung.sqlite3"]
    (tmp_path / "auskunft.xlsx").write_bytes(b"alt")  # a file the export replaces
    monkeypatch.setenv("AUDIT_ANCHOR_FILE", str(anchor))
    assert main(["export-person", "--client-number", "DEMO-1001", "--out", str(tmp_path / "auskunft.xlsx")]) == 0
    for suffix in ("xlsx", "csv", "pdf"):
        assert main(["funder-report", "--out", str(tmp_path / f"meldung.{suffix}")]) == 0
        written.append(tmp_path / f"meldung.{suffix}")
    written.append(tmp_path / "auskunft.xlsx")
    assert {path.name: mode(path) for path in written} == {path.name: 0o600 for path in written}
    # A directory that is not there: a German sentence (no exception), nothing written.
    capsys.readouterr()
    assert main(["export-person", "--client-number", "DEMO-1001", "--out", str(tmp_path / "x" / "a.xlsx")]) == 1
    assert "Ordner fehlt" in capsys.readouterr().err and not (tmp_path / "x").exists()


def test_make_run_writes_the_cookie_key_private(tmp_path: Path, loose_umask: None) -> None:
    if shutil.which("make") is None:
        pytest.skip("make fehlt")
    shutil.copy(ROOT / "Makefile", tmp_path / "Makefile")
    (tmp_path / ".streamlit").mkdir()
    done = subprocess.run(["make", "--no-print-directory", ".streamlit/secrets.toml", f"PYTHON={sys.executable}"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    key_file = tmp_path / ".streamlit" / "secrets.toml"
    assert mode(key_file) == 0o600
    key = tomllib.loads(key_file.read_text())["cookie_key"]
    assert cookie_key({}, key) == key  # a key the app accepts
    assert sorted(p.name for p in key_file.parent.iterdir()) == ["secrets.toml"]
