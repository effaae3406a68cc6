"""Wires monitors from settings: per target a connection, audit log, outbox, sinks, dispatcher, engine, saved state."""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import AsyncExitStack, asynccontextmanager
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx

from tui_health import __version__
from tui_health.alerts.subject import AlertTarget
from tui_health.engine import EngineConfig, ThresholdEngine, ThresholdRule
from tui_health.genesys.regions import genesys_domain, region_of
from tui_health.genesys.transport import Sleep
from tui_health.model.domain import AuditEvent
from tui_health.model.state import StatePublisher
from tui_health.monitor.audit import AuditLog
from tui_health.monitor.core import Connection, connect
from tui_health.monitor.engine_state import EngineStateStore
from tui_health.monitor.monitor import Monitor, Poller
from tui_health.settings.config import Settings, ThresholdSettings
from tui_health.settings.target import Target, targets_from
from tui_health.sources import hosts, module
from tui_health.sources.base import is_pushed
from tui_health.sources.shared import SharedFetches
from tui_health.support.clock import Clock, SystemClock
from tui_health.support.disk import StorageHealth
from tui_health.support.errors import ConfigError
from tui_health.support.lock import InstanceLock
from tui_health.support.redact import SECRETS, Redactor
from tui_health.support.retry import Backoff
from tui_health.support.urls import netloc

if TYPE_CHECKING:
    from tui_health.alerts.dispatcher import Dispatcher
    from tui_health.alerts.sinks import Sink
    from tui_health.genesys.notifications import Listener
    from tui_health.history.recorder import Recorder
    from tui_health.history.writer import HistoryWriter
    from tui_health.monitor.push import PushHub
    from tui_health.monitor.reload import Reconfigured


def redactor_for(settings: Settings) -> Redactor:
    """The process's redactor, taught every secret the settings hold, so none of them can reach an output."""
    for secret in (settings.auth.client_secret, settings.alerts.webhook_token):
        if secret is not None:
            SECRETS.add(secret.get_secret_value())
    for sink in settings.alerts.sinks:
        for secret_value in sink.secrets:
            SECRETS.add(secret_value)
    return SECRETS


@asynccontextmanager
async def open_monitors(
    settings: Settings,
    *,
    config_path: Path,
    clock: Clock | None = None,
    sleep: Sleep | None = None,
    stateless: bool = False,
    read_only: bool = False,
    only: Sequence[str] = (),
) -> AsyncIterator[list[Monitor]]:
    """One ready Monitor per target the settings describe, each with its own publisher.

    ``stateless`` (``--once``) neither restores nor saves the engine's state and takes no lock. Otherwise the
    state directory is locked for this process (one instance per state directory), unless ``read_only``: then
    nothing is written at all (no audit lines, no saved state, no alerts) and no lock is needed.
    """
    lock = None
    if not stateless and not read_only:
        lock = InstanceLock(settings.state_dir).acquire()
    try:
        async with AsyncExitStack() as stack:
            targets = targets_from(settings, dict(os.environ), only)
            if lock is not None:  # `tui-health silence` and doctor read which targets run here
                lock.announce({t.key: t.name for t in targets})
            # targets watching the same status page share one download per poll
            shared = SharedFetches(max_age=min(5.0, settings.poll.interval / 2)) if len(targets) > 1 else None
            monitors = [
                await stack.enter_async_context(
                    _monitor(
                        target, config_path, clock or SystemClock(), sleep, stateless, read_only, shared, lock
                    )
                )
                for target in targets
            ]
            yield monitors
    finally:
        if lock is not None:
            lock.release()


@asynccontextmanager
async def open_monitor(
    settings: Settings,
    *,
    config_path: Path,
    clock: Clock | None = None,
    sleep: Sleep | None = None,
    stateless: bool = False,
    read_only: bool = False,
) -> AsyncIterator[Monitor]:
    """The Monitor of the first target (tests of one target); see :func:`open_monitors`."""
    async with open_monitors(
        settings, config_path=config_path, clock=clock, sleep=sleep, stateless=stateless, read_only=read_only
    ) as monitors:
        yield monitors[0]


def engine_config(t: ThresholdSettings, repeat_interval: float) -> EngineConfig:
    """The engine's configuration from the settings (the engine itself knows nothing of config files)."""
    return EngineConfig(
        rule=ThresholdRule(t.min_down, t.min_degraded, frozenset(t.critical)),
        flap_interval=t.flap_interval,
        flapping_window=t.flapping_window,
        flapping_changes=t.flapping_changes,
        dependencies={k: tuple(v) for k, v in t.dependencies.items()},
        repeat_interval=repeat_interval,
    )


@asynccontextmanager
async def _monitor(
    target: Target,
    config_path: Path,
    clock: Clock,
    sleep: Sleep | None,
    stateless: bool,
    read_only: bool,
    shared: SharedFetches | None = None,
    lock: InstanceLock | None = None,
) -> AsyncIterator[Monitor]:
    """The Monitor of one target: its connection (token, budget), audit log, outbox, engine and saved state."""
    settings = target.settings
    assert settings is not None
    redactor = redactor_for(settings)
    audit = AuditLog(
        settings.audit.resolved_path,
        max_bytes=settings.audit.max_bytes,
        backups=settings.audit.backups,
        redactor=redactor,
        storage=StorageHealth(),
        read_only=read_only,
    )
    async with connect(
        settings, config_path=config_path, clock=clock, sleep=sleep, on_token=redactor.add, shared=shared
    ) as conn:
        alerts = settings.alerts
        outbox = None
        if alerts.enabled and not read_only:
            from tui_health.alerts.outbox import Outbox  # optional features load only when used

            outbox = Outbox(settings.outbox_path)
        alert_http: httpx.AsyncClient | None = None
        monitor: Monitor | None = None
        saved = None if stateless or read_only else EngineStateStore(settings.state_dir / "state.sqlite3")
        history = None if read_only or not settings.history.enabled else open_history(target, audit.storage)

        def on_delivery(events: list[AuditEvent]) -> None:
            if monitor is not None:
                monitor.record(events)

        def on_change() -> None:
            if monitor is not None:
                monitor.record([])  # publishes the outbox's new counts

        alert_target = alert_target_of(target)
        dispatcher: Dispatcher | None = None

        def start_delivery(sinks: list[Any]) -> Dispatcher:
            """A dispatcher for ``sinks`` over the outbox (at start, or when a reload adds the first sink)."""
            nonlocal alert_http, dispatcher
            from tui_health.alerts.dispatcher import Dispatcher

            assert outbox is not None
            # receivers get their own client (a slow one never holds up polling), sharing the TLS setup
            alert_http = httpx.AsyncClient(
                verify=conn.tls,
                headers={"User-Agent": f"tui-health/{__version__}", "Content-Type": "application/json"},
            )
            dispatcher = Dispatcher(
                sinks,
                outbox,
                alert_http,
                clock,
                on_delivery,
                backoff=Backoff(base=alerts.retry_base, cap=alerts.retry_cap),
                resend_interval=alerts.resend_interval,
                permanent_after=alerts.permanent_after,
                storage=audit.storage,
                on_change=on_change,
                held_elsewhere=[audit.path.parent],  # when beside the outbox cannot be written at stop
            )
            return dispatcher

        try:
            if outbox is not None and alerts.sinks:
                start_delivery(sinks_for(settings, alert_target))
            engine = ThresholdEngine(engine_config(settings.thresholds, alerts.repeat_interval), clock)
            monitor = Monitor(
                Poller(conn.sources, deadline=settings.poll.deadline, clock=clock),
                engine,
                audit,
                StatePublisher(),
                clock=clock,
                interval=settings.poll.interval,
                target=target,
                dispatcher=dispatcher,
                outbox=outbox,
                saved=saved,
                absent_is_healthy=bool(settings.poll.status),
                min_gap=settings.poll.min_gap,
                storage=audit.storage,
                budget=conn.budget,
                lock=lock,
                alert_target=alert_target,
                history=history,
                remember=not stateless,
                settle=not stateless,  # --once ends after one poll: nothing to settle
                push=None if stateless or read_only else push_hub(conn, settings, clock),
                maintenance=tuple(w.window() for w in settings.maintenance),
                requests_from=settings.state_dir if lock is not None else None,
                rebuild=partial(_rebuild, conn, alert_target, start_delivery if outbox is not None else None),
            )
            yield monitor
        finally:
            if monitor is not None and monitor.push is not None:
                await monitor.push.stop()  # before the HTTP client closes under the channel
            if history is not None:
                history[0].close()
            await asyncio.to_thread(audit.close, 5.0)  # what was handed over is written (or said stuck)
            if alert_http is not None:
                await alert_http.aclose()
            if dispatcher is not None:
                await dispatcher.shutdown()
            if outbox is not None and (dispatcher is None or dispatcher.closed):
                outbox.close()  # never under the outbox's thread while it is still inside SQLite
            if saved is not None:
                saved.close()


def sinks_for(settings: Settings, target: AlertTarget) -> list[Sink]:
    """The alert sinks ``settings`` configure, naming ``target``, with every secret they hold known to the
    redactor (at start, at a reload, and for ``doctor``)."""
    from tui_health.alerts.sinks import build_sinks

    redactor_for(settings)
    alerts = settings.alerts
    token = alerts.webhook_token.get_secret_value() if alerts.webhook_token else None
    return build_sinks(alerts.sinks, token, target)


def _rebuild(
    conn: Connection,
    alert_target: AlertTarget,
    start_delivery: Callable[[list[Any]], Dispatcher] | None,
    new: Settings,
) -> Reconfigured:
    """What a reloaded config's settings of a running target mean: its sources built anew on the same
    connection and token, its thresholds, sinks, maintenance windows and interval. Raises ConfigError when the
    new settings need what only a restart gives (credentials where there were none)."""
    from tui_health.monitor.reload import Reconfigured
    from tui_health.sources import uses_token

    if uses_token(new.sources()) and conn.tokens is None:
        raise ConfigError("the new sources need credentials this process was not started with: restart it")
    return Reconfigured(
        sources=conn.sources_for(new),
        engine=engine_config(new.thresholds, new.alerts.repeat_interval),
        sinks=sinks_for(new, alert_target) if new.alerts.enabled and new.alerts.sinks else None,
        windows=tuple(w.window() for w in new.maintenance),
        interval=new.poll.interval,
        deadline=new.poll.deadline,
        start_delivery=start_delivery,
    )


def reload_all(monitors: Sequence[Monitor], reread: Callable[[], Settings], only: Sequence[str]) -> list[str]:
    """SIGHUP / ``POST /-/reload``: the config read again and handed to every running monitor (see
    :mod:`tui_health.monitor.reload`)."""
    from tui_health.monitor.reload import reload_monitors

    def targets(settings: Settings) -> dict[str, Settings]:
        return {t.key: t.settings for t in targets_from(settings, dict(os.environ), only) if t.settings}

    return reload_monitors(monitors, reread, targets)


def push_hub(conn: Connection, settings: Settings, clock: Clock) -> PushHub | None:
    """The notification channel's hub for the sources that take pushed changes, if any and ``push.enabled``."""
    pushed = [s for s in conn.sources if is_pushed(s)]
    if not pushed or not settings.push.enabled or conn.tokens is None or conn.budgeted is None:
        return None
    from tui_health.genesys.channel_api import ChannelService
    from tui_health.genesys.client import ApiClient
    from tui_health.genesys.notifications import NotificationChannel
    from tui_health.monitor.push import PushHub

    service = ChannelService(
        ApiClient(conn.budgeted, conn.tokens, settings.api_url), timeout=settings.poll.timeout
    )
    push = settings.push
    needs = " or ".join(sorted({p for s in pushed if (m := module(s.name)) and (p := m.PERMISSION)}))

    def new_channel(listener: Listener) -> NotificationChannel:
        return NotificationChannel(
            service,
            listener,
            api_url=settings.api_url,
            clock=clock,
            max_frame=push.max_frame,
            heartbeat_timeout=push.heartbeat_timeout,
            renew_margin=push.renew_margin,
            backoff=Backoff(base=push.retry_base, cap=push.retry_cap),
            refused_wait=push.refused_wait,
            timeout=settings.poll.timeout,
            tls=conn.tls,
            permission_hint=needs,
        )

    return PushHub(pushed, new_channel, service.catalogue)  # type: ignore[arg-type]


def open_history(target: Target, storage: StorageHealth) -> tuple[HistoryWriter, Recorder] | None:
    """The target's history writer and recorder; ``None`` (reported as a storage problem, monitoring goes on)
    when the store cannot be opened."""
    from tui_health.history import session
    from tui_health.history.store import HistoryError

    settings = target.settings
    assert settings is not None
    try:
        return session.open_history(
            settings.history_path(target.key),
            retention=settings.history.retention,
            interval=settings.poll.interval,
            about=json.dumps({"name": target.name, "hosts": target.hosts, "sources": list(target.sources)}),
        )
    except HistoryError as exc:
        storage.failing("history store", f"{exc}; monitoring goes on without history")
        return None


def alert_target_of(target: Target) -> AlertTarget:
    """What alerts about ``target`` say it is: its name and key, region, host, and where to look."""
    settings = target.settings
    assert settings is not None
    where = hosts(target.sources, settings)
    home = where.get("api") or where.get("statuspage") or settings.api_url
    genesys = genesys_domain(settings.api_url)
    return AlertTarget(
        name=target.name,
        key=target.key,
        region=region_of(genesys) if genesys else target.name,
        host=netloc(home),
        link=where.get("statuspage"),  # a page people can open
        url=home,
    )
