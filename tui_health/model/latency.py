"""LatencyTracker: bounded ring buffers of poll and request latencies; memory stays flat however long it runs."""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass
from typing import Annotated

from tui_health.model.domain import Snapshot
from tui_health.support.untrusted import Count, Finite, Newest

MAX_SERIES = 1_000
"""The points of a series a summary read from elsewhere keeps (the newest)."""


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile (p in 0..100) of unsorted values; 0 for none."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, math.ceil(p / 100 * len(ordered)) - 1))
    return ordered[rank]


@dataclass(frozen=True, slots=True)
class LatencySummary:
    polls: Count
    p50: Finite
    p95: Finite
    p99: Finite
    mean: Finite
    error_rate: Finite  # failed polls / polls, over the window
    polls_per_minute: Finite
    # poll latency (ms), oldest first
    poll_series: Annotated[tuple[Finite, ...], Newest(MAX_SERIES)]
    # per-poll count of non-healthy components; None: no answer
    problem_series: Annotated[tuple[Count | None, ...], Newest(MAX_SERIES)]
    request_p95: Finite


class LatencyTracker:
    def __init__(self, window: int = 240, request_window: int = 2048) -> None:
        self.polls = 0
        self._poll_ms: deque[float] = deque(maxlen=window)
        self._ok: deque[bool] = deque(maxlen=window)
        self._at: deque[float] = deque(maxlen=window)  # monotonic seconds
        self._request_ms: deque[float] = deque(maxlen=request_window)
        self._problems: deque[int | None] = deque(maxlen=window)

    @property
    def window(self) -> int:
        return self._poll_ms.maxlen or 0

    def seed(self, ms: float, ok: bool, at: float, problems: int | None) -> None:
        """One poll remembered from before this process (the history): it shows in the series, not in ``polls``."""
        self._poll_ms.append(ms)
        self._ok.append(ok)
        self._at.append(at)
        self._problems.append(problems)

    def record(self, snapshot: Snapshot, at: float, problems: int) -> None:
        self.polls += 1
        self._poll_ms.append(snapshot.total_ms)
        self._ok.append(snapshot.ok and all(s.ok for s in snapshot.sources))
        self._at.append(at)
        timings = snapshot.timings
        self._request_ms.extend(t.ms for t in timings)
        self._problems.append(problems if snapshot.ok else None)  # no answer is a gap, not zero problems

    def summary(self, now: float) -> LatencySummary:
        values = list(self._poll_ms)
        recent = [t for t in self._at if now - t <= 60]
        span = (now - recent[0]) if len(recent) > 1 else 0.0
        ppm = (len(recent) - 1) / span * 60 if span > 0 else float(len(recent))
        failed = sum(1 for ok in self._ok if not ok)
        return LatencySummary(
            polls=self.polls,
            p50=percentile(values, 50),
            p95=percentile(values, 95),
            p99=percentile(values, 99),
            mean=sum(values) / len(values) if values else 0.0,
            error_rate=failed / len(self._ok) if self._ok else 0.0,
            polls_per_minute=ppm,
            poll_series=tuple(values),
            problem_series=tuple(self._problems),
            request_p95=percentile(list(self._request_ms), 95),
        )
