"""PagerDuty Events API v2: trigger and resolve with a ``dedup_key`` per component and for the threshold."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import SecretStr, field_validator

from tui_health.alerts.sinks.base import (
    SOURCE,
    THRESHOLD_TYPES,
    UNNAMED,
    AlertTarget,
    Message,
    SinkSettingsBase,
)
from tui_health.model.domain import AuditEvent, EventType
from tui_health.support.clock import rfc3339

PAGERDUTY_URL = "https://events.pagerduty.com/v2/enqueue"


TEMPLATE = """\
# [[alerts.sinks]]
# type = "pagerduty"
# name = "pager"
# routing_key = "0123456789abcdef0123456789abcdef"   # the Events API v2 integration key (32 characters)
# url = "https://events.pagerduty.com/v2/enqueue"   # the default
"""
"""This receiver in ``config init``'s template (commented: a receiver is added on purpose)."""


class PagerDutySettings(SinkSettingsBase):
    type: Literal["pagerduty"]
    routing_key: SecretStr
    """The integration key of an Events API v2 service: 32 characters (PagerDuty's Events API v2 reference)."""

    @field_validator("routing_key")
    @classmethod
    def _routing_key(cls, value: SecretStr) -> SecretStr:
        key = value.get_secret_value()
        if len(key) != 32 or not key.isalnum():  # never echo the key: the error names the rule only
            raise ValueError(
                f"must be the 32-character integration key of an Events API v2 integration (got {len(key)} "
                "characters)"
            )
        return value

    @property
    def target_url(self) -> str:
        return self.url or PAGERDUTY_URL

    @property
    def secrets(self) -> list[str]:
        return [self.routing_key.get_secret_value()]


PD_SEVERITY = {"critical": "critical", "down": "error", "degraded": "warning"}


class PagerDutySink:
    """Events API v2: ``trigger`` on a problem, ``resolve`` on recovery; ``dedup_key`` per component/threshold."""

    kind = "pagerduty"

    def __init__(self, name: str, url: str, routing_key: str, target: AlertTarget = UNNAMED) -> None:
        self.name, self.url, self._routing_key, self.target = name, url, routing_key, target

    def dedup_key(self, component: str | None) -> str:
        """Stable per target and component: another region's alert never resolves or merges with this one."""
        return f"tui-health/{self.target.key}/{component or 'threshold'}"

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
                    "summary": f"[{self.target.label()}] {e.message}"[:1024],
                    "source": self.target.host,  # Events v2: the affected system's host
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
                    }
                    | {"target": self.target.as_dict()},
                }
                body["client"] = SOURCE  # who sent it, and where a person can look (Events API v2)
                body["client_url"] = self.target.back_link(e.link)
                if self.target.link:
                    body["links"] = [{"href": self.target.link, "text": f"{self.target.label()} status"}]
            out.append(Message(e.id, body, e.message, e.component_ids))
        return out

    def request(self, body: Any, key: str) -> tuple[str, dict[str, str], Any]:
        return self.url, {}, {"routing_key": self._routing_key, **body}


def build(
    settings: PagerDutySettings, default_token: str | None, target: AlertTarget = UNNAMED
) -> PagerDutySink:
    return PagerDutySink(
        settings.sink_name, settings.target_url, settings.routing_key.get_secret_value(), target
    )


Settings = PagerDutySettings
