from __future__ import annotations

import tracemalloc
from datetime import UTC, datetime

from tui_health.model.domain import RequestTiming, Snapshot, SourceResult
from tui_health.model.latency import LatencyTracker, percentile


def snapshot(ms: float, ok: bool = True) -> Snapshot:
    timings = (RequestTiming("page 1", ms / 2, 200),)
    return Snapshot(
        "p", datetime(2026, 1, 1, tzinfo=UTC), (), (SourceResult("health-api", ok, timings=timings),), ms
    )


def test_percentiles_nearest_rank():
    values = [float(v) for v in range(1, 101)]
    assert (percentile(values, 50), percentile(values, 95), percentile(values, 99)) == (50.0, 95.0, 99.0)
    assert percentile([], 50) == 0.0


def test_summary_error_rate_and_rate():
    tracker = LatencyTracker(window=10)
    for i in range(20):
        tracker.record(snapshot(100 + i, ok=i % 4 != 0), at=i * 15.0, problems=i % 3)
    s = tracker.summary(now=19 * 15.0)
    assert s.polls == 20 and len(s.poll_series) == 10
    assert s.error_rate == 0.2  # polls 12 and 16 of the last ten failed
    assert s.polls_per_minute == 4.0
    assert s.p50 == 114 and s.p99 == 119


def test_memory_stays_flat():
    tracker = LatencyTracker()
    for i in range(2_000):
        tracker.record(snapshot(i), at=float(i), problems=1)
    tracemalloc.start()
    before = tracemalloc.take_snapshot()
    for i in range(20_000):
        tracker.record(snapshot(i), at=float(i), problems=1)
    grown = sum(stat.size_diff for stat in tracemalloc.take_snapshot().compare_to(before, "filename"))
    tracemalloc.stop()
    assert grown < 200_000
