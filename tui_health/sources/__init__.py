"""Where component health comes from: one module per source, and this registry.

A source module declares everything about itself (:class:`~tui_health.sources.base.SourceModule`): its name, its
config section and template block, the kinds of component it makes, the permission it needs, the hosts it talks
to, what keys its target, what it does in ``--demo`` and ``history``, and ``build``. A new source is its module and
its line in :data:`BUILTIN` — or, from another package, its module registered in that package's
``[project.entry-points."tui_health.sources"]``, with no file of tui-health touched. The settings, targets, wiring,
template, ``--source``, ``config show``, ``doctor`` and ``--demo`` read this registry, never a source's name.

Plug-ins are read from the entry points only when something asks for a source that is not built in (or for every
source: ``--help``, the template, ``config show``), so a run of built-in sources never pays for the lookup. A
plug-in that does not load, or is not a :class:`SourceModule`, is left out and said (:func:`problems`).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from tui_health.sources import (
    data_actions,
    edges,
    health_api,
    integrations,
    operational_events,
    phones,
    probe,
    queues,
    statuspage,
    trunks,
)
from tui_health.sources.base import SourceModule, SourceSettings, conforms

GROUP = "tui_health.sources"
"""The entry-point group a package registers its sources in."""

_BUILTIN: tuple[SourceModule, ...] = (
    health_api,
    statuspage,
    probe,
    operational_events,
    edges,
    trunks,
    queues,
    phones,
    integrations,
    data_actions,
)
"""The built-in source modules, in the order they are offered (mypy checks each against :class:`SourceModule`)."""
BUILTIN: dict[str, SourceModule] = {m.NAME: m for m in _BUILTIN}

_plugins: dict[str, SourceModule] | None = None
_problems: list[str] = []


def load_plugins() -> dict[str, SourceModule]:
    """The sources other packages register (``tui_health.sources`` entry points), loaded once."""
    global _plugins
    if _plugins is not None:
        return _plugins
    from importlib.metadata import entry_points

    found: dict[str, SourceModule] = {}
    for point in entry_points(group=GROUP):
        where = f"{point.name} = {point.value}" + (f" ({point.dist.name})" if point.dist else "")
        try:
            module = point.load()
        except Exception as exc:  # a broken plug-in is said, never a traceback, and the rest go on
            _problems.append(f"source plug-in {where} does not load: {type(exc).__name__}: {exc}")
            continue
        missing = conforms(module)
        if missing:
            _problems.append(f"source plug-in {where} is not a source module: {'; '.join(missing)}")
        elif module.NAME in BUILTIN or module.NAME in found:
            _problems.append(f"source plug-in {where} is named {module.NAME!r}, which is taken")
        else:
            found[module.NAME] = module
    _plugins = found
    return found


def problems() -> list[str]:
    """Why plug-ins were left out (``doctor`` and ``config show`` say it)."""
    load_plugins()
    return list(_problems)


def modules(*, plugins: bool = True) -> dict[str, SourceModule]:
    """Every source module by name: the built-in ones, then (``plugins``) those of other packages."""
    return {**BUILTIN, **load_plugins()} if plugins else dict(BUILTIN)


def module(name: str) -> SourceModule | None:
    """The module of ``name``: a built-in one without looking further, else a plug-in's."""
    return BUILTIN.get(name) or load_plugins().get(name)


def selected(names: Iterable[str]) -> list[SourceModule]:
    """The modules of ``names`` that exist (unknown names are the settings' business to refuse)."""
    return [m for m in map(module, names) if m is not None]


class Names:
    """Every source name, for ``--source`` choices: a built-in name is found without reading the plug-ins; only
    listing them all (``--help``, completions) or an unknown name reads them."""

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and module(name) is not None

    def __iter__(self) -> Iterator[str]:
        return iter(modules())

    def __len__(self) -> int:
        return len(modules())


def uses_token(names: Iterable[str]) -> bool:
    """Whether any of these sources asks the org's API with the client credentials."""
    return any(m.NEEDS_CREDENTIALS for m in selected(names))


def chosen(settings: SourceSettings) -> list[str]:
    """The sources polled when none are configured, in registry order (each module says when it is picked)."""
    return [name for name, m in BUILTIN.items() if m.chosen(settings)]


def hosts(names: Iterable[str], settings: SourceSettings) -> dict[str, str]:
    """The hosts these sources talk to, by role."""
    out: dict[str, str] = {}
    for m in selected(names):
        out.update(m.hosts(settings))
    return out


def identity(names: Iterable[str], settings: SourceSettings) -> dict[str, Any]:
    """What distinguishes a target polling these sources, merged over them (the target key is a hash of it)."""
    out: dict[str, Any] = {}
    for m in selected(names):
        out.update(m.identity(settings))
    return out


def kinds(*, plugins: bool = True) -> tuple[str, ...]:
    """Every kind of component a source makes, and ``platform`` (the platform's own components)."""
    return ("platform", *dict.fromkeys(k for m in modules(plugins=plugins).values() for k in m.KINDS))


def forget_plugins() -> None:
    """Read the entry points again at the next ask (a plug-in installed while this process runs: tests)."""
    global _plugins
    _plugins = None
    _problems.clear()
