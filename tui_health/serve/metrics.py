"""The Prometheus / OpenMetrics exporter's metrics, with ``prometheus_client`` (the formats are not ours to write).

What a scrape reads now (component status, rate-limit headroom, outbox, incidents, the threshold, the last good
poll) is collected from each target's latest MonitorState at scrape time; what accumulates (poll and request
durations, poll errors, alerts sent and refused) is counted as polls and audit events happen. Names follow
Prometheus' conventions: a ``tui_health_`` prefix, base units in the name (``_seconds``, ``_ratio``), counters
ending in ``_total``, no ``_created`` series (they double every counter's and histogram's series, and Prometheus reads a
counter's reset from the counter itself). A component's status carries only ``target`` and ``component``; its
name, group, source and kind (``platform`` for the platform's own) are in ``tui_health_component_info`` (value 1),
joined by ``component`` — so a renamed component keeps its status series. ``tui_health_component_held`` (value 1,
with a ``reason``) names each component whose pages tui-health holds (silenced, in a maintenance window, caused by
a dependency that is down, flapping), so the shipped rules leave them out. Every series but
``tui_health_build_info`` has a ``target`` label.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from prometheus_client import CollectorRegistry, Counter, Histogram, ProcessCollector, disable_created_metrics
from prometheus_client.core import GaugeMetricFamily, InfoMetricFamily, Metric
from prometheus_client.registry import Collector

from tui_health import __version__
from tui_health.model.domain import AuditEvent, EventType, Snapshot, Status
from tui_health.model.held import held_for

if TYPE_CHECKING:
    from tui_health.monitor.monitor import Monitor

LEVEL = {Status.HEALTHY: 0, Status.MAINTENANCE: 1, Status.UNKNOWN: 2, Status.DEGRADED: 3, Status.DOWN: 4}
"""``tui_health_component_status``: higher is worse (healthy 0, maintenance 1, unknown 2, degraded 3, down 4)."""
POLL_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)
REQUEST_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
INFO_LABELS = ["target", "component", "name", "group", "source", "kind"]
PLATFORM = "platform"
"""The ``kind`` of a component that has none (the platform's own), as the console's kind filter and a
``[[maintenance]]`` window's ``kinds`` call it."""


class Exporter:
    """The metrics of every monitor given; each monitor tells it of its polls and events."""

    def __init__(self, monitors: Sequence[Monitor]) -> None:
        self.monitors = list(monitors)
        disable_created_metrics()  # process-wide, and only the exporter uses prometheus_client
        self.registry = CollectorRegistry(auto_describe=True)
        self.poll_seconds = Histogram(
            "tui_health_poll_duration_seconds",
            "Wall time of a whole poll (every source, retries and waits included).",
            ["target"],
            buckets=POLL_BUCKETS,
            registry=self.registry,
        )
        self.request_seconds = Histogram(
            "tui_health_request_duration_seconds",
            "Latency of one HTTP request (one attempt) to a source.",
            ["target", "source"],
            buckets=REQUEST_BUCKETS,
            registry=self.registry,
        )
        self.poll_errors = Counter(
            "tui_health_poll_errors",
            "Polls of a source that failed, by error kind (auth, network, api, rate_limited, empty, ...).",
            ["target", "source", "kind"],
            registry=self.registry,
        )
        self.alerts_sent = Counter(
            "tui_health_alerts_sent",
            "Alert messages a receiver accepted (2xx).",
            ["target", "sink"],
            registry=self.registry,
        )
        self.alerts_failed = Counter(
            "tui_health_alerts_failed",
            "Alert messages a receiver refused for good (kept in the outbox as failed).",
            ["target", "sink"],
            registry=self.registry,
        )
        self.registry.register(StateCollector(self.monitors))
        ProcessCollector(registry=self.registry)  # process_resident_memory_bytes, process_open_fds, …
        for monitor in self.monitors:
            monitor.observers.append(self)

    # -- what the monitors tell -----------------------------------------------------------------------
    def polled(self, monitor: Monitor, snapshot: Snapshot) -> None:
        target = monitor.region
        self.poll_seconds.labels(target).observe(snapshot.total_ms / 1000)
        for source in snapshot.sources:
            for timing in source.timings:
                self.request_seconds.labels(target, source.name).observe(timing.ms / 1000)
            if not source.ok:
                self.poll_errors.labels(target, source.name, source.error_kind or "error").inc()

    def recorded(self, monitor: Monitor, events: list[AuditEvent]) -> None:
        for event in events:
            if event.event_type == EventType.ALERT_DELIVERED:
                self.alerts_sent.labels(monitor.region, event.sink or event.source or "?").inc()
            elif event.event_type == EventType.ALERT_FAILED:
                self.alerts_failed.labels(monitor.region, event.sink or event.source or "?").inc()


class StateCollector(Collector):
    """The gauges, read from each target's latest state at scrape time."""

    def __init__(self, monitors: Sequence[Monitor]) -> None:
        self.monitors = monitors

    def collect(self) -> Iterable[Metric]:
        build = InfoMetricFamily(
            "tui_health_build", "The running tui-health.", value={"version": __version__}
        )
        level = GaugeMetricFamily(
            "tui_health_component_status",
            "Confirmed status of a component: healthy 0, maintenance 1, unknown 2, degraded 3, down 4.",
            labels=["target", "component"],
        )
        info = InfoMetricFamily(
            "tui_health_component",
            "What a component is (name, group, source, kind); join on component for readable labels.",
            labels=INFO_LABELS,
        )
        held = GaugeMetricFamily(
            "tui_health_component_held",
            "1 while a component's pages are held, by reason: silence, maintenance, dependency, flapping.",
            labels=["target", "component", "reason"],
        )
        counts = GaugeMetricFamily(
            "tui_health_components", "Components by confirmed status.", labels=["target", "status"]
        )
        breached = GaugeMetricFamily(
            "tui_health_threshold_breached", "1 while the threshold is breached.", labels=["target"]
        )
        incidents = GaugeMetricFamily(
            "tui_health_incidents_open",
            "Open status page incidents and scheduled maintenances touching the target.",
            labels=["target", "kind"],
        )
        pending = GaugeMetricFamily(
            "tui_health_outbox_pending",
            "Alert messages waiting in the outbox for delivery.",
            labels=["target"],
        )
        refused = GaugeMetricFamily(
            "tui_health_outbox_failed",
            "Alert messages a receiver refused for good, kept in the outbox.",
            labels=["target"],
        )
        headroom = GaugeMetricFamily(
            "tui_health_rate_limit_remaining_ratio",
            "Share of the API's rate-limit window still free (inin-ratelimit-* headers), 0..1.",
            labels=["target", "source"],
        )
        last_ok = GaugeMetricFamily(
            "tui_health_last_successful_poll_timestamp_seconds",
            "Unix time of the last poll that got an answer.",
            labels=["target"],
        )
        for monitor in self.monitors:
            state = monitor.store.state
            target = state.region or monitor.region
            for c in state.components:
                level.add_metric([target, c.id], LEVEL[c.status])
                info.add_metric([target, c.id, c.name, c.group or "", c.source, c.kind or PLATFORM], {})
                for reason in held_for(c):
                    held.add_metric([target, c.id, reason], 1)
            for status, count in state.counts().items():
                counts.add_metric([target, status.value], count)
            breached.add_metric([target], int(state.breached))
            kinds = [str(i.get("kind", "incident")) for i in state.incidents]
            for kind in ("incident", "maintenance"):
                incidents.add_metric([target, kind], kinds.count(kind))
            pending.add_metric([target], state.outbox_pending)
            refused.add_metric([target], state.outbox_failed)
            for source in state.sources:
                if source.rate_limit is not None:
                    headroom.add_metric([target, source.name], source.rate_limit.left)
            if state.last_ok_at is not None:
                last_ok.add_metric([target], state.last_ok_at.timestamp())
        yield from (build, level, info, held, counts, breached, incidents)
        yield from (pending, refused, headroom, last_ok)
