"""Delivers the outbox: in order per sink, retries with backoff and Retry-After, never blocking the poll loop."""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
import sqlite3
import time
from collections.abc import Callable
from typing import Any

import httpx

from tui_health.alerts.outbox import Outbox, Row
from tui_health.alerts.sinks import Firing, ResendingSink, Sink, describe
from tui_health.clock import Clock
from tui_health.genesys.transport import describe_transport_error
from tui_health.models import AuditEvent, EventType, Severity
from tui_health.redact import scrub
from tui_health.retry import RECEIVER_RETRY_STATUS, Backoff, parse_retry_after
from tui_health.storage import StorageHealth

STORAGE_RETRY = 5.0
"""Seconds a delivery task waits before trying an outbox that failed again."""
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
    ) -> None:
        self.sinks = {sink.name: sink for sink in sinks}
        self.outbox = outbox
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
        self._held: list[tuple[str, str, Any, str, float]] = []
        """Messages the outbox could not store (full or read-only disk): kept here, stored when it works."""
        self.enqueued: set[int] = set()
        """Outbox rows this process stored and has not delivered yet (``--once`` waits for these only, never
        for older ones); a delivered row leaves the set, so it stays as small as the backlog."""
        self._wake = {name: asyncio.Event() for name in self.sinks}
        self._due: dict[int, float] = {}
        """Row id → when its next attempt is due, on the monotonic clock (the outbox keeps the wall time for
        people and for a restart; a wall clock stepped back an hour must not hold a retry back an hour)."""
        self._refused: dict[int, float] = {}  # row id → when this process saw its first refusal (monotonic)
        self._tasks: list[asyncio.Task[None]] = []
        self._refreshed: dict[str, float] = {}
        self._refresh_tasks: set[asyncio.Task[None]] = set()
        self.made: list[tuple[str, str, float, tuple[str, ...], str]] = []
        """(key, sink, at, components, summary) of each message made since the owner last took them (the
        history links alerts to their components with it)."""

    # -- the poll loop's side: fast, no network ------------------------------------------------------
    def enqueue(self, events: list[AuditEvent]) -> int:
        """Store each sink's messages for this poll's alert events; returns how many were stored.

        When the outbox cannot be written, the messages are held in memory and stored (in order, before anything
        newer) as soon as it can: an alert is never lost to a full disk while the process lives.
        """
        if not self.sinks:
            return 0
        now = self.clock.now()
        for sink in self.sinks.values():
            for message in sink.messages(events, now) if events else []:
                body = json.loads(scrub(json.dumps(message.body)))  # nothing secret leaves for a receiver
                self._held.append((sink.name, message.key, body, scrub(message.summary), now.timestamp()))
                self.made.append(
                    (message.key, sink.name, now.timestamp(), message.components, scrub(message.summary))
                )
        return self.store_held()

    @property
    def held(self) -> int:
        """Messages waiting in memory for the outbox to accept them."""
        return len(self._held)

    def store_held(self) -> int:
        """Move held messages into the outbox, oldest first; stops at the first failure. Returns how many."""
        stored = 0
        while self._held:
            sink, key, body, summary, at = self._held[0]
            try:
                row = self.outbox.add(sink, key, body, summary, at)
            except sqlite3.Error as exc:
                self.storage.failed("alert outbox", exc)
                return stored
            self._held.pop(0)
            self.storage.recovered("alert outbox")
            if row is not None:
                self.enqueued.add(row)
                stored += 1
            self._wake[sink].set()
        return stored

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
        now = time.monotonic()
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

    # -- the delivery side ----------------------------------------------------------------------------
    def start(self) -> None:
        """Start one delivery task per sink; whatever was pending before a restart goes first."""
        try:
            self.outbox.make_all_due(self.clock.now().timestamp())
        except sqlite3.Error as exc:  # they are still pending: they go when the outbox can be written
            self.storage.failed("alert outbox", exc)
        loop = asyncio.get_running_loop()
        self._tasks = [loop.create_task(self._run(name), name=f"deliver:{name}") for name in self.sinks]
        for event in self._wake.values():
            event.set()

    async def stop(self) -> None:
        """Stop delivering; undelivered messages stay in the outbox for the next start."""
        for task in [*self._tasks, *self._refresh_tasks]:
            task.cancel()
        for task in [*self._tasks, *self._refresh_tasks]:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks = []

    async def drain(self, timeout: float, *, own_only: bool = False) -> bool:
        """Wait up to ``timeout`` seconds until nothing is pending for the configured sinks (``own_only``: among
        the messages this process stored); ``True`` if all of it was delivered. Messages for sinks that are no
        longer configured are never waited for: nobody will deliver them."""
        deadline = time.monotonic() + timeout
        while self._undelivered(own_only):
            if time.monotonic() >= deadline:
                return False
            await asyncio.sleep(0.02)
        return True

    def _undelivered(self, own_only: bool) -> int:
        if own_only:
            return self.outbox.pending_count(ids=self.enqueued)
        return self.outbox.pending_count(sinks=list(self.sinks))

    def not_delivered(self) -> list[Row]:
        """This process's messages still in the outbox (pending or refused), for one line each."""
        return self.outbox.rows(self.enqueued)

    async def _run(self, name: str) -> None:
        while True:
            try:
                await self._deliver(name)
            except sqlite3.Error as exc:  # the outbox cannot be read or updated: wait, then go on
                self.storage.failed("alert outbox", exc)
                await asyncio.sleep(STORAGE_RETRY)

    async def _deliver(self, name: str) -> None:
        sink, wake = self.sinks[name], self._wake[name]
        while True:
            head = self.outbox.head(name)
            if head is None:
                wake.clear()
                await wake.wait()
                continue
            due = self._due.get(head.id)
            if due is not None:
                wait = due - self.clock.monotonic()
            else:  # scheduled by another run, or requeued: its stored time, within reason
                wait = min(head.next_at - self.clock.now().timestamp(), LONGEST_WAIT)
            if wait > 0:
                wake.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(wake.wait(), timeout=wait)
                continue
            await self._attempt(sink, head)

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
                self.outbox.delivered(row.id)
                self._forget(row.id)
                self._emit(
                    EventType.ALERT_DELIVERED,
                    Severity.INFO,
                    row,
                    sink,
                    started,
                    f"delivered to {describe(sink)} (HTTP {code}, attempt {attempt}): {row.summary}",
                    code,
                )
                return
            retry_after = parse_retry_after(response.headers.get("retry-after"), self.clock.now())
            error = f"HTTP {code}"
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
                self.outbox.fail(row.id, error)
                self._forget(row.id, delivered=False)
                self._emit(
                    EventType.ALERT_FAILED,
                    Severity.CRITICAL,
                    row,
                    sink,
                    started,
                    f"{describe(sink)} refused the alert ({error}, {attempt} times over "
                    f"{lasted:.0f} s: permanent; kept in the outbox, requeue it once fixed): "
                    f"{row.summary}",
                    code,
                )
                return
            error += " (refused; given up only if it goes on)"
        delay = min(
            self.backoff.delay(attempt, retry_after, self.rng), max(self.backoff.cap, retry_after or 0)
        )
        self.outbox.retry(row.id, self.clock.now().timestamp() + delay, error, refused_since)
        self._due[row.id] = self.clock.monotonic() + delay
        self._emit(
            EventType.ALERT_RETRYING,
            Severity.WARNING,
            row,
            sink,
            started,
            f"{describe(sink)} failed ({error}, attempt {attempt}); retrying in {delay:.1f} s: {row.summary}",
            code,
        )

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
        self.on_events(
            [
                AuditEvent(
                    timestamp=self.clock.now(),
                    event_type=kind,
                    status=str(code) if code is not None else "no-response",
                    latency_ms=round((time.perf_counter() - started) * 1000, 3),
                    message=message,
                    severity=severity,
                    source=sink.kind,
                    sink=sink.name,
                    correlation_id=row.key,  # the message's idempotency key: links attempts to their alert
                )
            ]
        )
