"""The layering holds: the CLI goes through the front door only, services never reach up, the
packages import each other without cycles, SQL and database connections stay where DESIGN.md says,
and no service message names a CLI flag. Read from the source (every import, at any depth,
except annotation-only ones under `if TYPE_CHECKING:`), so a lazy import cannot hide a breach."""

from __future__ import annotations

import ast
import re
from collections import defaultdict
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "hallmark"

# What a front end (cli/, later api/) may import: the public surface and its own package.
PUBLIC = ("hallmark", "hallmark.services", "hallmark.schemas", "hallmark.errors")

# Pure modules: maths and parsing only, no database, no vault.
PURE = [
    "ledger/merkle.py", "ledger/note.py", "marks/codes.py", "marks/stats.py", "marks/columns.py",
    "marks/tabular.py", "marks/layout.py", "marks/plan.py", "marks/categorical.py",
    "marks/keys.py", "marks/scoring.py", "marks/scheme.py",
    "policy/compile.py", "policy/decide.py", "review/metrics.py", "review/features.py",
    "review/segment.py", "review/patterns.py", "review/evidence.py", "inventory/classify.py",
    "inventory/licenses.py", "inventory/code.py", "inventory/authorship.py", "inventory/pii.py",
    "store/clock.py", "errors.py", "files.py", "reports/textpdf.py",
    "agreements/similarity.py",
    "inventory/deid.py", "inventory/kanon.py",
]

# Where sqlalchemy may be imported: the store, the vault, the services, and the private
# repository modules the services call (each takes a Connection or a Txn, never opens one).
SQL_ALLOWED = ("store/", "services/", "vault.py", "ledger/", "inventory/", "agreements/",
               "audit/", "enforce/")


def _modules() -> dict[str, Path]:
    out = {}
    for path in sorted(SRC.rglob("*.py")):
        rel = path.relative_to(SRC)
        if rel.parts[:2] == ("store", "migrations"):
            continue
        parts = ["hallmark", *rel.with_suffix("").parts]
        if parts[-1] == "__init__":
            parts.pop()
        out[".".join(parts)] = path
    return out


MODULES = _modules()


def _type_checking_only(node: ast.AST) -> bool:
    return isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)


def _imports(path: Path) -> list[str]:
    """Every module `path` imports at runtime, at any depth (absolute names)."""
    tree = ast.parse(path.read_text(), str(path))
    package = [p for p in MODULES if MODULES[p] == path][0]
    if path.name != "__init__.py":
        package = package.rpartition(".")[0]
    found: list[str] = []

    def visit(node: ast.AST) -> None:
        if _type_checking_only(node):
            for child in getattr(node, "orelse", []):
                visit(child)
            return
        if isinstance(node, ast.Import):
            found.extend(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                up = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(up + ([base] if base else []))
            found.append(base)
            for alias in node.names:  # `from hallmark import services` imports a module
                if f"{base}.{alias.name}" in MODULES:
                    found.append(f"{base}.{alias.name}")
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return found


IMPORTS = {name: _imports(path) for name, path in MODULES.items()}


def _rel(name: str) -> str:
    return str(MODULES[name].relative_to(SRC))


@pytest.mark.parametrize("edge", ["hallmark.cli", "hallmark.demo"])
def test_the_edges_import_only_the_public_surface(edge: str) -> None:
    # The CLI (later the API) and the demo are edges: they see what any Python user sees.
    own = ("hallmark.cli", edge)
    bad = [f"{_rel(m)} imports {i}" for m, imps in IMPORTS.items()
           if m.startswith(edge) for i in imps
           if i.startswith("hallmark") and i not in PUBLIC and not i.startswith(own)
           and not any(i.startswith(p + ".") for p in PUBLIC[1:])]
    assert not bad, "\n".join(bad)


def test_no_service_imports_the_cli() -> None:
    bad = [f"{_rel(m)} imports {i}" for m, imps in IMPORTS.items()
           if not m.startswith(("hallmark.cli", "hallmark.demo")) for i in imps
           if i.startswith(("hallmark.cli", "hallmark.demo"))]
    assert not bad, "\n".join(bad)


def _unit(name: str) -> str | None:
    """The layer a module belongs to: its subpackage, or the module itself at the top."""
    parts = name.split(".")
    return parts[1] if len(parts) > 1 else None


def test_packages_import_each_other_without_cycles() -> None:
    graph: dict[str, set[str]] = defaultdict(set)
    for module, imps in IMPORTS.items():
        here = _unit(module)
        for target in imps:
            there = _unit(target) if target.startswith("hallmark.") else None
            if here and there and here != there:
                graph[here].add(there)
    cycles = []
    for start in sorted(graph):  # a cycle through `start` shows as a path back to it
        stack, seen = [(start, [start])], set()
        while stack:
            node, path = stack.pop()
            for nxt in sorted(graph[node]):
                if nxt == start:
                    cycles.append(" -> ".join(path + [start]))
                elif nxt not in seen:
                    seen.add(nxt)
                    stack.append((nxt, path + [nxt]))
    assert not cycles, "\n".join(sorted(set(cycles)))


@pytest.mark.parametrize("rel", PURE)
def test_pure_modules_import_no_database_and_no_vault(rel: str) -> None:
    name = [m for m in MODULES if _rel(m) == rel][0]
    bad = [i for i in IMPORTS[name] if i.startswith(("sqlalchemy", "hallmark.vault",
                                                     "hallmark.services", "hallmark.store.db",
                                                     "hallmark.store.tables"))]
    assert not bad, f"{rel} imports {bad}"


def test_sql_lives_only_in_the_store_the_services_and_their_repositories() -> None:
    bad = [_rel(m) for m, imps in IMPORTS.items()
           if any(i.startswith("sqlalchemy") for i in imps)
           and not _rel(m).startswith(SQL_ALLOWED)]
    assert not bad, bad


def _calls(path: Path) -> list[tuple[int, str]]:
    """(line, source) of every call of `.transaction(`, `X.read()` on a vault, and every read of
    a vault's `.engine` or `.actor`."""
    out = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Attribute):
            owner = ast.unparse(node.value)
            if node.attr == "transaction" or (
                    node.attr in ("read", "engine", "actor") and "vault" in owner.lower()):
                out.append((node.lineno, ast.unparse(node)))
    return out


def test_only_services_open_connections_and_transactions() -> None:
    allowed = ("services/", "store/", "vault.py", "demo/")
    bad = [f"{_rel(m)}:{line}: {src}" for m, path in MODULES.items()
           if not _rel(m).startswith(allowed) and not _rel(m).startswith("cli/")
           for line, src in _calls(path) if not src.endswith(".actor")]
    assert not bad, "\n".join(bad)


def test_services_are_told_the_actor_and_never_guess_it() -> None:
    # Only an edge (the CLI, the demo) decides who acts: it reads the configured actor.
    bad = [f"{_rel(m)}:{line}: {src}" for m, path in MODULES.items()
           if not _rel(m).startswith(("cli/", "demo/", "vault.py"))
           for line, src in _calls(path) if src.endswith(".actor")]
    assert not bad, "\n".join(bad)


FLAG = re.compile(r"(?<![\w`-])--[a-z][a-z-]+")


def _raised_texts(path: Path) -> list[tuple[int, str]]:
    out = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call):
            for arg in [*node.exc.args, *(k.value for k in node.exc.keywords)]:
                for part in ast.walk(arg):
                    if isinstance(part, ast.Constant) and isinstance(part.value, str):
                        out.append((node.lineno, part.value))
    return out


def test_no_service_message_names_a_cli_flag() -> None:
    bad = [f"{_rel(m)}:{line}: {text!r}" for m, path in MODULES.items()
           if not _rel(m).startswith(("cli/", "demo/"))
           for line, text in _raised_texts(path) if FLAG.search(text)]
    assert not bad, "\n".join(bad)


def test_every_module_stays_small() -> None:
    big = {_rel(m): n for m, p in MODULES.items() if (n := len(p.read_text().splitlines())) > 400}
    assert not big, big


def test_every_public_service_function_is_typed_and_documented() -> None:
    bad = []
    for name, path in MODULES.items():
        if not name.startswith("hallmark.services."):
            continue
        for node in ast.parse(path.read_text()).body:
            if isinstance(node, ast.FunctionDef) and not node.name.startswith("_"):
                args = [*node.args.posonlyargs, *node.args.args, *node.args.kwonlyargs]
                if (ast.get_docstring(node) is None or node.returns is None
                        or any(a.annotation is None for a in args)):
                    bad.append(f"{_rel(name)}:{node.lineno} {node.name}")
    assert not bad, bad
