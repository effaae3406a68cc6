"""Bounds on how hard we press a host: a request budget per token, and ``Retry-After`` kept across polls.

Genesys Cloud allows about 300 requests a minute per client-credentials token. Every request made with (or for)
a token — the token itself, every page, every retry, every probe — takes a slot from one :class:`RequestBudget`
(default 200 a minute), so no interval, retry storm or page count can exceed it. A host that answers
``Retry-After`` is left alone until then (:class:`HostGate`), across polls: ``Retry-After: 3600`` means no request
to that host for an hour.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta

from tui_health.model.domain import RateLimit

MAX_RETRY_AFTER = 3600.0
"""The longest ``Retry-After`` honoured, in seconds: a server cannot silence us for longer than an hour."""


class RequestBudget:
    """At most ``limit`` requests in any ``window`` seconds, as the server counts them.

    A request holds its slot from the moment it is granted until ``window`` seconds after its answer arrived
    (:meth:`done`): the server sees it somewhere in between, so however long it waited in a connection pool or
    on the wire, no window of the server's can hold more than ``limit`` of ours.
    """

    def __init__(
        self, limit: int, window: float = 60.0, *, monotonic: Callable[[], float] = time.monotonic
    ) -> None:
        self.limit = limit
        self.window = window
        self.monotonic = monotonic
        self._flight: set[int] = set()  # slots of requests granted and not ended
        self._ended: deque[float] = deque()  # when each ended request ended, oldest first
        self._next = 0
        self.waited = 0.0
        """Seconds requests have waited for a slot, in total (the monitor shows the last poll's share)."""

    def _prune(self, now: float) -> None:
        """Free the slots of requests that ended ``window`` seconds ago: O(slots freed), not O(slots held)."""
        ended, horizon = self._ended, now - self.window
        while ended and ended[0] <= horizon:
            ended.popleft()

    def used(self) -> int:
        """Slots held now: requests in flight, and those that ended less than ``window`` seconds ago."""
        self._prune(self.monotonic())
        return len(self._flight) + len(self._ended)

    def wait_for_slot(self) -> float:
        """Seconds until a slot is free (0 when one is free now). In-flight requests hold theirs until they end,
        so with ``limit`` of them in flight the answer is a short re-check, not a promise."""
        now = self.monotonic()
        self._prune(now)
        excess = len(self._flight) + len(self._ended) - self.limit
        if excess < 0:
            return 0.0
        if excess >= len(self._ended):
            return 1.0  # everything holding a slot is still in flight: look again in a second
        return max(0.0, self._ended[excess] + self.window - now)

    def take(self) -> int:
        """Hold a slot for a request about to be sent; give it to :meth:`done` when the request has ended."""
        slot = self._next
        self._next += 1
        self._flight.add(slot)
        return slot

    def done(self, slot: int) -> None:
        """The request of ``slot`` ended now (answered or failed): its slot frees ``window`` seconds from now."""
        if slot in self._flight:
            self._flight.discard(slot)
            now = self.monotonic()
            if self._ended and now < self._ended[-1]:  # a clock that stepped back: keep the order
                now = self._ended[-1]
            self._ended.append(now)


class HostGate:
    """Per origin (``scheme://host:port``): no request before the time its ``Retry-After`` named."""

    def __init__(self, *, monotonic: Callable[[], float] = time.monotonic) -> None:
        self.monotonic = monotonic
        self._until: dict[str, float] = {}

    def block(self, origin: str, seconds: float) -> None:
        """Keep away from ``origin`` for ``seconds`` (at most :data:`MAX_RETRY_AFTER`)."""
        until = self.monotonic() + min(max(0.0, seconds), MAX_RETRY_AFTER)
        if until > self._until.get(origin, 0.0):
            self._until[origin] = until

    def remaining(self, origin: str) -> float:
        """Seconds before ``origin`` may be asked again (0 when it may be asked now)."""
        until = self._until.get(origin)
        if until is None:
            return 0.0
        left = until - self.monotonic()
        if left <= 0:
            del self._until[origin]
            return 0.0
        return left

    def lifts_at(self, origin: str) -> datetime | None:
        """Wall time the block on ``origin`` lifts, or ``None`` when it is not blocked."""
        left = self.remaining(origin)
        return datetime.now(UTC) + timedelta(seconds=left) if left > 0 else None


MAX_ALLOWED = 1_000_000
"""The largest per-window allowance believed; a bigger or negative number is a broken header, not a quota."""


def bucket_of(path: str) -> str:
    """The endpoint family a request counts against: ``/api/v2/<resource>`` (Genesys keeps its
    ``inin-ratelimit-*`` allowance per endpoint, so a reading speaks for its own family only)."""
    parts = [p for p in path.split("?", 1)[0].split("/") if p]
    if len(parts) >= 3 and parts[0] == "api":
        return "/" + "/".join(parts[:3])
    return "/" + "/".join(parts[:1])


def read_rate_limit(headers: Mapping[str, str], now: datetime, bucket: str = "") -> RateLimit | None:
    """The API's count of our requests from ``inin-ratelimit-allowed`` (the window's allowance),
    ``inin-ratelimit-count`` (requests counted so far) and ``inin-ratelimit-reset`` (seconds until the window
    starts over), as the Platform API sends them on its answers; ``None`` when they are absent or not numbers.
    Values are bounded: the count is clipped to the allowance, the reset to an hour."""

    def number(name: str) -> int | None:
        raw = headers.get(name)
        if raw is None or len(raw) > 12:
            return None
        try:
            value = int(float(raw.strip()))
        except (ValueError, OverflowError):
            return None
        return value if 0 <= value <= MAX_ALLOWED else None

    allowed, used = number("inin-ratelimit-allowed"), number("inin-ratelimit-count")
    if not allowed or used is None:
        return None
    reset = number("inin-ratelimit-reset")
    reset_at = now + timedelta(seconds=min(reset, int(MAX_RETRY_AFTER))) if reset is not None else None
    return RateLimit(allowed, min(used, allowed), reset_at, bucket)
