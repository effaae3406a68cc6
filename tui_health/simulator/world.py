"""The simulated platform's state: component statuses over time, issued tokens, request counters."""

from __future__ import annotations

import bisect
import secrets
import threading
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from tui_health.simulator.channels import ChannelServer
from tui_health.simulator.org import SimOrg
from tui_health.simulator.scenario import Fault, Scenario
from tui_health.support.clock import Clock, SystemClock, rfc3339


@dataclass
class Timeline:
    """Per component: sorted change times and statuses, so a lookup at time t is a bisect."""

    times: dict[str, list[float]] = field(default_factory=dict)
    statuses: dict[str, list[str]] = field(default_factory=dict)

    def add(self, cid: str, at: float, status: str) -> None:
        self.times.setdefault(cid, []).append(at)
        self.statuses.setdefault(cid, []).append(status)

    def at(self, cid: str, elapsed: float) -> tuple[str | None, float | None]:
        """The status and the time of the latest change at or before ``elapsed``."""
        times = self.times.get(cid)
        if not times:
            return None, None
        index = bisect.bisect_right(times, elapsed) - 1
        if index < 0:
            return None, None
        return self.statuses[cid][index], times[index]


class SimState:
    """Thread-safe state shared by the request handlers."""

    def __init__(self, scenario: Scenario, clock: Clock | None = None) -> None:
        self.scenario = scenario
        self.clock = clock or SystemClock()
        self.started_mono = self.clock.monotonic()
        self.started_wall = self.clock.now()
        self.lock = threading.Lock()
        self.components = scenario.ids()
        self.timeline = Timeline()
        for change in scenario.changes():
            self.timeline.add(change.id, change.at, change.status)
        self.tokens: dict[str, float] = {}  # token → expiry (monotonic)
        self.clients: dict[str, str] = {}  # token → the OAuth client it was issued to
        self.counts: Counter[str] = Counter()  # "token", "health", "statuspage", "probe", ...
        self.log: list[tuple[str, str, int]] = []  # (method, path+query, status)
        self.webhooks: list[dict[str, Any]] = []  # accepted posts: {"path", "headers", "body"}
        self.posts: list[dict[str, Any]] = []  # every post, refused ones too: {"path", "headers", "status"}
        self.webhook_failures_left = scenario.webhook_failures
        self.receiver_down = False  # tests flip this to take the alert receiver down and up again
        self.receivers_down: set[str] = set()  # or only these receivers (paths like /hooks/old)
        self.receiver_down_status = 500
        self.receiver_retry_after: str | None = None
        self.receiver_attempts = 0
        self.overrides: dict[str, str] = {}  # live status overrides (tests, demo controls)
        self._override_seen: dict[str, tuple[str, float]] = {}  # cid -> (status, elapsed when first served)
        self.window_started = 0.0  # the rate limit's current minute (elapsed seconds)
        self.window_counts: Counter[str] = Counter()  # token -> Platform API requests in that minute
        self.stopping = threading.Event()  # set when the server stops: hanging and dripping answers end
        self.flips: dict[int, float] = {}  # churn: component index → when it last flipped (odd flips only)
        self.generation = 0
        self.channels = ChannelServer(self)
        """The notification service (its WebSocket starts with the first channel)."""
        self.org = SimOrg(
            scenario.org,
            scenario.org_changes,
            self.started_wall,
            self.clock.now,
            self.channels.publish,
            events=scenario.operational_events,
        )
        """The org's Edges, trunks and queues."""

    # -- time and statuses -------------------------------------------------------------------------
    def elapsed(self) -> float:
        return self.clock.monotonic() - self.started_mono

    def status_of(self, cid: str, elapsed: float) -> tuple[str, datetime]:
        """Status and lastModified of one component at ``elapsed`` seconds."""
        if cid in self.overrides:
            with self.lock:  # its lastModified: when the new status was first served (the same for everyone)
                forced = self.overrides[cid]
                seen = self._override_seen.get(cid)
                if seen is None or seen[0] != forced:
                    seen = self._override_seen[cid] = (forced, elapsed)
            return forced, self.started_wall + timedelta(seconds=seen[1])
        status, at = self.timeline.at(cid, elapsed)
        if status is None or at is None:
            initial = self.scenario.initial.get(cid, "healthy")
            # a stable, plausible "last changed" before the simulator started
            offset = 3600 + (sum(map(ord, cid)) % 86400)
            return initial, self.started_wall - timedelta(seconds=offset)
        return status, self.started_wall + timedelta(seconds=at)

    def entities(self, expand: bool, start: int = 0, stop: int | None = None) -> list[dict[str, Any]]:
        """The components ``start:stop`` as the API shows them now (a page builds only its own slice)."""
        elapsed = self.elapsed()
        out = []
        flips = self.flips
        for index, (cid, name) in enumerate(self.components[start:stop], start):
            status, modified = self.status_of(cid, elapsed)
            if index in flips:  # flipped by churn an odd number of times
                status = "degraded" if status == "healthy" else "healthy"
                modified = self.started_wall + timedelta(seconds=flips[index])
            entity: dict[str, Any] = {
                "id": cid,
                "name": name,
                "status": status,
                "lastModified": rfc3339(modified),
            }
            if expand:
                entity["details"] = {
                    "region": "simulated",
                    "shards": 1 + sum(map(ord, cid)) % 7,
                    "note": "nominal" if status == "healthy" else f"{status} since {rfc3339(modified)}",
                }
            entity.update(self.scenario.entity_overrides.get(cid, {}))
            entity["selfUri"] = f"/api/v2/health/details/{cid}"
            out.append(entity)
        return out

    def churn(self) -> None:
        """A new poll began: flip the scenario's share of the components, spread evenly (one in every
        ``1/churn``), a different set each poll."""
        share = self.scenario.churn
        if not share:
            return
        step = max(1, round(1 / share))
        at = self.elapsed()
        with self.lock:
            self.generation += 1
            offset = (self.generation * 37) % step
            for index in range(offset, len(self.components), step):
                if index in self.flips:
                    del self.flips[index]
                else:
                    self.flips[index] = at

    # -- tokens ---------------------------------------------------------------------------------------
    def issue_token(self, client_id: str | None = None) -> str:
        token = secrets.token_hex(16)
        with self.lock:
            self.counts["token"] += 1
            self.tokens[token] = self.clock.monotonic() + self.scenario.token_lifetime
            self.clients[token] = client_id or ""
        return token

    def client_of(self, token: str | None) -> str | None:
        """The OAuth client a token was issued to (channels are counted per client)."""
        with self.lock:
            return self.clients.get(token or "")

    def revoke(self, token: str) -> None:
        with self.lock:
            self.tokens.pop(token, None)

    def token_valid(self, token: str | None) -> bool:
        with self.lock:
            expiry = self.tokens.get(token or "")
        return expiry is not None and self.clock.monotonic() < expiry

    def revoke_all(self) -> None:
        with self.lock:
            self.tokens.clear()

    def client_ok(self, client_id: str | None, secret: str | None) -> bool:
        req = self.scenario.require_client
        if req is None:
            return bool(client_id) and bool(secret)
        return client_id == req.id and secret == req.secret

    # -- the API's rate limit -------------------------------------------------------------------------
    def count_request(self, token: str | None, bucket: str = "") -> dict[str, str]:
        """Count one Platform API request of ``token`` to an endpoint family (``bucket``) in the current minute
        and say so, as Genesys does (its allowances are kept per endpoint)."""
        allowed = self.scenario.rate_limit_allowed
        if not allowed:
            return {}
        now = self.elapsed()
        with self.lock:
            if now - self.window_started >= 60:
                self.window_started, self.window_counts = now - (now % 60), Counter()
            self.window_counts[(token or "") + bucket] += 1
            used = self.window_counts[(token or "") + bucket]
        reset = max(1, round(self.window_started + 60 - now))
        return {
            "inin-ratelimit-allowed": str(allowed),
            "inin-ratelimit-count": str(used),
            "inin-ratelimit-reset": str(reset),
        }

    # -- counters and faults ------------------------------------------------------------------------
    def next_request(self, kind: str) -> int:
        with self.lock:
            self.counts[kind] += 1
            return self.counts[kind]

    def fault_for(self, kind: str, number: int) -> Fault | None:
        for fault in self.scenario.faults:
            if fault.target == kind and fault.hits(number):
                return fault
        return None

    def record(self, method: str, path: str, status: int) -> None:
        with self.lock:
            self.log.append((method, path, status))
            if len(self.log) > 10_000:
                del self.log[:5_000]
