"""The machine's own trouble over the real process: a locked store, a full or sick disk, a deleted state
directory, signals. None of it loses or delays an alert, and none of it ends in a crash."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

from tests.conftest import CLIENT_ID, SECRET, wait_until

LOCKER = r"""
import sqlite3, sys
db = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=30)
db.execute("BEGIN EXCLUSIVE")
print("locked", flush=True)
sys.stdin.read()  # held until the test kills it (or closes its stdin)
"""


def lock(store: Path) -> subprocess.Popen[str]:
    """Another process holding ``BEGIN EXCLUSIVE`` on ``store``, once it says so (the caller kills it)."""
    locker = subprocess.Popen(
        [sys.executable, "-c", LOCKER, str(store)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    assert locker.stdout is not None and locker.stdout.readline().strip() == "locked"
    return locker


def config(tmp_path: Path, sim, extra: str = "") -> Path:
    path = tmp_path / "config.toml"
    path.write_text(
        f'[state]\ndir = "{tmp_path}"\n[audit]\npath = "{tmp_path / "audit.jsonl"}"\n'
        "[thresholds]\nflap_interval = 0\n[poll]\nmin_gap = 0\ninterval = 0.1\n"
        "[alerts]\nretry_base = 0.05\nretry_cap = 0.2\n"
        f'[[alerts.sinks]]\ntype = "webhook"\nurl = "{sim.url}/hooks/faults"\n{extra}'
    )
    return path


def headless(sim, tmp_path: Path, *extra: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    full = {k: v for k, v in os.environ.items() if not k.startswith(("GENESYSCLOUD_", "TUI_HEALTH_", "XDG_"))}
    full.update(
        GENESYSCLOUD_OAUTHCLIENT_ID=CLIENT_ID,
        GENESYSCLOUD_OAUTHCLIENT_SECRET=SECRET,
        TUI_HEALTH_CONFIG=str(tmp_path / "config.toml"),
        HOME=str(tmp_path),
        **(env or {}),
    )
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tui_health",
            "--headless",
            "--api-url",
            sim.url,
            "--login-url",
            sim.url,
            *extra,
        ],
        env=full,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def finish(proc: subprocess.Popen[str], sig: int = signal.SIGTERM) -> tuple[int, list[dict], str]:
    proc.send_signal(sig)
    out, err = proc.communicate(timeout=90)
    return proc.returncode, [json.loads(line) for line in out.splitlines() if line.strip()], err


def test_sigterm_while_the_history_store_is_locked_ends_cleanly_and_says_what_was_not_written(
    start_sim, tmp_path: Path
) -> None:
    sim = start_sim("steady")
    config(tmp_path, sim)
    proc = headless(sim, tmp_path)
    locker = None
    try:
        wait_until(lambda: sim.state.counts["health"] >= 3, what="the first polls")
        store = next((tmp_path / "history").glob("*.sqlite3"))
        locker = lock(store)
        polls = sim.state.counts["health"]
        wait_until(lambda: sim.state.counts["health"] >= polls + 5, what="polls while the store is locked")
        code, events, err = finish(proc)
        reader = sqlite3.connect(store)  # beside the lock (WAL): what came before it
        in_store = reader.execute("SELECT count(*) FROM polls").fetchone()[0]
        reader.close()
    finally:
        if proc.poll() is None:
            proc.kill()
        if locker is not None:
            locker.kill()
            locker.wait()
    assert code == 0, (code, err)  # not -11: no connection was closed under the writer's thread
    kinds = [e["event_type"] for e in events]
    assert kinds[-1] in ("monitor_stopped", "storage_failed") and "monitor_stopped" in kinds
    lost = [e["message"] for e in events if e.get("source") == "history store" and "at stop" in e["message"]]
    assert len(lost) == 1 and "history record(s) were not written at stop" in lost[0], lost
    stopped = next(e["message"] for e in events if e["event_type"] == "monitor_stopped")
    polled = int(stopped.split("stopped after ")[1].split(" ")[0])
    # every poll missing from the store is said (but one a SIGTERM cut short before its record), and the stop
    # event's record too
    assert polled - in_store >= 2  # a queue behind the lock, not only the record in the writer's hands
    assert int(lost[0].split(" ")[0]) >= polled - in_store, (lost, polled, in_store)
    assert "Traceback" not in err and "Segmentation" not in err


def test_the_history_writer_counts_exactly_what_it_did_not_write_while_its_thread_waits_on_a_lock(
    tmp_path: Path,
) -> None:
    """Closed while its thread still waits on another process's lock: the count is the records handed over and
    not written — not the stop request, not a flush asked meanwhile (the availability refresh asks one)."""
    from tui_health.history.store import Extras
    from tui_health.history.writer import HistoryWriter

    def record(n: int) -> Extras:
        return Extras(events=[(float(n), "source_note", "info", "[]", "{}")])

    writer = HistoryWriter(tmp_path / "history.sqlite3", retention=86400)
    writer.put(record(0))
    assert writer.flush()  # written before the lock
    locker = lock(writer.path)
    try:
        for n in range(1, 4):
            writer.put(record(n))
        assert not writer.flush(timeout=0)  # a flush that cannot finish: its marker waits in the queue
        assert writer.close(timeout=0.05) == 3  # the thread is still inside its busy wait (5 s): 3, not 5
    finally:
        locker.kill()
        locker.wait()
    writer._thread.join(
        30
    )  # its busy wait ends once the lock is gone, then the thread does (no attempt more)
    assert not writer._thread.is_alive()


# -- in the process: the outbox and the disk under the monitor -------------------------------------------------


def outage_settings(sim, tmp_path: Path, **flags):
    from tests.conftest import sim_settings

    return sim_settings(
        sim,
        tmp_path,
        **{
            "thresholds.flap_interval": 0,
            "alerts.retry_base": 0.05,
            "alerts.retry_cap": 0.2,
            "alerts.sinks+": [{"type": "webhook", "url": f"{sim.url}/hooks/faults"}],
            **flags,
        },
    )


async def until(predicate, timeout: float = 60.0, what: str = "condition") -> None:
    import asyncio

    for _ in range(int(timeout / 0.02)):
        if predicate():
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"{what} not reached")


async def test_a_stop_with_the_history_locked_audits_exactly_the_records_it_could_not_write(
    start_sim, tmp_path: Path, monkeypatch
) -> None:
    """Polls and a change queued behind another process's lock, then a stop that finds the writer's thread
    still waiting on it: the audit log says how many records were not written — each one handed over after the
    lock, the stop event's included, nothing else — and the store holds what came before."""
    import asyncio

    from tests.conftest import sim_settings
    from tui_health.monitor import recording as recording_module
    from tui_health.monitor.runtime import open_monitor

    monkeypatch.setattr(recording_module, "HISTORY_CLOSE_WAIT", 0.05)  # shorter than the writer's busy wait
    sim = start_sim("steady")
    settings = sim_settings(sim, tmp_path, **{"thresholds.flap_interval": 0})
    async with open_monitor(settings, config_path=tmp_path / "none.toml") as monitor:
        writer = monitor.history
        assert writer is not None
        await monitor.start()
        await monitor.poll()
        assert await asyncio.to_thread(writer.flush)  # everything so far is in the store
        locker = lock(writer.path)
        try:
            handed: list[object] = []
            put = writer.put
            monkeypatch.setattr(writer, "put", lambda item: (handed.append(item), put(item))[1])
            sim.state.overrides["chat"] = "down"  # a change (its events) queued too
            for _ in range(3):
                await monitor.poll()
            await monitor.close()
            store = sqlite3.connect(writer.path)  # a reader beside the lock (WAL)
            assert store.execute("SELECT count(*) FROM polls").fetchone()[0] == 1
            store.close()
        finally:
            locker.kill()
            locker.wait()
        writer._thread.join(30)  # its busy wait ends with the lock, then the thread does
    lines = [json.loads(line) for line in (tmp_path / "audit.jsonl").read_text().splitlines()]
    said = [e["message"] for e in lines if e.get("source") == "history store" and "at stop" in e["message"]]
    assert len(handed) >= 5  # three polls, the change's events, the stop event
    assert len(said) == 1 and said[0].startswith(f"{len(handed)} history record(s) were not written at stop ")


async def test_a_frozen_disk_holds_its_stores_threads_never_the_polls(start_sim, tmp_path: Path, monkeypatch):
    """Every write blocks (a disk that stopped answering): polls, alert delivery and the views go on, the
    person is told which store is stuck, and what waited is written once the disk answers."""
    import asyncio
    import threading

    from tui_health.alerts import dispatcher as dispatcher_module
    from tui_health.monitor import storage as storage_module
    from tui_health.monitor.runtime import open_monitor

    monkeypatch.setattr(dispatcher_module, "STORAGE_WAIT", 0.2)
    monkeypatch.setattr(storage_module, "STUCK_AFTER", 0.2)
    sim = start_sim("outage")
    thawed = threading.Event()
    settings = outage_settings(
        sim, tmp_path, **{"poll.interval": 0.2}
    )  # five polls in a second, not a minute
    async with open_monitor(settings, config_path=tmp_path / "none.toml") as monitor:
        assert monitor.outbox is not None and monitor.dispatcher is not None
        outbox, audit = monitor.outbox, monitor.audit
        real_add, real_append = outbox.add, audit._append

        def frozen_add(*args):
            thawed.wait(60)
            return real_add(*args)

        def frozen_append(data: bytes) -> None:
            thawed.wait(60)
            real_append(data)

        monkeypatch.setattr(outbox, "add", frozen_add)
        monkeypatch.setattr(audit, "_append", frozen_append)
        await monitor.start()
        stop = asyncio.Event()
        running = asyncio.ensure_future(monitor.run(stop))
        try:
            await until(lambda: monitor.tracker.polls >= 5, what="five polls on a frozen disk")
            state = await monitor.poll()
            assert "the alert outbox has not answered" in state.storage_problem
            assert "the audit log has not answered" in state.storage_problem
            assert state.alerts_held >= 1 and not sim.state.webhooks  # held, not lost, not sent yet
            thawed.set()  # the disk answers again: what was held is stored and delivered
            await until(lambda: len(sim.state.webhooks) >= 1, what="the held alert delivered")
            await until(lambda: monitor.dispatcher.held == 0 and monitor.audit.busy_for() == 0)
        finally:
            thawed.set()
            stop.set()
            await running
            await monitor.close()
    kinds = [json.loads(line)["event_type"] for line in (tmp_path / "audit.jsonl").read_text().splitlines()]
    assert "storage_failed" in kinds and "alert_delivered" in kinds and kinds[-1] == "monitor_stopped"


async def test_an_accepted_alert_whose_row_cannot_be_deleted_is_never_sent_again(
    start_sim, tmp_path, monkeypatch
):

    from tui_health.alerts import dispatcher as dispatcher_module
    from tui_health.monitor.runtime import open_monitor

    monkeypatch.setattr(dispatcher_module, "STORAGE_RETRY", 0.05)
    sim = start_sim("outage")
    async with open_monitor(outage_settings(sim, tmp_path), config_path=tmp_path / "none.toml") as monitor:
        assert monitor.outbox is not None and monitor.dispatcher is not None
        outbox = monitor.outbox
        real_delivered = outbox.delivered
        broken = {"on": True}
        refused: list[int] = []

        def undeletable(row_id: int) -> None:
            if broken["on"]:
                refused.append(row_id)
                raise sqlite3.OperationalError("database is locked")
            real_delivered(row_id)

        monkeypatch.setattr(outbox, "delivered", undeletable)
        await monitor.start()
        await monitor.poll()
        await until(lambda: len(sim.state.webhooks) == 1, what="the alert accepted")
        await until(lambda: len(refused) >= 10, what="ten removal retries")  # none of them posts again
        assert len(sim.state.posts) == 1 and outbox.pending_count() == 1
        assert "alert outbox" in monitor.storage.problems
        broken["on"] = False
        await until(lambda: outbox.pending_count() == 0, what="the row removed")
        state = await monitor.poll()
        assert len(sim.state.posts) == 1 and "alert outbox" not in state.storage_problem
        assert "storage_recovered" in [e.event_type for e in monitor.recent]
        await monitor.close()


async def test_alerts_the_outbox_never_took_are_kept_for_the_next_start_or_named_as_lost(
    start_sim, tmp_path, monkeypatch
):
    from tui_health.alerts import dispatcher as dispatcher_module
    from tui_health.alerts import outbox as outbox_module
    from tui_health.monitor.runtime import open_monitor

    monkeypatch.setattr(dispatcher_module, "STORAGE_RETRY", 0.05)
    sim = start_sim("outage")
    sim.state.receiver_down = True  # nothing can be delivered either
    settings = outage_settings(sim, tmp_path)

    def full(*args):
        raise sqlite3.OperationalError("database or disk is full")

    def no_space(*args):
        import errno

        raise OSError(errno.ENOSPC, "No space left on device")

    # 1. the outbox refuses; at stop the alert is written beside it, and the next start queues it
    async with open_monitor(settings, config_path=tmp_path / "none.toml") as monitor:
        assert monitor.outbox is not None
        monkeypatch.setattr(monitor.outbox, "add", full)
        await monitor.start()
        await monitor.poll()
        await until(lambda: "alert outbox" in monitor.storage.problems)
        await monitor.close()
        stopped = monitor.recent[-1]
        assert stopped.event_type == "monitor_stopped" and "0 alert(s)" not in stopped.message
        assert "1 alert(s) kept in a file for the next start" in stopped.message
        assert "left in the outbox" not in stopped.message  # never counted as outbox rows
    kept = tmp_path / "outbox.sqlite3.held.jsonl"
    assert kept.exists()
    sim.state.receiver_down = False
    async with open_monitor(settings, config_path=tmp_path / "none.toml") as monitor:
        await monitor.start()
        await until(lambda: len(sim.state.webhooks) == 1, what="the kept alert delivered after the restart")
        await monitor.close()
    assert not kept.exists()
    # 2. nothing can store it: named as lost (audit log, and the stop event), and the engine will send it again
    (tmp_path / "state.sqlite3").unlink()
    sim.state.receiver_down = True
    monkeypatch.setattr(outbox_module, "keep_held", no_space)
    monkeypatch.setattr(dispatcher_module, "keep_held", no_space)
    async with open_monitor(settings, config_path=tmp_path / "none.toml") as monitor:
        assert monitor.outbox is not None
        monkeypatch.setattr(monitor.outbox, "add", full)
        await monitor.start()
        await monitor.poll()
        await until(lambda: "alert outbox" in monitor.storage.problems)
        await monitor.close()
        lost = [e for e in monitor.recent if e.event_type == "alert_lost"]
        assert (
            len(lost) == 1
            and lost[0].severity == "critical"
            and "could not be stored anywhere" in lost[0].message
        )
        assert "1 alert(s) LOST" in monitor.recent[-1].message
        assert monitor.engine.components["voice-telephony"].alerted.value == "unknown"  # sent again next time


def test_a_kept_file_is_whole_synced_and_removed_only_once_its_rows_are_stored(tmp_path, monkeypatch):
    """The places a stop writes are the places a start reads (one list); a short write is written on, a torn
    line is never glued to a new one, the file is fsync'd, and it stays until every row of it is stored."""
    import pytest

    from tui_health.alerts import outbox as outbox_module
    from tui_health.alerts.outbox import Outbox, held_places, keep_held, take_held

    outbox = Outbox(tmp_path / "state" / "outbox.sqlite3")
    places = held_places(outbox.path, [tmp_path / "log", tmp_path / "state"])
    assert places == [
        tmp_path / "state" / "outbox.sqlite3.held.jsonl",
        tmp_path / "log" / "outbox.sqlite3.held.jsonl",
    ]
    kept = places[1]
    kept.parent.mkdir()
    kept.write_text('{"sink": "hook", "key": "torn')  # a stop that died mid-line
    real_write, real_fsync, synced = os.write, os.fsync, []

    def five_bytes_at_a_time(fd: int, data) -> int:  # a disk filling up answers short writes
        return real_write(fd, bytes(data[:5]))

    monkeypatch.setattr(outbox_module.os, "write", five_bytes_at_a_time)
    monkeypatch.setattr(outbox_module.os, "fsync", lambda fd: synced.append(fd) or real_fsync(fd))
    item = {"sink": "hook", "body": {"logs": []}, "summary": "C1 is down", "at": 1.0}
    keep_held(kept, [{**item, "key": "k1"}, {**item, "key": "k2"}])
    monkeypatch.undo()
    assert len(synced) == 1
    real_add = outbox.add

    def one_then_full(*args):
        if outbox.pending():
            raise sqlite3.OperationalError("database or disk is full")
        return real_add(*args)

    monkeypatch.setattr(outbox, "add", one_then_full)
    with pytest.raises(sqlite3.OperationalError):
        take_held(outbox, kept)
    assert kept.exists()  # one of its alerts is not stored yet: the file stays
    monkeypatch.undo()
    assert take_held(outbox, kept) == 1 and not kept.exists()  # the one stored before is not stored twice
    assert [row.key for row in outbox.pending()] == ["k1", "k2"]
    assert take_held(outbox, places[0]) is None  # nothing was kept there
    outbox.close()


async def test_alerts_kept_beside_the_audit_log_at_stop_are_delivered_at_the_next_start(
    start_sim, tmp_path, monkeypatch
):
    """The outbox refuses and the file beside it cannot be written at stop: the alert is kept beside the audit
    log, and the next start reads that place too, stores it, delivers it, says where it was found and removes
    the file."""
    import errno

    from tests.conftest import delivered
    from tui_health.alerts import dispatcher as dispatcher_module
    from tui_health.alerts import outbox as outbox_module
    from tui_health.monitor.runtime import open_monitor

    monkeypatch.setattr(dispatcher_module, "STORAGE_RETRY", 0.05)
    sim = start_sim("outage")
    state, log = tmp_path / "state", tmp_path / "log"
    settings = outage_settings(
        sim,
        tmp_path,
        **{"alerts.outbox": str(state / "outbox.sqlite3"), "audit.path": str(log / "audit.jsonl")},
    )
    keep_held = outbox_module.keep_held

    def not_beside_the_outbox(path: Path, items) -> None:
        if path.parent == state:
            raise OSError(errno.ENOSPC, "No space left on device")
        keep_held(path, items)

    def full(*args):
        raise sqlite3.OperationalError("database or disk is full")

    async with open_monitor(settings, config_path=tmp_path / "none.toml") as monitor:
        assert monitor.outbox is not None
        monkeypatch.setattr(monitor.outbox, "add", full)
        monkeypatch.setattr(dispatcher_module, "keep_held", not_beside_the_outbox)
        await monitor.start()
        await monitor.poll()
        await until(lambda: "alert outbox" in monitor.storage.problems)
        await monitor.close()
        assert "1 alert(s) kept in a file for the next start" in monitor.recent[-1].message
    kept = log / "outbox.sqlite3.held.jsonl"
    assert kept.exists() and not (state / "outbox.sqlite3.held.jsonl").exists()
    assert not sim.state.webhooks
    monkeypatch.undo()  # a disk with space again, and the outbox takes rows
    monkeypatch.setattr(dispatcher_module, "STORAGE_RETRY", 0.05)
    async with open_monitor(settings, config_path=tmp_path / "none.toml") as monitor:
        await monitor.start()
        await until(lambda: delivered(sim, "voice-telephony", "down"), what="the kept alert delivered")
        found = [e.message for e in monitor.recent if e.event_type == "storage_recovered"]
        assert f"1 alert(s) kept in {kept} at the last stop are queued for delivery" in found
        await monitor.close()
    assert not kept.exists()
    assert len(sim.state.webhooks) == 1  # delivered once


def test_once_delivers_directly_what_its_outbox_refused_and_says_so(start_sim, tmp_path: Path) -> None:
    sim = start_sim("outage")
    config(tmp_path, sim)
    store = tmp_path / "outbox.sqlite3"
    from tui_health.alerts.outbox import Outbox

    Outbox(store).close()  # an outbox for another process to lock
    locker = lock(store)
    try:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("GENESYSCLOUD_", "TUI_HEALTH_"))}
        env.update(
            GENESYSCLOUD_OAUTHCLIENT_ID=CLIENT_ID,
            GENESYSCLOUD_OAUTHCLIENT_SECRET=SECRET,
            TUI_HEALTH_CONFIG=str(tmp_path / "config.toml"),
        )
        proc = subprocess.run(
            [sys.executable, "-m", "tui_health", "--once", "--format", "json", "--api-url", sim.url,
             "--login-url", sim.url],
            env=env, capture_output=True, text=True, timeout=120,
        )  # fmt: skip
    finally:
        locker.kill()
        locker.wait()
    assert proc.returncode == 2, proc.stderr
    assert len(sim.state.webhooks) == 1  # delivered, directly
    assert "delivered directly" in proc.stderr and "the outbox could not store it" in proc.stderr
    doc = json.loads(proc.stdout)
    assert any("delivered" in e["message"] and "directly" in e["message"] for e in doc["events"])


def test_a_damaged_outbox_is_moved_aside_and_a_fresh_one_started(start_sim, tmp_path: Path) -> None:
    from tui_health.alerts.outbox import Outbox

    sim = start_sim("outage")
    config(tmp_path, sim)
    store = tmp_path / "outbox.sqlite3"
    outbox = Outbox(store)
    for n in range(300):
        outbox.add("old-sink", f"k{n}", {"pad": "x" * 500}, f"old alert {n}", 0.0)
    outbox.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    outbox.close()
    with open(store, "r+b") as fh:  # a corrupted page in the middle of the file
        fh.seek(4096 * 5)
        fh.write(b"\xde\xad\xbe\xef" * 1024)
    proc = headless(sim, tmp_path, "--max-polls", "3")
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    events = [json.loads(line) for line in out.splitlines()]
    damaged = [e for e in events if e["event_type"] == "storage_failed" and "damaged" in e["message"]]
    assert damaged and "moved aside to" in damaged[0]["message"], [e["message"] for e in events][:5]
    assert list(tmp_path.glob("outbox.sqlite3.damaged-*"))  # kept for inspection
    assert any(e["event_type"] == "alert_delivered" for e in events)  # the fresh outbox works
    assert events[-1]["event_type"] == "monitor_stopped" and "Traceback" not in err


def test_deleting_the_state_directory_stops_the_instance_that_held_it(start_sim, tmp_path: Path) -> None:
    import shutil

    sim = start_sim("steady")
    state = tmp_path / "state"
    state.mkdir()
    config(state, sim)
    first = headless(sim, state)
    second = None
    try:
        wait_until(lambda: (state / "history").exists() and sim.state.counts["health"] >= 2)
        config_text = (state / "config.toml").read_text()
        shutil.rmtree(state)  # the lock file goes with it: another instance could now start beside the first
        state.mkdir()
        (state / "config.toml").write_text(config_text)
        second = headless(sim, state)
        _, err = first.communicate(timeout=60)  # the first notices at its next poll and stops
        assert first.returncode == 3, err
        assert err.count("\n") == 1 and "was deleted or replaced while this tui-health" in err
        assert second.poll() is None  # the second goes on alone
    finally:
        for proc in (first, second):
            if proc is not None and proc.poll() is None:
                proc.terminate()
                proc.communicate(timeout=60)


def test_sighup_reloads_headless_and_sigterm_then_ends_it_cleanly(start_sim, tmp_path: Path) -> None:
    sim = start_sim("steady")
    config(tmp_path, sim)
    proc = headless(sim, tmp_path)
    try:
        wait_until(lambda: sim.state.counts["health"] >= 2)
        proc.send_signal(signal.SIGHUP)  # a service's reload: the config read again, the process goes on
        polled = sim.state.counts["health"]
        wait_until(lambda: sim.state.counts["health"] >= polled + 2)
        assert proc.poll() is None
        code, events, err = finish(proc, signal.SIGTERM)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert code == 0, err
    kinds = [e["event_type"] for e in events]
    assert "config_reloaded" in kinds and kinds[-1] == "monitor_stopped" and "Traceback" not in err
    assert not list(tmp_path.rglob("*-wal"))  # every SQLite file closed cleanly


def test_once_json_answers_a_document_when_it_is_stopped_or_cannot_start(start_sim, tmp_path: Path) -> None:
    sim = start_sim("steady", faults=[{"kind": "hang"}])
    config(tmp_path, sim)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GENESYSCLOUD_", "TUI_HEALTH_"))}
    env.update(
        GENESYSCLOUD_OAUTHCLIENT_ID=CLIENT_ID,
        GENESYSCLOUD_OAUTHCLIENT_SECRET=SECRET,
        TUI_HEALTH_CONFIG=str(tmp_path / "config.toml"),
    )
    args = [sys.executable, "-m", "tui_health", "--once", "--format", "json", "--api-url", sim.url,
            "--login-url", sim.url]  # fmt: skip
    proc = subprocess.Popen(args, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    wait_until(lambda: sim.state.counts["health"] >= 1)  # its request hangs
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 3 and "interrupted" in err
    doc = json.loads(out)
    assert doc["exit_code"] == 3 and doc["overall"] == "unknown" and "interrupted (SIGTERM)" in doc["error"]
    # an outbox that cannot be opened: the same document, with that reason
    (tmp_path / "config.toml").write_text(
        (tmp_path / "config.toml")
        .read_text()
        .replace("[alerts]\n", '[alerts]\noutbox = "/dev/null/outbox.sqlite3"\n')
    )
    failed = subprocess.run(args, env=env, capture_output=True, text=True, timeout=60)
    assert failed.returncode == 3 and failed.stderr.count("\n") == 1
    doc = json.loads(failed.stdout)
    assert doc["exit_code"] == 3 and "cannot" in doc["error"] and "outbox" in doc["error"]
