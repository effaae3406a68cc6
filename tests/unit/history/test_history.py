"""The history store: figures against a hand-computed timeline, round trip, pruning, crash safety, the CLI."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sqlite3
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.history_helpers import scripted_monitor
from tui_health.history.reader import HistoryReader
from tui_health.history.store import HistoryError, connect, prune
from tui_health.history.writer import HistoryWriter
from tui_health.support.clock import FakeClock

T0 = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)

# (seconds from T0, statuses; None: the poll fails). Polls every 60 s; the process stops after 600 and a new
# run starts at 1200 (a gap nobody observed).
TIMELINE: list[tuple[float, dict[str, str] | None]] = [
    (0, {"a": "healthy", "b": "healthy"}),
    (60, {"a": "healthy", "b": "healthy"}),
    (120, {"a": "down", "b": "healthy"}),
    (180, {"a": "down", "b": "degraded"}),
    (240, {"a": "down", "b": "healthy"}),
    (300, {"a": "healthy", "b": "healthy"}),
    (360, {"a": "down", "b": "healthy"}),
    (420, {"a": "down", "b": "maintenance"}),
    (480, {"a": "healthy", "b": "maintenance"}),
    (540, None),
    (600, {"a": "healthy", "b": "healthy"}),
    # --- nobody watching from 600 + 3 intervals (780) to 1200 ---
    (1200, {"a": "healthy", "b": "healthy", "c": "healthy"}),
    (1260, {"a": "unknown", "b": "healthy", "c": "healthy"}),
    (1320, {"a": "healthy", "b": "healthy", "c": "healthy"}),
]


def record_timeline(directory: Path) -> Path:
    """Run the timeline through real monitors (one per run) into one store; returns its path."""
    clock = FakeClock(T0)
    done = 0.0

    async def run(steps: list[tuple[float, dict[str, str] | None]]) -> None:
        nonlocal done
        monitor, source, writer = scripted_monitor(directory, clock)
        await monitor.start()
        for at, statuses in steps:
            clock.advance(at - done)
            done = at
            source.fail = statuses is None
            source.statuses = statuses or {}
            await monitor.poll()
        await monitor.close()
        writer.close()

    asyncio.run(run(TIMELINE[:11]))
    asyncio.run(run(TIMELINE[11:]))  # a restart: it goes on from what the store holds
    return directory / "history.sqlite3"


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return record_timeline(tmp_path_factory.mktemp("history"))


def by_id(path: Path, since: float, until: float) -> tuple[dict, float]:
    reader = HistoryReader(path)
    try:
        figures, observed = reader.report(T0.timestamp() + since, T0.timestamp() + until)
    finally:
        reader.close()
    return {f.id: f for f in figures}, observed


def test_figures_match_a_hand_computation(store: Path) -> None:
    figures, observed = by_id(store, 0, 1400)
    # observed: [0, 540) (the poll at 540 failed) + [600, 780) (600 covers 3 intervals; nothing follows until
    # 1200) + [1200, 1400) = 540 + 180 + 200
    assert observed == 920
    a = figures["a"]
    # a: down [120, 300) and [360, 480) = 300 s in two outages; unknown [1260, 1320) is not observed for it
    assert a.downtime_s == 300 and a.outages == 2 and a.mttr_s == 150 and a.longest_s == 180
    assert a.last_outage_at == T0.timestamp() + 360
    assert a.observed_s == 920 - 60
    assert a.availability == pytest.approx(round(100 * (860 - 300) / 860, 4))
    assert a.degraded_s == 0
    b = figures["b"]
    # b: degraded [180, 240); maintenance [420, 600) of which [420, 540) was observed, and is excluded
    assert b.degraded_s == 60 and b.maintenance_s == 120 and b.observed_s == 920
    assert b.availability == 100.0 and b.outages == 0 and b.mttr_s is None and b.last_outage_at is None
    c = figures["c"]  # first seen at 1200
    assert c.observed_s == 200 and c.availability == 100.0


def test_a_window_cuts_outages_and_observation(store: Path) -> None:
    figures, observed = by_id(store, 150, 400)
    # observed [150, 400): all of it; a down [150, 300) + [360, 400): 190 s in two outages, the longest 150
    assert observed == 250
    a = figures["a"]
    assert a.downtime_s == 190 and a.outages == 2 and a.longest_s == 150 and a.mttr_s == 95
    assert a.availability == pytest.approx(round(100 * 60 / 250, 4))
    # a window where nothing was observed says so, with no availability at all
    empty, observed = by_id(store, 800, 1100)
    assert observed == 0 and all(f.availability is None and f.observed_s == 0 for f in empty.values())


def test_an_outage_with_no_observed_down_time_is_not_counted(store: Path) -> None:
    # [300, 360): a's first outage ended as the window opens, its second begins as it closes
    figures, observed = by_id(store, 300, 360)
    a = figures["a"]
    assert observed == 60 and a.downtime_s == 0 and a.availability == 100.0
    assert a.outages == 0 and a.mttr_s is None and a.longest_s == 0 and a.last_outage_at is None


def test_round_trip_keeps_transitions_states_and_events(store: Path) -> None:
    reader = HistoryReader(store)
    try:
        polls = reader.polls()
        assert len(polls) == len(TIMELINE)
        assert [p.ok for p in polls].count(False) == 1 and polls[9].error == "api"
        transitions = reader.transitions(T0.timestamp(), T0.timestamp() + 2000, ["a"])
        assert [(t.at - T0.timestamp(), t.from_status, t.to_status) for t in transitions] == [
            (0, None, "healthy"),
            (120, "healthy", "down"),
            (300, "down", "healthy"),
            (360, "healthy", "down"),
            (480, "down", "healthy"),
            (1260, "healthy", "unknown"),
            (1320, "unknown", "healthy"),
        ]
        # the state at the poll of t=420 is rebuilt from the rows written when something changed
        poll_420 = polls[7].id
        states = {row[1]: row for row in reader.states_at(poll_420)}
        assert states["a"][4] == "down" and states["b"][4] == "maintenance" and "c" not in states
        # states are written on change only: a component unchanged for a poll costs no row
        count = reader.db.execute("SELECT count(*) FROM states WHERE component = 'b'").fetchone()[0]
        assert count < len(TIMELINE)
        kinds = [e["event_type"] for e in reader.events(T0.timestamp() + 2000, 1000)]
        assert kinds[0] == "monitor_started" and kinds.count("monitor_started") == 2  # two runs
        assert kinds.count("monitor_stopped") == 2 and kinds.count("poll_failed") == 1
        assert {"component_health_change", "threshold_breach", "threshold_resolved"} <= set(kinds)
    finally:
        reader.close()


def test_pruning_keeps_what_the_state_of_kept_moments_needs(tmp_path: Path) -> None:
    path = record_timeline(tmp_path)
    db = connect(path, create=True)
    removed = prune(db, T0.timestamp() + 500)
    db.close()
    assert removed == 8  # polls at 0..420
    reader = HistoryReader(path)
    try:
        first = reader.polls()[0]
        assert first.at == T0.timestamp() + 480
        states = {row[1]: row[4] for row in reader.states_at(first.id)}
        assert states == {"a": "healthy", "b": "maintenance"}  # rebuilt although their rows were older
        figures, observed = reader.report(T0.timestamp() + 500, T0.timestamp() + 1400)
        assert observed == 40 + 180 + 200
        assert {f.id: f.availability for f in figures}["a"] == 100.0
    finally:
        reader.close()


def test_a_restart_goes_on_from_the_store(tmp_path: Path) -> None:
    """A third run writes only what changed since the store's last poll: nothing for a, b and c unchanged,
    one transition (from the stored status) when c goes down."""
    path = record_timeline(tmp_path)

    def count(table: str) -> int:
        db = sqlite3.connect(path)
        try:
            return db.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
        finally:
            db.close()

    before = count("transitions"), count("states")

    async def again() -> None:
        clock = FakeClock(T0 + timedelta(seconds=1380))
        monitor, source, writer = scripted_monitor(tmp_path, clock)
        source.statuses = {"a": "healthy", "b": "healthy", "c": "healthy"}
        await monitor.poll()
        writer.flush()
        assert (count("transitions"), count("states")) == before  # nothing changed: nothing written
        clock.advance(60)
        source.statuses = {**source.statuses, "c": "down"}
        await monitor.poll()
        writer.close()

    asyncio.run(again())
    reader = HistoryReader(path)
    try:
        last = reader.transitions(T0.timestamp() + 1400, T0.timestamp() + 1500)
    finally:
        reader.close()
    assert [(t.component, t.from_status, t.to_status) for t in last] == [("c", "healthy", "down")]
    assert count("transitions") == before[0] + 1


KILLER = r"""
import sys, time
from pathlib import Path
from tui_health.history.store import PollRecord, connect, write_poll
db = connect(Path(sys.argv[1]), create=True)
print("ready", flush=True)
n = 0
while True:
    n += 1
    rows = [(f"c{i}", 0, f"C{i}", "healthy", "healthy", 1.0, None, "health-api", None, 0, None, None, 0, None)
            for i in range(2000)]
    write_poll(db, PollRecord(at=float(n), covers=45, ok=True, error=None, duration_ms=1, problems=0,
                              components=2000, breached=False, reasons="[]", sources="[]", run="k", states=rows))
    print(n, flush=True)
"""


def test_kill_9_mid_write_leaves_a_readable_store(tmp_path: Path) -> None:
    path = tmp_path / "killed.sqlite3"
    proc = subprocess.Popen([sys.executable, "-c", KILLER, str(path)], stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
    while int(proc.stdout.readline() or 0) < 5:  # several polls written (and most likely one in flight)
        pass
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    db = sqlite3.connect(path)
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    polls = db.execute("SELECT count(*) FROM polls").fetchone()[0]
    states = db.execute("SELECT count(*) FROM states").fetchone()[0]
    db.close()
    assert polls > 0 and states == polls * 2000  # every poll whole: none half-written
    HistoryReader(path).close()


def test_a_broken_store_is_one_clear_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.sqlite3"
    bad.write_bytes(b"this is not a database" * 100)
    with pytest.raises(HistoryError, match="cannot open the history store"):
        HistoryWriter(bad, retention=86400)
    with pytest.raises(HistoryError, match="no history at"):
        HistoryReader(tmp_path / "absent.sqlite3")


def test_once_records_and_history_reports_over_real_http(start_sim, tmp_path: Path) -> None:
    from tests.conftest import CLIENT_ID, SECRET, run_cli

    sim = start_sim("steady")
    env = {"GENESYSCLOUD_OAUTHCLIENT_ID": CLIENT_ID, "GENESYSCLOUD_OAUTHCLIENT_SECRET": SECRET}
    config = f'[state]\ndir = "{tmp_path}"\n'
    where = ("--api-url", sim.url, "--login-url", sim.url)
    for _ in range(2):
        once = run_cli("--once", "--no-alerts", *where, env=env, extra_config=config)
        assert once.returncode == 0, once.stderr
    out = run_cli("history", "--format", "json", *where, env=env, extra_config=config)
    assert out.returncode == 0, out.stderr
    doc = json.loads(out.stdout)
    assert set(doc) == {"since", "until", "target", "observed_s", "components"}
    first = doc["components"][0]
    assert set(first) == {
        "id",
        "name",
        "availability",
        "outages",
        "downtime_s",
        "mttr_s",
        "longest_s",
        "last_outage_at",
        "degraded_s",
        "observed_s",
    }
    assert len(doc["components"]) == 40 and first["availability"] == 100.0 and doc["observed_s"] > 0
    for fmt, marker in (("markdown", "| Component |"), ("csv", "id,name,availability"), ("table", "Avail")):
        shown = run_cli("history", "--since", "7d", "--format", fmt, *where, env=env, extra_config=config)
        assert shown.returncode == 0 and marker in shown.stdout, shown.stderr
    timeline = run_cli("history", "--timeline", "--format", "json", *where, env=env, extra_config=config)
    # every component was first seen healthy: where the record starts, not 40 transitions
    assert json.loads(timeline.stdout)["timeline"] == []
    table = run_cli("history", "--timeline", *where, env=env, extra_config=config)
    assert "nothing happened in this window" in table.stdout and "first seen" not in table.stdout
    # --no-history writes nothing; a bad --since and a missing store are one line each, exit 3
    store = next((tmp_path / "history").glob("*.sqlite3"))
    polls = sqlite3.connect(store).execute("SELECT count(*) FROM polls").fetchone()[0]
    assert polls == 2
    # the second --once went on from the store: nothing changed, so it wrote no component again (a cron job
    # every five minutes costs a poll row, not a snapshot)
    states = sqlite3.connect(store).execute("SELECT count(*) FROM states").fetchone()[0]
    assert states == 40
    run_cli("--once", "--no-alerts", "--no-history", *where, env=env, extra_config=config)
    assert sqlite3.connect(store).execute("SELECT count(*) FROM polls").fetchone()[0] == 2
    bad = run_cli("history", "--since", "last tuesday", *where, env=env, extra_config=config)
    assert bad.returncode == 3 and bad.stderr.count("\n") == 1 and "--since" in bad.stderr
    missing = run_cli("history", "--region", "eu-west-1", env=env, extra_config=config)
    assert missing.returncode == 3 and missing.stderr.count("\n") == 1, missing.stderr
    assert "no history for eu-west-1" in missing.stderr
    # it names the history that exists and the flags that select it, and those flags work
    host = sim.url.split("://", 1)[1]
    hint = missing.stderr.split("histories recorded here: ", 1)[1].strip()
    assert hint.startswith(f"{host} → --api-url {sim.url} --source health-api"), hint
    flags = hint.split(" → ", 1)[1].split(" ")
    found = run_cli("history", "--format", "json", *flags, env=env, extra_config=config)
    assert found.returncode == 0 and len(json.loads(found.stdout)["components"]) == 40, found.stderr


async def test_incidents_are_kept_as_seen_opened_then_resolved(start_sim, tmp_path: Path) -> None:
    from tests.conftest import sim_settings
    from tui_health.monitor.runtime import open_monitor

    sim = start_sim("outage")
    settings = sim_settings(sim, tmp_path, **{"poll.sources": ["statuspage"], "statuspage.url": sim.url})
    async with open_monitor(settings, config_path=tmp_path / "none.toml", stateless=True) as monitor:
        await monitor.poll()
        opened = {i["name"] for i in monitor.store.state.incidents}
        assert any("Voice" in name for name in opened)
        sim.state.overrides["voice-telephony"] = "healthy"  # the outage ends: its incident resolves
        await monitor.poll()
        assert monitor.history is not None
        path = monitor.history.path
    reader = HistoryReader(path)
    try:
        rows = reader.db.execute("SELECT change, data FROM incidents ORDER BY rowid").fetchall()
        changes = [(change, json.loads(data).get("name", "")) for change, data in rows]
        voice = [c for c, name in changes if "Voice" in name or name == ""]
        assert voice[0] == "opened" and "resolved" in [c for c, _ in changes]
        last = reader.polls()[-1].id
        assert all("Voice" not in i.get("name", "") for i in reader.incidents_at(last))
    finally:
        reader.close()


def test_a_component_no_longer_reported_is_gone_even_across_a_restart(tmp_path: Path) -> None:
    clock = FakeClock(T0)

    async def run(statuses: dict[str, str]) -> None:
        monitor, source, writer = scripted_monitor(tmp_path, clock)
        source.statuses = statuses
        await monitor.poll()
        clock.advance(60)
        await monitor.poll()
        writer.close()

    asyncio.run(run({"a": "healthy", "b": "down"}))
    asyncio.run(run({"a": "healthy"}))  # b vanished while nobody was watching
    reader = HistoryReader(tmp_path / "history.sqlite3")
    try:
        went = [(t.component, t.to_status) for t in reader.transitions(0, T0.timestamp() + 1000)]
        assert sorted(went[:2]) == [("a", "healthy"), ("b", "down")] and went[2:] == [("b", "gone")]
        last = reader.polls()[-1].id
        assert [row[1] for row in reader.states_at(last)] == ["a"]
        # the restart wrote nothing for a: it had not changed
        rows = reader.db.execute("SELECT count(*) FROM states WHERE component = 'a'").fetchone()[0]
        assert rows == 1
    finally:
        reader.close()


def test_replay_at_a_poll_shows_what_that_poll_did_and_nothing_that_came_after(tmp_path: Path) -> None:
    """A poll takes time: what it decides is dated after the moment it was taken. Replay at that poll shows its
    decisions (the change it confirmed, when it confirmed it) and nothing that happened after it ended (a
    silence added before the next poll), in the state, the audit tail and the timeline alike."""
    from tui_health.history.replay import Replay, ReplayMonitor

    clock = FakeClock(T0)

    async def run() -> None:
        monitor, source, writer = scripted_monitor(tmp_path, clock)
        fetch = source.fetch

        async def slow(deadline: float | None):  # the answer takes 1.5 s, as a real one takes its time
            clock.advance(1.5)
            return await fetch(deadline)

        source.fetch = slow  # type: ignore[method-assign]
        source.statuses = {"a": "healthy", "b": "healthy"}
        await monitor.poll()
        clock.advance(60)
        source.statuses = {"a": "down", "b": "healthy"}
        await monitor.poll()  # confirms a down (flap interval 0)
        clock.advance(20)
        monitor.silence("b", 3600, reason="carrier work", by="alice")  # between two polls
        clock.advance(40)
        await monitor.poll()
        await monitor.close()
        writer.close()

    asyncio.run(run())
    reader = HistoryReader(tmp_path / "history.sqlite3")
    replay = Replay(reader, region="scripted", interval=60)
    try:
        second = replay.state(1)
        [change] = [
            e for e in second.events if e.event_type == "component_health_change" and e.status == "down"
        ]
        assert change.timestamp > second.last_poll_at  # decided after the poll was taken, shown at it
        assert not [e for e in second.events if e.event_type == "silence_added"]
        [down] = [c for c in second.components if c.id == "a"]
        assert down.confirmed_at == change.timestamp
        at_second = ReplayMonitor(replay, 1)
        assert change.id in {e.id for e in at_second.audit_tail(50)}
        assert "silence_added" not in {e.event_type for e in at_second.audit_tail(50)}
        third = replay.state(2)
        assert [e.event_type for e in third.events if e.event_type == "silence_added"] == ["silence_added"]
        assert [c.confirmed_at for c in third.components if c.id == "a"] == [change.timestamp]
        # the first poll's view of a is its baseline: confirmed by no change
        assert [c.confirmed_at for c in replay.state(0).components if c.id == "a"] == [None]
    finally:
        reader.close()


def test_a_store_written_before_polls_kept_their_end_is_read_and_then_kept(tmp_path: Path) -> None:
    """A store from an earlier build has no ``polls.ended``: a reader takes the end of the poll's requests
    instead, and the first writer to open it adds the column (nothing else changes)."""
    from tui_health.history.store import SCHEMA

    path = tmp_path / "history.sqlite3"
    db = sqlite3.connect(path)
    db.executescript(SCHEMA.replace("run TEXT NOT NULL,", "run TEXT NOT NULL").replace("ended REAL", "-- "))
    db.execute("INSERT INTO meta VALUES ('schema', '1')")
    db.execute(
        "INSERT INTO polls (at, covers, ok, error, duration_ms, problems, components, breached, reasons, sources, "
        "run) VALUES (100.0, 45, 1, NULL, 1500, 0, 0, 0, '[]', '[]', 'old')"
    )
    db.commit()
    assert "ended" not in {r[1] for r in db.execute("PRAGMA table_info(polls)")}
    db.close()
    reader = HistoryReader(path)
    try:
        [poll] = reader.polls()
        assert poll.ended == 101.5 and reader.poll_ended(poll.id) == 101.5
    finally:
        reader.close()
    connect(path, create=True).close()
    reader = HistoryReader(path)
    try:
        assert reader.polls()[0].ended == 101.5  # the column is there now, empty for the old poll
        assert "ended" in {r[1] for r in reader.db.execute("PRAGMA table_info(polls)")}
    finally:
        reader.close()


def test_replay_without_a_history_or_with_a_bad_since_is_one_line() -> None:
    from tests.conftest import run_cli

    missing = run_cli("--replay", "--region", "eu-west-1")
    assert missing.returncode == 3 and "no history at" in missing.stderr and missing.stderr.count("\n") == 1
    stray = run_cli("--since", "3h")
    assert stray.returncode == 3 and "--since goes with --replay" in stray.stderr
    bad = run_cli("--demo", "--replay", "--since", "the day before")
    assert bad.returncode == 3 and "--since" in bad.stderr and "Traceback" not in bad.stderr


def test_a_flush_of_a_closed_writer_answers_at_once(tmp_path: Path) -> None:
    """A refresh of the Avail figures racing the monitor's close flushed a writer nobody would write again: its
    thread, and with it the loop's shutdown (every test's teardown, a process's exit), waited five seconds."""
    import threading

    writer = HistoryWriter(tmp_path / "history.sqlite3", retention=86400)
    assert writer.flush(timeout=30)
    writer.close()
    answers: list[bool] = []
    late = threading.Thread(target=lambda: answers.append(writer.flush(timeout=3600)))
    late.start()
    late.join(30)  # bounds a hang only: the flush answers at once
    assert answers == [False]
    # a flush queued just before the stop request is answered when the thread ends, not left to time out
    racing = HistoryWriter(tmp_path / "racing.sqlite3", retention=86400)
    done = threading.Event()
    from tui_health.history import writer as writer_module

    racing._queue.put(
        None
    )  # the stop request, then a marker behind it (as a close racing a flush leaves them)
    racing._queue.put(writer_module._Marker(done))  # type: ignore[arg-type]
    assert done.wait(30)
    racing.close()
