"""Benchmark: the history store's cost per poll and its size after 30 days, on an injected clock.

  write cost   1,000 components, 1 % of them changing every poll: the recorder's work on the event loop per poll
               (what the console pays) and the writer thread's transaction per poll. Goal: <= 2 ms per poll.
  30-day size  1,000 components polled every 15 s for 30 simulated days (172,800 polls) with 1 % of them
               changing every hour, written through the same recorder and store, with the audit events and
               alert deliveries those changes make (a change and a delivery each). Goal: <= 50 MB.

Usage: python benchmarks/bench_history.py [--days N] [--polls N]
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from tui_health.history.recorder import Recorder, extras_of
from tui_health.history.store import connect, write_extras, write_poll
from tui_health.history.writer import HistoryWriter
from tui_health.model.domain import (
    AuditEvent,
    EventType,
    RequestTiming,
    Severity,
    Snapshot,
    SourceResult,
    Status,
)
from tui_health.model.state import ComponentView, MonitorState

START = datetime(2026, 1, 1, tzinfo=UTC)
SOURCE = (SourceResult("health-api", True, timings=(RequestTiming("page 1", 40.0, 200),)),)


def views(count: int) -> list[ComponentView]:
    return [
        ComponentView(
            id=f"component-{i:05d}",
            name=f"Component {i}",
            status=Status.HEALTHY,
            observed=Status.HEALTHY,
            since=START,
            last_modified=START,
            source="health-api",
        )
        for i in range(count)
    ]


def churn(components: list[ComponentView], count: int, now: datetime, rng: random.Random) -> None:
    """``count`` components change status (as the engine would confirm it: a new view, since now)."""
    for index in rng.sample(range(len(components)), count):
        old = components[index]
        status = (
            Status.HEALTHY if old.status is not Status.HEALTHY else rng.choice([Status.DEGRADED, Status.DOWN])
        )
        components[index] = replace(old, status=status, observed=status, since=now)


def snapshot(now: datetime) -> Snapshot:
    return Snapshot(poll_id="bench", taken_at=now, components=(), sources=SOURCE, total_ms=40.0)


def write_cost(polls: int, count: int = 1_000) -> tuple[float, float, float, float]:
    """(median recorder ms on the loop, median writer ms per poll, mean and p95 of their sum; the mean carries
    SQLite's occasional WAL checkpoint, spread over the polls that pay for it)."""
    rng = random.Random(1)
    components = views(count)
    with tempfile.TemporaryDirectory() as directory:
        writer = HistoryWriter(Path(directory) / "bench.sqlite3", retention=90 * 86400)
        recorder = Recorder("bench", 45.0)
        loop_ms = []
        now = START
        for _ in range(polls):
            now += timedelta(seconds=15)
            churn(components, count // 100, now, rng)
            state = MonitorState(components=tuple(components))
            started = time.perf_counter()
            record = recorder.poll(snapshot(now), state)
            loop_ms.append((time.perf_counter() - started) * 1000)
            writer.put(record)
        writer.flush(60)
        written = list(writer.write_ms)[-len(loop_ms) :]
        writer.close()
    total = sorted(a + b for a, b in zip(loop_ms[-len(written) :], written, strict=False))
    return (
        statistics.median(loop_ms),
        statistics.median(written),
        statistics.fmean(total),
        total[int(len(total) * 0.95)],
    )


def audit_events(changed: list[ComponentView], now: datetime) -> list[AuditEvent]:
    """What the monitor audits when ``changed`` were confirmed: a change each, and the alert delivered for it
    (the history keeps every audit event and every delivery attempt)."""
    events: list[AuditEvent] = []
    for view in changed:
        change = AuditEvent(
            timestamp=now,
            event_type=EventType.COMPONENT_HEALTH_CHANGE,
            component_ids=(view.id,),
            status=str(view.status),
            message=f"{view.name} changed to {view.status} (was healthy)",
            severity=Severity.WARNING,
            previous_status="healthy",
            source="health-api",
            key=f"{view.id}-{now.timestamp():.0f}",
        )
        delivered = AuditEvent(
            timestamp=now,
            event_type=EventType.ALERT_DELIVERED,
            component_ids=(view.id,),
            status="202",
            message=f"delivered to ops-webhook (https://hooks.example/…) (HTTP 202, attempt 1): {change.message}",
            source="ops-webhook",
            correlation_id=change.key,
        )
        events += [change, delivered]
    return events


def size_after(days: float, count: int = 1_000, interval: float = 15.0) -> tuple[float, int, float]:
    """(MB on disk, polls written, seconds it took) for ``days`` of polls every ``interval`` s, 1 % hourly churn,
    with the audit events and alert deliveries those changes make."""
    rng = random.Random(2)
    components = views(count)
    polls = int(days * 86400 / interval)
    per_hour = int(3600 / interval)
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "month.sqlite3"
        db = connect(path, create=True)
        recorder = Recorder("bench", 3 * interval)
        started = time.perf_counter()
        now = START
        for index in range(polls):
            now += timedelta(seconds=interval)
            if index % per_hour == 0 and index:
                before = list(components)
                churn(components, count // 100, now, rng)
                changed = [c for c, b in zip(components, before, strict=True) if c is not b]
                write_extras(db, extras_of(audit_events(changed, now)))
            write_poll(db, recorder.poll(snapshot(now), MonitorState(components=tuple(components))))
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        db.close()
        size = sum(p.stat().st_size for p in Path(directory).iterdir())
        return size / 1e6, polls, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--polls", type=int, default=400)
    parser.add_argument("--days", type=float, default=30)
    args = parser.parse_args()
    loop, write, mean, p95 = write_cost(args.polls)
    print(f"history write, 1,000 components, 1 % changing per poll ({args.polls} polls)")
    print(f"  recorder on the event loop  median {loop:.3f} ms")
    print(f"  writer thread per poll      median {write:.3f} ms")
    print(f"  both, mean                  {mean:.3f} ms   (goal <= 2 ms per poll; p95 {p95:.3f} ms)")
    size, polls, took = size_after(args.days)
    print(f"history size, {args.days:g} days of 1,000 components every 15 s, 1 % hourly churn")
    print(f"  {polls:,} polls written in {took:.0f} s: {size:.1f} MB   (goal <= 50 MB)")


if __name__ == "__main__":
    main()
