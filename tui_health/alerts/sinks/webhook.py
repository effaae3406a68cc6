"""A generic webhook: the seed's payload, one POST per poll, ``Idempotency-Key`` stable across retries."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import SecretStr

from tui_health.alerts.sinks.base import (
    SOURCE,
    UNNAMED,
    AlertTarget,
    Message,
    SinkSettingsBase,
    batch_key,
    components_of,
    summarize,
)
from tui_health.clock import rfc3339
from tui_health.models import AuditEvent


class WebhookSettings(SinkSettingsBase):
    type: Literal["webhook"]
    token: SecretStr | None = None
    """Bearer token (defaults to alerts.webhook_token)."""
    url: str

    @property
    def secrets(self) -> list[str]:
        return [self.token.get_secret_value()] if self.token else []


class WebhookSink:
    """The seed's payload: ``{"source", "timestamp", "logs": [audit events]}``, one POST per poll; each log entry
    also names its ``target`` ({name, key, region, host, org?, link?})."""

    kind = "webhook"

    def __init__(self, name: str, url: str, token: str | None, target: AlertTarget = UNNAMED) -> None:
        self.name, self.url, self._token, self.target = name, url, token, target

    def messages(self, events: list[AuditEvent], now: datetime) -> list[Message]:
        target = self.target.as_dict()
        logs = [{**e.to_dict(), "target": target} for e in events]
        body = {"source": SOURCE, "timestamp": rfc3339(now), "logs": logs}
        return [Message(batch_key(self.name, events), body, summarize(events), components_of(events))]

    def request(self, body: Any, key: str) -> tuple[str, dict[str, str], Any]:
        headers = {"Idempotency-Key": key}
        if self._token:
            headers["Authorization"] = f"Bearer {self._token}"
        return self.url, headers, body


def build(settings: WebhookSettings, default_token: str | None, target: AlertTarget = UNNAMED) -> WebhookSink:
    token = settings.token.get_secret_value() if settings.token else default_token
    return WebhookSink(settings.sink_name, settings.target_url, token, target)


Settings = WebhookSettings
