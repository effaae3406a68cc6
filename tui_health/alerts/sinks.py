"""Alert sinks: each turns a poll's alert events into message bodies, and bodies into HTTP requests.

Bodies go into the outbox, so they hold no secret: tokens and routing keys are added when a request is built.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from tui_health.clock import rfc3339
from tui_health.config import SinkSettings
from tui_health.errors import ConfigError
from tui_health.models import AuditEvent, EventType
from tui_health.redact import redact_url

SOURCE = "tui-health"
THRESHOLD_TYPES = (EventType.THRESHOLD_BREACH, EventType.THRESHOLD_REMINDER, EventType.THRESHOLD_RESOLVED)


@dataclass(frozen=True, slots=True)
class Message:
    key: str  # unique per sink; the webhook's Idempotency-Key
    body: Any
    summary: str


@dataclass(frozen=True, slots=True)
class Firing:
    """An alert receivers currently believe is open (for Alertmanager's periodic re-sends)."""

    component: str  # component id, or "threshold"
    name: str
    status: str
    since: datetime
    critical: bool = False


class Sink(Protocol):
    name: str
    kind: str
    url: str

    def messages(self, events: list[AuditEvent], now: datetime) -> list[Message]: ...

    def request(self, message_body: Any, key: str) -> tuple[str, dict[str, str], Any]:
        """URL, headers and JSON body for one attempt (secrets added here)."""
        ...


def batch_key(sink: str, events: list[AuditEvent]) -> str:
    digest = hashlib.sha256((sink + "|" + "|".join(e.id for e in events)).encode()).hexdigest()
    return digest[:32]


def summarize(events: list[AuditEvent]) -> str:
    if len(events) == 1:
        return events[0].message
    return (
        f"{len(events)} alerts: "
        + "; ".join(e.message for e in events[:3])
        + ("; …" if len(events) > 3 else "")
    )


class WebhookSink:
    """The seed's payload: ``{"source", "timestamp", "logs": [audit events]}``, one POST per poll."""

    kind = "webhook"

    def __init__(self, name: str, url: str, token: str | None) -> None:
        self.name, self.url, self._token = name, url, token

    def messages(self, events: list[AuditEvent], now: datetime) -> list[Message]:
        body = {"source": SOURCE, "timestamp": rfc3339(now), "logs": [e.to_dict() for e in events]}
        return [Message(batch_key(self.name, events), body, summarize(events))]

    def request(self, body: Any, key: str) -> tuple[str, dict[str, str], Any]:
        headers = {"Idempotency-Key": key}
        if self._token:
            headers["Authorization"] = f"Bearer {self._token}"
        return self.url, headers, body


def _slack_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


SLACK_ICON = {"critical": ":red_circle:", "warning": ":large_yellow_circle:", "info": ":large_green_circle:"}


class SlackSink:
    """Slack incoming webhook: ``text`` (notification fallback) plus blocks, one POST per poll."""

    kind = "slack"

    def __init__(self, name: str, url: str) -> None:
        self.name, self.url = name, url

    def messages(self, events: list[AuditEvent], now: datetime) -> list[Message]:
        worst = (
            "critical"
            if any(e.severity == "critical" for e in events)
            else ("warning" if any(e.severity == "warning" for e in events) else "info")
        )
        title = f"Genesys Cloud health: {len(events)} alert{'s' if len(events) != 1 else ''}"
        lines = [f"{SLACK_ICON[str(e.severity)]} {_slack_escape(e.message)}" for e in events[:15]]
        if len(events) > 15:
            lines.append(f"…and {len(events) - 15} more")
        body = {
            "text": _slack_escape(
                f"{title}: " + "; ".join(e.message for e in events[:3]) + ("; …" if len(events) > 3 else "")
            ),
            "blocks": [
                {"type": "header", "text": {"type": "plain_text", "text": title[:150]}},
                {"type": "section", "text": {"type": "mrkdwn", "text": "\n".join(lines)[:3000]}},
                {
                    "type": "context",
                    "elements": [
                        {"type": "mrkdwn", "text": f"tui-health · {rfc3339(now)} · severity {worst}"}
                    ],
                },
            ],
        }
        return [Message(batch_key(self.name, events), body, summarize(events))]

    def request(self, body: Any, key: str) -> tuple[str, dict[str, str], Any]:
        return self.url, {}, body


PD_SEVERITY = {"critical": "critical", "down": "error", "degraded": "warning"}


class PagerDutySink:
    """Events API v2: ``trigger`` on a problem, ``resolve`` on recovery; ``dedup_key`` per component/threshold."""

    kind = "pagerduty"

    def __init__(self, name: str, url: str, routing_key: str) -> None:
        self.name, self.url, self._routing_key = name, url, routing_key

    @staticmethod
    def dedup_key(component: str | None) -> str:
        return f"tui-health/{component}" if component else "tui-health/threshold"

    def messages(self, events: list[AuditEvent], now: datetime) -> list[Message]:
        out = []
        for e in events:
            if e.event_type == EventType.COMPONENT_HEALTH_CHANGE:
                cid = e.component_ids[0]
                problem = e.status in ("down", "degraded")
                dedup = self.dedup_key(cid)
                severity = "critical" if e.severity == "critical" else PD_SEVERITY.get(str(e.status), "info")
            elif e.event_type in THRESHOLD_TYPES:
                cid = None
                problem = e.event_type != EventType.THRESHOLD_RESOLVED
                dedup = self.dedup_key(None)
                severity = "critical" if problem else "info"
            else:
                continue
            body: dict[str, Any] = {"event_action": "trigger" if problem else "resolve", "dedup_key": dedup}
            if problem:
                body["payload"] = {
                    "summary": e.message[:1024],
                    "source": SOURCE,
                    "severity": severity,
                    "timestamp": rfc3339(e.timestamp),
                    "component": cid or "threshold",
                    "group": e.source or "genesys-cloud",
                    "class": e.event_type,
                    "custom_details": {
                        k: v
                        for k, v in e.to_dict().items()
                        if k
                        in (
                            "status",
                            "previous_status",
                            "reasons",
                            "caused_by",
                            "poll_id",
                            "correlation_id",
                            "component_ids",
                        )
                    },
                }
            out.append(Message(e.id, body, e.message))
        return out

    def request(self, body: Any, key: str) -> tuple[str, dict[str, str], Any]:
        return self.url, {}, {"routing_key": self._routing_key, **body}


AM_SEVERITY = {"down": "critical", "degraded": "warning"}


class AlertmanagerSink:
    """``POST /api/v2/alerts``: firing alerts with ``startsAt``; resolved ones with ``endsAt``; re-sent while firing."""

    kind = "alertmanager"

    def __init__(self, name: str, url: str) -> None:
        self.name = name
        base = url.rstrip("/")
        self.url = base if base.endswith("/api/v2/alerts") else base + "/api/v2/alerts"

    @staticmethod
    def alert(
        component: str,
        name: str,
        status: str,
        starts: datetime,
        ends: datetime | None,
        summary: str,
        critical: bool = False,
    ) -> dict[str, Any]:
        if component == "threshold":
            alertname, severity = "GenesysHealthThresholdBreached", "critical"
        else:
            alertname = "GenesysComponentUnhealthy"
            severity = "critical" if critical else AM_SEVERITY.get(status, "warning")
        alert: dict[str, Any] = {
            "labels": {
                "alertname": alertname,
                "component": component,
                "severity": severity,
                "source": SOURCE,
            },
            "annotations": {"summary": summary, "description": f"{name}: {status}", "status": status},
            "startsAt": rfc3339(starts),
        }
        if ends is not None:
            alert["endsAt"] = rfc3339(ends)
        return alert

    def messages(self, events: list[AuditEvent], now: datetime) -> list[Message]:
        alerts = []
        for e in events:
            if e.event_type == EventType.COMPONENT_HEALTH_CHANGE:
                cid = e.component_ids[0]
                critical = e.severity == "critical"
                if e.previous_status in ("down", "degraded") and e.previous_status != e.status:
                    # the alert for the previous problem status ends (its severity label differs)
                    alerts.append(
                        self.alert(
                            cid,
                            cid,
                            str(e.previous_status),
                            e.timestamp,
                            e.timestamp,
                            e.message,
                            critical and e.previous_status == "down",
                        )
                    )
                if e.status in ("down", "degraded"):
                    alerts.append(self.alert(cid, cid, str(e.status), e.timestamp, None, e.message, critical))
            elif e.event_type in THRESHOLD_TYPES:
                ends = e.timestamp if e.event_type == EventType.THRESHOLD_RESOLVED else None
                alerts.append(
                    self.alert("threshold", "threshold", str(e.status), e.timestamp, ends, e.message)
                )
        if not alerts:
            return []
        return [Message(batch_key(self.name, events), alerts, summarize(events))]

    def refresh(self, firing: list[Firing]) -> list[dict[str, Any]]:
        """The re-send Alertmanager expects for alerts still firing (same labels, no ``endsAt``)."""
        return [
            self.alert(f.component, f.name, f.status, f.since, None, f"{f.name} is {f.status}", f.critical)
            for f in firing
        ]

    def request(self, body: Any, key: str) -> tuple[str, dict[str, str], Any]:
        return self.url, {}, body


def build_sinks(configs: list[SinkSettings], default_token: str | None) -> list[Sink]:
    """One sink per setting (already validated at config load: URL, routing key)."""
    sinks: list[Sink] = []
    for index, cfg in enumerate(configs):
        url, name = cfg.target_url, cfg.sink_name
        if cfg.type == "webhook":
            token = cfg.token.get_secret_value() if cfg.token else default_token
            sinks.append(WebhookSink(name, url, token))
        elif cfg.type == "slack":
            sinks.append(SlackSink(name, url))
        elif cfg.type == "pagerduty":
            if cfg.routing_key is None:  # refused at config load; kept for settings built by hand
                raise ConfigError(f"alerts.sinks[{index}] (pagerduty) needs a routing_key")
            sinks.append(PagerDutySink(name, url, cfg.routing_key.get_secret_value()))
        else:
            sinks.append(AlertmanagerSink(name, url))
    return sinks


def describe(sink: Sink) -> str:
    """``webhook-1a2b3c4d (https://hooks.example.com/…)`` — never the path or a token."""
    return f"{sink.name} ({redact_url(sink.url)})"
