"""The package's layers, read from ARCHITECTURE.md, and its imports: no cycle, nothing upward.

Every import inside the package counts, lazy ones in functions too; imports
under ``if TYPE_CHECKING:`` do not (they never run). ``from rivermap.maps
import _style`` imports ``rivermap.maps._style``; the parent package's
``__init__`` that Python runs first is not counted as an import of it.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "rivermap"
#: Third-party modules that draw: only the rendering layer and above may import them.
DRAWING = ("folium", "branca", "jinja2", "matplotlib")


def module_names() -> dict[str, Path]:
    """Map every module of the package (``rivermap.maps.web``, ``rivermap``) to its file."""
    out = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = path
    return out


def layers() -> list[tuple[str, list[str]]]:
    """Read the layer table of ARCHITECTURE.md: (layer, module patterns), top layer first."""
    text = (ROOT / "ARCHITECTURE.md").read_text(encoding="utf-8")
    table = text.split("<!-- layers -->")[1].split("<!-- /layers -->")[0]
    out = []
    for line in table.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) < 2 or not cells[1].startswith("`"):
            continue
        out.append((cells[0], re.findall(r"`([^`]+)`", cells[1])))
    return out


def layer_of(module: str, table: list[tuple[str, list[str]]]) -> int:
    """Return the rank of the layer holding ``module`` (0 is the bottom); KeyError if none."""
    for rank, (_, patterns) in enumerate(reversed(table)):
        for pattern in patterns:
            name = "rivermap" if pattern == "rivermap" else f"rivermap.{pattern}"
            if module == name or (name.endswith(".*") and module.startswith(name[:-1])):
                return rank
    raise KeyError(module)


def _type_checking_nodes(tree: ast.AST) -> set[int]:
    skip: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skip.update(id(n) for stmt in node.body for n in ast.walk(stmt))
    return skip


def imports_of(module: str, path: Path, modules: set[str]) -> set[str]:
    """Return the package modules and drawing libraries that ``module`` imports at run time."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skip = _type_checking_nodes(tree)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    out: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.Import):
            out.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{anchor}.{base}" if base else anchor
            for alias in node.names:
                sub = f"{base}.{alias.name}"
                out.add(sub if sub in modules else base)
    return {name for name in out if name in modules or name.split(".")[0] in DRAWING}


@pytest.fixture(scope="module")
def graph() -> dict[str, set[str]]:
    modules = module_names()
    return {m: imports_of(m, p, set(modules)) for m, p in modules.items()}


def test_every_module_has_a_layer(graph: dict[str, set[str]]) -> None:
    table = layers()
    assert table[0][0] == "faces"
    missing = []
    for module in graph:
        try:
            layer_of(module, table)
        except KeyError:
            missing.append(module)
    assert not missing, f"add these modules to the layer table of ARCHITECTURE.md: {missing}"


def test_no_module_imports_a_layer_above_its_own(graph: dict[str, set[str]]) -> None:
    table = layers()
    names = [name for name, _ in reversed(table)]
    upward = [
        f"{m} ({names[layer_of(m, table)]}) imports {d} ({names[layer_of(d, table)]})"
        for m, deps in graph.items()
        for d in deps
        if d.startswith("rivermap") and layer_of(d, table) > layer_of(m, table)
    ]
    assert not upward, "\n".join(upward)


def test_no_import_cycle(graph: dict[str, set[str]]) -> None:
    """Depth-first search for a back edge; the message shows the cycle."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(m: str) -> list[str] | None:
        state[m] = 1
        stack.append(m)
        for d in sorted(graph.get(m, ())):
            if not d.startswith("rivermap"):
                continue
            if state.get(d) == 1:
                return [*stack[stack.index(d) :], d]
            if d not in state and (cycle := visit(d)):
                return cycle
        stack.pop()
        state[m] = 2
        return None

    for m in sorted(graph):
        if m not in state and (cycle := visit(m)):
            pytest.fail("import cycle: " + " -> ".join(cycle))


def test_computation_never_draws(graph: dict[str, set[str]]) -> None:
    table = layers()
    rendering = [name for name, _ in table].index("rendering")
    top = len(table) - 1
    drawing = [
        f"{m} imports {d}"
        for m, deps in graph.items()
        if top - layer_of(m, table) > rendering  # below the rendering layer
        for d in deps
        if d.split(".")[0] in DRAWING
    ]
    assert not drawing, "\n".join(drawing)


def test_the_cycle_check_finds_a_cycle() -> None:
    """The checks themselves: a lazy import back up is an edge like any other."""
    code = "def f():\n    from rivermap import a\n"
    path = Path(__file__).parent / "data" / "_cycle_probe.py"
    try:
        path.write_text(code, encoding="utf-8")
        found = imports_of("rivermap.b", path, {"rivermap.a", "rivermap.b"})
    finally:
        path.unlink()
    assert found == {"rivermap.a"}
