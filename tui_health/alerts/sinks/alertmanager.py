"""Prometheus Alertmanager: ``POST /api/v2/alerts``, firing alerts re-sent while they fire (it expects that)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from tui_health.alerts.sinks.base import (
    SOURCE,
    THRESHOLD_TYPES,
    UNNAMED,
    AlertTarget,
    Firing,
    Message,
    SinkSettingsBase,
    batch_key,
    components_of,
    summarize,
)
from tui_health.model.domain import AuditEvent, EventType
from tui_health.support.clock import rfc3339

TEMPLATE = """\
# [[alerts.sinks]]
# type = "alertmanager"
# name = "am"
# url = "http://alertmanager.example.com:9093"
"""
"""This receiver in ``config init``'s template (commented: a receiver is added on purpose)."""


class AlertmanagerSettings(SinkSettingsBase):
    type: Literal["alertmanager"]
    url: str


AM_SEVERITY = {"down": "critical", "degraded": "warning"}


class AlertmanagerSink:
    """``POST /api/v2/alerts``: firing alerts with ``startsAt``; resolved ones with ``endsAt``; re-sent while firing."""

    kind = "alertmanager"

    def __init__(self, name: str, url: str, target: AlertTarget = UNNAMED) -> None:
        self.name = name
        self.target = target
        base = url.rstrip("/")
        self.url = base if base.endswith("/api/v2/alerts") else base + "/api/v2/alerts"

    def alert(
        self,
        component: str,
        name: str,
        status: str,
        starts: datetime,
        ends: datetime | None,
        summary: str,
        critical: bool = False,
        *,
        link: str | None = None,
        now_status: str | None = None,
    ) -> dict[str, Any]:
        """One alert: labels identify it (component, the problem's status as severity, the target); ``starts``
        is when the condition began — the same in the first post, every re-send and the resolve; ``ends`` (and
        ``now_status``, what it turned into) only on a resolve."""
        if component == "threshold":
            alertname, severity = "GenesysHealthThresholdBreached", "critical"
        else:
            alertname = "GenesysComponentUnhealthy"
            severity = "critical" if critical else AM_SEVERITY.get(status, "warning")
        resolved = ends is not None
        where = f"{self.target.label()}, {self.target.host}"
        if component == "threshold":
            description = f"health threshold {'resolved' if resolved else 'breached'} ({where})"
        elif resolved:
            description = f"{name} ({component}) is {now_status or 'healthy'} again, was {status} ({where})"
        else:
            description = f"{name} ({component}) is {status} ({where})"
        alert: dict[str, Any] = {
            "labels": {
                "alertname": alertname,
                "component": component,
                "severity": severity,
                "source": SOURCE,
                "target": self.target.name,  # two instances watching other regions never merge alerts
                "region": self.target.region,
            },
            "annotations": {
                "summary": summary,
                "description": description,
                "status": "resolved" if resolved else status,
                **({"org": self.target.org} if self.target.org else {}),
                **({"link": self.target.link} if self.target.link else {}),
            },
            "startsAt": rfc3339(starts),
            "generatorURL": self.target.back_link(link),
        }
        if ends is not None:
            alert["endsAt"] = rfc3339(ends)
        return alert

    def messages(self, events: list[AuditEvent], now: datetime) -> list[Message]:
        alerts = []
        for e in events:
            if e.event_type == EventType.COMPONENT_HEALTH_CHANGE:
                cid = e.component_ids[0]
                name = e.name or cid
                critical = e.severity == "critical"
                if e.previous_status in ("down", "degraded") and e.previous_status != e.status:
                    # the alert for the previous problem ends: same labels (its severity), its original start
                    alerts.append(
                        self.alert(
                            cid,
                            name,
                            str(e.previous_status),
                            e.previous_since or e.timestamp,
                            e.timestamp,
                            e.message,
                            critical and e.previous_status == "down",
                            link=e.link,
                            now_status=e.status,
                        )
                    )
                if e.status in ("down", "degraded"):
                    alerts.append(
                        self.alert(
                            cid,
                            name,
                            str(e.status),
                            e.since or e.timestamp,
                            None,
                            e.message,
                            critical,
                            link=e.link,
                        )
                    )
            elif e.event_type in THRESHOLD_TYPES:
                if e.event_type == EventType.THRESHOLD_RESOLVED:
                    starts, ends = e.previous_since or e.timestamp, e.timestamp
                else:
                    starts, ends = e.since or e.timestamp, None
                alerts.append(self.alert("threshold", "threshold", "breached", starts, ends, e.message))
        if not alerts:
            return []
        return [Message(batch_key(self.name, events), alerts, summarize(events), components_of(events))]

    def refresh(self, firing: list[Firing]) -> list[dict[str, Any]]:
        """The re-send Alertmanager expects for alerts still firing (same labels and start, no ``endsAt``)."""
        return [
            self.alert(f.component, f.name, f.status, f.since, None, f"{f.name} is {f.status}", f.critical)
            for f in firing
        ]

    def request(self, body: Any, key: str) -> tuple[str, dict[str, str], Any]:
        return self.url, {}, body


def build(
    settings: AlertmanagerSettings, default_token: str | None, target: AlertTarget = UNNAMED
) -> AlertmanagerSink:
    return AlertmanagerSink(settings.sink_name, settings.target_url, target)


Settings = AlertmanagerSettings
