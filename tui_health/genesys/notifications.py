"""Genesys' notification channel: a WebSocket that pushes changes of the topics a client subscribed to.

The protocol (Platform API, "Notifications"): ``POST /api/v2/notifications/channels`` answers the channel's
``id``, its ``connectUri`` (``wss://…``) and when it ``expires``; ``PUT …/channels/{id}/subscriptions`` with
``[{"id": topic}, …]`` sets its topics (replacing the earlier list); every message is JSON
``{"topicName": …, "eventBody": {…}}``. The service sends a heartbeat (``channel.metadata``, every 30 s) and
answers ``{"message": "ping"}`` with a ``pong`` there too; ``v2.system.socket_closing`` warns that the socket is
about to close (about a minute ahead). A channel takes at most 1,000 topics, a client at most 20 channels (a
21st removes the oldest).

What this client adds, because the server is untrusted and the network is not reliable:

- every message is bounded (``max_frame``: a larger one closes the socket, which counts as a drop), must be a
  JSON object with a string ``topicName``, and is only delivered for a topic we subscribed to; anything else is
  reported once per kind and skipped;
- silence is not trusted: after ``heartbeat_timeout`` s without a frame the socket counts as dead (a ping is sent
  halfway there);
- a channel is renewed before it expires: the new one is opened and subscribed while the old one still works,
  and the old one is closed only then (nothing falls between them);
- a failure (socket dropped, ``socket_closing``, refused subscription, 429 on creation) closes the channel,
  waits with backoff (``Retry-After`` when the API gave one) and opens a new one. Every (re)connection that may
  have missed something is reported as a *gap*: the caller catches up by one poll, so nothing that changed
  meanwhile is missed.

The channel calls go through the same :class:`ApiClient` as every other request of the token: they count against
its request budget and are retried like them.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import ssl
import time
from collections.abc import Awaitable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from tui_health.genesys.client import ApiClient
from tui_health.genesys.regions import genesys_domain
from tui_health.genesys.wire import parse_timestamp
from tui_health.model.domain import RequestTiming
from tui_health.support.clock import Clock, SystemClock
from tui_health.support.errors import ApiError, AuthError, TuiHealthError
from tui_health.support.retry import Backoff
from tui_health.support.text import clean
from tui_health.support.urls import hostname, scheme_of

CHANNELS_PATH = "/api/v2/notifications/channels"
MAX_TOPICS = 1000
"""Topics one channel takes (Genesys' limit)."""
MAX_CHANNELS = 20
"""Channels one client may hold (Genesys' limit: a 21st removes the oldest)."""
HEARTBEAT_TOPIC = "channel.metadata"
CLOSING_TOPIC = "v2.system.socket_closing"
MAX_URI = 2000


class Listener(Protocol):
    """Who hears a channel (the push hub): changes, gaps and problems."""

    def event(self, topic: str, body: dict[str, Any]) -> None:
        """A pushed change of a subscribed topic."""

    def gap(self, why: str) -> None:
        """The channel may have missed changes (a (re)connection): catch up by one poll."""

    def problem(self, kind: str, message: str) -> None:
        """Something went wrong (said once per kind until the channel works again)."""

    def connected(self, channel_id: str) -> None:
        """A channel is open and subscribed."""


@dataclass(frozen=True, slots=True)
class Channel:
    id: str
    uri: str
    expires: datetime | None


class Connect(Protocol):
    def __call__(self, uri: str, **kwargs: Any) -> Awaitable[Any]: ...


def _default_connect(uri: str, **kwargs: Any) -> Awaitable[Any]:
    from websockets.asyncio.client import connect  # loaded only when push is used

    return connect(uri, **kwargs)


class Ended(Exception):
    """Why a socket stopped being read: ``renew`` (the channel is about to expire), or a failure."""

    def __init__(self, why: str, *, renew: bool = False, kind: str = "socket_dropped") -> None:
        super().__init__(why)
        self.renew = renew
        self.kind = kind


class NotificationChannel:
    """One channel's life: create, subscribe, read, renew, reconnect — until ``stop`` is set.

    ``topics`` may change while it runs (:meth:`set_topics`): the open channel is re-subscribed. A subscription
    refused with 403 names the permission the topics need and waits ``refused_wait`` s before trying again
    (polling goes on meanwhile).
    """

    def __init__(
        self,
        api: ApiClient,
        listener: Listener,
        *,
        clock: Clock | None = None,
        max_frame: int = 256 * 1024,
        heartbeat_timeout: float = 75.0,
        renew_margin: float = 300.0,
        backoff: Backoff | None = None,
        refused_wait: float = 300.0,
        timeout: float = 10.0,
        tls: ssl.SSLContext | None = None,
        connect: Connect | None = None,
        permission_hint: str = "",
    ) -> None:
        self.api = api
        self.listener = listener
        self.clock = clock or SystemClock()
        self.max_frame = max_frame
        self.heartbeat_timeout = heartbeat_timeout
        self.renew_margin = renew_margin
        self.backoff = backoff or Backoff(base=1.0, cap=60.0)
        self.refused_wait = refused_wait
        self.timeout = timeout
        self.tls = tls
        self.connect = connect or _default_connect
        self.permission_hint = permission_hint
        self.topics: tuple[str, ...] = ()
        self._subscribed: frozenset[str] = frozenset()
        self._topics_changed = asyncio.Event()
        self._said: set[str] = set()
        self.channel: Channel | None = None
        self.opened = 0
        """Channels opened so far (tests and the benchmark read it)."""

    def set_topics(self, topics: Sequence[str]) -> None:
        """The topics to hear (at most :data:`MAX_TOPICS`; the caller splits longer lists over channels)."""
        wanted = tuple(dict.fromkeys(topics))[:MAX_TOPICS]
        if wanted != self.topics:
            self.topics = wanted
            self._topics_changed.set()

    # -- the loop --------------------------------------------------------------------------------------
    async def run(self, stop: asyncio.Event) -> None:
        """Keep a channel open until ``stop``; never raises (problems go to the listener)."""
        ws: Any = None
        attempt = 0
        try:
            while not stop.is_set():
                if not self.topics:
                    await self._wait(stop, self._topics_changed.wait(), None)
                    continue
                try:
                    channel, new_ws = await self._open()
                except TuiHealthError as exc:
                    attempt += 1
                    await self._failed(exc.kind, f"could not open a notification channel: {exc.one_line()}")
                    wait = (
                        self.refused_wait
                        if isinstance(exc, AuthError)
                        else self.backoff.delay(attempt, self._retry_after(exc))
                    )
                    await self._wait(stop, stop.wait(), wait)
                    continue
                except (
                    Exception
                ) as exc:  # a socket library's own errors (handshake refused, bad URI, …): never fatal
                    attempt += 1
                    await self._failed("connect", f"could not connect the notification socket: {_why(exc)}")
                    await self._wait(stop, stop.wait(), self.backoff.delay(attempt))
                    continue
                if ws is not None:
                    await _close(ws)  # the new channel is open: the old one may go
                ws, self.channel = new_ws, channel
                attempt = 0
                self._said.clear()
                self.listener.connected(channel.id)
                # even a renewal may have missed what came between the old socket's last read and the new
                # one's subscription: one catch-up poll costs little and leaves nothing out
                self.listener.gap("a new notification channel opened")
                try:
                    await self._read(ws, channel, stop)
                except Ended as ended:
                    if ended.renew:
                        continue  # the next channel opens while this socket is still up; then it closes
                    await _close(ws)
                    ws = None
                    attempt += 1
                    await self._failed(ended.kind, str(ended))
                    self.listener.gap(str(ended))
                    await self._wait(stop, stop.wait(), self.backoff.delay(attempt))
        finally:
            if ws is not None:
                await _close(ws)

    async def _failed(self, kind: str, message: str) -> None:
        if kind not in self._said:
            self._said.add(kind)
            self.listener.problem(kind, message)

    def _retry_after(self, exc: TuiHealthError) -> float | None:
        if exc.retry_at is None:
            return None
        return max(0.0, (exc.retry_at - self.clock.now()).total_seconds())

    @staticmethod
    async def _wait(stop: asyncio.Event, what: Awaitable[Any], timeout: float | None) -> None:
        task = asyncio.ensure_future(what)
        stopped = asyncio.ensure_future(stop.wait())
        try:
            await asyncio.wait({task, stopped}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
        finally:
            task.cancel()
            stopped.cancel()

    # -- one channel -----------------------------------------------------------------------------------
    async def _open(self) -> tuple[Channel, Any]:
        timings: list[RequestTiming] = []
        deadline = time.monotonic() + 3 * self.timeout
        data, cid = await self.api.request_json(
            self.api.url(CHANNELS_PATH),
            label="notification channel",
            timings=timings,
            deadline=deadline,
            method="POST",
            body={},
        )
        channel = self._channel(data, cid)
        await self._subscribe(channel, deadline)
        ws = await asyncio.wait_for(
            self.connect(
                channel.uri,
                max_size=self.max_frame,
                open_timeout=self.timeout,
                ping_interval=None,  # Genesys answers its own JSON ping, not WebSocket pings
                close_timeout=2,
                **({"ssl": self.tls} if channel.uri.startswith("wss://") and self.tls else {}),
            ),
            self.timeout + 1,
        )
        self.opened += 1
        return channel, ws

    def _channel(self, data: Any, cid: str | None) -> Channel:
        if not isinstance(data, dict):
            raise ApiError("the notification channel answer is not an object", correlation_id=cid)
        ident, uri = data.get("id"), data.get("connectUri")
        if not isinstance(ident, str) or not ident or len(ident) > 200 or clean(ident, 200) != ident:
            raise ApiError("the notification channel has no usable id", correlation_id=cid)
        self.check_uri(uri, cid)
        assert isinstance(uri, str)
        return Channel(ident, uri, parse_timestamp(data.get("expires")))

    def check_uri(self, uri: object, cid: str | None = None) -> None:
        """A ``connectUri`` is used only when it is a WebSocket URL of a sensible length, ``wss`` unless the API
        itself is plain HTTP (the simulator), and — for a Genesys region — on that region's domain."""
        if not isinstance(uri, str) or not uri or len(uri) > MAX_URI or clean(uri, MAX_URI) != uri:
            raise ApiError(f"the channel's connectUri is not usable ({clean(uri, 80)!r})", correlation_id=cid)
        scheme = scheme_of(uri)
        allowed = {"wss"} if self.api.api_url.lower().startswith("https://") else {"wss", "ws"}
        if scheme not in allowed:
            raise ApiError(
                f"refused the channel's connectUri {clean(uri, 120)!r}: "
                f"{'an unencrypted socket for an https API' if scheme == 'ws' else 'not a WebSocket URL'}",
                correlation_id=cid,
            )
        domain = genesys_domain(self.api.api_url)
        host = hostname(uri)
        if domain and host != domain and not host.endswith("." + domain):
            raise ApiError(
                f"refused the channel's connectUri: {host} is not in the region's domain {domain}",
                correlation_id=cid,
            )

    async def _subscribe(self, channel: Channel, deadline: float) -> None:
        topics = self.topics
        data, _ = await self.api.request_json(
            self.api.url(f"{CHANNELS_PATH}/{channel.id}/subscriptions"),
            label="notification subscriptions",
            timings=[],
            deadline=deadline,
            method="PUT",
            body=[{"id": t} for t in topics],
            permission=self.permission_hint or None,
        )
        self._subscribed = frozenset(topics)
        self._topics_changed.clear()
        entities = data.get("entities") if isinstance(data, dict) else None
        if isinstance(entities, list):
            taken = {e.get("id") for e in entities[: 2 * MAX_TOPICS] if isinstance(e, dict)}
            refused = [t for t in topics if t not in taken]
            if refused:
                await self._failed(
                    "subscription_partial",
                    f"the channel took {len(topics) - len(refused)} of {len(topics)} topics "
                    f"(first refused: {clean(refused[0], 120)}); those are polled only",
                )

    async def _read(self, ws: Any, channel: Channel, stop: asyncio.Event) -> None:
        """Read until something ends the socket: raises :class:`Ended`, or returns when ``stop`` is set."""
        last = time.monotonic()
        pinged = False
        while not stop.is_set():
            if self._topics_changed.is_set():
                await self._subscribe(channel, time.monotonic() + 3 * self.timeout)
            left = self._until_renewal(channel)
            if left is not None and left <= 0:
                raise Ended("the channel is about to expire", renew=True)
            silent = time.monotonic() - last
            if silent >= self.heartbeat_timeout:
                raise Ended(
                    f"no heartbeat for {silent:.0f} s: the socket is taken for dead", kind="heartbeat_lost"
                )
            if not pinged and silent >= self.heartbeat_timeout / 2:
                pinged = True
                with contextlib.suppress(Exception):
                    await ws.send(json.dumps({"message": "ping"}))
            wait = min(1.0, self.heartbeat_timeout - silent, *([left] if left is not None else []))
            try:
                raw = await asyncio.wait_for(ws.recv(), timeout=max(0.05, wait))
            except TimeoutError:
                continue
            except Exception as exc:  # ConnectionClosed (a drop, a frame over max_frame), OSError
                raise Ended(f"the notification socket closed: {_why(exc)}") from None
            last, pinged = time.monotonic(), False
            if self._message(raw):
                raise Ended("the service said the socket is closing", kind="socket_closing")

    def _until_renewal(self, channel: Channel) -> float | None:
        if channel.expires is None:
            return None
        lifetime_left = (channel.expires - self.clock.now()).total_seconds()
        return lifetime_left - min(self.renew_margin, max(1.0, lifetime_left / 5))

    def _message(self, raw: Any) -> bool:
        """Handle one frame; ``True`` when it announces the socket's closing."""
        try:
            data = json.loads(raw)
        except (ValueError, TypeError, RecursionError):
            self._skip("malformed", f"a notification was not JSON ({len(raw)} bytes); skipped")
            return False
        topic = data.get("topicName") if isinstance(data, dict) else None
        if not isinstance(topic, str) or len(topic) > 300:
            self._skip("malformed", "a notification had no topicName; skipped")
            return False
        if topic == HEARTBEAT_TOPIC:
            return False
        if topic == CLOSING_TOPIC:
            return True
        if topic not in self._subscribed:
            self._skip(
                "unsubscribed", f"a notification for a topic never subscribed ({clean(topic, 120)}); skipped"
            )
            return False
        body = data.get("eventBody")
        if not isinstance(body, dict):
            self._skip(
                "malformed", f"a notification for {clean(topic, 120)} had no eventBody object; skipped"
            )
            return False
        self.listener.event(topic, body)
        return False

    def _skip(self, kind: str, message: str) -> None:
        if kind not in self._said:
            self._said.add(kind)
            self.listener.problem(kind, message)


async def _close(ws: Any) -> None:
    with contextlib.suppress(Exception):
        await asyncio.wait_for(ws.close(), 3)


def _why(exc: BaseException) -> str:
    text = clean(str(exc), 200)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def split_topics(topics: Sequence[str]) -> list[list[str]]:
    """Topics over channels: at most :data:`MAX_TOPICS` each and :data:`MAX_CHANNELS` in all (the rest is not
    pushed: it stays polled)."""
    unique = list(dict.fromkeys(topics))
    return [unique[i : i + MAX_TOPICS] for i in range(0, len(unique), MAX_TOPICS)][:MAX_CHANNELS]
