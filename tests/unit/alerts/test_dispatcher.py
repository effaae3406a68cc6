"""Dispatcher + outbox against the simulator's alert receiver over real HTTP."""

from __future__ import annotations

import asyncio
import io
from datetime import datetime

import httpx

from tests.conftest import sim_settings
from tui_health.alerts import dispatcher as dispatcher_module
from tui_health.alerts.dispatcher import Dispatcher
from tui_health.alerts.outbox import Outbox
from tui_health.alerts.sinks.webhook import WebhookSink
from tui_health.model.domain import AuditEvent
from tui_health.support.clock import FakeClock, SystemClock
from tui_health.support.retry import Backoff
from tui_health.support.timespec import duration_text


def alert(n: int) -> AuditEvent:
    return AuditEvent(
        timestamp=SystemClock().now(),
        event_type="component_health_change",
        component_ids=(f"c{n}",),
        status="down",
        message=f"C{n} is down",
        id=f"event-{n}",
    )


class Harness:
    def __init__(self, sim, tmp_path, path: str = "/hooks/test", clock=None, **options) -> None:
        self.outbox = Outbox(tmp_path / "outbox.sqlite3")
        self.http = httpx.AsyncClient()
        self.events: list[AuditEvent] = []
        self.sink = WebhookSink("hook", sim.url + path, "tok-secret-1234")
        self.dispatcher = Dispatcher(
            [self.sink],
            self.outbox,
            self.http,
            clock or SystemClock(),
            self.events.extend,
            backoff=Backoff(base=0.02, cap=0.1),
            **options,
        )

    def kinds(self) -> list[str]:
        return [e.event_type for e in self.events]

    async def close(self) -> None:
        await self.dispatcher.stop()
        await self.dispatcher.shutdown()  # its storage thread ends first: never close SQLite under it
        await self.http.aclose()
        assert self.dispatcher.closed
        self.outbox.close()


async def wait_for(predicate, timeout: float = 10.0) -> None:
    for _ in range(int(timeout / 0.02)):
        if predicate():
            return
        await asyncio.sleep(0.02)
    raise AssertionError("condition not reached")


def accepted(sim) -> list[dict]:
    return list(sim.state.webhooks)


async def test_a_failing_receiver_gets_every_alert_exactly_once_in_order(start_sim, tmp_path):
    sim = start_sim("steady", webhook_failures=3)
    h = Harness(sim, tmp_path)
    h.dispatcher.start()
    for n in range(4):
        h.dispatcher.enqueue([alert(n)])
    await wait_for(lambda: h.kinds().count("alert_delivered") == 4 and not h.outbox.pending())
    got = accepted(sim)
    assert [w["body"]["logs"][0]["id"] for w in got] == ["event-0", "event-1", "event-2", "event-3"]
    keys = [w["headers"]["Idempotency-Key"] for w in got]
    assert len(set(keys)) == 4
    assert all(w["headers"]["Authorization"] == "Bearer tok-secret-1234" for w in got)
    assert h.kinds().count("alert_retrying") == 3 and h.kinds().count("alert_delivered") == 4
    assert sim.state.receiver_attempts == 7
    assert all("tok-secret-1234" not in e.message and "/hooks/test" not in e.message for e in h.events)
    await h.close()


async def test_the_idempotency_key_is_stable_across_retries(start_sim, tmp_path):
    sim = start_sim("steady")
    sim.state.receiver_down = True
    h = Harness(sim, tmp_path)
    h.dispatcher.start()
    h.dispatcher.enqueue([alert(1)])
    await wait_for(lambda: h.kinds().count("alert_retrying") >= 3)
    sim.state.receiver_down = False
    await wait_for(lambda: not h.outbox.pending())
    assert len(accepted(sim)) == 1
    key = accepted(sim)[0]["headers"]["Idempotency-Key"]
    # the receiver saw every attempt, the refused ones too, and each carried the same key
    refused = [p for p in sim.state.posts if p["status"] == 500]
    assert len(refused) >= 3 and len(sim.state.posts) == len(refused) + 1
    assert {p["headers"]["Idempotency-Key"] for p in sim.state.posts} == {key}
    assert h.outbox.add("hook", key, {}, "", 0) is not None  # the key was removed only after the 2xx
    await h.close()


async def test_retry_after_is_honoured(start_sim, tmp_path):
    sim = start_sim("steady")
    sim.state.receiver_down, sim.state.receiver_down_status, sim.state.receiver_retry_after = True, 429, "1"
    clock = FakeClock()  # stands still: the next attempt's time is exactly what was decided
    h = Harness(sim, tmp_path, clock=clock)
    h.dispatcher.start()
    h.dispatcher.enqueue([alert(1)])
    await wait_for(lambda: "alert_retrying" in h.kinds())
    row = h.outbox.pending()[0]
    assert row.last_error == "HTTP 429"
    # waits the second it was told (with jitter on top, never less), not the 0.02 s backoff
    assert 1.0 <= row.next_at - clock.now().timestamp() <= 1.1
    await h.close()


async def test_a_4xx_that_goes_on_is_failed_and_kept_for_inspection(start_sim, tmp_path):
    sim = start_sim("steady")
    h = Harness(sim, tmp_path, path="/no-such-receiver", permanent_after=0.3)
    h.dispatcher.start()
    h.dispatcher.enqueue([alert(1)])
    await wait_for(lambda: "alert_failed" in h.kinds())
    assert h.outbox.pending() == [] and len(h.outbox.failed()) == 1
    assert h.kinds().count("alert_retrying") >= 2  # refused at least three times before giving up
    assert "HTTP 404" in h.events[-1].message and "permanent" in h.events[-1].message
    await h.close()


async def test_a_receiver_that_says_400_for_a_while_does_not_fail_the_backlog(start_sim, tmp_path):
    sim = start_sim("steady")
    sim.state.receiver_down, sim.state.receiver_down_status = True, 400
    h = Harness(sim, tmp_path)  # the default: given up only after ten minutes of refusals
    h.dispatcher.start()
    h.dispatcher.enqueue([alert(1)])
    h.dispatcher.enqueue([alert(2)])
    await wait_for(lambda: h.kinds().count("alert_retrying") >= 4)
    assert "refused; given up only if it goes on" in h.events[-1].message
    sim.state.receiver_down = False
    await wait_for(lambda: h.kinds().count("alert_delivered") == 2)
    assert "alert_failed" not in h.kinds() and h.outbox.failed() == []
    await h.close()


async def test_zero_permanent_after_gives_up_at_the_first_refusal(start_sim, tmp_path):
    sim = start_sim("steady")
    h = Harness(sim, tmp_path, path="/no-such-receiver", permanent_after=0)
    h.dispatcher.start()
    h.dispatcher.enqueue([alert(1)])
    await wait_for(lambda: "alert_failed" in h.kinds())
    assert "alert_retrying" not in h.kinds()
    await h.close()


async def test_pending_alerts_survive_a_restart(start_sim, tmp_path):
    sim = start_sim("steady")
    sim.state.receiver_down = True
    first = Harness(sim, tmp_path)
    first.dispatcher.start()
    first.dispatcher.enqueue([alert(1), alert(2)])
    await wait_for(lambda: "alert_retrying" in first.kinds())
    await first.close()
    assert len(Outbox(tmp_path / "outbox.sqlite3").pending()) == 1  # one batch, still there
    sim.state.receiver_down = False
    second = Harness(sim, tmp_path)
    second.dispatcher.start()
    await wait_for(lambda: not second.outbox.pending())
    assert [[log["id"] for log in w["body"]["logs"]] for w in accepted(sim)] == [["event-1", "event-2"]]
    await second.close()


async def test_enqueue_never_waits_for_the_network(start_sim, tmp_path):
    sim = start_sim("steady", latency_ms=0)
    sim.state.receiver_down = True
    h = Harness(sim, tmp_path)
    h.dispatcher.start()
    for n in range(50):
        h.dispatcher.enqueue([alert(n)])  # no await: handed to the storing task, delivered by the sink's own
    assert h.dispatcher.held == 50 and sim.state.receiver_attempts == 0  # nothing waited for disk or network
    await wait_for(lambda: len(h.outbox.pending()) + len(accepted(sim)) == 50 and h.dispatcher.held == 0)
    await h.close()


class SteppedClock:
    """Real monotonic time; a wall clock the test can step (NTP, a resumed VM)."""

    def __init__(self) -> None:
        from datetime import timedelta

        self.offset = timedelta()

    def now(self):
        return SystemClock().now() + self.offset

    def monotonic(self) -> float:
        import time

        return time.monotonic()


async def test_a_wall_clock_stepped_back_an_hour_never_holds_a_retry_back(start_sim, tmp_path):
    from datetime import timedelta

    sim = start_sim("steady", webhook_failures=2)
    clock = SteppedClock()
    h = Harness(sim, tmp_path, clock=clock)
    h.dispatcher.start()
    h.dispatcher.enqueue([alert(1)])
    await wait_for(lambda: "alert_retrying" in h.kinds())
    clock.offset = timedelta(hours=-1)  # the next attempt's wall time now lies an hour ahead
    await wait_for(lambda: "alert_delivered" in h.kinds())  # within the backoff's fraction of a second
    assert h.kinds().count("alert_retrying") == 2 and len(accepted(sim)) == 1
    await h.close()


async def test_a_wall_clock_stepped_back_never_holds_back_an_alert_stored_before(start_sim, tmp_path):
    """A second alert waits behind the first while the receiver is down; the wall clock steps back an hour; the
    receiver comes back: both arrive, the second as soon as the first (its stored time is an hour ahead now)."""
    from datetime import timedelta

    sim = start_sim("steady")
    sim.state.receiver_down = True
    clock = SteppedClock()
    h = Harness(sim, tmp_path, clock=clock)
    h.dispatcher.start()
    h.dispatcher.enqueue([alert(1)])
    await wait_for(lambda: "alert_retrying" in h.kinds())
    h.dispatcher.enqueue([alert(2)])
    await wait_for(lambda: h.dispatcher.held == 0 and len(h.outbox.pending()) == 2)
    clock.offset = timedelta(hours=-1)
    sim.state.receiver_down = False
    await wait_for(lambda: h.kinds().count("alert_delivered") == 2)
    assert [w["body"]["logs"][0]["id"] for w in accepted(sim)] == ["event-1", "event-2"]
    await h.close()


async def test_a_reload_names_each_changed_sink_and_its_changed_settings_never_their_values(tmp_path):
    from tui_health.alerts.sinks.slack import SlackSink

    url, moved_url = "https://hooks.example.com/a", "https://hooks.example.com/b"
    outbox, http = Outbox(tmp_path / "outbox.sqlite3"), httpx.AsyncClient()
    sinks = [WebhookSink("kept", url, "tok-kept-0123"), WebhookSink("pager", url, "tok-old-0123")]
    dispatcher = Dispatcher([*sinks, WebhookSink("chat", url, None)], outbox, http, SystemClock(), print)
    try:
        same = WebhookSink("kept", url, "tok-kept-0123")  # equal settings, another object
        moved = WebhookSink("pager", moved_url, "tok-new-4567")
        changes = dispatcher.replace_sinks([same, moved, SlackSink("chat", url)])
        assert changes == ["sink pager changed (token, url)", "sink chat changed (type)"]
        assert dispatcher.sinks["pager"] is moved  # each attempt looks its sink up by name
        grouped = WebhookSink("pager", moved_url, "tok-new-4567", one_per_event=True)
        changes = dispatcher.replace_sinks([same, grouped])
        assert changes == ["sink chat removed", "sink pager changed (one_per_event)"]
        assert dispatcher.replace_sinks([same, grouped]) == []  # nothing changed: nothing said
    finally:
        await dispatcher.shutdown()
        await http.aclose()
        outbox.close()


def refusals(h: Harness) -> int:
    return sum(kind in ("alert_retrying", "alert_failed") for kind in h.kinds())


async def test_rows_an_earlier_run_left_pending_are_due_at_start(start_sim, tmp_path):
    clock = FakeClock()
    earlier = Outbox(tmp_path / "outbox.sqlite3")
    row = earlier.add("hook", "k-earlier", {"logs": []}, "C1 is down", clock.now().timestamp())
    assert row is not None
    earlier.retry(row, clock.now().timestamp() + 1800, "HTTP 503")  # its next try was half an hour away
    earlier.close()
    sim = start_sim("steady")
    h = Harness(sim, tmp_path, clock=clock)  # a clock that stands still: only the start makes it due
    h.dispatcher.start()
    await wait_for(lambda: "alert_delivered" in h.kinds())
    assert [w["headers"]["Idempotency-Key"] for w in accepted(sim)] == ["k-earlier"]
    await h.close()


async def test_a_wall_clock_stepped_back_never_holds_back_the_backlog_of_an_earlier_run(start_sim, tmp_path):
    """Two alerts an earlier run left, made due at start; the receiver is down, then the wall clock steps back an
    hour and the receiver comes back: both arrive at once (the second's stored time is an hour ahead now)."""
    from datetime import timedelta

    clock = SteppedClock()
    earlier = Outbox(tmp_path / "outbox.sqlite3")
    for n in (1, 2):
        assert earlier.add("hook", f"k-earlier-{n}", {"logs": []}, f"C{n} is down", clock.now().timestamp())
    earlier.close()
    sim = start_sim("steady")
    sim.state.receiver_down = True
    h = Harness(sim, tmp_path, clock=clock)
    h.dispatcher.start()
    await wait_for(lambda: "alert_retrying" in h.kinds())
    clock.offset = timedelta(hours=-1)
    sim.state.receiver_down = False
    await wait_for(lambda: h.kinds().count("alert_delivered") == 2)
    assert [w["headers"]["Idempotency-Key"] for w in accepted(sim)] == ["k-earlier-1", "k-earlier-2"]
    await h.close()


class CountingClock(FakeClock):
    """A FakeClock that counts how often the wall time was read."""

    def __init__(self) -> None:
        super().__init__()
        self.reads = 0

    def now(self) -> datetime:
        self.reads += 1
        return super().now()


async def test_a_stored_next_attempt_is_waited_for_an_hour_at_most(start_sim, tmp_path, monkeypatch):
    """A row requeued by a process whose clock runs two hours ahead: its stored time is waited for an hour at
    most, then looked at again (an hour made 0.05 s here, to watch it)."""
    assert dispatcher_module.LONGEST_WAIT == 3600
    monkeypatch.setattr(dispatcher_module, "LONGEST_WAIT", 0.05)
    sim = start_sim("steady")
    sim.state.receiver_down, sim.state.receiver_down_status = True, 400
    clock = CountingClock()
    h = Harness(sim, tmp_path, clock=clock, permanent_after=0)
    h.dispatcher.start()
    h.dispatcher.enqueue([alert(1)])
    await wait_for(lambda: "alert_failed" in h.kinds())
    sim.state.receiver_down = False
    other = Outbox(tmp_path / "outbox.sqlite3")
    assert other.requeue_failed(clock.now().timestamp() + 7200) == 1
    other.close()
    reads = clock.reads
    h.dispatcher.wake()
    await wait_for(lambda: clock.reads > reads)  # it read the time and is waiting now
    clock.advance(7200)  # nothing wakes it: only a wait that ends looks again
    await wait_for(lambda: "alert_delivered" in h.kinds())
    await h.close()


async def test_a_requeue_starts_the_refusal_clock_again(start_sim, tmp_path):
    """Refused for 600 s and three times: failed. Requeued, three refusals two seconds apart are not yet."""
    sim = start_sim("steady")
    sim.state.receiver_down, sim.state.receiver_down_status = True, 400
    clock = FakeClock()
    h = Harness(sim, tmp_path, clock=clock)
    h.dispatcher.start()
    h.dispatcher.enqueue([alert(1)])
    for n, apart in enumerate((0, 300, 300, 0, 1, 1), 1):
        if n == 4:
            assert h.kinds()[-1] == "alert_failed"
            await h.dispatcher.requeue_failed()
        clock.advance(apart)
        await wait_for(lambda n=n: refusals(h) == n)
    assert h.kinds().count("alert_failed") == 1 and h.kinds()[-1] == "alert_retrying"
    assert len(h.outbox.pending()) == 1
    await h.close()


async def test_refusal_times_survive_a_restart(start_sim, tmp_path):
    """Refused for 300 s, then a restart 400 s later: the next refusal is the third over 700 s, and final."""
    sim = start_sim("steady")
    sim.state.receiver_down, sim.state.receiver_down_status = True, 400
    clock = FakeClock()
    first = Harness(sim, tmp_path, clock=clock)
    first.dispatcher.start()
    first.dispatcher.enqueue([alert(1)])
    await wait_for(lambda: refusals(first) == 1)
    clock.advance(300)
    await wait_for(lambda: refusals(first) == 2)
    await first.close()
    clock.advance(400)
    second = Harness(sim, tmp_path, clock=clock)
    second.dispatcher.start()
    await wait_for(lambda: refusals(second) == 1)
    assert (
        second.kinds() == ["alert_failed"]
        and f"3 times over {duration_text(700)}" in second.events[0].message
    )
    await second.close()


def test_a_damaged_outbox_is_found_at_open(tmp_path):
    """A page damaged in the middle of the file: found by the check at open, not by a later read."""
    store = tmp_path / "outbox.sqlite3"
    outbox = Outbox(store)
    for n in range(300):
        outbox.add("hook", f"k{n}", {"pad": "x" * 500}, f"alert {n}", 0.0)
    outbox.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    outbox.close()
    with open(store, "r+b") as fh:
        fh.seek(4096 * 5)
        fh.write(b"\xde\xad\xbe\xef" * 1024)
    reopened = Outbox(store)
    try:
        assert reopened.moved_aside is not None and reopened.moved_aside.exists()
        assert reopened.pending() == []  # a fresh one
    finally:
        reopened.close()


async def test_once_waits_for_its_own_alerts_only(start_sim, tmp_path):
    """An older alert waits in the outbox for a receiver that is down: --once, with none of its own, does not
    wait for it (alerts.once_wait is 30 s; it ends long before), and leaves it there."""
    from tui_health.modes.once import run_once

    sim = start_sim("steady")
    sim.state.receivers_down.add("/hooks/down")
    older = Outbox(tmp_path / "outbox.sqlite3")
    older.add("pager", "k-older", {"logs": []}, "C1 is down", 0.0)
    older.close()
    sink = {"type": "webhook", "name": "pager", "url": f"{sim.url}/hooks/down"}
    settings = sim_settings(sim, tmp_path, **{"alerts.sinks": [sink], "alerts.once_wait": 30})
    async with asyncio.timeout(15):
        code = await run_once(
            settings, config_path=tmp_path / "none.toml", fmt="json", out=io.StringIO(), err=io.StringIO()
        )
    assert code == 0 and sim.state.posts  # the older one was tried, and is still waiting
    left = Outbox(tmp_path / "outbox.sqlite3")
    assert [row.key for row in left.pending()] == ["k-older"]
    left.close()
