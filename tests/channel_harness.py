"""A notification channel on an injected clock: a fake REST side, scripted sockets, waits that only move the
clock. Tests drive the channel step by step and never wait on a wall-clock timeline."""

from __future__ import annotations

import asyncio
import json
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from tui_health.genesys.channel_api import Channel, Refusal, Subscription
from tui_health.genesys.notifications import NotificationChannel
from tui_health.support.clock import FakeClock
from tui_health.support.retry import Backoff


@dataclass
class Silent:
    """No frame for ``seconds`` (the clock moves; the channel's reads time out)."""

    seconds: float


class Closed(Exception):
    """The socket closed under the reader."""


def frame(topic: str, body: Any = None) -> str:
    return json.dumps({"topicName": topic, "eventBody": {} if body is None else body})


HEARTBEAT = frame("channel.metadata", {"message": "WebSocket Heartbeat"})


class FakeSocket:
    """Plays its script: a string is a frame, :class:`Silent` is silence, an exception is raised, a callable is
    called (a step of the test). When the script ends, the run stops."""

    def __init__(self, harness: Harness, script: list[Any]) -> None:
        self.harness = harness
        self.script = deque(script)
        self.sent: list[tuple[float, str]] = []
        self.closed_at: float | None = None

    async def recv(self, timeout: float) -> str:
        await asyncio.sleep(0)
        clock = self.harness.clock
        while True:
            if self.closed_at is not None:
                raise Closed("closed by us")
            if not self.script:
                self.harness.stop.set()
                raise TimeoutError
            item = self.script[0]
            if callable(item) and not isinstance(item, type):
                self.script.popleft()
                item()
                raise TimeoutError  # the channel looks at what the step changed before reading on
            if isinstance(item, Silent):
                step = min(item.seconds, timeout)
                clock.advance(step)
                item.seconds -= step
                if item.seconds <= 1e-9:
                    self.script.popleft()
                raise TimeoutError
            self.script.popleft()
            if isinstance(item, BaseException):
                raise item
            return str(item)

    async def send(self, text: str) -> None:
        self.sent.append((self.harness.clock.monotonic(), text))

    async def close(self) -> None:
        if self.closed_at is None:
            self.closed_at = self.harness.clock.monotonic()


@dataclass
class FakeCalls:
    """The REST side: what was asked, and what to answer."""

    harness: Harness
    lifetime: float = 3600.0
    create_errors: deque[BaseException] = field(default_factory=deque)
    subscribe_errors: deque[BaseException] = field(default_factory=deque)
    rejected: dict[str, Refusal] = field(default_factory=dict)
    held: int | None = 1
    gone: set[str] = field(default_factory=set)
    renew_at: float | None = None
    created: list[tuple[float, str]] = field(default_factory=list)
    subscriptions: list[tuple[float, str, list[str]]] = field(default_factory=list)
    revoked: int = 0
    counted: int = 0

    async def create(self) -> Channel:
        await asyncio.sleep(0)
        if self.create_errors:
            raise self.create_errors.popleft()
        clock = self.harness.clock
        if self.renew_at is not None and clock.monotonic() >= self.renew_at:
            self.renew_at += 86_400  # a new channel is made with a new token
        ident = f"ch-{len(self.created) + 1}"
        self.created.append((clock.monotonic(), ident))
        return Channel(
            ident, f"ws://127.0.0.1:1/channels/{ident}", clock.now() + timedelta(seconds=self.lifetime)
        )

    async def subscribe(self, channel_id: str, topics: list[str], permission: str | None) -> Subscription:
        await asyncio.sleep(0)
        self.subscriptions.append((self.harness.clock.monotonic(), channel_id, list(topics)))
        if self.subscribe_errors:
            raise self.subscribe_errors.popleft()
        refused = tuple(self.rejected[t] for t in topics if t in self.rejected)
        return Subscription(frozenset(t for t in topics if t not in self.rejected), refused)

    async def exists(self, channel_id: str) -> bool | None:
        return channel_id not in self.gone

    async def count(self) -> int | None:
        self.counted += 1
        return self.held

    def token_renew_at(self) -> float | None:
        return self.renew_at

    def token_revoked(self) -> None:
        self.revoked += 1


class CountingBackoff(Backoff):
    """Waits ``attempt`` seconds (or the server's ``Retry-After``), and remembers the attempts."""

    def __init__(self) -> None:
        super().__init__(base=1.0, cap=60.0)
        object.__setattr__(self, "attempts", [])

    def delay(self, attempt: int, retry_after: float | None = None, rng: Any = None) -> float:
        self.attempts.append(attempt)  # type: ignore[attr-defined]
        return retry_after if retry_after is not None else float(attempt)


class Harness:
    """One channel, its fakes and what it told its listener."""

    def __init__(self, *scripts: list[Any], topics: list[str] | None = None, **options: Any) -> None:
        self.clock = FakeClock()
        self.stop = asyncio.Event()
        self.calls = FakeCalls(self)
        self.scripts = deque(scripts)
        self.sockets: list[FakeSocket] = []
        self.connect_errors: deque[BaseException] = deque()
        self.waits: list[float] = []
        self.events: list[tuple[str, dict[str, Any]]] = []
        self.gaps: list[str] = []
        self.problems: list[tuple[str, str]] = []
        self.opened: list[str] = []
        self.backoff = CountingBackoff()
        self.channel = NotificationChannel(
            self.calls,
            self,
            api_url="http://127.0.0.1:1",
            clock=self.clock,
            sleep=self.sleep,
            connect=self.connect,
            backoff=self.backoff,
            **{"heartbeat_timeout": 10.0, "renew_margin": 300.0, "refused_wait": 300.0, **options},
        )
        self.channel.set_topics(topics if topics is not None else ["v2.topic.a", "v2.topic.b"])

    async def sleep(self, seconds: float) -> None:
        self.waits.append(seconds)
        self.clock.advance(seconds)
        await asyncio.sleep(0)

    async def connect(self, uri: str, **kwargs: Any) -> FakeSocket:
        await asyncio.sleep(0)
        if self.connect_errors:
            raise self.connect_errors.popleft()
        if not self.scripts:
            self.stop.set()
            raise OSError("no more sockets in this test")
        socket = FakeSocket(self, list(self.scripts.popleft()))
        self.sockets.append(socket)
        return socket

    async def run(self) -> None:
        """Run until a script ends (a hang is bounded, never waited for as a timeline)."""
        await asyncio.wait_for(self.channel.run(self.stop), 20)

    def at(self, step: Callable[[], Any]) -> Callable[[], None]:
        """A step of a script: ``step()`` called when the socket reaches it."""
        return lambda: step()

    # -- the listener ----------------------------------------------------------------------------------
    def event(self, topic: str, body: dict[str, Any]) -> None:
        self.events.append((topic, body))

    def gap(self, why: str) -> None:
        self.gaps.append(why)

    def problem(self, kind: str, message: str) -> None:
        self.problems.append((kind, message))

    def connected(self, channel_id: str) -> None:
        self.opened.append(channel_id)

    def kinds(self) -> list[str]:
        return [kind for kind, _ in self.problems]
