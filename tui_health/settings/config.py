"""Settings: TOML file < environment < flags, validated by pydantic with errors that name the key.

The file has sections; every key is optional::

    [genesys]   region, api_url, api_base, login_url
    [auth]      client_id, client_secret
    [poll]      interval, timeout, deadline, page_size, concurrency, max_attempts, max_pages, request_budget,
                min_gap, status, ids, expand, sources
    [statuspage] url, groups, all_regions
    [probe]     path, slow_ms
    [events]    definitions, min_events, window, lookback, page_size, component_name
    [edges]     page_size                    [trunks] page_size, types
    [queues]    ids, names, max_queues, max_waiting, min_on_queue, thresholds, list_every
    [push]      enabled, heartbeat_timeout, max_frame, renew_margin, retry_base, retry_cap, refused_wait
    [thresholds] min_down, min_degraded, critical, flap_interval, flapping_window, flapping_changes, dependencies
    [audit]     path, max_bytes, backups
    [history]   enabled, dir, retention
    [[targets]] name, region, api_url, login_url, statuspage_url, groups, all_regions, sources, ids,
                client_id_env, client_secret_env
    [alerts]    enabled, webhook_token, repeat_interval, outbox, retry_base, retry_cap, resend_interval,
                once_wait, permanent_after, sinks = [{type = "webhook", url = "..."}]
"""

from __future__ import annotations

import os
import ssl
import tomllib
from collections.abc import Mapping
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, ValidationError, ValidationInfo, field_validator, model_validator

from tui_health.alerts.sinks import MODULES as SINK_MODULES
from tui_health.alerts.sinks import SinkSettings
from tui_health.engine.maintenance import Window
from tui_health.genesys.regions import DEFAULT_REGION, genesys_domain, login_for, region_of, resolve_domain
from tui_health.model.domain import Status
from tui_health.settings.paths import default_audit_path, default_config_path, default_state_dir
from tui_health.sources import SOURCES
from tui_health.sources.edges import EdgesSettings
from tui_health.sources.operational_events import EventsSettings
from tui_health.sources.probe import ProbeSettings
from tui_health.sources.queues import QueuesSettings
from tui_health.sources.statuspage import StatuspageSettings
from tui_health.sources.trunks import TrunksSettings
from tui_health.support.errors import ConfigError
from tui_health.support.redact import redact_url
from tui_health.support.section import Section, split_list
from tui_health.support.timespec import parse_duration
from tui_health.support.urls import netloc

#: Environment variable → dotted settings key.
ENV_KEYS: dict[str, str] = {
    "GENESYSCLOUD_REGION": "genesys.region",
    # the API base URL as Genesys' Terraform provider and blueprints set it: it picks hosts, never a source
    "GENESYSCLOUD_API_REGION": "genesys.api_base",
    "GENESYSCLOUD_API_URL": "genesys.api_base",
    "GENESYSCLOUD_OAUTHCLIENT_ID": "auth.client_id",
    "GENESYSCLOUD_OAUTHCLIENT_SECRET": "auth.client_secret",
    "TUI_HEALTH_WEBHOOK_TOKEN": "alerts.webhook_token",
}


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
        for name in names:
            if name not in SOURCES:
                raise ValueError(f"unknown source {name!r}: use {' | '.join(SOURCES)}")
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
    sinks: list[SinkSettings] = Field(default_factory=list)


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
    """Let anyone read the state (``/state.json``, ``/status.json``, ``/events``) when a serve token is set;
    by default reading needs the token too. ``/metrics``, ``/healthz`` and ``/readyz`` are always open."""
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
        for kind in kinds:
            if kind not in ("edge", "trunk", "queue", "platform"):
                raise ValueError(f"unknown kind {kind!r}: use edge | trunk | queue | platform")
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


class Settings(Section):
    genesys: GenesysSettings = GenesysSettings()
    auth: AuthSettings = AuthSettings()
    poll: PollSettings = PollSettings()
    statuspage: StatuspageSettings = StatuspageSettings()
    probe: ProbeSettings = ProbeSettings()
    events: EventsSettings = EventsSettings()
    edges: EdgesSettings = EdgesSettings()
    trunks: TrunksSettings = TrunksSettings()
    queues: QueuesSettings = QueuesSettings()
    push: PushSettings = PushSettings()
    thresholds: ThresholdSettings = ThresholdSettings()
    audit: AuditSettings = AuditSettings()
    alerts: AlertSettings = AlertSettings()
    state: StateSettings = StateSettings()
    history: HistorySettings = HistorySettings()
    display: DisplaySettings = DisplaySettings()
    serve: ServeSettings = ServeSettings()
    maintenance: list[MaintenanceSettings] = Field(default_factory=list, max_length=200)
    """``[[maintenance]]``: planned windows (README "Planned maintenance")."""
    targets: list[TargetSettings] = Field(default_factory=list)
    """``[[targets]]``: several orgs in one monitor. Without any, the settings describe one implicit target."""

    @field_validator("targets")
    @classmethod
    def _unique_names(cls, targets: list[TargetSettings]) -> list[TargetSettings]:
        seen: set[str] = set()
        for target in targets:
            if target.name.casefold() in seen:
                raise ValueError(f"two targets are named {target.name!r}: names must be unique")
            seen.add(target.name.casefold())
        return targets

    @model_validator(mode="after")
    def _windows_name_targets(self, info: ValidationInfo) -> Settings:
        """A ``[[maintenance]]`` window's ``targets`` must name configured targets (else it holds nothing); the
        file's settings are checked, not each target's own (made from them, without the ``[[targets]]``)."""
        if info.context and "target" in info.context:
            return self
        known = [t.name for t in self.targets] or [self.region_label]
        for index, window in enumerate(self.maintenance):
            unknown = [n for n in window.targets if n not in known]
            if unknown:
                raise ValueError(
                    f"maintenance[{index}] ({window.name}): targets names {unknown[0]!r}, which is not a "
                    f"configured target (the targets: {', '.join(known)})"
                )
        return self

    def for_target(self, target: TargetSettings, env: Mapping[str, str]) -> Settings:
        """The effective settings of one ``[[targets]]`` entry: the file's settings with the target's keys, its
        own credentials (from the variables it names) and, beside other targets, its own outbox and audit log.

        Raises ConfigError naming the target when what it names is missing or wrong.
        """
        data = self.model_dump(mode="python", exclude={"targets"})
        genesys = data["genesys"]
        if target.region or target.api_url:
            genesys["api_base"] = None  # the target says where it is: Genesys' variable is the implicit one's
        for key in ("region", "api_url", "login_url"):
            if getattr(target, key) is not None:
                genesys[key] = getattr(target, key)
        if target.statuspage_url is not None:
            data["statuspage"]["url"] = target.statuspage_url
        if target.groups is not None:
            data["statuspage"]["groups"] = target.groups
        if target.all_regions is not None:
            data["statuspage"]["all_regions"] = target.all_regions
        if target.sources is not None:
            data["poll"]["sources"] = target.sources
        if target.ids is not None:
            data["poll"]["ids"] = target.ids
        for field, var in (("client_id", target.client_id_env), ("client_secret", target.client_secret_env)):
            if var is None:
                continue
            if not env.get(var):
                raise ConfigError(
                    f"target {target.name!r}: {var} is not set",
                    hint=f"export {var} with the {field.replace('_', ' ')} of this target's OAuth client",
                )
            data["auth"][field] = env[var]
        base = self.state_dir
        data["state"]["dir"] = base
        if len(self.targets) > 1:  # each target delivers its own alerts and writes its own audit lines
            data["alerts"]["outbox"] = base / "outbox" / f"{target.slug}.sqlite3"
            audit = self.audit.resolved_path
            data["audit"]["path"] = audit.with_name(f"{audit.stem}-{target.slug}{audit.suffix}")
        try:
            effective = Settings.model_validate(data, context={"target": target.name})
            effective.domain  # noqa: B018 - the region, checked now
        except ValidationError as exc:
            raise ConfigError(f"target {target.name!r}: {_describe(exc, {}, Path('[[targets]]'))}") from None
        except ConfigError as exc:
            raise ConfigError(f"target {target.name!r}: {exc.message}", hint=exc.hint) from None
        return effective

    @property
    def state_dir(self) -> Path:
        if self.state.dir:
            return self.state.dir
        return self.alerts.outbox.parent if self.alerts.outbox else default_state_dir()

    def history_path(self, target_key: str) -> Path:
        """The history store of one target."""
        return (self.history.dir or self.state_dir / "history") / f"{target_key}.sqlite3"

    @property
    def outbox_path(self) -> Path:
        return self.alerts.outbox or self.state_dir / "outbox.sqlite3"

    @property
    def domain(self) -> str:
        """The Genesys Cloud domain: from a Genesys API base URL when one is set, else from the region."""
        base = self.genesys.api_base
        if base and genesys_domain(base):
            return genesys_domain(base) or ""
        return resolve_domain(self.genesys.region)

    @property
    def api_url(self) -> str:
        base = (
            self.genesys.api_base
            if self.genesys.api_base and not genesys_domain(self.genesys.api_base)
            else None
        )
        return (self.genesys.api_url or base or f"https://api.{self.domain}").rstrip("/")

    @property
    def login_url(self) -> str:
        """The login host: as set, else derived from the API host (``api.X`` → ``login.X``; another host, such as
        the simulator or a gateway, serves its own token endpoint)."""
        if self.genesys.login_url:
            return self.genesys.login_url.rstrip("/")
        return login_for(self.api_url)

    def section(self, name: str) -> Any:
        """A source's own section (``[events]``, ``[probe]``, ``[statuspage]``), as its ``SECTION`` names it."""
        return getattr(self, name)

    @property
    def region_label(self) -> str:
        """What the header shows: the name given, else the region, or the API host when it is not a Genesys
        region's."""
        if self.genesys.name:
            return self.genesys.name
        if self.genesys.api_url or (self.genesys.api_base and not genesys_domain(self.genesys.api_base)):
            return netloc(self.api_url)
        if self.genesys.api_base:
            return region_of(self.domain)
        return self.genesys.region

    @property
    def has_credentials(self) -> bool:
        secret = self.auth.client_secret
        return bool(self.auth.client_id) and secret is not None and bool(secret.get_secret_value())

    def sources(self) -> list[str]:
        """The sources to poll: as configured, or chosen from what is set.

        An explicit ``api_url`` means a health-details implementation (the simulator, a gateway): ``health-api``.
        Otherwise the public status page, plus the API probe when credentials are there.
        """
        if self.poll.sources:
            return list(dict.fromkeys(self.poll.sources))
        from tui_health.sources import chosen

        return chosen(self)

    def require_credentials(self, config_path: Path) -> tuple[str, SecretStr]:
        """The client id and secret, or a ConfigError saying where to put them."""
        if not self.auth.client_id:
            raise ConfigError(
                "GENESYSCLOUD_OAUTHCLIENT_ID is not set",
                hint=f"export it or put auth.client_id in {config_path}",
            )
        if self.auth.client_secret is None or not self.auth.client_secret.get_secret_value():
            raise ConfigError(
                "GENESYSCLOUD_OAUTHCLIENT_SECRET is not set",
                hint=f"export it or put auth.client_secret in {config_path}",
            )
        return self.auth.client_id, self.auth.client_secret

    def masked(self) -> dict[str, Any]:
        """Effective settings as plain data with every secret masked (for ``config show``)."""
        data = self.model_dump(mode="json")
        for sink in data["alerts"]["sinks"]:
            if sink.get("url"):
                sink["url"] = redact_url(
                    sink["url"]
                )  # a webhook path or query is often the credential itself
        data["genesys"]["resolved_api_url"] = self.api_url
        data["genesys"]["resolved_login_url"] = self.login_url
        return data


def _set_dotted(target: dict[str, Any], key: str, value: Any) -> None:
    section, _, name = key.partition(".")
    target.setdefault(section, {})[name] = value


def config_path(flag: str | None, env: Mapping[str, str] | None = None) -> Path:
    """``--config`` > ``TUI_HEALTH_CONFIG`` > the platformdirs default."""
    env = os.environ if env is None else env
    if flag:
        return Path(flag).expanduser()
    if env.get("TUI_HEALTH_CONFIG"):
        return Path(env["TUI_HEALTH_CONFIG"]).expanduser()
    return default_config_path()


def read_file(path: Path, *, required: bool) -> dict[str, Any]:
    """Parse the TOML file; a missing file is fine unless it was named explicitly."""
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError:
        if required:
            raise ConfigError(
                f"config file {path} does not exist", hint="run `tui-health config init`"
            ) from None
        return {}
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(
            f"{path}: not UTF-8 text (byte {exc.start} is 0x{exc.object[exc.start]:02x})",
            hint="save the file as UTF-8",
        ) from None
    except OSError as exc:
        raise ConfigError(f"cannot read config file {path}: {exc.strerror}") from None


def load_settings(
    *,
    path: Path,
    path_required: bool = False,
    env: Mapping[str, str] | None = None,
    flags: Mapping[str, Any] | None = None,
) -> Settings:
    """Merge file, environment and flags (dotted keys), then validate once.

    Raises:
        ConfigError: naming the source (file, env var or flag), the key and what was expected.
    """
    env = os.environ if env is None else env
    data = read_file(path, required=path_required)
    origin: dict[str, str] = {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a table at the top level")
    for section, values in data.items():
        if isinstance(values, dict):
            for key in values:
                origin[f"{section}.{key}"] = str(path)
    for var, key in ENV_KEYS.items():
        if env.get(var):
            _set_dotted(data, key, env[var])
            origin[key] = f"environment variable {var}"
    for key, value in (flags or {}).items():
        if value is None:
            continue
        if key == "alerts.sinks+":
            sinks = data.setdefault("alerts", {}).setdefault("sinks", [])
            if isinstance(sinks, list):
                for index in range(len(sinks), len(sinks) + len(value)):
                    origin[f"alerts.sinks.{index}"] = "flag --webhook"
                sinks.extend(value)
            continue
        _set_dotted(data, key, value)
        origin[key] = "flag --" + key.split(".", 1)[-1].replace("_", "-")
    try:
        settings = Settings.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(_describe(exc, origin, path)) from None
    settings.domain  # noqa: B018 - validates the region early, with its own message
    return settings


SINK_TYPES = set(SINK_MODULES)


def _describe(exc: ValidationError, origin: Mapping[str, str], path: Path) -> str:
    err = exc.errors()[0]
    parts = list(err["loc"])
    if parts[:2] == ["alerts", "sinks"] and len(parts) > 3 and parts[3] in SINK_TYPES:
        del parts[3]  # the union's tag: the sink's own keys are what the person wrote
    loc = ".".join(str(part) for part in parts)
    key2 = ".".join(str(part) for part in err["loc"][:2])
    key3 = ".".join(str(part) for part in err["loc"][:3])
    where = origin.get(key3) or origin.get(key2, str(path))
    if err["type"] == "extra_forbidden":
        return f"{where}: unknown key {loc!r}"
    got = err.get("input")
    shown = "" if isinstance(got, dict) else f", got {got!r}"
    if "secret" in loc or "token" in loc or "routing_key" in loc:
        shown = ""
    more = f" (and {len(exc.errors()) - 1} more)" if len(exc.errors()) > 1 else ""
    message = err["msg"].removeprefix("Value error, ")
    message = (
        message[:1].lower() + message[1:]
    )  # pydantic's sentences start upper-case; what was written stays
    return f"{where}: {loc}: {message}{shown}{more}" if loc else f"{where}: {message}{more}"


_TEMPLATE = """\
# tui-health configuration. Every key is optional; flags and environment variables win over this file.
# Every key is listed: set to its default, or commented out where it has none (remove the "# " to use it).
# Durations are in seconds; history.retention and a window's duration also take "90d", "2h".
# Secrets may live here (keep the file private) or in the environment:
#   GENESYSCLOUD_OAUTHCLIENT_ID, GENESYSCLOUD_OAUTHCLIENT_SECRET, TUI_HEALTH_WEBHOOK_TOKEN

[genesys]
# AWS region name (eu-central-1) or Genesys domain (mypurecloud.de).
region = "us-east-1"
# api_url = "https://api.mypurecloud.com"      # a health-details implementation (the health-api source)
# login_url = "https://login.mypurecloud.com"  # override the login host (default: derived from the API host)
# api_base = "https://api.mypurecloud.de"      # as GENESYSCLOUD_API_REGION sets it: picks the hosts, never a source
# name = "EMEA prod"                           # what the header, alerts and metrics call it (default: the region)

[auth]
# client_id = "..."
# client_secret = "..."

[poll]
interval = 15        # seconds between polls
timeout = 10         # seconds per HTTP request
deadline = 60        # seconds per whole poll, retries included
page_size = 100
concurrency = 10     # pages fetched at once after page 1
max_attempts = 5     # per request, on 429/5xx/timeouts
max_pages = 200      # a server claiming more pages than this is not believed
request_budget = 200 # requests per minute per token, retries and probes included (Genesys allows ~300)
min_gap = 1          # seconds from the end of one poll to the start of the next, at least
# status = ["degraded", "down"]
# ids = ["api", "architect"]
expand = true
# sources = ["statuspage", "api-probe"]   # SOURCE_NAMES

[statuspage]
url = "https://status.mypurecloud.com"
# groups = ["Americas"]   # only these groups' components (default: the region's, plus every region's)
all_regions = false  # true: every region's components and incidents

[probe]
path = "/api/v2/organizations/me"
slow_ms = 1500       # slower than this counts as degraded

[events]             # the operational-events source (needs usage:events:view)
# definitions = ["TELEPHONY-0010"]   # these event definitions count as your org's component
component_name = "Operational events (your org)"
min_events = 1       # degraded while this many of them arrived within the window
window = 900
lookback = 900       # how far back the first poll looks
page_size = 200      # events per page (the API's maximum)

[edges]              # the edges source (needs telephony:plugin:all): the org's Edges (not Genesys' cloud media ones)
page_size = 100

[trunks]             # the trunks source (needs telephony:plugin:all): disconnected = down, out of service = maintenance
page_size = 100
types = ["EXTERNAL"] # carrier trunks; add "PHONE" (WebRTC phone trunks) or "EDGE" (tie trunks) to watch those too

[queues]             # the queues source (routing:queue:view, analytics:queueObservation:view)
# ids = ["<queue id>"]
# names = ["Support*"]   # shell-style patterns on queue names (at most max_queues queues)
max_queues = 200
max_waiting = 10     # more waiting than this: degraded
min_on_queue = 1     # anyone waiting and fewer agents on queue than this: down
list_every = 300     # seconds the queue names are kept before they are listed again
# [queues.thresholds."Sales*"]   # per queue (id or name pattern)
# max_waiting = 3
# min_on_queue = 2

[push]               # Genesys' notification channel: edges, trunks, queues and operational events within seconds
enabled = true
heartbeat_timeout = 75   # seconds without a heartbeat before the socket is taken for dead
max_frame = 262144       # bytes one message may have; a larger one closes the socket
renew_margin = 300       # seconds before a channel expires that it is kept alive
retry_base = 1           # backoff between reconnections (seconds, full jitter) ...
retry_cap = 60           # ... up to this
refused_wait = 300       # seconds before a refused topic or subscription is asked for again

[thresholds]
min_down = 1         # this many components down is a breach
min_degraded = 2     # this many degraded is a breach
critical = []        # ids whose going down is a breach on its own
flap_interval = 30   # seconds a new status must last before it counts
flapping_window = 600
flapping_changes = 4
# [thresholds.dependencies]
# routing = ["api"]  # routing depends on api: api down suppresses routing's alerts

[audit]
# path = "/var/log/tui-health/audit.jsonl"
max_bytes = 10000000
backups = 5

[state]
# dir = "/var/lib/tui-health"   # saved state, outbox, lock (default: the user state dir)

[history]
enabled = true           # keep every transition, poll and alert (tui-health history, --replay)
# dir = "/var/lib/tui-health/history"   # one file per target (default: history/ in the state dir)
retention = "90d"

[display]
tz = "local"             # or "utc": every time shown (z toggles it in the console)
bell = false             # ring the terminal bell when a component goes down

[alerts]
enabled = true
repeat_interval = 14400  # seconds between reminders of an ongoing breach (0: never)
once_wait = 10           # seconds --once waits for its own alerts to be delivered
permanent_after = 600    # seconds of 4xx refusals (and three of them) before an alert is given up
retry_base = 1           # seconds before the first retry of a delivery (doubling, with jitter) ...
retry_cap = 300          # ... up to this
resend_interval = 60     # seconds between re-sends of firing alerts to Alertmanager
# outbox = "/var/lib/tui-health/outbox.sqlite3"   # default: outbox.sqlite3 in the state dir
# webhook_token = "..."
# Receivers, one [[alerts.sinks]] each (type: SINK_TYPES):
# [[alerts.sinks]]
# type = "webhook"
# name = "ops-hook"                    # how the outbox and audit log name it (default: type and a hash)
# url = "https://alerts.example.com/hook"
# token = "..."                        # bearer token (default: alerts.webhook_token)
# one_per_event = false                # true: a POST per event (HA pairs)
# [[alerts.sinks]]
# type = "slack"
# name = "team-chat"
# url = "https://hooks.slack.com/services/T000/B000/XXXX"   # the URL is the credential
# [[alerts.sinks]]
# type = "pagerduty"
# name = "pager"
# routing_key = "0123456789abcdef0123456789abcdef"   # the Events API v2 integration key (32 characters)
# url = "https://events.pagerduty.com/v2/enqueue"   # the default
# [[alerts.sinks]]
# type = "alertmanager"
# name = "am"
# url = "http://alertmanager.example.com:9093"

[serve]                  # the collector's endpoints (--serve, --metrics-listen)
public_read = false      # true: anyone may read the state (/state.json, /events); silences still need the token
max_clients = 64         # requests at once; one address may use all while no other waits (then a quarter)
max_streams = 64         # attached consoles (event streams) at once
streams_per_address = 32 # streams one address (an office's NAT) keeps once every place is taken
# tls_cert = "/etc/tui-health/tls/cert.pem"   # with tls_key: HTTPS
# tls_key = "/etc/tui-health/tls/key.pem"

# Planned maintenance: one entry per window; its components page nobody while it is open.
# [[maintenance]]
# name = "carrier work"
# start = "2026-12-06T02:00"           # a wall time in timezone (or RFC 3339 with an offset)
# duration = "2h"
# every = "week"                       # day | week; absent: once
# timezone = "Europe/Berlin"
# ids = ["voice"]                      # and/or match, kinds
# match = ["Carrier*"]                 # shell patterns on a component's name or id
# kinds = ["trunk"]                    # edge | trunk | queue | platform
# targets = ["emea-prod"]              # [[targets]] names (empty: every target)

# Several orgs in one monitor: one entry each (without any, the settings above describe one target).
# [[targets]]
# name = "emea-prod"                   # unique; shown in the console, alerts and metrics
# region = "eu-central-1"
# api_url = "https://api.mypurecloud.de"          # or the region's (and the health-api source)
# login_url = "https://login.mypurecloud.de"
# statuspage_url = "https://status.mypurecloud.com"
# groups = ["EMEA"]                    # its status page groups (default: its region's)
# all_regions = false
# sources = ["statuspage", "api-probe"]
# ids = ["voice"]                      # only these component ids
# client_id_env = "EMEA_PROD_ID"       # this target's credentials come from these variables
# client_secret_env = "EMEA_PROD_SECRET"
"""


def template() -> str:
    """The commented config ``config init`` writes; the source names and receiver types come from their
    registries."""
    from tui_health.alerts.sinks import MODULES
    from tui_health.sources import SOURCES

    kinds = " | ".join(MODULES)
    return _TEMPLATE.replace("SOURCE_NAMES", " | ".join(SOURCES)).replace("SINK_TYPES", kinds)
