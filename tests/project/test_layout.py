"""The layout's rules (README "Layout"), read from the source: every import counts — lazy ones inside functions and
those under ``TYPE_CHECKING`` too."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.paths import ROOT

PACKAGE = ROOT / "tui_health"

LAYERS = (
    "support",
    "model",
    "engine",
    "genesys",
    "sources",
    "alerts",
    "history",
    "settings",
    "report",
    "monitor",
    "serve",
    "simulator",
    "tui",
    "modes",
    "cli",
    "__main__",
)
"""Lowest first: a package may import its own and those before it, never one after it."""


SUBMODULES = {
    ".".join(p.relative_to(PACKAGE).with_suffix("").parts).removesuffix(".__init__")
    for p in PACKAGE.rglob("*.py")
}


def imports_of(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:  # `from pkg import module` imports the module; else the name is pkg's
                full = f"{node.module}.{alias.name}"
                found.add(full if full.removeprefix("tui_health.") in SUBMODULES else node.module)
    return found


def modules(under: str = "") -> list[Path]:
    return sorted((PACKAGE / under).rglob("*.py"))


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


ALL = {module_name(p): p for p in modules()}


def internal(path: Path) -> set[str]:
    """The tui_health modules ``path`` imports (a name that is not a module counts as its module)."""
    out = set()
    for name in imports_of(path):
        while name and name not in ALL:
            name = name.rpartition(".")[0]
        if name and name != "tui_health" and name != module_name(path):
            out.add(name)
    return out


def layer(module: str) -> str:
    return module.split(".")[1]


def offending(paths: list[Path], forbidden: tuple[str, ...]) -> dict[str, list[str]]:
    bad = {}
    for path in paths:
        hits = sorted(m for m in imports_of(path) if any(m == f or m.startswith(f + ".") for f in forbidden))
        if hits:
            bad[str(path.relative_to(PACKAGE))] = hits
    return bad


def test_every_package_has_its_place_in_the_layers():
    assert {layer(m) for m in ALL if m != "tui_health"} == set(LAYERS)


def test_no_import_circles_anywhere():
    graph = {m: internal(p) for m, p in ALL.items()}
    circles: list[list[str]] = []
    state: dict[str, int] = {}  # 1: on the path, 2: done

    def visit(module: str, path: list[str]) -> None:
        state[module] = 1
        for dep in sorted(graph[module]):
            if state.get(dep) == 1:
                circles.append([*path[path.index(dep) :], dep])
            elif dep not in state:
                visit(dep, [*path, dep])
        state[module] = 2

    for module in sorted(graph):
        if module not in state:
            visit(module, [module])
    assert circles == []


def test_no_package_imports_one_above_it():
    rank = {name: i for i, name in enumerate(LAYERS)}
    upward = sorted(
        f"{m} → {dep}"
        for m, p in ALL.items()
        if m != "tui_health"
        for dep in internal(p)
        if rank[layer(dep)] > rank[layer(m)]
    )
    assert upward == []


def test_only_the_modes_join_the_console_and_the_monitor():
    assert offending(modules("tui"), ("tui_health.monitor",)) == {}
    assert offending(modules("monitor"), ("tui_health.tui", "tui_health.modes")) == {}


def test_the_core_never_imports_textual():
    core = [p for p in modules() if p.relative_to(PACKAGE).parts[0] != "tui"]
    assert offending(core, ("textual",)) == {}


@pytest.mark.parametrize(
    ("package", "forbidden"),
    [
        ("engine", ("tui_health.settings", "httpx", "textual")),
        ("genesys", ("tui_health.engine", "tui_health.alerts", "textual")),
        # the history reads and writes its store and rebuilds states: never the network, settings or views
        ("history", ("httpx", "textual", "tui_health.tui", "tui_health.settings", "tui_health.alerts")),
        ("sources", ("tui_health.settings",)),  # the settings read the source registry, not the reverse
    ],
)
def test_packages_keep_to_their_side(package, forbidden):
    assert offending(modules(package), forbidden) == {}


def test_engine_parts_never_import_their_composer():
    parts = [p for p in modules("engine") if p.name not in ("engine.py", "__init__.py")]
    assert offending(parts, ("tui_health.engine.engine",)) == {}
    assert all("tui_health.engine" not in imports_of(p) for p in parts)  # the package itself, i.e. __init__


def test_no_module_is_a_house_of_its_own():
    """No module over 700 lines; the command line under 300 (each mode declares its own flags and run); the
    monitor under 500 (its rooms are modules of their own)."""
    sizes = {str(p.relative_to(PACKAGE)): len(p.read_text().splitlines()) for p in modules()}
    assert {name: n for name, n in sizes.items() if n > 700} == {}
    assert sizes["cli.py"] < 300 and sizes["monitor/monitor.py"] < 500


def test_no_two_modules_share_a_name_across_packages():
    """``metrics.py`` beside ``serve/metrics.py`` or ``state.py`` beside ``simulator/state.py`` sent readers to
    the wrong file; package ``__init__`` files and the registries' one-module-per-entry folders (sources,
    receivers, modes: each with its ``base.py`` protocol) aside."""
    plugins = {"sources", "sinks", "modes"}
    seen: dict[str, str] = {}
    clashes = []
    for path in modules():
        rel = path.relative_to(PACKAGE)
        if path.name == "__init__.py" or plugins & set(rel.parts[:-1]):
            continue
        if path.stem in seen:
            clashes.append(f"{seen[path.stem]} / {rel}")
        seen[path.stem] = str(rel)
    assert clashes == []


def test_the_monitor_is_handed_its_collaborators_not_patched_afterwards():
    """settle, the alert target and the history are constructor arguments; nothing sets them on a built Monitor."""
    import re

    patched = re.compile(r"\bmonitor\.(settle|alert_target|history|_recorder)\s*=(?!=)|\bkeep_history\(")
    roots = [PACKAGE, PACKAGE.parent / "tests", PACKAGE.parent / "scripts", PACKAGE.parent / "benchmarks"]
    found = [
        f"{path.name}:{number}"
        for root in roots
        for path in root.rglob("*.py")
        if path.name != "test_layout.py"
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if patched.search(line)
    ]
    assert found == []


def test_views_read_typed_extras_not_a_sources_raw_keys():
    """What a source tells beside its components is ``SourceResult.extras`` (model/extras.py); nobody digs in a
    dict of a source's own keys (an attached console's copy is derived from the typed fields too)."""
    import re

    raw = re.compile(r"\.extra(\[|\.get\(|\.items\()")
    found = [str(path.relative_to(PACKAGE)) for path in modules() if raw.search(path.read_text())]
    assert found == []
