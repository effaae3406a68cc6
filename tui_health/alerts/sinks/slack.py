"""Slack incoming webhooks: a notification text plus blocks, one message per poll. The URL is the credential."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from tui_health.alerts.sinks.base import (
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
# type = "slack"
# name = "team-chat"
# url = "https://hooks.slack.com/services/T000/B000/XXXX"   # the URL is the credential
"""
"""This receiver in ``config init``'s template (commented: a receiver is added on purpose)."""


class SlackSettings(SinkSettingsBase):
    type: Literal["slack"]
    url: str

    @property
    def secrets(self) -> list[str]:
        return [self.url]  # a Slack webhook URL is itself the credential


def _slack_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


SLACK_ICON = {"critical": ":red_circle:", "warning": ":large_yellow_circle:", "info": ":large_green_circle:"}


class SlackSink:
    """Slack incoming webhook: ``text`` (notification fallback) plus blocks, one POST per poll."""

    kind = "slack"

    def __init__(self, name: str, url: str, target: AlertTarget = UNNAMED) -> None:
        self.name, self.url, self.target = name, url, target

    def messages(self, events: list[AuditEvent], now: datetime) -> list[Message]:
        worst = (
            "critical"
            if any(e.severity == "critical" for e in events)
            else ("warning" if any(e.severity == "warning" for e in events) else "info")
        )
        title = f"Genesys Cloud health ({self.target.label()}): {len(events)} alert{'s' if len(events) != 1 else ''}"
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
                        {
                            "type": "mrkdwn",
                            "text": _slack_escape(
                                f"tui-health · {self.target.label()} · {self.target.host} · {rfc3339(now)} "
                                f"· severity {worst}"
                            ),
                        }
                    ],
                },
            ],
        }
        return [Message(batch_key(self.name, events), body, summarize(events), components_of(events))]

    def request(self, body: Any, key: str) -> tuple[str, dict[str, str], Any]:
        return self.url, {}, body


def build(settings: SlackSettings, default_token: str | None, target: AlertTarget = UNNAMED) -> SlackSink:
    return SlackSink(settings.sink_name, settings.target_url, target)


Settings = SlackSettings
