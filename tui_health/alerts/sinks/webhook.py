"""A generic webhook: the seed's payload, one POST per poll (or per event), ``Idempotency-Key`` stable across
retries and equal on both instances of an HA pair."""

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
from tui_health.model.domain import AuditEvent
from tui_health.support.clock import rfc3339

TEMPLATE = """\
# [[alerts.sinks]]
# type = "webhook"
# name = "ops-hook"                    # how the outbox and audit log name it (default: type and a hash)
# url = "https://alerts.example.com/hook"
# token = "..."                        # bearer token (default: alerts.webhook_token)
# one_per_event = false                # true: a POST per event (HA pairs)
"""
"""This receiver in ``config init``'s template (commented: a receiver is added on purpose)."""


class WebhookSettings(SinkSettingsBase):
    type: Literal["webhook"]
    token: SecretStr | None = None
    """Bearer token (defaults to alerts.webhook_token)."""
    url: str
    one_per_event: bool = False
    """A POST per alert event instead of one per poll: for HA pairs, so a receiver that keeps one message per
    Idempotency-Key pages once even when the two instances' polls saw the changes in different groupings."""

    @property
    def secrets(self) -> list[str]:
        return [self.token.get_secret_value()] if self.token else []


class WebhookSink:
    """The seed's payload: ``{"source", "timestamp", "logs": [audit events]}``, one POST per poll; each log entry
    also names its ``target`` ({name, key, region, host, org?, link?})."""

    kind = "webhook"

    def __init__(
        self,
        name: str,
        url: str,
        token: str | None,
        target: AlertTarget = UNNAMED,
        *,
        one_per_event: bool = False,
    ) -> None:
        self.name, self.url, self._token, self.target = name, url, token, target
        self.one_per_event = one_per_event

    def messages(self, events: list[AuditEvent], now: datetime) -> list[Message]:
        """The poll's events in one message (``one_per_event``: a message each). The Idempotency-Key comes from
        the events' own keys, so the two instances of an HA pair send the same key for the same events; with
        ``one_per_event`` that holds whatever else each instance's poll saw."""
        target = self.target.as_dict()
        groups = [[e] for e in events] if self.one_per_event else [events]
        return [
            Message(
                batch_key(self.name, group),
                {
                    "source": SOURCE,
                    "timestamp": rfc3339(now),
                    "logs": [{**e.to_dict(), "target": target} for e in group],
                },
                summarize(group),
                components_of(group),
            )
            for group in groups
        ]

    def request(self, body: Any, key: str) -> tuple[str, dict[str, str], Any]:
        headers = {"Idempotency-Key": key}
        if self._token:
            headers["Authorization"] = f"Bearer {self._token}"
        return self.url, headers, body


def build(settings: WebhookSettings, default_token: str | None, target: AlertTarget = UNNAMED) -> WebhookSink:
    token = settings.token.get_secret_value() if settings.token else default_token
    return WebhookSink(
        settings.sink_name, settings.target_url, token, target, one_per_event=settings.one_per_event
    )


Settings = WebhookSettings
