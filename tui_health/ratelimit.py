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
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

MAX_RETRY_AFTER = 3600.0
"""The longest ``Retry-After`` honoured, in seconds: a server cannot silence us for longer than an hour."""


class RequestBudget:
    """At most ``limit`` requests in any ``window`` seconds: a sliding log of when each slot was taken."""

    def __init__(
        self, limit: int, window: float = 60.0, *, monotonic: Callable[[], float] = time.monotonic
    ) -> None:
        self.limit = limit
        self.window = window
        self.monotonic = monotonic
        self._taken: deque[float] = deque()
        self.waited = 0.0
        """Seconds requests have waited for a slot, in total (the header and JSON show it)."""
        self.refused = 0
        """Requests not made because no slot would free before the poll's deadline."""

    def _prune(self, now: float) -> None:
        while self._taken and self._taken[0] <= now - self.window:
            self._taken.popleft()

    def used(self) -> int:
        """Slots taken in the last ``window`` seconds."""
        self._prune(self.monotonic())
        return len(self._taken)

    def wait_for_slot(self) -> float:
        """Seconds until a slot is free (0 when one is free now)."""
        now = self.monotonic()
        self._prune(now)
        if len(self._taken) < self.limit:
            return 0.0
        return max(0.0, self._taken[len(self._taken) - self.limit] + self.window - now)

    def take(self, wait: float = 0.0) -> None:
        """Take a slot, at ``wait`` seconds from now (the caller waits that long before sending)."""
        self._taken.append(self.monotonic() + wait)
        self.waited += wait


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
