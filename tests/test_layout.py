"""The import rules of the layout (README "Layout"): read from the source, lazy imports included."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "tui_health"


def imports_of(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


def modules(under: str = "") -> list[Path]:
    return sorted((PACKAGE / under).rglob("*.py"))


def offending(paths: list[Path], forbidden: tuple[str, ...]) -> dict[str, list[str]]:
    bad = {}
    for path in paths:
        hits = sorted(m for m in imports_of(path) if any(m == f or m.startswith(f + ".") for f in forbidden))
        if hits:
            bad[str(path.relative_to(PACKAGE))] = hits
    return bad


def test_the_core_never_imports_textual():
    core = [p for p in modules() if "tui" not in p.relative_to(PACKAGE).parts[:1]]
    assert offending(core, ("textual",)) == {}


@pytest.mark.parametrize(
    ("package", "forbidden"),
    [
        ("engine", ("tui_health.config", "httpx", "textual")),
        ("genesys", ("tui_health.engine", "tui_health.alerts", "textual")),
        # the history reads and writes its store and rebuilds states: never the network, config or views
        ("history", ("httpx", "textual", "tui_health.tui", "tui_health.config", "tui_health.alerts")),
    ],
)
def test_packages_keep_to_their_side(package, forbidden):
    assert offending(modules(package), forbidden) == {}


def test_engine_parts_never_import_their_composer():
    parts = [p for p in modules("engine") if p.name not in ("engine.py", "__init__.py")]
    assert offending(parts, ("tui_health.engine.engine",)) == {}
    assert all("tui_health.engine" not in imports_of(p) for p in parts)  # the package itself, i.e. __init__
