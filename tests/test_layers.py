"""The floor plan (README "Layout"): every dependency points down, and no module imports itself back.

Imports are read from the source with `ast`, including those inside functions, where a loop between two
modules hides from Python's import machinery but not from a reader.
"""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# package -> layer; a module may import its own layer or lower ones, never a higher one
LAYERS = {"core": 0, "loaders": 1, "metrics": 2, "ops": 3, "ui": 4, "cli": 4, "pages": 5, "app": 6}
# the two `python -m` entry points only hand over to cli/ (the contract's command names stay)
ENTRY_POINTS = {"loaders.__main__", "metrics.__main__"}
# modules that may run SQL: storage and the modules owning their tables or queries
SQL_HOMES = {"core.storage", "core.auth", "core.audit", "loaders.store", "loaders.units", "metrics.scope",
             "metrics.engine", "metrics.history", "metrics.targets", "ops.maintenance",
             "ops.corrections", "metrics.narrative", "metrics.office_loop", "ops.review", "ops.reminders"}
SQL_CALLS = {"execute", "query_df", "query_rows", "query_value", "sql"}


def _modules() -> dict[str, Path]:
    out = {}
    for pkg in LAYERS:
        if pkg == "app":
            out["app"] = ROOT / "app.py"
            continue
        for path in sorted((ROOT / pkg).rglob("*.py")):
            rel = path.relative_to(ROOT).with_suffix("")
            name = ".".join(rel.parts)
            out[name.removesuffix(".__init__")] = path
    return out


MODULES = _modules()


def _imports(name: str, path: Path) -> set[str]:
    """Project modules imported anywhere in the file (top level or inside functions)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{a.name}" for a in node.names)
    return {m for m in found if m in MODULES and m != name}


GRAPH = {name: _imports(name, path) for name, path in MODULES.items()}


def _layer(module: str) -> int:
    return LAYERS[module.split(".", 1)[0]]


def test_every_package_is_placed():
    """A new top-level package must be given a layer before it can be imported."""
    packages = {p.name for p in ROOT.iterdir() if (p / "__init__.py").is_file()} - {"tests"}
    assert packages <= set(LAYERS), packages - set(LAYERS)


@pytest.mark.parametrize("module", sorted(MODULES))
def test_no_upward_import(module):
    """A lower layer never imports a higher one (core < loaders < metrics < ops < ui, cli < pages < app)."""
    if module in ENTRY_POINTS:
        assert GRAPH[module] <= {"cli.loaders_cmd", "cli.metrics_cmd"}
        return
    upward = sorted(m for m in GRAPH[module] if _layer(m) > _layer(module))
    assert not upward, f"{module} imports higher layers: {upward}"


def test_no_import_cycles():
    """No two modules reach each other, directly or through others (function-level imports included)."""
    index, low, stack, on_stack, cycles = {}, {}, [], set(), []
    counter = [0]

    def visit(v: str) -> None:  # Tarjan's strongly connected components
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in GRAPH[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                cycles.append(sorted(comp))

    for v in sorted(GRAPH):
        if v not in index:
            visit(v)
    assert not cycles, f"import cycles: {cycles}"


def test_streamlit_only_in_the_interface():
    """core, loaders, metrics and ops never import Streamlit: they serve the command line as well."""
    offenders = []
    for name, path in MODULES.items():
        if _layer(name) > LAYERS["ops"] or name in ENTRY_POINTS:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            if any(n == "streamlit" or n.startswith("streamlit.") for n in names):
                offenders.append(name)
    assert not offenders, offenders


def test_sql_runs_only_in_its_homes():
    """Only storage and the modules owning a table or a query run SQL; pages and views never do."""
    offenders = set()
    for name, path in MODULES.items():
        if name in SQL_HOMES:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in SQL_CALLS:
                # str.join and friends are not SQL; a call on a cursor or a database is
                owner = ast.unparse(node.func.value)
                if any(k in owner for k in ("db", "cur", "con", "cursor")):
                    offenders.add(f"{name}: {ast.unparse(node)[:80]}")
    assert not offenders, sorted(offenders)


def test_the_rule_catches_an_upward_import(tmp_path):
    """The checker itself: a core module importing metrics is seen."""
    bad = tmp_path / "bad.py"
    bad.write_text("def f():\n    from metrics import engine\n", encoding="utf-8")
    MODULES["core._probe"] = bad
    try:
        found = _imports("core._probe", bad)
    finally:
        del MODULES["core._probe"]
    assert "metrics.engine" in found and _layer("metrics.engine") > _layer("core._probe")
