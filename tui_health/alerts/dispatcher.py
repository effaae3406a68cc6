"""Delivers the outbox: in order per sink, retries with backoff and Retry-After, never blocking the poll loop.

An alert is *handed over* only once it is stored in the outbox or delivered. Every outbox call runs on the
outbox's storage thread and is awaited for :data:`STORAGE_WAIT` seconds at most, so a locked file or a frozen
disk holds that thread, never the loop. What the outbox cannot take yet is held in memory, stored first when
it can, and said: at stop it is delivered directly (``--once``), kept in a file beside the outbox (else beside the
audit log: every place is read at the next start), or — when even that fails — named as lost (audit log and
stderr), never counted as kept.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
import sqlite3
import time
from collections import deque
from collections.abc import Callable, Iterable
from functools import partial
from pathlib import Path
from typing import TypeVar

import httpx

from tui_health.alerts.outbox import Outbox, Row, damaged, held_places, keep_held, take_held
from tui_health.alerts.pending import WHAT, Held, Unsent, damaged_event
from tui_health.alerts.sinks import Firing, ResendingSink, Sink, changed_settings, describe
from tui_health.genesys.transport import describe_transport_error
from tui_health.model.domain import AuditEvent, EventType, Severity
from tui_health.support.clock import Clock
from tui_health.support.disk import StorageHealth, StorageStuck, Worker, reason
from tui_health.support.redact import scrub
from tui_health.support.retry import RECEIVER_RETRY_STATUS, Backoff, parse_retry_after
from tui_health.support.timespec import duration_text

T = TypeVar("T")

STORAGE_RETRY = 5.0
"""Seconds a delivery task waits before trying an outbox that failed again."""
STORAGE_WAIT = 5.0
"""Seconds the loop waits for one outbox call before it calls the outbox stuck and goes on."""
LONGEST_WAIT = 3600.0
"""The longest wait a stored next-attempt time can ask for (a row this process did not schedule itself)."""


class Dispatcher:
    def __init__(
        self,
        sinks: list[Sink],
        outbox: Outbox,
        http: httpx.AsyncClient,
        clock: Clock,
        on_events: Callable[[list[AuditEvent]], None],
        *,
        backoff: Backoff | None = None,
        resend_interval: float = 60.0,
        timeout: float = 10.0,
        rng: random.Random | None = None,
        permanent_after: float = 600.0,
        permanent_attempts: int = 3,
        storage: StorageHealth | None = None,
        on_change: Callable[[], None] = lambda: None,
        held_elsewhere: Iterable[Path] = (),
    ) -> None:
        self.sinks = {sink.name: sink for sink in sinks}
        self.held_elsewhere = tuple(held_elsewhere)
        """Directories where a stop keeps what the outbox never took when beside the outbox fails (the audit
        log's): written at stop and read at the next start, both through :func:`held_places`."""
        self.on_change = on_change
        """Called when the outbox's counts or health changed (the monitor audits and publishes them)."""
        self.outbox = outbox
        self.db = Worker(WHAT)
        """The outbox's storage thread: every outbox call of this process runs there, in order."""
        self.http = http
        self.clock = clock
        self.on_events = on_events
        self.backoff = backoff or Backoff(base=1.0, cap=300.0)
        self.resend_interval = resend_interval
        self.timeout = timeout
        self.rng = rng or random.Random()
        self.permanent_after = permanent_after
        """Seconds a receiver must keep refusing (4xx) a message before it is given up as failed."""
        self.permanent_attempts = permanent_attempts
        """...and at least this many refusals: one bad minute of a receiver does not fail a backlog for good."""
        self.storage = storage or StorageHealth()
        self._held: deque[Held] = deque()
        """Messages the outbox could not store yet (full, locked or frozen disk): stored first when it can."""
        self.enqueued: set[int] = set()
        """Outbox rows this process stored and has not delivered yet (``--once`` waits for these only, never
        for older ones); a delivered row leaves the set, so it stays as small as the backlog."""
        self.pending = 0
        """Messages waiting in the outbox for the configured sinks, as last counted (never read on the loop)."""
        self.failed = 0
        """Messages receivers refused for good, as last counted."""
        self._wake = {name: asyncio.Event() for name in self.sinks}
        self._store_wake = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self._refreshed: dict[str, float] = {}
        self._refresh_tasks: set[asyncio.Task[None]] = set()
        self._due: dict[int, float] = {}
        """Row id → when its next attempt is due, on the monotonic clock (the outbox keeps the wall time for
        people and for a restart; a wall clock stepped back an hour must not hold a retry back an hour)."""
        self._refused: dict[int, float] = {}  # row id → when this process saw its first refusal (monotonic)
        self._begun: float | None = None
        """The wall time rows left by an earlier run were made due at (at start): such a row is due whatever the
        wall clock says later (stepped back an hour, it must not hold the backlog back an hour)."""
        self._removing: set[int] = set()
        """Rows a receiver accepted whose removal from the outbox failed: never posted again, removed later."""
        self._changed: set[str] = set()
        """Sinks a reload gave new settings: their next message is tried at once, not after the old backoff."""
        self.closed = False
        """Whether :meth:`shutdown` ended the outbox's thread (only then may the outbox's connection be closed)."""
        self.made: list[tuple[str, str, float, tuple[str, ...], str]] = []
        """(key, sink, at, components, summary) of each message made since the owner last took them (the
        history links alerts to their components with it)."""

    # -- the poll loop's side: fast, no I/O ---------------------------------------------------------
    def enqueue(self, events: list[AuditEvent]) -> int:
        """Make each sink's messages for this poll's alert events and hand them to the storing task; returns
        how many were made. Nothing here waits for the disk."""
        if not self.sinks:
            return 0
        now = self.clock.now()
        made = 0
        for sink in self.sinks.values() if events else ():
            for message in sink.messages(events, now):
                body = json.loads(scrub(json.dumps(message.body)))  # nothing secret leaves for a receiver
                summary = scrub(message.summary)
                self._held.append(
                    Held(sink.name, message.key, body, summary, now.timestamp(), message.components)
                )
                self.made.append((message.key, sink.name, now.timestamp(), message.components, summary))
                made += 1
        if self._held:  # this poll's, and what a full disk held back earlier: the storing task tries now
            self._store_wake.set()
        return made

    @property
    def held(self) -> int:
        """Messages waiting in memory for the outbox to accept them (never counted as outbox rows)."""
        return len(self._held)

    def wake(self) -> None:
        """Look at the outbox again now (after a requeue)."""
        for event in self._wake.values():
            event.set()

    def _refresh_due(self, now: float) -> list[ResendingSink]:
        return [
            sink
            for sink in self.sinks.values()
            if isinstance(sink, ResendingSink)
            and now - self._refreshed.get(sink.name, -1e9) >= self.resend_interval
        ]

    def refresh(self, firing: Callable[[], list[Firing]]) -> None:
        """Re-send firing alerts to sinks that want it (Alertmanager) every ``resend_interval``, in the background.

        ``firing`` is only called when a re-send is due, so polls without such sinks pay nothing.
        """
        now = self.clock.monotonic()
        due = self._refresh_due(now)
        alerts = firing() if due else []
        if not alerts:
            return
        for sink in due:
            self._refreshed[sink.name] = now
            task = asyncio.get_running_loop().create_task(self._post_quietly(sink, sink.refresh(alerts)))
            self._refresh_tasks.add(task)
            task.add_done_callback(self._refresh_tasks.discard)

    async def _post_quietly(self, sink: Sink, body: object) -> None:
        url, headers, payload = sink.request(body, "refresh")
        with contextlib.suppress(httpx.HTTPError):
            await self.http.post(url, json=payload, headers=headers, timeout=self.timeout)

    # -- the outbox, off the loop -------------------------------------------------------------------
    async def _outbox(self, job: Callable[[], T], timeout: float = STORAGE_WAIT) -> T:
        """Run ``job`` on the outbox's thread, ``timeout`` seconds at most. Trouble is reported (and raised as
        sqlite3.Error or StorageStuck for the caller to hold or retry); a damaged file is replaced first."""
        try:
            result = await self.db.run(job, timeout)
        except StorageStuck:
            self._health(
                f"the alert outbox has not answered for {duration_text(round(self.db.busy_for()))} (a locked file "
                "or a frozen "
                "disk); alerts are held in memory and stored when it answers"
            )
            raise
        except sqlite3.Error as exc:
            if damaged(exc):
                await self._replace_damaged(exc)
            else:
                self._health(f"cannot write the {WHAT}: {reason(exc)}")
            raise
        return result

    def _health(self, problem: str | None) -> None:
        """Note the outbox's trouble (``None``: it works); the monitor is told when that changed."""
        before = self.storage.problems.get(WHAT)
        if problem is None:
            self.storage.recovered(WHAT)
        else:
            self.storage.failing(WHAT, problem)
        if self.storage.problems.get(WHAT) != before:
            self.on_change()

    async def _replace_damaged(self, exc: BaseException) -> None:
        """The outbox file is damaged: move it aside (kept for inspection), start a fresh one, and say so.
        The rows it held are not delivered (they are in the file moved aside)."""
        try:
            aside = await self.db.run(self.outbox.replace_damaged, STORAGE_WAIT)
        except (OSError, sqlite3.Error, StorageStuck) as again:
            self._health(f"the alert outbox is damaged ({reason(exc)}) and cannot be replaced: {again}")
            return
        self.enqueued.clear()
        self._due.clear()
        self._refused.clear()
        self._removing.clear()
        self.on_events([damaged_event(self.clock, self.outbox.path, aside, exc)])
        self.wake()

    async def _count(self) -> None:
        """Count what waits and what was refused, on the outbox's thread (the views read the numbers, and are
        told when they changed)."""
        sinks = list(self.sinks)
        with contextlib.suppress(sqlite3.Error, StorageStuck):
            counts = await self._outbox(
                lambda: (self.outbox.pending_count(sinks=sinks), self.outbox.failed_count())
            )
            if counts != (self.pending, self.failed):
                self.pending, self.failed = counts
                self.on_change()

    # -- storing ------------------------------------------------------------------------------------
    async def _store(self) -> None:
        """Move held messages into the outbox, oldest first; when it refuses, wait and try again."""
        while True:
            await self._store_wake.wait()
            self._store_wake.clear()
            while self._held:
                if not await self._store_one(self._held[0]):
                    with contextlib.suppress(TimeoutError):  # asyncio.timeout: wait_for can lose a cancel
                        async with asyncio.timeout(STORAGE_RETRY):
                            await self._store_wake.wait()
                    self._store_wake.clear()
                    continue
                self._held.popleft()
            await self._count()

    async def _store_one(self, item: Held) -> bool:
        """Store one message; ``True`` once it is in the outbox (also when an earlier try that timed out
        stored it after all: the key is unique per sink)."""
        outbox = self.outbox

        def add() -> int | None:
            row = outbox.add(item.sink, item.key, item.body, item.summary, item.at)
            return row if row is not None else outbox.id_of(item.sink, item.key)

        try:
            row = await self._outbox(add)
        except (sqlite3.Error, StorageStuck):
            return False
        self._health(None)
        if row is not None:
            self.enqueued.add(row)
            # due now, on the monotonic clock: a wall clock stepped back meanwhile never holds it
            self._due.setdefault(row, self.clock.monotonic())
        self._wake[item.sink].set()
        return True

    # -- the delivery side ----------------------------------------------------------------------------
    def start(self) -> None:
        """Start the storing task and one delivery task per sink; whatever was pending before a restart (and
        what a stop kept in a file) goes first."""
        loop = asyncio.get_running_loop()
        self._tasks = [loop.create_task(self._begin(), name="outbox:begin")]
        self._tasks += [loop.create_task(self._run(name), name=f"deliver:{name}") for name in self.sinks]
        self._tasks.append(loop.create_task(self._store(), name="outbox:store"))

    def replace_sinks(self, sinks: list[Sink]) -> list[str]:
        """A reloaded config's sinks: one that kept its name keeps its queue and takes the new settings at its
        next attempt (tried at once when they changed: the wait was earned under the old ones), a new one
        starts delivering, a removed one stops (its undelivered messages stay in the outbox as orphans, said by
        ``outbox list``). Returns what changed, one phrase each: a changed sink's setting names, never values."""
        new = {sink.name: sink for sink in sinks}
        changes = [f"sink {n} removed" for n in self.sinks if n not in new]
        changes += [f"sink {n} added" for n in new if n not in self.sinks]
        for name, sink in new.items():
            keys = changed_settings(self.sinks[name], sink) if name in self.sinks else []
            if keys:
                changes.append(f"sink {name} changed ({', '.join(keys)})")
                self._changed.add(name)
        self._changed &= new.keys()
        for task in list(self._tasks):
            if task.get_name().startswith("deliver:") and task.get_name()[8:] not in new:
                task.cancel()
                self._tasks.remove(task)
        started = bool(self._tasks)
        for name in new:
            if name not in self.sinks:
                self._wake[name] = asyncio.Event()
                if started:
                    loop = asyncio.get_running_loop()
                    self._tasks.append(loop.create_task(self._run(name), name=f"deliver:{name}"))
        self.sinks = new
        for wake in self._wake.values():
            wake.set()  # what waits for a sink is looked at again under the new settings
        return changes

    async def _begin(self) -> None:
        """Store what a stop kept in files (every place it may have, each file removed once its rows are
        stored), then make whatever waits due."""
        outbox = self.outbox
        for place in held_places(outbox.path, self.held_elsewhere):
            try:
                kept = await self._outbox(partial(take_held, outbox, place))
            except OSError as exc:  # this file stays for the next start; the other places are still read
                self._health(f"cannot queue the alerts kept in {place}: {reason(exc)}")
                continue
            except (sqlite3.Error, StorageStuck):  # the outbox cannot take them now: the files stay
                break
            if kept:
                self.on_events(
                    [
                        AuditEvent(
                            timestamp=self.clock.now(),
                            event_type=EventType.STORAGE_RECOVERED,
                            message=f"{kept} alert(s) kept in {place} at the last stop are queued for delivery",
                            source=WHAT,
                        )
                    ]
                )
        now = self.clock.now().timestamp()
        with contextlib.suppress(
            sqlite3.Error, StorageStuck
        ):  # still pending: they go when it can be written
            await self._outbox(lambda: outbox.make_all_due(now))
            self._begun = now
        self.wake()
        self._store_wake.set()
        await self._count()

    async def stop(self) -> None:
        """Stop delivering; undelivered messages stay in the outbox for the next start."""
        for task in [*self._tasks, *self._refresh_tasks]:
            task.cancel()
        for task in [*self._tasks, *self._refresh_tasks]:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks = []

    async def close(self, *, deliver_held: float = 0.0) -> list[Unsent]:
        """After :meth:`stop`: what the outbox never took is stored once more, else posted directly (for up
        to ``deliver_held`` seconds: ``--once``), else kept in a file beside the outbox (or in one of the
        ``held_elsewhere`` directories) for the next start, else lost. One :class:`Unsent` per message it did
        not store."""
        out: list[Unsent] = []
        while self._held:
            item = self._held[0]
            if await self._store_one(item):
                self._held.popleft()
                continue
            break
        ends = time.monotonic() + deliver_held
        rest: list[Held] = []
        while self._held:
            item = self._held.popleft()
            left = ends - time.monotonic()
            if left > 0 and item.sink in self.sinks:
                posted = await self._post_directly(item, min(left, self.timeout))
                if posted is None:
                    out.append(Unsent(item, "delivered", "delivered directly: the outbox could not store it"))
                    continue
                rest.append(item)
            else:
                rest.append(item)
        if rest:
            out += await self._keep(rest)
        return out

    async def shutdown(self) -> None:
        """End the outbox's thread (after :meth:`close` and the last questions); ``closed`` says whether it
        ended, and only then may the outbox's connection be closed."""
        self.closed = await asyncio.to_thread(self.db.close, STORAGE_WAIT)

    async def _post_directly(self, item: Held, timeout: float) -> str | None:
        """One attempt without the outbox; ``None`` when the receiver took it, else why not."""
        sink = self.sinks[item.sink]
        url, headers, body = sink.request(item.body, item.key)
        started = time.perf_counter()
        try:
            response = await self.http.post(url, json=body, headers=headers, timeout=timeout)
        except httpx.TransportError as exc:
            return describe_transport_error(exc, url, timeout).message
        if 200 <= response.status_code < 300:
            self.on_events(
                [
                    self._event(
                        EventType.ALERT_DELIVERED,
                        Severity.INFO,
                        item.key,
                        sink,
                        started,
                        f"delivered to {describe(sink)} directly (HTTP {response.status_code}; the outbox "
                        f"could not store it): {item.summary}",
                        response.status_code,
                    )
                ]
            )
            return None
        return f"HTTP {response.status_code}"

    async def _keep(self, items: list[Held]) -> list[Unsent]:
        """Write ``items`` in the first place that takes them (beside the outbox, else in a ``held_elsewhere``
        directory: where the next start looks), else name them as lost."""
        problems = []
        for place in held_places(self.outbox.path, self.held_elsewhere):
            try:
                await asyncio.wait_for(
                    asyncio.to_thread(keep_held, place, [i.as_dict() for i in items]), STORAGE_WAIT
                )
            except (OSError, TimeoutError) as exc:
                problems.append(f"{place}: {reason(exc) if isinstance(exc, OSError) else 'no answer'}")
                continue
            return [
                Unsent(i, "kept", f"kept in {place} (the outbox could not store it); sent at the next start")
                for i in items
            ]
        why = "; ".join(problems)
        return [Unsent(i, "lost", f"could not be stored anywhere ({why})") for i in items]

    async def drain(self, timeout: float, *, own_only: bool = False) -> bool:
        """Wait up to ``timeout`` seconds until nothing is pending for the configured sinks (``own_only``: among
        the messages this process made); ``True`` if all of it was delivered. Messages for sinks that are no
        longer configured are never waited for: nobody will deliver them. Stops early when the outbox cannot
        take what is held (``close`` delivers those directly or keeps them)."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                left = await self._undelivered(own_only)
            except (sqlite3.Error, StorageStuck):
                left = -1
            if left == 0:
                return True
            if time.monotonic() >= deadline or (self._held and WHAT in self.storage.problems):
                return False
            await asyncio.sleep(0.02)

    async def _undelivered(self, own_only: bool) -> int:
        # what is held is read before the count: a message stored meanwhile is then in one of the two
        outbox, ids, sinks, held = self.outbox, set(self.enqueued), list(self.sinks), len(self._held)
        if own_only:
            stored = await self._outbox(lambda: outbox.pending_count(ids=ids))
        else:
            stored = await self._outbox(lambda: outbox.pending_count(sinks=sinks))
        return stored + held

    async def not_delivered(self) -> list[Row]:
        """This process's messages still in the outbox (pending or refused), for one line each."""
        outbox, ids = self.outbox, set(self.enqueued)
        try:
            return await self._outbox(lambda: outbox.rows(ids))
        except (sqlite3.Error, StorageStuck):
            return []

    async def orphans(self) -> int:
        """Messages for sinks no longer configured (0 when the outbox does not answer)."""
        outbox, sinks = self.outbox, list(self.sinks)
        try:
            return await self._outbox(lambda: outbox.orphans(sinks))
        except (sqlite3.Error, StorageStuck):
            return 0

    async def requeue_failed(self) -> int:
        """Queue the messages receivers refused for good once more."""
        outbox, now = self.outbox, self.clock.now().timestamp()
        count = await self._outbox(lambda: outbox.requeue_failed(now))
        self.wake()
        await self._count()
        return count

    async def _run(self, name: str) -> None:
        while True:
            try:
                await self._deliver(name)
            except (sqlite3.Error, StorageStuck):  # the outbox cannot be read or updated: wait, then go on
                await asyncio.sleep(STORAGE_RETRY)

    async def _deliver(self, name: str) -> None:
        """Deliver sink ``name``'s messages in order. The sink is looked up by name at every attempt, never held
        across one: a reload's new settings (URL, token) apply to the next attempt, pending rows included."""
        wake = self._wake[name]
        outbox = self.outbox
        while True:
            head = await self._outbox(lambda: outbox.head(name))
            if head is None:
                self._health(None)
                wake.clear()
                await wake.wait()
                continue
            if head.id in self._removing:  # delivered already: only its removal is left, never a re-post
                if not await self._remove(head.id):
                    await asyncio.sleep(STORAGE_RETRY)
                continue
            due = self._due.get(head.id)
            if name in self._changed:  # new settings: the old ones' backoff no longer says anything
                wait = 0.0
            elif due is not None:
                wait = due - self.clock.monotonic()
            elif self._begun is not None and head.next_at <= self._begun:  # made due at start: due now
                wait = 0.0
            else:  # scheduled by another run, or requeued: its stored time, within reason
                wait = min(head.next_at - self.clock.now().timestamp(), LONGEST_WAIT)
            if wait > 0:
                wake.clear()
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(wait):
                        await wake.wait()
                continue
            sink = self.sinks.get(name)
            if sink is None:  # removed by a reload (its task is being cancelled)
                return
            self._changed.discard(name)
            await self._attempt(sink, head)

    async def _remove(self, row_id: int) -> bool:
        """Delete a delivered row; while the outbox refuses, remember it (so it is never posted again: the
        delivery task tries the removal again after a while). ``True`` once it is gone."""
        outbox = self.outbox
        try:
            await self._outbox(lambda: outbox.delivered(row_id))
        except (sqlite3.Error, StorageStuck):
            self._removing.add(row_id)
            return False
        self._removing.discard(row_id)
        self._forget(row_id)
        self._health(None)
        await self._count()
        return True

    async def _attempt(self, sink: Sink, row: Row) -> None:
        url, headers, body = sink.request(row.body, row.key)
        attempt = row.attempts + 1
        started = time.perf_counter()
        retry_after: float | None = None
        try:
            response = await self.http.post(url, json=body, headers=headers, timeout=self.timeout)
        except httpx.TransportError as exc:
            error = describe_transport_error(exc, url, self.timeout).message
            code: int | None = None
        else:
            code = response.status_code
            if 200 <= code < 300:
                self._removing.add(row.id)  # from now on only its removal is left
                self._emit(
                    EventType.ALERT_DELIVERED,
                    Severity.INFO,
                    row,
                    sink,
                    started,
                    f"delivered to {describe(sink)} (HTTP {code}, attempt {attempt}): {row.summary}",
                    code,
                )  # audited at once: a stop that follows never loses the fact
                await self._remove(row.id)
                return
            retry_after = parse_retry_after(response.headers.get("retry-after"), self.clock.now())
            error = f"HTTP {code}"
        outbox = self.outbox
        refused_since: float | None = None
        if code is not None and code not in RECEIVER_RETRY_STATUS:
            now = self.clock.now().timestamp()
            refused_since = row.refused_since if row.refused_since is not None else now
            first = self._refused.setdefault(row.id, self.clock.monotonic())
            # how long it has been refused: by this process's monotonic clock, or since a refusal stored by an
            # earlier run when that one is older
            lasted = max(
                self.clock.monotonic() - first, 0.0 if row.refused_since is None else now - refused_since
            )
            if self.permanent_after == 0 or (
                lasted >= self.permanent_after and attempt >= self.permanent_attempts
            ):
                await self._book(lambda: outbox.fail(row.id, error), row.id)
                self._forget(row.id, delivered=False)
                self._emit(
                    EventType.ALERT_FAILED,
                    Severity.CRITICAL,
                    row,
                    sink,
                    started,
                    f"{describe(sink)} refused the alert ({error}, {attempt} times over "
                    f"{duration_text(round(lasted))}: permanent; kept in the outbox, requeue it once fixed): "
                    f"{row.summary}",
                    code,
                )
                await self._count()
                return
            error += " (refused; given up only if it goes on)"
        delay = min(
            self.backoff.delay(attempt, retry_after, self.rng), max(self.backoff.cap, retry_after or 0)
        )
        next_at = self.clock.now().timestamp() + delay
        self._due[row.id] = self.clock.monotonic() + delay
        await self._book(lambda: outbox.retry(row.id, next_at, error, refused_since), row.id)
        self._emit(
            EventType.ALERT_RETRYING,
            Severity.WARNING,
            row,
            sink,
            started,
            f"{describe(sink)} failed ({error}, attempt {attempt}); retrying in {duration_text(delay)}: {row.summary}",
            code,
        )

    async def _book(self, job: Callable[[], object], row_id: int) -> None:
        """Record an attempt's outcome in the outbox; when it cannot be, the next attempt waits a while (in
        memory) instead of hammering the receiver."""
        try:
            await self._outbox(job)
        except (sqlite3.Error, StorageStuck):
            self._due[row_id] = max(self._due.get(row_id, 0.0), self.clock.monotonic() + STORAGE_RETRY)

    def _forget(self, row_id: int, *, delivered: bool = True) -> None:
        """The row left the pending set: delivered, or failed for good (then ``--once`` still names it)."""
        if delivered:
            self.enqueued.discard(row_id)
        self._due.pop(row_id, None)
        self._refused.pop(row_id, None)

    def _emit(
        self,
        kind: str,
        severity: Severity,
        row: Row,
        sink: Sink,
        started: float,
        message: str,
        code: int | None,
    ) -> None:
        self.on_events([self._event(kind, severity, row.key, sink, started, message, code)])

    def _event(
        self,
        kind: str,
        severity: Severity,
        key: str,
        sink: Sink,
        started: float,
        message: str,
        code: int | None,
    ) -> AuditEvent:
        return AuditEvent(
            timestamp=self.clock.now(),
            event_type=kind,
            status=str(code) if code is not None else "no-response",
            latency_ms=round((time.perf_counter() - started) * 1000, 3),
            message=message,
            severity=severity,
            source=sink.kind,
            sink=sink.name,
            correlation_id=key,  # the message's idempotency key: links attempts to their alert
        )
