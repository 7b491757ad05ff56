"""The README's commands run as written (issue 40: `python: command not found`, no command
loaded owner.env, `psql` "als postgres" without saying how). A sweep over every shell command in
the README's code blocks of the operations section and every `python -m db …` / `make …` named
anywhere: each must name an existing subcommand with options its parser accepts, an existing make
target, an existing file of the project, a unit that ships, a public address of the app server.
The next wrong command in the README fails here."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from db.__main__ import command_line
from db.settings import database_url
from pages.gateway import READY_PATH

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
INSTALL_DIR = "/opt/begleiter-cockpit"  # WorkingDirectory of the unit: the project's checkout
UNIT = (ROOT / "deploy" / "begleiter-cockpit@.service").read_text(encoding="utf-8")
SHIPPED_UNIT_TEXTS = [unit.read_text(encoding="utf-8") for unit in sorted((ROOT / "deploy").glob("*.service"))]
ENV_EXAMPLE = (ROOT / "deploy" / "env.example").read_text(encoding="utf-8")


def _section(title: str) -> str:
    start = README.index(f"## {title}\n")
    end = README.find("\n## ", start + 1)
    return README[start:end if end > 0 else None]


def _blocks(text: str) -> list[list[str]]:
    """The lines of each ```bash block (indentation of list items removed, comments dropped)."""
    blocks = re.findall(r"```bash\n(.*?)\n\s*```", text, flags=re.S)
    return [[line.split("  #")[0].strip() for line in block.splitlines() if line.strip()] for block in blocks]


def _simple_commands(line: str) -> list[list[str]]:
    """A shell line as its simple commands (split at ;, &&, ||), each as words."""
    words = shlex.split(line, comments=True)
    commands, current = [], []
    for word in words:
        for part in re.split(r"(;|&&|\|\|)$", word):
            if part in (";", "&&", "||"):
                if current:
                    commands.append(current)
                current = []
            elif part:
                current.append(part)
    if current:
        commands.append(current)
    return commands


OPERATIONS = _blocks(_section("Betrieb"))
DB_COMMANDS = set(command_line()._subparsers._group_actions[0].choices)  # type: ignore[union-attr]
MAKE_TARGETS = set(re.findall(r"^([a-z][a-z-]*):", (ROOT / "Makefile").read_text(), flags=re.M))
ENV_FILES = {"/etc/begleiter-cockpit/env", "/etc/begleiter-cockpit/owner.env"}
SHIPPED_UNITS = {path.name for path in (ROOT / "deploy").iterdir()}


def test_the_operations_section_has_its_commands_in_blocks() -> None:
    assert len(OPERATIONS) >= 6
    assert sum(len(block) for block in OPERATIONS) >= 40


# Units the README may start or reload that Debian's packages bring (not shipped in deploy/).
DEBIAN_UNITS = frozenset({"nginx.service", "postgresql.service"})


def _check(words: list[str], cwd: str | None, made: set[str], where: str) -> str | None:
    """The working directory after this command (`cd`)."""
    if words[:3] == ["sudo", "-u", "postgres"]:
        words = words[3:]
    elif words[0] in ("psql", "createdb", "createuser", "dropdb"):
        raise AssertionError(f"{where}: {words[0]} braucht das Systemkonto postgres (sudo -u postgres)")
    program = words[0]
    if program == "cd":
        return words[1]
    if program in ("python", "python3") or (program.endswith("python") and program != ".venv/bin/python"
                                            and not program.endswith("/.venv/bin/python")):
        raise AssertionError(f"{where}: {program} statt .venv/bin/python (nur dort sind die Pakete)")
    if program.endswith(".venv/bin/python"):
        assert program.startswith("/") or cwd == INSTALL_DIR, f"{where}: .venv/bin/python ohne cd {INSTALL_DIR}"
        if words[1:3] == ["-m", "db"]:
            arguments = [INSTALL_DIR if w == "…" else w for w in words[3:]]
            try:
                command_line().parse_args(arguments)
            except SystemExit:
                raise AssertionError(f"{where}: python -m db {' '.join(words[3:])} – so nicht aufrufbar") from None
    elif program == "make":
        assert cwd == INSTALL_DIR, f"{where}: make ohne cd {INSTALL_DIR}"
        for target in words[1:]:
            assert target in MAKE_TARGETS, f"{where}: make {target} – kein Ziel im Makefile"
    elif program == ".":
        assert words[1] in ENV_FILES, f"{where}: lädt {words[1]}"
        assert words[1] in made, f"{where}: {words[1]} wird vorher nirgends angelegt"
    elif program == "install" and "/dev/null" in words:
        made.add(words[-1])
        made.add(str(Path(cwd or "/") / words[-1]))
        if "-o" in words and f"User={words[words.index('-o') + 1]}" in UNIT:
            made.add("service:" + str(Path(cwd or "/") / words[-1]))
    elif program in ("install", "cp"):
        sources, target = [w for w in words[1:-1] if not w.startswith("-") and not re.fullmatch(r"\d+|[a-z-]+", w)], words[-1]
        for source in sources:
            if not source.startswith("/"):
                assert cwd == INSTALL_DIR and (ROOT / source).exists(), f"{where}: {source} fehlt im Projekt"
            else:
                assert source in made or not source.startswith("/etc/begleiter-cockpit/") or Path(source).name in \
                    {Path(m).name for m in made}, f"{where}: {source} wird vorher nicht angelegt"
        made.add(target)
        if program == "install" and "-o" in words and f"User={words[words.index('-o') + 1]}" in UNIT:
            made.add("service:" + str(Path(cwd or "/") / target))  # a copy given to the service account
        for source in sources:
            made.add(str(Path(target) / Path(source).name))
    elif program == "chattr":
        path = words[-1]
        full = path if path.startswith("/") else str(Path(cwd or "/") / path)
        assert "service:" + full in made, (f"{where}: chattr +a auf {path}, die vorher nicht dem Dienstkonto angelegt "
                              "wurde (install -o begleiter-cockpit … /dev/null)")
    elif program == "systemctl":
        for unit in words[2:]:
            if unit.startswith("-"):
                continue
            name = re.sub(r"@[^.]+", "@", unit)
            name = name if "." in name else name + ".service"
            assert name in SHIPPED_UNITS or name in DEBIAN_UNITS, f"{where}: systemctl {unit} – keine Unit in deploy/"
    elif program == "curl":
        address = words[-1]
        assert address.split("8501", 1)[1] in (READY_PATH, "/_stcore/health"), f"{where}: {address}"
    elif program == "useradd":
        home = words[words.index("--home-dir") + 1]
        assert any(f"WorkingDirectory={home}" in unit and f"User={words[-1]}" in unit
                   for unit in SHIPPED_UNIT_TEXTS), f"{where}: keine Unit in deploy/ läuft als {words[-1]}"
    return cwd


def test_every_command_of_the_operations_section_names_what_exists() -> None:
    made: set[str] = set()
    # Step 3 makes the environment files with `install`; later blocks load them.
    for number, block in enumerate(OPERATIONS, start=1):
        cwd: str | None = None
        for line in block:
            for words in _simple_commands(line):
                if words[:2] == ["set", "-a"] or words[:2] == ["set", "+a"]:
                    continue
                cwd = _check(words, cwd, made, f"Block {number}: {line}")


def test_the_update_makes_every_account_its_units_run_as() -> None:
    """Units come new with every version: an account a new unit runs as (the maintenance's own,
    since it holds the owner's password) must exist on an installation made before it – made in
    the update, where it may exist already (idempotent), not only in the first installation."""
    update = next(block for block in OPERATIONS if "git checkout VERSION" in block)
    accounts = {user for text in SHIPPED_UNIT_TEXTS for user in re.findall(r"^User=(\S+)", text, flags=re.M)}
    assert accounts
    for account in accounts:
        made = [line for line in update if line.endswith(f"--shell /usr/sbin/nologin {account}")]
        assert made and all(line.startswith(f"id -u {account} >/dev/null 2>&1 || useradd ") for line in made), \
            (account, made)


def test_the_files_the_unit_needs_are_made_by_the_install_steps() -> None:
    install = _section("Betrieb")
    for environment_file in re.findall(r"^EnvironmentFile=(\S+)", UNIT, flags=re.M):
        assert f"/dev/null {environment_file}" in install or f" {environment_file}\n" in install, environment_file
    anchor = re.search(r"^AUDIT_ANCHOR_FILE=(\S+)", ENV_EXAMPLE, flags=re.M).group(1)  # type: ignore[union-attr]
    assert f"/dev/null {anchor}" in install  # made by root for the service account, before the first entry
    statement = re.search(r"^ACCESSIBILITY_STATEMENT=(\S+)", ENV_EXAMPLE, flags=re.M).group(1)  # type: ignore[union-attr]
    assert statement in install  # the accessibility contact is a setting of the install steps
    read_write = re.search(r"^ReadWritePaths=(\S+)", UNIT, flags=re.M).group(1)  # type: ignore[union-attr]
    assert anchor.startswith(read_write + "/")  # the app server may append to it in its sandbox


@pytest.mark.parametrize("name", sorted(set(re.findall(r"python -m db ([a-z][a-z-]*)", README))))
def test_every_db_command_named_in_the_readme_exists(name: str) -> None:
    assert name in DB_COMMANDS, f"python -m db {name}: gibt es nicht"


@pytest.mark.parametrize("target", sorted(set(re.findall(r"`make ([a-z][a-z-]*)", README))))
def test_every_make_target_named_in_the_readme_exists(target: str) -> None:
    assert target in MAKE_TARGETS


def test_no_bare_python_runs_the_command_line() -> None:
    bare = re.findall(r"(?<![/\w.])python3? -m db [a-z-]+", README)
    assert bare == [], bare


def test_the_encoded_password_example_is_what_the_helper_prints() -> None:
    shown = re.search(r"`(postgresql\+psycopg://begleiter_owner:[^`]+)`", README).group(1)  # type: ignore[union-attr]
    password = make_url(shown).password
    assert password == "Mai@2026#x"
    assert database_url("begleiter_owner", password, "127.0.0.1", 5432, "begleiter_cockpit") == shown
    for tricky in ("a@b#c/d:e%f g?h&i;j'k\"l$m", "ä€😀"):
        url = database_url("u@x", tricky, "127.0.0.1", 5432, "db")
        assert make_url(url).password == tricky and make_url(url).username == "u@x"
        assert re.fullmatch(r"[A-Za-z0-9%._~:/@+-]+", url), url  # nothing a shell or env file reads


def test_the_helper_command_prints_the_encoded_address() -> None:
    """`python -m db database-url` as the README shows it: asks for the password (here on
    stdin, no terminal), prints the address – without opening any database."""
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-m", "db", "database-url", "--user", "begleiter_owner",
                           "--database", "begleiter_cockpit"], cwd=ROOT, input="Mai@2026#x\n", text=True,
                          capture_output=True, env={"PATH": "/usr/bin:/bin", "DATABASE_URL": "sqlite:////nonexistent/x.sqlite3"},
                          timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == \
        "postgresql+psycopg://begleiter_owner:Mai%402026%23x@127.0.0.1:5432/begleiter_cockpit"
