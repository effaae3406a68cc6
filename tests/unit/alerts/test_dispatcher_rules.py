"""The dispatcher's rules on an in-process receiver (httpx.MockTransport) and a FakeClock: what a stop does with
what the outbox never took (posted directly, kept in a file, or named as lost), a damaged outbox replaced while
running, and re-sends to receivers that want them."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import httpx

from tui_health.alerts.dispatcher import Dispatcher
from tui_health.alerts.outbox import Outbox, keep_held, take_held
from tui_health.alerts.sinks import Firing
from tui_health.alerts.sinks.alertmanager import AlertmanagerSink
from tui_health.alerts.sinks.webhook import WebhookSink
from tui_health.model.domain import AuditEvent
from tui_health.support.clock import FakeClock
from tui_health.support.retry import Backoff

T0 = datetime(2026, 12, 6, 2, 0, tzinfo=UTC)


def alert(n: int) -> AuditEvent:
    return AuditEvent(
        timestamp=T0,
        event_type="component_health_change",
        component_ids=(f"c{n}",),
        status="down",
        message=f"C{n} is down",
        id=f"event-{n}",
    )


class Receiver:
    """Answers the posts with ``statuses`` in turn, the last one from then on; remembers each request."""

    def __init__(self, *statuses: int) -> None:
        self.statuses = list(statuses or (202,))
        self.posts: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.posts.append(request)
        return httpx.Response(self.statuses.pop(0) if len(self.statuses) > 1 else self.statuses[0])


class Rig:
    def __init__(self, tmp_path: Path, sinks=None, receiver: Receiver | None = None, **options) -> None:
        self.receiver = receiver or Receiver()
        self.outbox = Outbox(tmp_path / "state" / "outbox.sqlite3")
        self.http = httpx.AsyncClient(transport=httpx.MockTransport(self.receiver))
        self.clock = FakeClock(T0)
        self.events: list[AuditEvent] = []
        self.sink = WebhookSink("hook", "https://hooks.example.com/in", "tok-secret-1234")
        self.dispatcher = Dispatcher(
            sinks if sinks is not None else [self.sink],
            self.outbox,
            self.http,
            self.clock,
            self.events.extend,
            **options,
        )

    def refuse_storing(self) -> None:
        def full(*args, **kwargs):
            raise sqlite3.OperationalError("database or disk is full")

        self.outbox.add = full  # type: ignore[method-assign]

    async def close(self) -> None:
        await self.dispatcher.stop()
        await self.dispatcher.shutdown()
        await self.http.aclose()
        self.outbox.close()


async def settle() -> None:
    """Let in-process tasks (no I/O: the receiver is a function) run to their end."""
    for _ in range(50):
        await asyncio.sleep(0)


# -- at stop: what the outbox never took ---------------------------------------------------------------------
async def test_what_the_outbox_never_took_is_posted_directly_at_stop_when_there_is_time(tmp_path):
    rig = Rig(tmp_path)
    rig.refuse_storing()
    rig.dispatcher.enqueue([alert(1)])
    [unsent] = await rig.dispatcher.close(deliver_held=5.0)
    assert (unsent.fate, unsent.detail) == ("delivered", "delivered directly: the outbox could not store it")
    [post] = rig.receiver.posts
    assert json.loads(post.content)["logs"][0]["id"] == "event-1"
    assert post.headers["Authorization"] == "Bearer tok-secret-1234"
    [delivered] = rig.events
    assert delivered.event_type == "alert_delivered" and delivered.status == "202"
    assert delivered.severity == "info" and delivered.timestamp == T0
    assert (delivered.sink, delivered.source, delivered.correlation_id) == (
        "hook",
        "webhook",
        unsent.held.key,
    )
    assert delivered.message == (
        "delivered to hook (https://hooks.example.com/…) directly (HTTP 202; the outbox could not store it): "
        f"{unsent.held.summary}"
    )
    assert rig.dispatcher.held == 0
    await rig.close()


async def test_what_a_receiver_refuses_at_stop_is_kept_beside_the_outbox_for_the_next_start(tmp_path):
    rig = Rig(tmp_path, receiver=Receiver(503))
    rig.refuse_storing()
    rig.dispatcher.enqueue([alert(1)])
    [unsent] = await rig.dispatcher.close(deliver_held=5.0)
    place = tmp_path / "state" / "outbox.sqlite3.held.jsonl"
    assert unsent.fate == "kept"
    assert unsent.detail == f"kept in {place} (the outbox could not store it); sent at the next start"
    assert len(rig.receiver.posts) == 1 and rig.events == []
    fresh = Outbox(tmp_path / "fresh.sqlite3")
    assert take_held(fresh, place) == 1 and [row.key for row in fresh.pending()] == [unsent.held.key]
    fresh.close()
    await rig.close()


async def test_without_time_to_deliver_nothing_is_posted_at_stop_and_a_removed_sinks_message_is_kept(
    tmp_path,
):
    rig = Rig(tmp_path)
    rig.refuse_storing()
    rig.dispatcher.enqueue([alert(1)])
    assert [u.fate for u in await rig.dispatcher.close()] == ["kept"]
    rig.dispatcher.enqueue([alert(2)])
    rig.dispatcher.replace_sinks([])
    assert [u.fate for u in await rig.dispatcher.close(deliver_held=5.0)] == ["kept"]
    assert rig.receiver.posts == []
    await rig.close()


async def test_what_cannot_be_kept_beside_the_outbox_is_kept_elsewhere_else_named_as_lost(tmp_path):
    (tmp_path / "state").mkdir()
    (tmp_path / "state" / "outbox.sqlite3.held.jsonl").mkdir()  # beside the outbox: unwritable
    rig = Rig(tmp_path, held_elsewhere=[tmp_path / "audit"])
    rig.refuse_storing()
    rig.dispatcher.enqueue([alert(1)])
    assert [u.fate for u in await rig.dispatcher.close()] == ["lost"]  # the audit directory does not exist
    (tmp_path / "audit").mkdir()
    rig.dispatcher.enqueue([alert(2)])
    [kept] = await rig.dispatcher.close()
    assert kept.fate == "kept" and str(tmp_path / "audit" / "outbox.sqlite3.held.jsonl") in kept.detail
    await rig.close()


async def test_a_lost_message_says_why_each_place_failed(tmp_path):
    (tmp_path / "state").mkdir()
    beside = tmp_path / "state" / "outbox.sqlite3.held.jsonl"
    beside.mkdir()
    rig = Rig(tmp_path)
    rig.refuse_storing()
    rig.dispatcher.enqueue([alert(1)])
    [lost] = await rig.dispatcher.close()
    assert lost.detail.startswith(f"could not be stored anywhere ({beside}: ")
    assert lost.detail.endswith(")") and "; " not in lost.detail
    await rig.close()


async def test_held_messages_are_stored_at_stop_when_the_outbox_takes_them_again(tmp_path):
    rig = Rig(tmp_path)
    rig.dispatcher.enqueue([alert(1)])
    rig.dispatcher.enqueue([alert(2)])
    assert await rig.dispatcher.close() == []
    assert len(rig.outbox.pending()) == 2 and rig.dispatcher.held == 0
    await rig.close()


async def test_each_held_message_is_posted_directly_at_stop_and_each_refused_one_kept(tmp_path):
    rig = Rig(tmp_path, receiver=Receiver(202, 503, 200))
    rig.refuse_storing()
    for n in (1, 2, 3):
        rig.dispatcher.enqueue([alert(n)])
    unsent = await rig.dispatcher.close(deliver_held=0.5)  # half a second left is time enough
    assert [(u.fate, u.held.body["logs"][0]["id"]) for u in unsent] == [
        ("delivered", "event-1"),
        ("delivered", "event-3"),
        ("kept", "event-2"),
    ]
    await rig.close()


async def test_a_receivers_redirect_is_no_delivery_at_stop(tmp_path):
    rig = Rig(tmp_path, receiver=Receiver(300))
    rig.refuse_storing()
    rig.dispatcher.enqueue([alert(1)])
    assert [u.fate for u in await rig.dispatcher.close(deliver_held=5.0)] == ["kept"]
    await rig.close()


async def test_a_lost_message_names_every_place_that_failed_and_why(tmp_path):
    (tmp_path / "state").mkdir()
    beside = tmp_path / "state" / "outbox.sqlite3.held.jsonl"
    beside.mkdir()
    elsewhere = tmp_path / "audit"
    elsewhere.mkdir()
    (elsewhere / "outbox.sqlite3.held.jsonl").mkdir()
    rig = Rig(tmp_path, held_elsewhere=[elsewhere])
    rig.refuse_storing()
    rig.dispatcher.enqueue([alert(1)])
    [lost] = await rig.dispatcher.close()
    assert lost.fate == "lost" and lost.held.body["logs"][0]["id"] == "event-1"
    assert lost.detail == (
        f"could not be stored anywhere ({beside}: Is a directory; {elsewhere / 'outbox.sqlite3.held.jsonl'}: "
        "Is a directory)"
    )
    await rig.close()


# -- a damaged outbox --------------------------------------------------------------------------------------------
async def test_an_outbox_found_damaged_while_running_is_replaced_and_said(tmp_path):
    rig = Rig(tmp_path)

    def damaged(sinks):
        raise sqlite3.DatabaseError("database disk image is malformed")

    rig.outbox.orphans = damaged  # type: ignore[method-assign]
    assert await rig.dispatcher.orphans() == 0
    [said] = rig.events
    assert (said.event_type, said.status, said.severity, said.source) == (
        "storage_failed",
        "failed",
        "critical",
        "alert outbox",
    )
    path = tmp_path / "state" / "outbox.sqlite3"
    [aside] = [p for p in path.parent.iterdir() if ".damaged-" in p.name]
    assert said.message == (
        f"the alert outbox {path} was damaged (database disk image is malformed): moved aside to {aside} for "
        "inspection and a fresh one started; alerts waiting in the damaged file are not sent from it"
    )
    assert said.timestamp == T0
    assert rig.dispatcher.held == 0 and rig.outbox.pending() == []
    await rig.close()


async def test_a_damaged_outbox_that_cannot_be_replaced_is_said_to_be_so(tmp_path):
    rig = Rig(tmp_path)

    def damaged(sinks):
        raise sqlite3.DatabaseError("database disk image is malformed")

    def cannot() -> Path:
        raise OSError("read-only file system")

    rig.outbox.orphans = damaged  # type: ignore[method-assign]
    rig.outbox.replace_damaged = cannot  # type: ignore[method-assign]
    assert await rig.dispatcher.orphans() == 0
    assert rig.events == []
    assert rig.dispatcher.storage.problems["alert outbox"] == (
        "the alert outbox is damaged (database disk image is malformed) and cannot be replaced: read-only file system"
    )
    await rig.close()


async def test_the_messages_not_delivered_are_this_processs_still_in_the_outbox(tmp_path):
    rig = Rig(tmp_path, receiver=Receiver(503))
    rig.outbox.add("hook", "k-older", {}, "from an earlier run", 0.0)
    rig.dispatcher.start()
    rig.dispatcher.enqueue([alert(1)])
    # stored (the outbox's thread) and taken as this process's (the dispatcher, a loop step later)
    await wait_until(lambda: len(rig.outbox.pending()) == 2 and bool(rig.dispatcher.enqueued))
    [mine] = await rig.dispatcher.not_delivered()
    assert mine.key != "k-older" and mine.summary == rig.dispatcher.made[0][4]
    await rig.close()


# -- re-sends ------------------------------------------------------------------------------------------------------
async def test_firing_alerts_are_re_sent_every_resend_interval_to_the_sinks_that_want_it(tmp_path):
    manager = AlertmanagerSink("am", "https://am.example.com")
    rig = Rig(
        tmp_path,
        sinks=[manager, WebhookSink("hook", "https://hooks.example.com/in", None)],
        resend_interval=60,
    )
    asked = []

    def firing() -> list[Firing]:
        asked.append(rig.clock.monotonic())
        return [Firing("chat", "Web chat", "down", T0)]

    rig.dispatcher.refresh(firing)
    await settle()
    [post] = rig.receiver.posts
    assert str(post.url) == "https://am.example.com/api/v2/alerts"
    assert json.loads(post.content) == manager.refresh([Firing("chat", "Web chat", "down", T0)])
    rig.clock.advance(59)
    rig.dispatcher.refresh(firing)
    await settle()
    assert (
        len(rig.receiver.posts) == 1 and len(asked) == 1
    )  # not due: the firing alerts are not even asked for
    rig.clock.advance(1)
    rig.dispatcher.refresh(firing)
    await settle()
    assert len(rig.receiver.posts) == 2 and len(asked) == 2
    await rig.close()


async def test_nothing_firing_sends_nothing_and_the_next_alert_is_re_sent_at_once(tmp_path):
    rig = Rig(tmp_path, sinks=[AlertmanagerSink("am", "https://am.example.com")], resend_interval=60)
    rig.dispatcher.refresh(list)
    await settle()
    assert rig.receiver.posts == []
    rig.clock.advance(1)
    rig.dispatcher.refresh(lambda: [Firing("chat", "Web chat", "down", T0)])
    await settle()
    assert len(rig.receiver.posts) == 1
    await rig.close()


async def test_a_receiver_that_cannot_be_reached_for_a_re_send_is_no_error(tmp_path):
    tried = []

    def unreachable(request: httpx.Request) -> httpx.Response:
        tried.append(request)
        raise httpx.ConnectError("refused", request=request)

    rig = Rig(tmp_path, sinks=[AlertmanagerSink("am", "https://am.example.com")])
    rig.http = httpx.AsyncClient(transport=httpx.MockTransport(unreachable))
    rig.dispatcher.http = rig.http
    rig.dispatcher.refresh(lambda: [Firing("chat", "Web chat", "down", T0)])
    await settle()
    assert len(tried) == 1
    await rig.close()  # the re-send task ended quietly: stopping it raises nothing


async def test_a_zero_resend_interval_re_sends_at_every_call(tmp_path):
    rig = Rig(tmp_path, sinks=[AlertmanagerSink("am", "https://am.example.com")], resend_interval=0.0)
    for _ in range(3):
        rig.dispatcher.refresh(lambda: [Firing("chat", "Web chat", "down", T0)])
        await settle()
    assert len(rig.receiver.posts) == 3
    await rig.close()


async def wait_until(predicate) -> None:
    """Wait for a step the test triggered (delivery runs on tasks and the outbox's thread); bounded."""
    for _ in range(3000):  # 30 s: only a bound on a test that would hang
        if predicate():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("condition not reached")


# -- a reload's sinks ----------------------------------------------------------------------------------------------
async def test_a_reload_says_which_sinks_were_removed_and_added_and_the_added_one_delivers(tmp_path):
    rig = Rig(tmp_path, sinks=[WebhookSink("old", "https://old.example.com/in", None)])
    rig.dispatcher.start()
    pager = WebhookSink("pager", "https://pager.example.com/in", None)
    assert rig.dispatcher.replace_sinks([pager]) == ["sink old removed", "sink pager added"]
    assert sorted(task.get_name() for task in rig.dispatcher._tasks) == [
        "deliver:pager",
        "outbox:begin",
        "outbox:store",
    ]
    rig.dispatcher.enqueue([alert(1)])
    await wait_until(lambda: len(rig.receiver.posts) == 1)
    assert str(rig.receiver.posts[0].url) == "https://pager.example.com/in"
    await rig.close()


async def test_a_sink_added_before_the_start_is_delivered_by_the_start(tmp_path):
    rig = Rig(tmp_path, sinks=[])
    assert rig.dispatcher.replace_sinks([rig.sink]) == ["sink hook added"]
    rig.dispatcher.start()
    rig.dispatcher.enqueue([alert(1)])
    await wait_until(lambda: len(rig.receiver.posts) == 1)
    await rig.close()


# -- waiting for delivery --------------------------------------------------------------------------------------------
async def test_drain_waits_until_everything_made_is_delivered(tmp_path):
    rig = Rig(tmp_path)
    rig.outbox.add("gone", "k-orphan", {}, "for a sink no longer configured", 0.0)  # never waited for
    rig.dispatcher.start()
    rig.dispatcher.enqueue([alert(1)])
    assert await rig.dispatcher.drain(30.0) is True
    assert len(rig.receiver.posts) == 1 and [row.sink for row in rig.outbox.pending()] == ["gone"]
    await rig.close()


async def test_drain_gives_up_at_its_deadline_and_at_once_when_the_outbox_refuses_what_is_held(tmp_path):
    rig = Rig(tmp_path, receiver=Receiver(503))
    rig.dispatcher.start()
    rig.dispatcher.enqueue([alert(1)])
    assert await rig.dispatcher.drain(0.0) is False
    await rig.close()
    stuck = Rig(tmp_path / "other")
    stuck.refuse_storing()
    stuck.dispatcher.start()
    stuck.dispatcher.enqueue([alert(2)])
    async with asyncio.timeout(20):  # a guard only: it returns as soon as the storing task has failed once
        assert await stuck.dispatcher.drain(3600.0) is False
    await stuck.close()


# -- delivery ----------------------------------------------------------------------------------------------------------
async def test_each_attempt_is_audited_with_its_answer_and_the_counts_follow_the_outbox(tmp_path):
    rig = Rig(tmp_path, receiver=Receiver(503, 202), backoff=Backoff(base=0.01, cap=0.02))
    rig.outbox.add("gone", "k-orphan", {}, "for a sink no longer configured", 0.0)  # counted nowhere
    rig.dispatcher.start()
    rig.dispatcher.enqueue([alert(1)])
    await wait_until(lambda: [e.event_type for e in rig.events] == ["alert_retrying"])
    rig.clock.advance(1)  # the retry is due (the backoff is a hundredth of a second on this clock)
    await wait_until(lambda: [e.event_type for e in rig.events] == ["alert_retrying", "alert_delivered"])
    print([(e.event_type, e.message) for e in rig.events])
    retrying, delivered = rig.events
    key = rig.dispatcher.made[0][0]
    assert (retrying.status, retrying.severity, retrying.correlation_id, retrying.sink) == (
        "503",
        "warning",
        key,
        "hook",
    )
    assert retrying.message.startswith(
        "hook (https://hooks.example.com/…) failed (HTTP 503, attempt 1); retrying in "
    )
    assert (delivered.status, delivered.severity, delivered.correlation_id) == ("202", "info", key)
    assert delivered.message.startswith(
        "delivered to hook (https://hooks.example.com/…) (HTTP 202, attempt 2): "
    )
    await wait_until(
        lambda: rig.dispatcher.enqueued == set()
    )  # delivered: nothing of this process left waiting
    assert (rig.dispatcher.pending, rig.dispatcher.failed) == (0, 0)
    await rig.close()


async def test_a_message_refused_for_good_is_counted_as_failed(tmp_path):
    rig = Rig(tmp_path, receiver=Receiver(404), permanent_after=0)
    changes = []
    rig.dispatcher.on_change = lambda: changes.append((rig.dispatcher.pending, rig.dispatcher.failed))
    rig.dispatcher.start()
    rig.dispatcher.enqueue([alert(1)])
    await wait_until(lambda: rig.dispatcher.failed == 1)
    [failed] = rig.events
    assert (failed.event_type, failed.status, failed.severity) == ("alert_failed", "404", "critical")
    assert rig.dispatcher.pending == 0 and changes[-1] == (0, 1)
    assert len(rig.dispatcher.enqueued) == 1  # failed for good: --once still names it
    await rig.close()


async def test_at_start_the_alerts_a_stop_kept_in_every_place_are_queued_and_said(tmp_path):
    items = [
        {"sink": "hook", "key": f"k-kept-{n}", "body": {"n": n}, "summary": f"C{n} is down", "at": 1.0}
        for n in (1, 2)
    ]
    beside = tmp_path / "state" / "outbox.sqlite3.held.jsonl"
    elsewhere = tmp_path / "audit" / "outbox.sqlite3.held.jsonl"
    elsewhere.parent.mkdir()
    rig = Rig(tmp_path, held_elsewhere=[tmp_path / "audit"])
    keep_held(beside, items[:1])
    keep_held(elsewhere, items[1:])
    rig.dispatcher.start()
    await wait_until(lambda: len(rig.receiver.posts) == 2)
    said = [e for e in rig.events if e.event_type == "storage_recovered"]
    assert [(e.message, e.source, e.timestamp) for e in said] == [
        (f"1 alert(s) kept in {beside} at the last stop are queued for delivery", "alert outbox", T0),
        (f"1 alert(s) kept in {elsewhere} at the last stop are queued for delivery", "alert outbox", T0),
    ]
    assert not beside.exists() and not elsewhere.exists()
    assert [p.headers["Idempotency-Key"] for p in rig.receiver.posts] == ["k-kept-1", "k-kept-2"]
    await rig.close()


async def test_only_a_2xx_is_a_delivery(tmp_path):
    for status, kind in ((200, "alert_delivered"), (299, "alert_delivered"), (300, "alert_retrying")):
        rig = Rig(tmp_path / str(status), receiver=Receiver(status))
        rig.dispatcher.start()
        rig.dispatcher.enqueue([alert(1)])
        await wait_until(lambda rig=rig: bool(rig.events))
        assert rig.events[0].event_type == kind, status
        await rig.close()


async def test_a_receiver_that_cannot_be_reached_is_retried_with_no_response(tmp_path):
    def unreachable(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    rig = Rig(tmp_path)
    rig.http = httpx.AsyncClient(transport=httpx.MockTransport(unreachable))
    rig.dispatcher.http = rig.http
    rig.dispatcher.start()
    rig.dispatcher.enqueue([alert(1)])
    await wait_until(lambda: bool(rig.events))
    [retrying] = rig.events
    assert (retrying.event_type, retrying.status) == ("alert_retrying", "no-response")
    assert "https://hooks.example.com" in retrying.message and "attempt 1" in retrying.message
    [row] = rig.outbox.pending()
    assert (
        row.attempts == 1 and row.last_error and row.refused_since is None
    )  # not a refusal: no refusal clock
    await rig.close()
