"""Reload without a restart (SIGHUP, or ``POST /-/reload`` on a collector): the config is read again and each
running monitor takes its target's new settings — sinks, thresholds, maintenance windows, the sources' settings,
the interval — keeping its engine state, history, outbox and push channel. A config that does not parse (or a
target whose new settings cannot be built) keeps the old one running and says why: one line on stderr and a
``config_rejected`` audit event; a good one is audited as ``config_reloaded`` with what changed."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from tui_health.model.domain import AuditEvent, EventType
from tui_health.support.errors import ConfigError, TuiHealthError
from tui_health.support.timespec import duration_text

if TYPE_CHECKING:
    from tui_health.engine import EngineConfig
    from tui_health.engine.maintenance import Window
    from tui_health.sources.base import Source


class Reloadable(Protocol):
    """What a reload needs of a running monitor (:class:`~tui_health.monitor.monitor.Monitor` is one)."""

    @property
    def target_key(self) -> str: ...

    @property
    def region(self) -> str: ...

    def reconfigure(self, settings: Any) -> None: ...

    def config_rejected(self, line: str) -> None: ...


@dataclass(frozen=True, slots=True)
class Reconfigured:
    """What one target's new settings make, built before anything is swapped (so a failure swaps nothing)."""

    sources: list[Source]
    engine: EngineConfig
    sinks: list[Any] | None  # None: the settings name no sinks
    windows: tuple[Window, ...]
    interval: float
    deadline: float
    notes: list[str] = field(default_factory=list)
    start_delivery: Callable[[list[Any]], Any] | None = None
    """Makes a dispatcher for a first sink added by a reload (``None``: alerts are off, no outbox is open)."""


Rebuild = Callable[[Any], Reconfigured]
"""A target's rebuilder: new settings (of the same target) → what the monitor swaps in (raises when it cannot)."""


def reload_monitors(
    monitors: Sequence[Reloadable], load: Callable[[], Any], targets: Callable[[Any], dict[str, Any]]
) -> list[str]:
    """Read the config again (``load``), give every monitor its target's new settings (``targets``: new
    settings → target key → that target's settings). Returns one line per problem (empty when all went well)."""
    try:
        settings = load()
        by_key = targets(settings)
    except TuiHealthError as exc:
        line = f"the config was not reloaded ({exc.one_line()}); the running one is kept"
        for monitor in monitors:
            monitor.config_rejected(line)
        return [line]
    problems = []
    for monitor in monitors:
        new = by_key.get(monitor.target_key)
        if new is None:
            line = f"{monitor.region}: no longer in the config; it keeps running until a restart"
            monitor.config_rejected(line)
            problems.append(line)
            continue
        try:
            monitor.reconfigure(new)
        except TuiHealthError as exc:
            line = f"{monitor.region}: not reloaded ({exc.one_line()}); its running config is kept"
            monitor.config_rejected(line)
            problems.append(line)
    return problems


def reconfigure(monitor: Any, settings: Any) -> None:
    """Give ``monitor`` (a :class:`~tui_health.monitor.monitor.Monitor`: this module is below it) its target's new
    settings, keeping its engine state, history, outbox and push channel.
    Everything is built first: a failure (raised) changes nothing. Audited as ``config_reloaded`` with what
    changed."""
    from tui_health.sources.base import is_pushed

    if monitor.rebuild is None:
        raise ConfigError("this monitor cannot be reloaded")
    new = monitor.rebuild(settings)  # may raise: nothing swapped yet
    changes = list(new.notes)
    if new.engine != monitor.engine.config:
        monitor.engine.config = new.engine
        changes.append("thresholds")
    if new.windows != monitor.windows.windows:
        monitor.windows.windows = new.windows
        changes.append(f"{len(new.windows)} maintenance window(s)")
    if new.interval != monitor.configured_interval:
        changes.append(
            f"interval {duration_text(monitor.configured_interval)} → {duration_text(new.interval)}"
        )
        monitor.configured_interval = monitor.interval = new.interval
    monitor.poller.deadline = new.deadline
    delivery = monitor.delivery
    if delivery.dispatcher is not None:
        changes += delivery.dispatcher.replace_sinks(new.sinks or [])
    elif new.sinks and new.start_delivery is not None:
        delivery.dispatcher = new.start_delivery(new.sinks)  # the first sink: delivery starts now
        delivery.dispatcher.start()
        changes += [f"sink {sink.name} added" for sink in new.sinks]
    elif new.sinks:
        changes.append("alert sinks are configured, but alerts are off (alerts.enabled): nothing is sent")
    monitor.poller.sources = new.sources
    if monitor.push is not None:
        monitor.push.replace_sources([s for s in new.sources if is_pushed(s)])
    said = f": {'; '.join(changes)}" if changes else " (sources rebuilt, nothing else changed)"
    event = AuditEvent(
        timestamp=monitor.clock.now(), event_type=EventType.CONFIG_RELOADED, message=f"config reloaded{said}"
    )
    monitor.record([event])
