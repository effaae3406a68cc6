"""The settings' own sections (every one but the sources', which each source module brings): their keys, bounds
and checks. :mod:`tui_health.settings.config` puts them together with the sources' and reads them from the file,
the environment and the flags."""

from __future__ import annotations

import ssl
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, field_validator, model_validator

from tui_health.alerts.sinks.base import SinkSettingsBase
from tui_health.engine.maintenance import Window
from tui_health.genesys.regions import DEFAULT_REGION
from tui_health.model.domain import Status
from tui_health.settings.paths import default_audit_path
from tui_health.support.errors import ConfigError
from tui_health.support.section import Section, split_list
from tui_health.support.timespec import parse_duration


class GenesysSettings(Section):
    region: str = DEFAULT_REGION
    """AWS region name (``eu-central-1``) or domain (``mypurecloud.de``)."""
    api_url: str | None = None
    """Overrides ``https://api.<domain>`` and means a health-details implementation (the ``health-api`` source)."""
    api_base: str | None = None
    """The org's API base URL from Genesys' own variables (``GENESYSCLOUD_API_REGION``): a Genesys host sets the
    region; any other host is used as the API host. It never selects a source."""
    login_url: str | None = None
    """Overrides the login host, which is otherwise derived from the API host (``api.X`` → ``login.X``)."""
    name: str | None = Field(None, min_length=1, max_length=60)
    """What the header, alerts and metrics call the one target (default: the region, or the API host)."""


class AuthSettings(Section):
    client_id: str | None = None
    client_secret: SecretStr | None = None


class PollSettings(Section):
    interval: float = Field(15.0, gt=0, le=86_400)
    """Seconds between polls (fractions allowed)."""
    timeout: float = Field(10.0, gt=0, le=3600)
    """Seconds one HTTP request may take."""
    deadline: float = Field(60.0, gt=0, le=3600)
    """Seconds one whole poll may take, retries and waits included."""
    page_size: int = Field(100, ge=1, le=500)
    concurrency: int = Field(10, ge=1, le=32)
    """Pages fetched at once after page 1."""
    max_attempts: int = Field(5, ge=1, le=20)
    """Attempts per request on 429/5xx/timeouts before the poll fails."""
    max_pages: int = Field(200, ge=1, le=10_000)
    """Pages one poll walks at most; a server claiming more fails the poll (it is not believed)."""
    request_budget: int = Field(200, ge=1, le=300)
    """Requests per minute per token (token, pages, retries, probes); Genesys allows about 300."""
    min_gap: float = Field(1.0, ge=0, le=3600)
    """Seconds between the end of one poll and the start of the next, at least (also for "poll now")."""
    status: list[Status] = Field(default_factory=list)
    """Ask the API only for these statuses (empty: all)."""
    ids: list[str] = Field(default_factory=list)
    """Ask the API only for these component ids (empty: all)."""
    expand: bool = True
    """Send ``expand=details``."""
    sources: list[str] = Field(default_factory=list)
    """Where health comes from (empty: chosen automatically, see README "Sources"); names from the registry."""

    _split = field_validator("status", "ids", "sources", mode="before")(split_list)

    @field_validator("sources")
    @classmethod
    def _known_sources(cls, names: list[str]) -> list[str]:
        from tui_health import sources

        for name in names:
            if sources.module(name) is None:
                raise ValueError(f"unknown source {name!r}: use {' | '.join(sources.modules())}")
        return names


class PushSettings(Section):
    """``[push]``: Genesys' notification channel, for the sources that take pushed changes (edges, trunks,
    queues, operational-events). Polling goes on beside it and stays the truth."""

    enabled: bool = True
    heartbeat_timeout: float = Field(75.0, ge=1, le=600)
    """Seconds without any frame (Genesys sends a heartbeat every 30 s) before the socket is taken for dead."""
    max_frame: int = Field(256 * 1024, ge=1024, le=16 * 1024 * 1024)
    """Bytes one message may have; a larger one closes the socket (a catch-up poll follows)."""
    renew_margin: float = Field(300.0, ge=1, le=3600)
    """Seconds before a channel expires that it is kept alive by subscribing again."""
    retry_base: float = Field(1.0, gt=0, le=60)
    retry_cap: float = Field(60.0, gt=0, le=3600)
    """Backoff between reconnections (full jitter), unless the API said ``Retry-After``."""
    refused_wait: float = Field(300.0, ge=1, le=86_400)
    """Seconds before a rejected topic, or a subscription refused as a whole (400, 403), is asked for again."""


class ThresholdSettings(Section):
    min_down: int = Field(1, ge=1)
    """Components down at once that make a breach."""
    min_degraded: int = Field(2, ge=1)
    """Components degraded at once that make a breach."""
    critical: list[str] = Field(default_factory=list)
    """Component ids whose going down is a breach on its own."""
    flap_interval: float = Field(30.0, ge=0)
    """Seconds a new status must persist before it is confirmed (0: at once)."""
    flapping_window: float = Field(600.0, gt=0)
    """Seconds over which confirmed changes are counted for flapping."""
    flapping_changes: int = Field(4, ge=2)
    """Confirmed changes within the window that mark a component as flapping."""
    dependencies: dict[str, list[str]] = Field(default_factory=dict)
    """Component id → ids of components it depends on."""

    _split = field_validator("critical", mode="before")(split_list)


class AuditSettings(Section):
    path: Path | None = None
    """Audit log file (default: the user log dir)."""
    max_bytes: int = Field(10_000_000, ge=10_000)
    backups: int = Field(5, ge=0, le=100)

    @property
    def resolved_path(self) -> Path:
        return self.path or default_audit_path()


class AlertSettings(Section):
    enabled: bool = True
    webhook_token: SecretStr | None = None
    repeat_interval: float = Field(14_400.0, ge=0)
    """Seconds between re-notifications of an ongoing breach (0: never)."""
    outbox: Path | None = None
    """sqlite3 outbox (default: ``outbox.sqlite3`` in the state dir)."""
    retry_base: float = Field(1.0, gt=0)
    """Seconds before the first retry of a failed delivery (doubles each time, with jitter)."""
    retry_cap: float = Field(300.0, gt=0)
    """Longest wait between delivery attempts, in seconds."""
    resend_interval: float = Field(60.0, gt=0)
    """Seconds between re-sends of firing alerts to Alertmanager."""
    once_wait: float = Field(10.0, ge=0, le=3600)
    """Seconds --once waits for its alerts to be delivered before leaving them in the outbox."""
    permanent_after: float = Field(600.0, ge=0)
    """Seconds a receiver must keep refusing a message (4xx other than 408/429), at least 3 times, before it
    is given up as failed (0: at the first refusal)."""
    sinks: list[SinkSettingsBase] = Field(default_factory=list, max_length=0)
    """The receivers. Taken only by the settings composed for a config that names some (:func:`settings_model`,
    with the receivers' discriminated union): a run without receivers never imports one."""


class StateSettings(Section):
    dir: Path | None = None
    """Where saved state, the outbox and the instance lock live (default: the parent of alerts.outbox when that
    is set, else platformdirs' user state dir)."""


class HistorySettings(Section):
    enabled: bool = True
    """Keep the history store (``--no-history`` turns it off for one run)."""
    dir: Path | None = None
    """Where the history files live, one per target (default: ``history/`` in the state dir)."""
    retention: float = Field(90 * 86_400.0, gt=0)
    """How long history is kept: seconds, or a duration such as ``90d`` or ``12w``."""

    @field_validator("retention", mode="before")
    @classmethod
    def _duration(cls, value: Any) -> Any:
        if isinstance(value, str):
            from tui_health.support.timespec import parse_duration

            seconds = parse_duration(value, bare=1.0)
            if seconds is None:
                raise ValueError(f"{value!r} is not a duration (try 90d, 12w, 2160h)")
            return seconds
        return value


class ServeSettings(Section):
    """The collector's endpoints (``--serve``, ``--metrics-listen``)."""

    public_read: bool = False
    """Let anyone read the state (``/state.json``, ``/status.json``, ``/events``): with a serve token, reading
    then needs none (silencing still does); without one, ``--serve`` beyond loopback (``0.0.0.0``) is allowed on
    purpose (it warns; nobody can silence), where it is otherwise refused. ``/metrics``, ``/healthz`` and
    ``/readyz`` are always open."""
    tls_cert: Path | None = None
    """PEM certificate (chain) to serve HTTPS with; with ``tls_key``. Absent: plain HTTP (put it behind a proxy
    or on localhost)."""
    tls_key: Path | None = None
    max_clients: int = Field(64, ge=1, le=10_000)
    """Requests read or answered at once; more wait their turn, unread. One address may use every idle one, and
    keeps a quarter of them (16 of 64) while another address waits."""
    max_streams: int = Field(64, ge=1, le=10_000)
    """Event streams (attached consoles) open at once; each holds at most one coalesced state."""
    streams_per_address: int = Field(32, ge=1, le=10_000)
    """Streams one address keeps once every place is taken (size it for a team behind one office NAT); while
    places are free, an address may open more."""

    @model_validator(mode="after")
    def _pair(self) -> ServeSettings:
        if (self.tls_key is None) != (self.tls_cert is None):
            raise ValueError("serve.tls_cert and serve.tls_key go together")
        if self.streams_per_address > self.max_streams:
            raise ValueError(
                f"serve.streams_per_address ({self.streams_per_address}) is more than serve.max_streams "
                f"({self.max_streams})"
            )
        return self

    def tls(self) -> ssl.SSLContext | None:
        """The server's TLS context, or ``None``; ConfigError when the files cannot be used."""
        if self.tls_cert is None or self.tls_key is None:
            return None
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        try:
            context.load_cert_chain(self.tls_cert, self.tls_key)
        except (OSError, ssl.SSLError) as exc:
            raise ConfigError(
                f"serve.tls_cert / serve.tls_key cannot be used: {getattr(exc, 'strerror', None) or exc}",
                hint="PEM files readable by this user: the certificate (chain) and its private key",
            ) from None
        return context


class MaintenanceSettings(Section):
    """``[[maintenance]]``: a planned window when the components it names page nobody (see README "Planned
    maintenance")."""

    name: str = Field("maintenance", min_length=1, max_length=100)
    start: str
    """A wall time in ``timezone`` (``2026-12-06T02:00``), or RFC 3339 with an offset."""
    duration: float
    """Seconds, or a duration (``2h``, ``90m``)."""
    every: Literal["day", "week"] | None = None
    """Comes back every day or week at the same wall time; absent: once."""
    timezone: str = "UTC"
    ids: list[str] = Field(default_factory=list, max_length=1000)
    match: list[str] = Field(default_factory=list, max_length=100)
    """Shell patterns on a component's name or id."""
    kinds: list[str] = Field(default_factory=list)
    """``edge``, ``trunk``, ``queue``, ``platform`` (the platform's own components)."""
    targets: list[str] = Field(default_factory=list)

    _split = field_validator("ids", "match", "kinds", "targets", mode="before")(split_list)

    @field_validator("duration", mode="before")
    @classmethod
    def _duration(cls, value: Any) -> Any:
        if isinstance(value, str):
            parsed = parse_duration(value, bare=1.0)
            if parsed is None:
                raise ValueError(f"{value!r} is not a duration (2h, 90m, 3600)")
            return parsed
        return value

    @field_validator("duration")
    @classmethod
    def _positive(cls, value: float) -> float:
        if not 0 < value <= 31 * 86_400:
            raise ValueError("must be more than 0 and at most 31 days")
        return value

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        zone_of(value)
        return value

    @field_validator("kinds")
    @classmethod
    def _kinds(cls, kinds: list[str]) -> list[str]:
        from tui_health.sources import kinds as known

        for kind in kinds:
            if (
                kind not in known(plugins=False) and kind not in known()
            ):  # a plug-in's kind reads the plug-ins
                raise ValueError(f"unknown kind {kind!r}: use {' | '.join(known())}")
        return kinds

    @field_validator("start")
    @classmethod
    def _start(cls, value: str) -> str:
        try:
            datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            raise ValueError(f"{value!r} is not a date and time (2026-12-06T02:00)") from None
        return value

    def window(self) -> Window:
        zone = zone_of(self.timezone)
        start = datetime.fromisoformat(self.start.replace("Z", "+00:00"))
        if start.tzinfo is not None:  # an offset given: the same moment, as a wall time in the zone
            start = start.astimezone(zone).replace(tzinfo=None)
        return Window(
            name=self.name,
            start=start,
            duration=timedelta(seconds=self.duration),
            zone=zone,
            every=self.every,
            ids=tuple(self.ids),
            match=tuple(self.match),
            kinds=tuple(self.kinds),
            targets=tuple(self.targets),
        )


def zone_of(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {name!r} (an IANA name such as Europe/Berlin, or UTC)") from None


class DisplaySettings(Section):
    """How the console and reports show things to a person (never what is stored or sent)."""

    tz: Literal["local", "utc"] = "local"
    """The zone every time on screen is shown in (``--tz``; ``z`` toggles it in the console)."""
    bell: bool = False
    """Ring the terminal bell (and show a toast) when a component newly goes down (``--bell``)."""


class TargetSettings(Section):
    """One ``[[targets]]`` entry: an org (or a status page) watched beside the others, with its own token, rate
    budget, engine state, history and outbox. Keys not given come from the rest of the file."""

    name: str = Field(min_length=1, max_length=60, pattern=r"^[A-Za-z0-9][A-Za-z0-9 ._()-]*$")
    """Unique; shown in the console, alerts and metrics."""
    region: str | None = None
    api_url: str | None = None
    login_url: str | None = None
    statuspage_url: str | None = None
    groups: list[str] | None = None
    all_regions: bool | None = None
    sources: list[str] | None = None
    ids: list[str] | None = None
    client_id_env: str | None = Field(None, pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")
    """The environment variable holding this target's client id (default: GENESYSCLOUD_OAUTHCLIENT_ID)."""
    client_secret_env: str | None = Field(None, pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")

    _split = field_validator("groups", "sources", "ids", mode="before")(split_list)

    @property
    def slug(self) -> str:
        """The name as a file name: ``emea-prod``."""
        return "".join(ch if ch.isalnum() or ch in "-_." else "-" for ch in self.name.lower())
