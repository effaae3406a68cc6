"""Where component health comes from: one module per source, and this registry.

A source module declares ``NAME``, ``NEEDS_CREDENTIALS``, optionally ``SECTION`` and ``Settings`` (its own config
section), and ``build(ctx)``; a new source is a new module and one line in :data:`SOURCES`. Config validation,
the wiring and ``config show`` read the registry. Every source implements :class:`base.Source`.
"""

from __future__ import annotations

from types import ModuleType

from tui_health.sources import health_api, operational_events, probe, statuspage

SOURCES: dict[str, ModuleType] = {m.NAME: m for m in (health_api, statuspage, probe, operational_events)}
"""Source name → module."""
