"""Where component health comes from: one module per source, and this registry.

A source module declares everything about itself: ``NAME``, ``NEEDS_CREDENTIALS`` (it uses the API token),
optionally ``SECTION`` and ``Settings`` (its own config section), ``chosen(settings)`` (polled when none are
configured), ``hosts(settings)`` (by role), ``identity(settings)`` (what keys its target's saved state) and
``build(ctx)``. A new source is its module and one line in :data:`SOURCES`; the settings, targets, wiring,
template, ``--source`` help, ``config show`` and ``--demo`` read the registry. Every source implements
:class:`base.Source`.
"""

from __future__ import annotations

from collections.abc import Iterable
from types import ModuleType
from typing import Any

from tui_health.sources import edges, health_api, operational_events, probe, queues, statuspage, trunks
from tui_health.sources.base import SourceSettings

SOURCES: dict[str, ModuleType] = {
    m.NAME: m for m in (health_api, statuspage, probe, operational_events, edges, trunks, queues)
}
"""Source name → module."""


def uses_token(names: Iterable[str]) -> bool:
    """Whether any of these sources asks the org's API with the client credentials."""
    return any(SOURCES[n].NEEDS_CREDENTIALS for n in names if n in SOURCES)


def chosen(settings: SourceSettings) -> list[str]:
    """The sources polled when none are configured, in registry order (each module says when it is picked)."""
    return [name for name, module in SOURCES.items() if module.chosen(settings)]


def hosts(names: Iterable[str], settings: SourceSettings) -> dict[str, str]:
    """The hosts these sources talk to, by role."""
    out: dict[str, str] = {}
    for name in names:
        if name in SOURCES:
            out.update(SOURCES[name].hosts(settings))
    return out


def identity(names: Iterable[str], settings: SourceSettings) -> dict[str, Any]:
    """What distinguishes a target polling these sources, merged over them (the target key is a hash of it)."""
    out: dict[str, Any] = {}
    for name in names:
        if name in SOURCES:
            out.update(SOURCES[name].identity(settings))
    return out
