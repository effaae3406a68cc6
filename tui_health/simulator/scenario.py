"""Scenarios: what the simulated platform does over time. A scenario is a built-in name or a JSON file.

JSON file shape (every key optional)::

    {"components": 40, "seed": 7, "latency_ms": 0, "token_lifetime": 86399, "default_page_size": 25,
     "initial": {"architect": "down"},
     "timeline": [{"at": 30, "id": "chat", "status": "degraded"}],
     "random_changes": {"every_min": 20, "every_max": 60, "until": 3600},
     "flaps": [{"at": 45, "id": "sms", "status": "degraded", "duration": 8}],
     "faults": [{"kind": "rate_limit", "on": [3, 4], "retry_after": 1},
                {"kind": "rate_limit", "every": 40, "burst": 2, "retry_after": 1}],
     "entity_overrides": {"chat": {"status": "purple", "lastModified": "yesterday"}},
     "require_client": {"id": "abc", "secret": "xyz"}}

Fault kinds: ``rate_limit`` (429 + Retry-After), ``error_html`` (503 HTML page), ``error_json`` (503 Genesys error
body), ``malformed`` (200 with broken JSON), ``html`` (200 with an HTML page), ``revoke`` (every token issued so
far is revoked, this request gets 401), ``forbidden`` (403), and the hostile ones in
:mod:`tui_health.simulator.hostile` (``drip``, ``hang``, ``reset``, ``page-count-lie``, ``next-uri-loop``,
``next-uri-foreign-host``, ``deep-json``, ``nan``, ``bad-timestamp``, ``escape-names``, ``echo-secret``,
``token-newline``, ``duplicate-ids``, ``retry-after``, ``redirect``). ``target`` picks the endpoint (``health``,
``token``, ``statuspage``, ``probe``); ``on`` counts that endpoint's requests from 1; ``every`` N with ``burst`` k
fails k requests in every N; with neither, every request.
"""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from tui_health.genesys.wire import first_problem
from tui_health.simulator.names import component_names
from tui_health.support.errors import ConfigError

SIM_STATUSES = ("healthy", "degraded", "down", "maintenance")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Change(_Model):
    at: float = Field(ge=0)
    """Seconds after the simulator starts."""
    id: str
    status: str


class OrgEvent(_Model):
    """One Operational Event of the simulated org (served by ``POST /api/v2/usage/events/query``)."""

    at: float
    """Seconds after the simulator starts (negative: before it started)."""
    definition: str
    entity: str = ""
    previous: str | None = None
    current: str | None = None
    error_code: str | None = None


class OrgSpec(_Model):
    """The simulated org's telephony and queues (the ``edges``, ``trunks`` and ``queues`` sources)."""

    edges: int = Field(0, ge=0, le=500)
    trunks_per_edge: int = Field(2, ge=0, le=20)
    queues: int = Field(0, ge=0, le=500)
    cloud_media: int = Field(2, ge=0, le=20)
    """Genesys' own cloud media Edges (listed unless ``showCloudMedia=false``; the first one OFFLINE), with the
    org's WebRTC phone trunk (disconnected) and tie trunk on them."""
    sites: int = Field(0, ge=0, le=50)
    phones_per_site: int = Field(4, ge=0, le=5_000)
    """Hardware desk phones at every site (the ``phones`` source)."""
    webrtc_per_site: int = Field(2, ge=0, le=100)
    """WebRTC phones at every site (never watched; the first one OFFLINE, its agent logged out)."""
    integrations: int = Field(0, ge=0, le=50)
    """Enabled, active integrations (with one DISABLED beside them when there are any)."""
    actions: int = Field(0, ge=0, le=500)
    """Data actions called 30 times a minute (with one nobody calls beside them when there are any)."""


class OrgChange(_Model):
    """One change of an Edge, trunk, queue, site's phones, phone, integration or data action, ``at`` seconds after
    the start (published on its topic, where it has one)."""

    at: float = Field(ge=0)
    kind: Literal["edge", "trunk", "queue", "site", "phone", "integration", "action"]
    id: str
    online: bool | None = None
    status_code: str | None = None
    update: str | None = None
    """An Edge's software update (``softwareStatus.status``: ``IN_PROGRESS``, ``FAILED``, …)."""
    connected: bool | None = None
    in_service: bool | None = None
    proxies_failing: int | None = Field(None, ge=0)
    """How many of a trunk's SIP proxies stop answering OPTIONS."""
    waiting: int | None = Field(None, ge=0)
    media: str | None = None
    """The media type ``waiting`` is about (``voice`` when not given)."""
    on_queue: int | None = Field(None, ge=0)
    degraded: bool | None = None
    """A phone (or a site's phones) DEGRADED on its primary Edge, still OPERATIONAL on its secondary."""
    state: str | None = None
    """An integration's ``reportedState.code`` (``ERROR``, ``ACTIVATING``, …)."""
    intended: str | None = None
    """An integration's ``intendedState`` (``DISABLED``, …)."""
    message: str | None = None
    """What Genesys says of an integration in ERROR (``reportedState.detail.message``)."""
    per_minute: float | None = Field(None, ge=0)
    error_pct: float | None = Field(None, ge=0, le=100)
    mean_ms: float | None = Field(None, ge=0)
    error_type: str | None = None
    """A data action's calls from then on: how many a minute, the share failing and with which error type."""

    def fields(self) -> dict[str, Any]:
        return {k: v for k, v in self.model_dump().items() if k not in ("at", "kind", "id") and v is not None}


class Flap(_Model):
    at: float = Field(ge=0)
    id: str
    status: str
    duration: float = Field(gt=0)
    """Seconds before the component returns to what it was."""


class RandomChanges(_Model):
    every_min: float = Field(20, gt=0)
    every_max: float = Field(60, gt=0)
    until: float = Field(6 * 3600, gt=0)


FaultKind = Literal[
    "rate_limit",
    "error_html",
    "error_json",
    "malformed",
    "html",
    "revoke",
    "expire-token",
    "login-throttled",  # the login host answers 400 invalid_request "rate limit exceeded"  # answered as usual, then every token issued so far stops working
    "forbidden",
    # hostile behaviours (`simulate --fault NAME[:ARG][@TARGET]`, README "Failure behaviour")
    "drip",
    "hang",
    "reset",
    "page-count-lie",
    "next-uri-loop",
    "next-uri-foreign-host",
    "deep-json",
    "nan",
    "bad-timestamp",
    "escape-names",
    "echo-secret",
    "token-newline",
    "duplicate-ids",
    "retry-after",
    "redirect",
    # the notification channel (target ``socket``: ``on`` counts sockets from 1, ``arg`` = seconds after connecting)
    "socket-drop",  # the socket closes without a word
    "heartbeat-stop",  # the socket stays open but goes silent: no heartbeat, no pong
    "socket-closing",  # v2.system.socket_closing, then the socket closes
    "malformed-frame",  # a frame that is not JSON, then one without a topicName
    "huge-frame",  # a frame far over any sane size
    "no-longer-subscribed",  # v2.system.no_longer_subscribed: the channel's topics are dropped, heartbeats go on
    "token-revoked",  # v2.system.token_revoked: the token is revoked and the channel closed
    "channel-gone",  # a {"result": "404"} frame: the channel no longer exists
    "channel-expiry",  # (target ``channels``) channels expire ``arg`` seconds after creation
    "reject-topics",  # (target ``subscriptions``) topics starting with ``arg`` are Rejected (or refused: 403)
    "duplicate-entity",  # (target ``trunks``/``edges``) the listing repeats an entity, down first, then healthy
    "short-page-count",  # (target ``trunks``/``edges``) pageCount says one page fewer than total implies
    "narrow-fields",  # (target ``phones``) ``fields`` narrows the answer: phones carry no status at all
]
Target = Literal[
    "health",
    "token",
    "statuspage",
    "probe",
    "events",
    "edges",
    "trunks",
    "queues",
    "phones",
    "integrations",
    "actions",
    "channels",
    "subscriptions",
    "socket",
]
TARGETS: tuple[str, ...] = get_args(Target)
TOKEN_FAULTS = ("echo-secret", "token-newline")


class Fault(_Model):
    kind: FaultKind
    arg: str | None = None
    """The fault's argument: seconds for ``drip``/``retry-after``, a URL for ``next-uri-foreign-host`` and
    ``redirect``, a depth for ``deep-json``, a page count for ``page-count-lie``, ``endless`` for
    ``next-uri-loop``."""
    on: list[int] = Field(default_factory=list)
    every: int | None = Field(None, ge=1)
    burst: int = Field(1, ge=1)
    start: int = Field(1, ge=1)
    """With ``every``: the first request number the pattern applies from."""
    retry_after: float | None = 1
    target: Target = "health"

    def hits(self, number: int) -> bool:
        """Whether request ``number`` (counted per target from 1) gets this fault; every one when neither
        ``on`` nor ``every`` is given."""
        if number in self.on:
            return True
        if self.every and number >= self.start:
            return (number - self.start) % self.every < self.burst
        return not self.on and self.every is None


def with_faults(scenario: Scenario, specs: list[str]) -> Scenario:
    """``scenario`` plus the faults given as ``NAME[:ARG][@TARGET]`` (``--fault``, repeatable)."""
    if not specs:
        return scenario
    return scenario.model_copy(update={"faults": [*scenario.faults, *map(parse_fault, specs)]})


def parse_fault(spec: str) -> Fault:
    """``NAME[:ARG][@TARGET]`` (``drip:2``, ``retry-after:3600@probe``) as a fault on every request."""
    head, _, target = spec.partition("@")
    kind, _, arg = head.partition(":")
    data: dict[str, object] = {"kind": kind.strip(), "arg": arg.strip() or None}
    if target:
        data["target"] = target.strip()
    elif kind in TOKEN_FAULTS:
        data["target"] = "token"
    try:
        return Fault.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(
            f"--fault {spec!r}: {first_problem(exc)}",
            hint="NAME[:ARG][@TARGET] (TARGET: " + "|".join(TARGETS) + '); see README "Failure behaviour"',
        ) from None


class ClientCreds(_Model):
    id: str
    secret: str


class Scenario(_Model):
    name: str = "custom"
    components: int = Field(40, ge=1, le=100_000)
    seed: int = 7
    latency_ms: float = Field(0, ge=0)
    token_lifetime: int = Field(86399, ge=1)
    default_page_size: int = Field(25, ge=1)
    initial: dict[str, str] = Field(default_factory=dict)
    timeline: list[Change] = Field(default_factory=list)
    random_changes: RandomChanges | None = None
    flaps: list[Flap] = Field(default_factory=list)
    faults: list[Fault] = Field(default_factory=list)
    entity_overrides: dict[str, dict[str, object]] = Field(default_factory=dict)
    require_client: ClientCreds | None = None
    statuspage_summary: dict[str, Any] | None = None
    """Serve this document as ``/api/v2/summary.json`` instead of one built from the timeline."""
    probe_latency_ms: float = Field(0, ge=0)
    """Extra latency of ``GET /api/v2/organizations/me`` (the API probe)."""
    paging: Literal["full", "next_only"] = "full"
    """``next_only``: pages carry only ``nextUri`` (no ``pageCount``/``total``), to exercise sequential walks."""
    webhook_failures: int = Field(0, ge=0)
    """The built-in webhook receiver answers 500 to this many deliveries first."""
    operational_events: list[OrgEvent] = Field(default_factory=list)
    """The org's Operational Events over time."""
    churn: float = Field(0.0, ge=0, le=1)
    """Share of the components that flip (healthy ↔ degraded) at the start of every poll (a request for page 1):
    0.01 changes one component on every page of 100, so every page's body differs from the last poll's."""
    org: OrgSpec | None = None
    """Edges, trunks and queues of the simulated org (none without it)."""
    org_changes: list[OrgChange] = Field(default_factory=list)
    heartbeat_every: float = Field(30.0, gt=0)
    """Seconds between the notification channel's heartbeats."""
    channel_lifetime: float = Field(86_400.0, gt=0)
    """Seconds a notification channel lives (its ``expires``); the ``channel-expiry`` fault shortens it."""
    rate_limit_allowed: int = Field(300, ge=0)
    """Requests a token may make per minute, counted as Genesys does and sent back on every Platform API answer
    (``inin-ratelimit-allowed``/``-count``/``-reset``); over it, the answer is 429. 0: no such headers."""

    def ids(self) -> list[tuple[str, str]]:
        return component_names(self.components)

    def changes(self) -> list[Change]:
        """Every scheduled change, the random ones included (deterministic for a seed), sorted by time."""
        out = list(self.timeline)
        for flap in self.flaps:
            before = self.initial.get(flap.id, "healthy")
            out.append(Change(at=flap.at, id=flap.id, status=flap.status))
            out.append(Change(at=flap.at + flap.duration, id=flap.id, status=before))
        if self.random_changes:
            rng = random.Random(self.seed)
            ids = [cid for cid, _ in self.ids()]
            current = {cid: self.initial.get(cid, "healthy") for cid in ids}
            at = 0.0
            rc = self.random_changes
            while True:
                at += rng.uniform(rc.every_min, rc.every_max)
                if at > rc.until:
                    break
                cid = rng.choice(ids)
                options = [s for s in ("healthy", "degraded", "down") if s != current[cid]]
                weights = [6 if s == "healthy" else 3 if s == "degraded" else 1 for s in options]
                status = rng.choices(options, weights)[0]
                current[cid] = status
                out.append(Change(at=round(at, 3), id=cid, status=status))
        return sorted(out, key=lambda c: c.at)


BUILTIN: dict[str, dict[str, object]] = {
    "steady": {"components": 40},
    "outage": {
        "components": 40,
        "initial": {"voice-telephony": "down", "acd-routing": "degraded", "web-messaging": "degraded"},
    },
    "demo": {
        "components": 40,
        "initial": {
            "voice-telephony": "down",
            "acd-routing": "degraded",
            "web-messaging": "degraded",
            "audit-viewer": "maintenance",
        },
        "random_changes": {"every_min": 20, "every_max": 60},
        "timeline": [{"at": 25, "id": "voice-telephony", "status": "healthy"}],
        "flaps": [{"at": 12, "id": "sms", "status": "degraded", "duration": 6}],
        "faults": [
            {"kind": "rate_limit", "every": 90, "burst": 2, "start": 30, "retry_after": 1},
            # one rate-limited moment of the probe (our quota): unknown, not measured, nothing pages
            {"kind": "rate_limit", "every": 40, "start": 4, "target": "probe", "retry_after": 1},
        ],
        "latency_ms": 40,
        # the org's own telephony and queues, each change pushed in Genesys' own shape: a trunk drops at 20 s
        # (seen within a second; the poll interval is 15 s), a queue fills over voice and chat at 45-50 s, an
        # Edge updates its software (maintenance) at 60 s, goes offline at 100 s, a trunk loses one of its two
        # SIP proxies at 120 s; all come back later. The rest of the contact centre: the Denver site's desk
        # phones drop at 30 s (pushed), a CRM integration fails at 40 s (its own words shown), a data action
        # starts timing out at 55 s, a Chicago phone runs on its secondary Edge at 70 s; all recover by 140 s
        "org": {
            "edges": 2,
            "trunks_per_edge": 2,
            "queues": 4,
            "sites": 3,
            "phones_per_site": 6,
            "integrations": 3,
            "actions": 4,
        },
        "org_changes": [
            {"at": 20, "kind": "trunk", "id": "trunk-1-1", "connected": False},
            {"at": 45, "kind": "queue", "id": "queue-2", "waiting": 9, "media": "voice"},
            {"at": 50, "kind": "queue", "id": "queue-2", "waiting": 5, "media": "chat"},
            {"at": 60, "kind": "edge", "id": "edge-1", "update": "IN_PROGRESS"},
            {"at": 75, "kind": "queue", "id": "queue-2", "waiting": 2, "media": "voice"},
            {"at": 76, "kind": "queue", "id": "queue-2", "waiting": 0, "media": "chat"},
            {"at": 85, "kind": "trunk", "id": "trunk-1-1", "connected": True},
            {"at": 90, "kind": "edge", "id": "edge-1", "update": "SUCCEEDED"},
            {"at": 100, "kind": "edge", "id": "edge-2", "online": False},
            {"at": 120, "kind": "trunk", "id": "trunk-2-1", "proxies_failing": 1},
            {"at": 150, "kind": "edge", "id": "edge-2", "online": True},
            {"at": 170, "kind": "trunk", "id": "trunk-2-1", "proxies_failing": 0},
            {"at": 30, "kind": "site", "id": "site-2", "online": False},
            {"at": 95, "kind": "site", "id": "site-2", "online": True},
            {
                "at": 40,
                "kind": "integration",
                "id": "integration-2",
                "state": "ERROR",
                "message": "Unable to authenticate with the remote endpoint: 401 Unauthorized",
            },
            {"at": 130, "kind": "integration", "id": "integration-2", "state": "ACTIVE"},
            {"at": 55, "kind": "action", "id": "custom_-_action-2", "error_pct": 80, "error_type": "TIMEOUT"},
            {"at": 140, "kind": "action", "id": "custom_-_action-2", "error_pct": 0},
            {"at": 70, "kind": "phone", "id": "phone-1-2", "degraded": True},
            {"at": 110, "kind": "phone", "id": "phone-1-2", "degraded": False},
        ],
        "operational_events": [
            {
                "at": -120,
                "definition": "ARCHITECT-0001",
                "entity": "Inbound main flow",
                "error_code": "flow.timeout",
            },
            {
                "at": 20,
                "definition": "TELEPHONY-0010",
                "entity": "Trunk carrier-a",
                "previous": "up",
                "current": "down",
            },
            {
                "at": 35,
                "definition": "TELEPHONY-0010",
                "entity": "Trunk carrier-b",
                "previous": "up",
                "current": "down",
            },
            {
                "at": 80,
                "definition": "TELEPHONY-0012",
                "entity": "Trunk carrier-a",
                "previous": "down",
                "current": "up",
            },
        ],
    },
    "chaos": {
        "components": 250,
        "faults": [
            {"kind": "rate_limit", "on": [2, 3], "retry_after": 1},
            {"kind": "revoke", "on": [6]},
            {"kind": "error_html", "on": [8, 9]},
        ],
    },
    "bad-entities": {
        "components": 10,
        "entity_overrides": {
            "chat": {"status": "purple"},
            "email-routing": {"lastModified": "yesterday at noon"},
        },
    },
    # benchmarks poll it back to back, far above a real org's 300 requests a minute: no rate limit here
    "large": {"components": 1000, "latency_ms": 50, "rate_limit_allowed": 0},
}


def load_scenario(spec: str | None) -> Scenario:
    """A built-in scenario by name, or a JSON file by path."""
    spec = spec or "steady"
    if spec in BUILTIN:
        return Scenario.model_validate({"name": spec, **BUILTIN[spec]})
    path = Path(spec)
    if not path.exists():
        raise ConfigError(
            f"unknown scenario {spec!r}", hint=f"use one of {', '.join(BUILTIN)} or a JSON file"
        )
    try:
        data = json.loads(path.read_text())
        return Scenario.model_validate({"name": path.stem, **data})
    except ValidationError as exc:
        raise ConfigError(f"scenario file {path}: {first_problem(exc)}") from None
    except (OSError, ValueError) as exc:
        raise ConfigError(f"scenario file {path}: {exc}") from None
