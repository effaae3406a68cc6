"""Genesys' notification channel: a WebSocket that pushes changes of the topics a client subscribed to.

The protocol (Platform API "Notifications"; shapes in :mod:`tui_health.genesys.channel_api`): a channel is
created over REST, its topics set with ``PUT …/subscriptions?ignoreErrors=true``, and its ``connectUri`` opened
as a WebSocket. Every message is JSON ``{"topicName", "eventBody", …}``. The service sends a heartbeat on
``channel.metadata`` (every 30 s) and answers ``{"message": "ping"}`` there too. System topics
(platform-client-sdk-go ``notificationMappings.json``, payload ``SystemMessageSystemMessage``):
``v2.system.socket_closing`` (the socket is about to close: reconnect), ``v2.system.no_longer_subscribed.{id}``
(heartbeats go on, but nothing is pushed until the client subscribes again) and ``v2.system.token_revoked.{id}``
(a new token and a new channel are needed). A frame without ``topicName`` that says ``{"result": "404"}`` means
the channel is gone. A channel expires (about 24 h; subscribing again extends it, as Genesys documents) and
closes when the token that made it expires. A channel takes 1,000 topics; an OAuth client holds 20 channels,
and a 21st closes the oldest — whoever holds it, another instance of an HA pair included.

What this client does about it, because the server is untrusted and the network is not reliable:

- every frame is bounded (``max_frame``: a larger one closes the socket, which counts as a drop), must be a JSON
  object, and is delivered only for a topic we asked for; anything else is said once per kind and skipped;
- silence is not trusted: after ``heartbeat_timeout`` s without any frame the socket counts as dead (a ping is
  sent halfway there);
- a dropped socket is reconnected to the same channel (it keeps its subscriptions and costs no channel slot); a
  channel is replaced only when it is gone (``HEAD`` says 404, a 404 frame, a 404 on subscribing), revoked, or
  its token is due for renewal — and then the new one opens before the old one closes, unless the client
  already holds 20 channels, when the old one closes first (nobody else's channel is ever evicted by a renewal);
- a channel is kept past its ``expires`` by subscribing again ``renew_margin`` ahead (no new channel, no gap);
- a topic the service ``Rejected`` is polled only: its missing permission is named once, the other topics go on
  being pushed, and it is asked for again after ``refused_wait``; a subscription refused as a whole (400, 403)
  or a client already at 20 channels waits ``refused_wait`` too, never rebuilding a channel every minute;
- every error of its own requests is survived: said once, retried with backoff (``Retry-After`` when given),
  and followed by a catch-up. Every moment that may have missed something is reported as a *gap*: the caller
  answers from one poll again, so nothing that changed meanwhile is missed, only seen a little later.

Time comes from the injected clock and waits from the injected ``sleep``, so tests drive it without waiting.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import ssl
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import replace
from datetime import timedelta
from typing import Any, Protocol

from tui_health.genesys.channel_api import (
    MAX_CHANNELS,
    MAX_TOPICS,
    Catalogue,
    Channel,
    Subscription,
)
from tui_health.genesys.regions import genesys_domain
from tui_health.support.clock import Clock, SystemClock
from tui_health.support.errors import ApiError, AuthError, TuiHealthError
from tui_health.support.retry import Backoff
from tui_health.support.text import clean
from tui_health.support.urls import hostname, scheme_of

HEARTBEAT_TOPIC = "channel.metadata"
CLOSING_TOPIC = "v2.system.socket_closing"
UNSUBSCRIBED_TOPIC = "v2.system.no_longer_subscribed"
REVOKED_TOPIC = "v2.system.token_revoked"
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


class Calls(Protocol):
    """The REST side a channel uses (:class:`~tui_health.genesys.channel_api.ChannelService`; tests fake it)."""

    async def create(self) -> Channel: ...

    async def subscribe(self, channel_id: str, topics: list[str], permission: str | None) -> Subscription: ...

    async def exists(self, channel_id: str) -> bool | None: ...

    async def count(self) -> int | None: ...

    def token_renew_at(self) -> float | None: ...

    def token_revoked(self) -> None: ...


class Socket(Protocol):
    """One WebSocket, as the channel reads it."""

    async def recv(self, timeout: float) -> str | bytes:
        """The next frame; raises TimeoutError after ``timeout`` s of silence, anything else when it closed."""
        ...

    async def send(self, text: str) -> None: ...

    async def close(self) -> None: ...


Connect = Callable[..., Awaitable[Socket]]
"""``connect(uri, max_frame=, timeout=, tls=)`` → an open :class:`Socket`."""

Sleep = Callable[[float], Awaitable[None]]


class _WebSocket:
    """:class:`Socket` over a ``websockets`` client connection."""

    def __init__(self, conn: Any) -> None:
        self.conn = conn

    async def recv(self, timeout: float) -> str | bytes:
        frame: str | bytes = await asyncio.wait_for(self.conn.recv(), timeout)
        return frame

    async def send(self, text: str) -> None:
        await self.conn.send(text)

    async def close(self) -> None:
        await asyncio.wait_for(self.conn.close(), 3)


async def websocket_connect(
    uri: str, *, max_frame: int, timeout: float, tls: ssl.SSLContext | None
) -> Socket:
    from websockets.asyncio.client import connect  # loaded only when push is used

    extra: dict[str, Any] = {"ssl": tls} if uri.startswith("wss://") and tls else {}
    conn = await asyncio.wait_for(
        connect(
            uri,
            max_size=max_frame,
            open_timeout=timeout,
            ping_interval=None,  # Genesys answers its own JSON ping, not WebSocket pings
            close_timeout=2,
            **extra,
        ),
        timeout + 1,
    )
    return _WebSocket(conn)


class Ended(Exception):
    """Why a socket stopped being read. ``then``: ``reconnect`` (the same channel), ``new`` (a new channel; this
    one is gone or revoked) or ``renew`` (a new channel while this one still works)."""

    def __init__(self, why: str, *, kind: str = "socket_dropped", then: str = "reconnect") -> None:
        super().__init__(why)
        self.kind = kind
        self.then = then


def refused_as_a_whole(exc: BaseException) -> bool:
    """403 (or 401) and 400 are answers about the request itself: asking again within a minute changes nothing."""
    return isinstance(exc, AuthError) or (isinstance(exc, ApiError) and exc.status_code == 400)


class NotificationChannel:
    """One channel's life: create, subscribe, read, extend, renew, reconnect — until ``stop`` is set."""

    def __init__(
        self,
        calls: Calls,
        listener: Listener,
        *,
        api_url: str,
        clock: Clock | None = None,
        sleep: Sleep | None = None,
        connect: Connect | None = None,
        max_frame: int = 256 * 1024,
        heartbeat_timeout: float = 75.0,
        renew_margin: float = 300.0,
        backoff: Backoff | None = None,
        refused_wait: float = 300.0,
        timeout: float = 10.0,
        tls: ssl.SSLContext | None = None,
        permission_hint: str = "",
        catalogue: Catalogue | None = None,
    ) -> None:
        self.calls = calls
        self.listener = listener
        self.api_url = api_url
        self.clock = clock or SystemClock()
        self.sleep = sleep
        self.connect = connect or websocket_connect
        self.max_frame = max_frame
        self.heartbeat_timeout = heartbeat_timeout
        self.renew_margin = renew_margin
        self.backoff = backoff or Backoff(base=1.0, cap=60.0)
        self.refused_wait = refused_wait
        self.timeout = timeout
        self.tls = tls
        self.permission_hint = permission_hint
        self.catalogue = catalogue or Catalogue()
        self.topics: tuple[str, ...] = ()
        """The topics wanted (what the sources' last poll listed)."""
        self._asked: tuple[str, ...] | None = None  # the wanted topics the last subscription covered
        self._heard: frozenset[str] = frozenset()  # topics whose frames are delivered
        self._refused: dict[str, float] = {}  # topic → (monotonic) when it is asked for again
        self._reask_at: float | None = None  # when the earliest refused topic is asked for again
        self._retry_at: float | None = None  # when a failed subscription is tried again
        self._resubscribe_failures = 0
        self._unsubscribed = False  # the service dropped our subscriptions: subscribe again, then catch up
        self._named: set[str] = set()  # rejected topics already said (named once, until they are taken)
        self._topics_changed = asyncio.Event()
        self._said: set[str] = set()
        self.channel: Channel | None = None
        self.ws: Socket | None = None
        self._lifetime: float | None = None  # seconds a channel lives (from its first expires)
        self._token_due: float | None = None  # (monotonic) when the token that made the channel is renewed
        self._retiring: Socket | None = None  # the old socket of a renewal, closed once the new one is up
        self.opened = 0
        """Sockets opened so far (tests and the benchmark read it)."""
        self.created = 0
        """Channels created so far."""

    def set_topics(self, topics: Sequence[str]) -> None:
        """The topics to hear (at most :data:`MAX_TOPICS`; the caller splits longer lists over channels)."""
        wanted = tuple(dict.fromkeys(topics))[:MAX_TOPICS]
        if wanted != self.topics:
            self.topics = wanted
            self._topics_changed.set()

    # -- the loop --------------------------------------------------------------------------------------
    async def run(self, stop: asyncio.Event) -> None:
        """Keep a channel open until ``stop``; never raises (problems go to the listener)."""
        attempt = 0
        try:
            while not stop.is_set():
                try:
                    attempt = await self._cycle(stop, attempt)
                except Exception as exc:  # a fault of ours must not end push without a word
                    attempt += 1
                    self._say("internal", f"the notification channel failed: {_why(exc)}")
                    await self._close_socket()
                    self.listener.gap("the notification channel failed")
                    await self._pause(stop, self.backoff.delay(attempt))
        finally:
            await self._close_socket()
            await _close(self._retiring)
            self._retiring = None

    async def _cycle(self, stop: asyncio.Event, attempt: int) -> int:
        """Open (or reopen) the channel and read it until it ends; the failed attempts so far, after."""
        if not self.topics:
            await self._pause(stop, None, self._topics_changed)
            return attempt
        try:
            await self._open()
        except Exception as exc:  # our requests' errors, a socket library's own (handshake, bad URI)
            await _close(self._retiring)  # a renewal that failed: the old socket goes too (a gap follows)
            self._retiring = None
            if refused_as_a_whole(exc):
                self._say("refused", f"the notification service refused the channel: {_why(exc)}")
                await self._pause(stop, self.refused_wait)
                return attempt + 1
            kind = exc.kind if isinstance(exc, TuiHealthError) else "connect"
            self._say(kind, f"could not open the notification channel: {_why(exc)}")
            await self._forget_if_gone()
            await self._pause(stop, self.backoff.delay(attempt + 1, self._retry_after(exc)))
            return attempt + 1
        assert self.channel is not None
        self._said.clear()  # working again: a problem that comes back is said again
        self.listener.connected(self.channel.id)
        # even a renewal may have missed what came between the old socket's last read and the new one's
        # subscription: one catch-up poll costs little and leaves nothing out
        self.listener.gap("a notification channel opened")
        ended, good = await self._read(stop)
        if good:
            attempt = 0  # the socket worked: a failure now starts the backoff afresh
        if ended is None:
            return attempt
        if ended.then == "renew":
            self._retiring, self.ws, self.channel = self.ws, None, None
            return attempt  # the next channel opens while this socket still works; then it closes
        await self._close_socket()
        if ended.then == "new":
            self.channel = None
        self._say(ended.kind, str(ended))
        self.listener.gap(str(ended))
        await self._pause(stop, self.backoff.delay(attempt + 1))
        return attempt + 1

    def _say(self, kind: str, message: str) -> None:
        if kind not in self._said:
            self._said.add(kind)
            self.listener.problem(kind, message)

    def _retry_after(self, exc: BaseException) -> float | None:
        if not isinstance(exc, TuiHealthError) or exc.retry_at is None:
            return None
        return max(0.0, (exc.retry_at - self.clock.now()).total_seconds())

    async def _pause(
        self, stop: asyncio.Event, seconds: float | None, wake: asyncio.Event | None = None
    ) -> None:
        """Wait ``seconds`` (``None``: until woken), or until ``stop`` / ``wake`` is set."""
        waits: list[asyncio.Future[Any]] = [asyncio.ensure_future(stop.wait())]
        if wake is not None:
            waits.append(asyncio.ensure_future(wake.wait()))
        if seconds is not None:
            waits.append(asyncio.ensure_future(self.sleep(seconds) if self.sleep else asyncio.sleep(seconds)))
        try:
            await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in waits:
                task.cancel()

    # -- opening -------------------------------------------------------------------------------------------
    async def _open(self) -> None:
        """A channel (the one we have, or a new one), subscribed, with its socket open."""
        if self.channel is None:
            await self._create()
        channel = self.channel
        assert channel is not None
        try:
            await self._subscribe()
        except ApiError as exc:
            if exc.status_code == 404:
                self.channel = None  # gone: the next attempt makes a new one
            raise
        self.ws = await self.connect(
            channel.uri, max_frame=self.max_frame, timeout=self.timeout, tls=self.tls
        )
        self.opened += 1
        old, self._retiring = self._retiring, None
        await _close(old)  # a renewal's old socket goes once the new one is up

    async def _create(self) -> None:
        held = await self.calls.count()
        if held is not None and held >= MAX_CHANNELS:
            if self._retiring is not None:
                # a renewal at the limit: our own old channel makes room, so nobody else's is closed
                old, self._retiring = self._retiring, None
                await _close(old)
                self.listener.gap(
                    "the old notification channel closed before its renewal (20 channels in use)"
                )
            else:  # channels left by earlier runs linger until they expire: the oldest of them goes
                self._say(
                    "channels_full",
                    f"the OAuth client already holds {held} notification channels (Genesys allows "
                    f"{MAX_CHANNELS}): opening one closes the oldest — an idle one left by an earlier run, or "
                    "another tool's that shares this OAuth client",
                )
        channel = await self.calls.create()
        self.check_uri(channel.uri)
        self.created += 1
        now = self.clock.now()
        self._lifetime = (channel.expires - now).total_seconds() if channel.expires else None
        if self._lifetime is not None and self._lifetime <= 0:
            self._lifetime = None  # a channel said to have expired already: we learn nothing of its life
        due = self.calls.token_renew_at()
        self._token_due = due if due is not None and due > self.clock.monotonic() else None
        self.channel = channel
        self._asked = None

    def check_uri(self, uri: object, cid: str | None = None) -> None:
        """A ``connectUri`` is used only when it is a WebSocket URL of a sensible length, ``wss`` unless the API
        itself is plain HTTP (the simulator), and — for a Genesys region — on that region's domain."""
        if not isinstance(uri, str) or not uri or len(uri) > MAX_URI or clean(uri, MAX_URI) != uri:
            raise ApiError(f"the channel's connectUri is not usable ({clean(uri, 80)!r})", correlation_id=cid)
        scheme = scheme_of(uri)
        allowed = {"wss"} if self.api_url.lower().startswith("https://") else {"wss", "ws"}
        if scheme not in allowed:
            raise ApiError(
                f"refused the channel's connectUri {clean(uri, 120)!r}: "
                f"{'an unencrypted socket for an https API' if scheme == 'ws' else 'not a WebSocket URL'}",
                correlation_id=cid,
            )
        domain = genesys_domain(self.api_url)
        host = hostname(uri)
        if domain and host != domain and not host.endswith("." + domain):
            raise ApiError(
                f"refused the channel's connectUri: {host} is not in the region's domain {domain}",
                correlation_id=cid,
            )

    async def _forget_if_gone(self) -> None:
        """After a failed connection: a channel the service says is gone is replaced; one it still has (or
        cannot tell about) is kept, so a blocked socket never costs a channel slot per attempt."""
        if self.channel is not None and await self.calls.exists(self.channel.id) is False:
            self.channel = None

    # -- subscribing ---------------------------------------------------------------------------------------
    async def _subscribe(self) -> None:
        """Ask for the wanted topics (but those refused lately); say what was refused, once."""
        channel = self.channel
        assert channel is not None
        now = self.clock.monotonic()
        self._refused = {t: at for t, at in self._refused.items() if at > now and t in self.topics}
        wanted = self.topics
        asked = [t for t in wanted if t not in self._refused]
        result = await self.calls.subscribe(channel.id, asked, self.permission_hint or None)
        self._asked = wanted
        if self.topics == wanted:  # topics set while the request was out are asked for next
            self._topics_changed.clear()
        rejected = [r for r in result.refused if r.state == "Rejected"]
        self._heard = frozenset(asked) - {r.topic for r in rejected}  # an unknown one may still be heard
        for refusal in rejected:
            self._refused[refusal.topic] = now + self.refused_wait
        self._reask_at = min(self._refused.values(), default=None)
        self._named &= {r.topic for r in rejected} | set(self._refused)
        new = [r for r in rejected if r.topic not in self._named]
        if new:  # a rejection is named once, not at every reconnection
            self._named.update(r.topic for r in rejected)
            self.listener.problem("subscription_partial", self._refusals(rejected, len(asked)))
        unknown = [r.topic for r in result.refused if r.state != "Rejected"]
        if unknown:
            self._say(
                "subscription_unknown",
                f"the service did not say whether {len(unknown)} of {len(asked)} topic(s) were taken (first: "
                f"{clean(unknown[0], 120)}); they stay asked for, and polling covers them",
            )
        self._retry_at, self._unsubscribed = None, False
        if self._lifetime is not None:  # subscribing again keeps the channel: it lives a lifetime from now
            self.channel = replace(channel, expires=self.clock.now() + timedelta(seconds=self._lifetime))

    def _refusals(self, rejected: list[Any], asked: int) -> str:
        """One line: how many were refused, the permissions they need (as the service or the catalogue says)."""
        needs: dict[str, int] = {}
        for refusal in rejected:
            missing = refusal.missing or self.catalogue.permissions(refusal.topic)
            key = ", ".join(missing) if missing else (self.permission_hint or "a permission")
            needs[key] = needs.get(key, 0) + 1
        said = "; ".join(f"{n} need {clean(key, 200)}" for key, n in needs.items())
        first = rejected[0]
        why = f" ({clean(first.reason, 120)})" if first.reason else ""
        return (
            f"the channel took {asked - len(rejected)} of {asked} topics; {len(rejected)} were rejected{why} "
            f"(first: {clean(first.topic, 120)}; {said}): those are polled only, and asked for again in "
            f"{self.refused_wait:g} s"
        )

    def _subscription_due(self, now: float) -> bool:
        """Whether to subscribe again now: a failed one's retry is due (nothing sooner), the service dropped our
        subscriptions, refused topics' wait is over, or the topics changed."""
        if self._retry_at is not None:
            return now >= self._retry_at
        if self._unsubscribed or (self._reask_at is not None and now >= self._reask_at):
            return True
        return self._topics_changed.is_set() and self.topics != self._asked

    async def _resubscribe(self) -> Ended | None:
        """Subscribe again on the open channel. A failure is said once and retried later with backoff (the
        refused wait when the request was refused as a whole); the socket goes on meanwhile."""
        recovered = self._resubscribe_failures > 0 or self._unsubscribed
        try:
            await self._subscribe()
        except Exception as exc:
            if isinstance(exc, ApiError) and exc.status_code == 404:
                return Ended(
                    "the channel is gone (its subscriptions answered 404)", kind="channel_gone", then="new"
                )
            self._resubscribe_failures += 1
            if refused_as_a_whole(exc):
                wait = self.refused_wait
            else:
                wait = self.backoff.delay(self._resubscribe_failures, self._retry_after(exc))
            self._retry_at = self.clock.monotonic() + max(wait, 0.05)
            self._say(
                "subscription_failed",
                f"could not subscribe the channel again ({_why(exc)}); the topics it lacks are polled, and it "
                f"is tried again in {wait:.0f} s",
            )
            return None
        self._resubscribe_failures = 0
        if recovered:
            self.listener.gap("the channel is subscribed again")
        return None

    # -- reading -------------------------------------------------------------------------------------------
    async def _read(self, stop: asyncio.Event) -> tuple[Ended | None, bool]:
        """Read until something ends the socket: ``(why, whether it delivered any frame)``; ``(None, …)`` when
        ``stop`` was set."""
        ws, channel = self.ws, self.channel
        assert ws is not None and channel is not None
        last = self.clock.monotonic()
        pinged = good = False
        while not stop.is_set():
            now = self.clock.monotonic()
            if self._token_due is not None and now >= self._token_due:
                return Ended(
                    "the token that made the channel is due for renewal", kind="renew", then="renew"
                ), good
            extend_in = self._extend_in()
            if self._subscription_due(now) or (
                extend_in is not None and extend_in <= 0 and self._retry_at is None
            ):
                ended = await self._resubscribe()
                if ended is not None:
                    return ended, good
                continue
            silent = now - last
            if silent >= self.heartbeat_timeout:
                why = f"no heartbeat for {silent:.0f} s: the socket is taken for dead"
                return Ended(why, kind="heartbeat_lost"), good
            if not pinged and silent >= self.heartbeat_timeout / 2:
                pinged = True
                with contextlib.suppress(Exception):
                    await ws.send(json.dumps({"message": "ping"}))
            timers = [1.0, self.heartbeat_timeout - silent]
            if not pinged:
                timers.append(self.heartbeat_timeout / 2 - silent)
            for due in (
                extend_in,
                self._retry_at and self._retry_at - now,
                self._reask_at and self._reask_at - now,
                self._token_due and self._token_due - now,
            ):
                if due is not None:
                    timers.append(due)
            try:
                raw = await ws.recv(max(0.05, min(timers)))
            except TimeoutError:
                continue
            except Exception as exc:  # closed: a drop, a frame over max_frame, OSError
                return Ended(f"the notification socket closed: {_why(exc)}"), good
            last, pinged, good = self.clock.monotonic(), False, True
            ended = self._frame(raw)
            if ended is not None:
                return ended, good
        return None, good

    def _extend_in(self) -> float | None:
        """Seconds until the channel is kept alive by subscribing again (``renew_margin`` before it expires, or
        a fifth of its life when that is shorter, but never less than half its life ahead). A channel whose life
        is not known (it was said to have expired already) is not kept on a schedule: subscribing again would
        not move its expiry, and it would be asked for again and again."""
        channel = self.channel
        if channel is None or channel.expires is None or self._lifetime is None:
            return None
        left = (channel.expires - self.clock.now()).total_seconds()
        life = self._lifetime
        return left - min(self.renew_margin, max(1.0, life / 5), life / 2)

    def _frame(self, raw: Any) -> Ended | None:
        """Handle one frame; an :class:`Ended` when it ends this socket."""
        try:
            data = json.loads(raw)
        except (ValueError, TypeError, RecursionError):
            self._say("malformed", f"a notification was not JSON ({len(raw)} bytes); skipped")
            return None
        if not isinstance(data, dict):
            self._say("malformed", "a notification was not a JSON object; skipped")
            return None
        topic = data.get("topicName")
        if not isinstance(topic, str):
            if str(data.get("result")) == "404":
                return Ended("the service says the channel no longer exists", kind="channel_gone", then="new")
            self._say("malformed", "a notification had no topicName; skipped")
            return None
        if len(topic) > 300:
            self._say("malformed", "a notification's topicName was over 300 characters; skipped")
            return None
        if topic == HEARTBEAT_TOPIC:
            return None
        if topic.startswith("v2.system."):
            return self._system(topic)
        if topic not in self._heard:
            self._say(
                "unsubscribed", f"a notification for a topic never subscribed ({clean(topic, 120)}); skipped"
            )
            return None
        body = data.get("eventBody")
        if not isinstance(body, dict):
            self._say("malformed", f"a notification for {clean(topic, 120)} had no eventBody object; skipped")
            return None
        self.listener.event(topic, body)
        return None

    def _system(self, topic: str) -> Ended | None:
        if topic == CLOSING_TOPIC:
            return Ended("the service said the socket is closing", kind="socket_closing")
        if topic == UNSUBSCRIBED_TOPIC or topic.startswith(UNSUBSCRIBED_TOPIC + "."):
            # heartbeats go on, but nothing is pushed until we subscribe again: at once, then catch up
            self._unsubscribed = True
            self._say(
                "no_longer_subscribed", "the service dropped the channel's subscriptions; subscribing again"
            )
            return None
        if topic == REVOKED_TOPIC or topic.startswith(REVOKED_TOPIC + "."):
            self.calls.token_revoked()
            return Ended("the service revoked the channel's token", kind="token_revoked", then="new")
        return None  # other notices of the service need nothing of us

    async def _close_socket(self) -> None:
        ws, self.ws = self.ws, None
        await _close(ws)


async def _close(ws: Socket | None) -> None:
    if ws is None:
        return
    with contextlib.suppress(Exception):
        await ws.close()


def _why(exc: BaseException) -> str:
    if isinstance(exc, TuiHealthError):
        return exc.one_line()
    text = clean(str(exc), 200)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def split_topics(topics: Sequence[str]) -> list[list[str]]:
    """Topics over channels: at most :data:`MAX_TOPICS` each and :data:`MAX_CHANNELS` in all (the rest is not
    pushed: it stays polled)."""
    unique = list(dict.fromkeys(topics))
    return [unique[i : i + MAX_TOPICS] for i in range(0, len(unique), MAX_TOPICS)][:MAX_CHANNELS]
