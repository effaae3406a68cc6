"""The collector's state on the wire: a 10,000-component state written as the collector sends it, and read back
as an attached console reads it (``serve/codec.py``), in this process, no network.

  write  the state → the bytes of one ``state`` event's JSON (what ``/state.json`` and ``/events`` send)
  read   those bytes → a validated MonitorState (json.loads + the codec: cleaning, bounds, status, times)

The state is a busy one: every component with a group and times, one in ten with details, one in a hundred
pending or silenced, 300 audit events, a full latency window, three sources with their extras, availability for
each component. Prints the fastest and the median of ``--runs`` and the size of the document. Nothing is asserted.

    .venv/bin/python benchmarks/bench_codec.py [--components 10000] [--runs 15]
"""

from __future__ import annotations

import argparse
import gc
import json
import statistics
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from tui_health.model.domain import AuditEvent, RateLimit, Severity, SourceResult, Status
from tui_health.model.extras import PageStatus, SourceExtras
from tui_health.model.latency import LatencySummary
from tui_health.model.state import BudgetView, ComponentView, ConnectionState, MonitorState
from tui_health.serve import codec

STATUSES = (Status.HEALTHY,) * 17 + (Status.DEGRADED, Status.DOWN, Status.MAINTENANCE)


def busy_state(components: int) -> MonitorState:
    at = datetime(2026, 11, 26, 9, 0, 0, 123000, tzinfo=UTC)
    views = tuple(
        ComponentView(
            id=f"component-{i:05d}",
            name=f"Component {i} of the platform",
            status=STATUSES[i % len(STATUSES)],
            observed=Status.DOWN if i % 100 == 7 else STATUSES[i % len(STATUSES)],
            since=at - timedelta(minutes=i % 600),
            last_modified=at - timedelta(hours=i % 48),
            source="health-api" if i % 3 else "statuspage",
            critical=i % 50 == 0,
            flapping=i % 500 == 3,
            silenced_until=at + timedelta(hours=2) if i % 100 == 11 else None,
            caused_by=(f"component-{i - 1:05d}",) if i % 200 == 5 else (),
            group=f"EMEA (Region {i % 12})",
            raw_status="degraded_performance" if i % 20 == 17 else None,
            details={"load": i % 97, "note": "steady", "nodes": ["a", "b"]} if i % 10 == 0 else None,
            confirmed_at=at - timedelta(minutes=i % 600),
            pending_since=at if i % 100 == 7 else None,
            kind="edge" if i % 40 == 1 else None,
        )
        for i in range(components)
    )
    events = tuple(
        AuditEvent(
            timestamp=at - timedelta(seconds=300 - n),
            event_type="component_health_change",
            component_ids=(f"component-{n:05d}",),
            status="down",
            latency_ms=12.5,
            message=f"Component {n} went down",
            severity=Severity.CRITICAL,
            previous_status="healthy",
            poll_id=f"poll-{n}",
            source="health-api",
        )
        for n in range(300)
    )
    incidents = tuple(
        {"kind": "incident", "id": f"inc-{n}", "name": f"Degraded voice {n}", "status": "investigating"}
        for n in range(5)
    )
    org_events = tuple(
        {"at": "2026-11-26T08:00:00.000Z", "definition": "d", "name": f"e{n}"} for n in range(200)
    )
    sources = (
        SourceResult(
            "health-api", True, rate_limit=RateLimit(300, 120, at + timedelta(seconds=40), "/api/v2/health")
        ),
        SourceResult(
            "statuspage",
            True,
            extras=SourceExtras(incidents=incidents, page_status=PageStatus("minor", "Partial outage")),
        ),
        SourceResult(
            "operational-events",
            False,
            error="HTTP 503 from the API",
            error_kind="api",
            extras=SourceExtras(operational_events=org_events),
        ),
    )
    return MonitorState(
        region="eu-central-1",
        poll_count=1234,
        components=views,
        breached=True,
        reasons=("12 down", "3 critical down"),
        events=events,
        latency=LatencySummary(
            1234,
            120.5,
            340.2,
            510.9,
            150.1,
            0.01,
            4.0,
            tuple(100.0 + n for n in range(240)),
            tuple(n % 7 for n in range(240)),
            80.3,
        ),
        connection=ConnectionState("error", "operational-events: HTTP 503 (+0 more)"),
        last_poll_at=at,
        last_ok_at=at,
        first_poll_at=at - timedelta(days=1),
        next_poll_at=at + timedelta(seconds=15),
        sources=sources,
        incidents=incidents,
        outbox_pending=2,
        budget=BudgetView(120, 300, 0.25),
        silences=tuple((f"component-{i:05d}", at + timedelta(hours=2)) for i in range(11, components, 100)),
        silence_notes={f"component-{i:05d}": "by alice: carrier work" for i in range(11, components, 100)},
        availability={f"component-{i:05d}": 99.0 + (i % 100) / 100 for i in range(components)},
    )


def writer() -> Callable[[MonitorState], bytes]:
    """What the collector does to send one state (serve/http.py)."""
    encode = getattr(codec, "state_bytes", None)
    if encode is not None:
        return encode
    return lambda state: json.dumps(codec.state_to_json(state)).encode()


def timed_ms(action: Callable[[], object], runs: int) -> tuple[float, float]:
    """(fastest, median) of ``runs`` calls, in ms: the fastest is the least disturbed by a busy machine."""
    times = []
    for _ in range(runs):
        gc.collect()
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return min(times) * 1000, statistics.median(times) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--components", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    state = busy_state(args.components)
    write = writer()
    body = write(state)
    back = codec.state_from_json(json.loads(body))
    assert len(back.components) == args.components and back.components[0].id == state.components[0].id
    write_ms = timed_ms(lambda: write(state), args.runs)
    read_ms = timed_ms(lambda: codec.state_from_json(json.loads(body)), args.runs)
    print(
        f"{args.components} components, document {len(body) / 2**20:.1f} MiB, {args.runs} runs: fastest, median"
    )
    print(f"write  {write_ms[0]:8.1f} ms {write_ms[1]:8.1f} ms")
    print(f"read   {read_ms[0]:8.1f} ms {read_ms[1]:8.1f} ms")
    print(f"both   {write_ms[0] + read_ms[0]:8.1f} ms {write_ms[1] + read_ms[1]:8.1f} ms")


if __name__ == "__main__":
    main()
