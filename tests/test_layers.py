"""The layout is the architecture (db/__init__.py): imports run one way, pages → db
capabilities → store → vocabulary, with no circle. Read from the source with `ast`, so a
function-level import counts as much as one at the top. An import for type hints only
(`if TYPE_CHECKING:`) must not point upward either, but it does not make a circle: it never runs."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# Lowest first. A module may import its own layer's modules and any layer below, never above.
LAYERS = [
    {"db.vocabulary", "db.phonetics", "db.errors", "db.clock", "db.actors", "db.validation", "db.settings"},
    {"db.store"},
    {"db.accounts"},
    {"db.reporting"},
    {"db.programme"},
    {"db.casework"},
    {"db.results"},
    {"db.figures"},
    {"db.privacy"},
    {"db.demo"},
    {"db.__main__", "db.bootstrap", "db"},
    {"pages", "app"},
]
# Within the vocabulary layer the order matters too (settings knows errors, not the reverse).
BASE_ORDER = ["db.vocabulary", "db.phonetics", "db.errors", "db.clock", "db.actors", "db.validation", "db.settings"]


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def sources() -> dict[str, Path]:
    found = {module_name(p): p for p in [*ROOT.glob("db/**/*.py"), *ROOT.glob("pages/*.py"), ROOT / "app.py"]}
    return {name: path for name, path in found.items() if ".migrations.versions." not in name}


def type_only(tree: ast.Module) -> set[ast.AST]:
    """The import statements under `if TYPE_CHECKING:`."""
    return {node for block in ast.walk(tree) if isinstance(block, ast.If)
            and isinstance(block.test, ast.Name) and block.test.id == "TYPE_CHECKING"
            for statement in block.body for node in ast.walk(statement)}


def imported(name: str, path: Path, known: set[str], *, at_run_time: bool = False) -> set[str]:
    """The project modules `name` imports (a `from package import module` names the module)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    tree = ast.parse(path.read_text(), str(path))
    skipped = type_only(tree) if at_run_time else set()
    out: set[str] = set()
    for node in ast.walk(tree):
        if node in skipped:
            continue
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            targets = [module, *(f"{module}.{alias.name}" for alias in node.names)]
        else:
            continue
        out |= {target for target in targets if target in known and target != name}
    return out


def rank(name: str) -> tuple[int, int]:
    for level, members in enumerate(LAYERS):
        for member in members:
            if name == member or (member != "db" and name.startswith(member + ".")):
                sub = BASE_ORDER.index(member) if member in BASE_ORDER else 0
                return level, sub
    raise AssertionError(f"{name} gehört zu keiner Schicht: tests/test_layers.py LAYERS ergänzen")


def graph(*, at_run_time: bool = False) -> dict[str, set[str]]:
    known = sources()
    return {name: imported(name, path, set(known), at_run_time=at_run_time) for name, path in known.items()}


def test_every_module_belongs_to_a_layer() -> None:
    for name in sources():
        rank(name)


def test_no_module_imports_from_a_layer_above_it() -> None:
    upward = sorted(f"{name} → {target}" for name, targets in graph().items() for target in targets
                    if rank(target) > rank(name))
    assert upward == []


def test_no_import_circle() -> None:
    edges = graph(at_run_time=True)
    state: dict[str, int] = {}
    circles: list[list[str]] = []

    def visit(name: str, trail: list[str]) -> None:
        state[name] = 1
        for target in sorted(edges[name]):
            if state.get(target) == 1:
                circles.append([*trail[trail.index(target):], target] if target in trail else [name, target])
            elif target not in state:
                visit(target, [*trail, target])
        state[name] = 2

    for name in sorted(edges):
        if name not in state:
            visit(name, [name])
    assert circles == []


def test_a_new_upward_import_is_found(tmp_path: Path) -> None:
    """The check itself: the store importing casework, even inside a function, is caught."""
    probe = tmp_path / "models.py"
    probe.write_text((ROOT / "db" / "store" / "models.py").read_text()
                     + "\n\ndef probe():\n    from ..casework import cases\n")
    found = imported("db.store.models", probe, set(sources()))
    assert "db.casework.cases" in found and rank("db.casework.cases") > rank("db.store.models")


@pytest.mark.parametrize("package", ["store", "accounts", "reporting", "programme", "casework", "results",
                                     "figures", "privacy", "demo"])
def test_each_package_says_what_it_holds_and_what_it_may_import(package: str) -> None:
    doc = ast.get_docstring(ast.parse((ROOT / "db" / package / "__init__.py").read_text()))
    assert doc and "May import" in doc


def test_db_is_testable_without_streamlit() -> None:
    """Every rule sits in db/, which never imports Streamlit (or the pages)."""
    found = []
    for name, path in sources().items():
        if not name.startswith("db"):
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            modules = ([alias.name for alias in node.names] if isinstance(node, ast.Import)
                       else [node.module or ""] if isinstance(node, ast.ImportFrom) and not node.level else [])
            found += [f"{name} → {m}" for m in modules if m.split(".")[0] in {"streamlit", "pages", "app"}]
    assert found == []
