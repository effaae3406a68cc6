"""What every receiver shares: the message it stores, the sink protocol, and the settings every sink has.

Bodies go into the outbox, so they hold no secret: tokens and routing keys are added when a request is built.
A sink module declares its own settings model (a subclass of :class:`SinkSettingsBase` with a ``type`` literal),
its sink class and a ``build(settings, default_token)``; the registry in ``__init__`` lists the modules.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol, runtime_checkable
from urllib.parse import urlsplit

from pydantic import field_validator

from tui_health.alerts.subject import AlertTarget
from tui_health.model.domain import AuditEvent, EventType
from tui_health.support.redact import redact_url
from tui_health.support.section import Section

SOURCE = "tui-health"
THRESHOLD_TYPES = (EventType.THRESHOLD_BREACH, EventType.THRESHOLD_REMINDER, EventType.THRESHOLD_RESOLVED)


@dataclass(frozen=True, slots=True)
class Message:
    key: str  # unique per sink; the webhook's Idempotency-Key
    body: Any
    summary: str
    components: tuple[str, ...] = ()  # what it is about (the history links alerts to components)


@dataclass(frozen=True, slots=True)
class Firing:
    """An alert receivers currently believe is open (for sinks that re-send while firing)."""

    component: str  # component id, or "threshold"
    name: str
    status: str
    since: datetime
    critical: bool = False


UNNAMED = AlertTarget(name="genesys-cloud", key="default", region="unknown", host="unknown")
"""For sinks built without a target (tests and tools that only render payloads)."""


class Sink(Protocol):
    name: str
    kind: str
    url: str

    def messages(self, events: list[AuditEvent], now: datetime) -> list[Message]: ...

    def request(self, message_body: Any, key: str) -> tuple[str, dict[str, str], Any]:
        """URL, headers and JSON body for one attempt (secrets added here)."""
        ...


@runtime_checkable
class ResendingSink(Sink, Protocol):
    """A capability: receivers that expect firing alerts to be re-sent while they fire (Alertmanager)."""

    def refresh(self, firing: list[Firing]) -> Any:
        """The body re-stating every alert that is firing now."""
        ...


def check_http_url(value: str) -> str:
    """An absolute http(s) URL with a host and a valid port, or a ValueError saying what is wrong with it."""
    if any(c.isspace() or ord(c) < 32 for c in value):
        raise ValueError("a URL cannot contain spaces or control characters")
    parts = urlsplit(value)
    if parts.scheme.lower() not in ("http", "https"):
        raise ValueError(f"must start with http:// or https:// (got scheme {parts.scheme or 'none'!r})")
    if not parts.hostname:
        raise ValueError("has no host")
    try:
        port = parts.port
    except ValueError:
        port = 0
    if port == 0:
        raise ValueError("has a port that is not a number from 1 to 65535")
    return value


class SinkSettingsBase(Section):
    """Settings every sink has; unknown keys are errors that name the sink's key."""

    type: str
    """The receiver kind; each sink module narrows it to its own literal."""
    url: str | None = None
    """Receiver URL."""
    name: str | None = None
    """How the outbox and the audit log name this sink (default: type and a hash of the URL)."""

    @field_validator("url")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        return None if value is None else check_http_url(value)

    @property
    def target_url(self) -> str:
        if self.url is None:
            raise ValueError("this sink needs a url")
        return self.url

    @property
    def sink_name(self) -> str:
        return self.name or f"{self.type}-{hashlib.sha256(self.target_url.encode()).hexdigest()[:8]}"

    @property
    def secrets(self) -> list[str]:
        """Values that must never be printed (tokens, keys, and URLs that are credentials themselves)."""
        return []


def batch_key(sink: str, events: list[AuditEvent]) -> str:
    """The message's idempotency key: from the events' own keys where they have one (equal on both instances
    of an HA pair), else their ids."""
    digest = hashlib.sha256((sink + "|" + "|".join(e.key or e.id for e in events)).encode()).hexdigest()
    return digest[:32]


def components_of(events: list[AuditEvent]) -> tuple[str, ...]:
    """Every component the events are about, once each, in order."""
    return tuple(dict.fromkeys(c for e in events for c in e.component_ids))


def summarize(events: list[AuditEvent]) -> str:
    if len(events) == 1:
        return events[0].message
    return (
        f"{len(events)} alerts: "
        + "; ".join(e.message for e in events[:3])
        + ("; …" if len(events) > 3 else "")
    )


def changed_settings(old: Sink, new: Sink) -> list[str]:
    """What differs between two sinks of one name, as setting names (``token``, ``url``), sorted: never their
    values, since a value may be a secret. Every attribute a sink keeps is a setting (a leading underscore
    dropped: ``_token`` is ``token``), but its name and the target it names (the monitor's, not the sink's)."""
    if type(old) is not type(new):
        return ["type"]
    before, after = _settings_of(old), _settings_of(new)
    return sorted(
        key for key in before.keys() | after.keys() if before.get(key, _NONE) != after.get(key, _NONE)
    )


_NONE = object()


def _settings_of(sink: Sink) -> dict[str, Any]:
    slots = [name for cls in type(sink).__mro__ for name in getattr(cls, "__slots__", ())]
    names = [*getattr(sink, "__dict__", {}), *slots]
    return {name.lstrip("_"): getattr(sink, name, _NONE) for name in names if name not in ("name", "target")}


def describe(sink: Sink) -> str:
    """``webhook-1a2b3c4d (https://hooks.example.com/…)`` — never the path or a token."""
    return f"{sink.name} ({redact_url(sink.url)})"
