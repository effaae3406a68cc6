"""History figures against timelines computed by hand (README, "History and reviews": the definitions)."""

from __future__ import annotations

from pathlib import Path

from tui_health.history.reader import HistoryReader
from tui_health.history.store import PollRecord, connect, prune, write_poll
from tui_health.history.writer import HistoryWriter

T0 = 1_750_000_000.0


def poll(at: float, transitions: list[tuple[float, str, str]] = (), covers: float = 30.0) -> PollRecord:  # type: ignore[assignment]
    """One answered poll at ``T0 + at`` recording ``transitions`` (``(began, component, status)``)."""
    return PollRecord(
        at=T0 + at, covers=covers, ok=True, error=None, duration_ms=1.0, problems=0, components=2,
        breached=False, reasons="[]", sources="[]", run="hand",
        transitions=[(T0 + began, cid, cid.upper(), None, status, None, 0) for began, cid, status in transitions],
    )  # fmt: skip


def store(tmp_path: Path, changes: dict[float, list[tuple[float, str, str]]], until: float) -> Path:
    """Polls every 10 s from T0 to T0 + ``until``; ``changes`` maps a poll's time to what it recorded."""
    path = tmp_path / "history.sqlite3"
    db = connect(path, create=True)
    for at in range(0, int(until) + 1, 10):
        write_poll(db, poll(at, changes.get(at, [])))
    db.close()
    return path


def figures_of(path: Path, since: float, until: float) -> dict[str, object]:
    reader = HistoryReader(path)
    try:
        found, observed = reader.report(T0 + since, T0 + until)
    finally:
        reader.close()
    return {"observed": observed, **{f.id: f for f in found}}


def test_maintenance_is_excluded_from_availability_not_counted_as_available(tmp_path: Path) -> None:
    # healthy 0-100, maintenance 100-200, down 200-250, healthy 250-300
    path = store(
        tmp_path,
        {0: [(0, "a", "healthy")], 100: [(100, "a", "maintenance")], 200: [(200, "a", "down")],
         250: [(250, "a", "healthy")]},
        until=300,
    )  # fmt: skip
    got = figures_of(path, 0, 300)
    a = got["a"]
    assert got["observed"] == 300
    assert a.maintenance_s == 100 and a.downtime_s == 50 and a.observed_s == 300  # type: ignore[attr-defined]
    # (300 - 100 maintenance - 50 down) / (300 - 100): 75 %, where counting maintenance as up would say 83.33
    assert a.availability == 75.0  # type: ignore[attr-defined]


def test_an_unknown_gap_does_not_end_an_outage(tmp_path: Path) -> None:
    # healthy 0-50, down 50-110, unknown 110-140 (not measured), down 140-200, healthy 200-300
    path = store(
        tmp_path,
        {0: [(0, "a", "healthy")], 50: [(50, "a", "down")], 110: [(110, "a", "unknown")],
         140: [(140, "a", "down")], 200: [(200, "a", "healthy")]},
        until=300,
    )  # fmt: skip
    a = figures_of(path, 0, 300)["a"]
    assert a.outages == 1  # type: ignore[attr-defined]  # one outage spanning the gap, not two
    assert a.downtime_s == 120 and a.longest_s == 120 and a.mttr_s == 120  # type: ignore[attr-defined]
    assert a.last_outage_at == T0 + 50  # type: ignore[attr-defined]
    assert a.observed_s == 270  # type: ignore[attr-defined]  # the 30 unknown seconds are not observed
    assert a.availability == 55.5556  # type: ignore[attr-defined]  # 150 / 270


def test_pruning_keeps_the_status_each_component_had_at_the_edge(tmp_path: Path) -> None:
    # a: healthy from 0, down 100-500, healthy after; b: healthy from 0 and never changes
    changes = {
        0: [(0, "a", "healthy"), (0, "b", "healthy")],
        100: [(100, "a", "down")],
        500: [(500, "a", "healthy")],
    }
    path = store(tmp_path, changes, until=1000)
    before = figures_of(path, 400, 1000)
    db = connect(path, create=True)
    prune(db, T0 + 300)  # the retention edge falls inside a's outage
    db.close()
    after = figures_of(path, 400, 1000)
    a, b = after["a"], after["b"]
    # down 400-500 in the window, healthy 500-1000: 500 / 600
    assert a.availability == 83.3333 and a.downtime_s == 100 and a.outages == 1  # type: ignore[attr-defined]
    assert a.last_outage_at == T0 + 100  # type: ignore[attr-defined]  # it began before the edge
    assert b.availability == 100.0 and b.observed_s == 600  # type: ignore[attr-defined]
    assert after == before  # pruning changed no figure of the kept time


def test_the_writer_prunes_by_the_retention(tmp_path: Path) -> None:
    writer = HistoryWriter(tmp_path / "kept.sqlite3", retention=300)
    for at in range(0, 7200, 10):  # two hours of polls, by the monitor's clock
        writer.put(poll(at, [(0, "a", "healthy")] if at == 0 else []))
    assert writer.flush()
    oldest, newest = writer.db.execute("SELECT min(at), max(at) FROM polls").fetchone()
    kept = writer.db.execute("SELECT count(*) FROM transitions").fetchone()[0]
    writer.close()
    assert newest == T0 + 7190
    # pruned at least every tenth of the retention: nothing older than retention + 30 s + one poll is kept
    assert oldest >= newest - 300 - 30 - 10
    assert kept == 1  # a's only transition stays: it sets its status at the edge


async def test_avail_24h_moves_at_the_poll_that_confirms_a_down(tmp_path: Path) -> None:
    """The column is worked out again at once after a confirmed change, not five minutes later: a DOWN 60 s
    after an hour of health shows below 100 % at that poll."""
    from tests.history_helpers import scripted_monitor
    from tui_health.support.clock import FakeClock

    clock = FakeClock()
    # availability is refreshed only where the process has settled (not in --once)
    monitor, source, writer = scripted_monitor(tmp_path, clock, interval=60.0, settle=True)
    try:
        source.statuses = {"voice": "healthy", "chat": "healthy"}
        for _ in range(60):
            await monitor.poll()
            await monitor.availability_settled()
            clock.advance(60)
        assert monitor.availability["voice"] == 100.0
        source.statuses["voice"] = "down"
        await monitor.poll()  # flap_interval 0: confirmed at once
        await monitor.availability_settled()
        clock.advance(60)
        await monitor.poll()  # 60 s of it: the column must say so now
        await monitor.availability_settled()
        assert monitor.availability["voice"] is not None and monitor.availability["voice"] < 100.0
        assert monitor.availability["chat"] == 100.0
        assert monitor.store.state.availability["voice"] == monitor.availability["voice"]
    finally:
        writer.close()
        await monitor.close()


def test_a_strip_drawn_coarser_keeps_the_worst_and_ends_at_now() -> None:
    from tui_health.history.timeline import coarser

    h, d, x = "healthy", "degraded", "down"
    # three cells a slot, counted from the end: the last slot is the last three cells (up to now)
    assert coarser((h, h, x, h, h), 2) == (h, x)
    assert coarser((h, h, h, d, h, x, h), 3) == (h, d, x)
    assert coarser((None, None, h, None, None, None), 2) == (h, None)  # unwatched only where nobody watched
    assert coarser((h, x), 5) == (h, x) and len(coarser(tuple([h] * 48), 47)) == 24
