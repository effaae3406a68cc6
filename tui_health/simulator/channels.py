"""The simulator's notification service: channels, their subscriptions, and a real WebSocket on 127.0.0.1.

Behaves like Genesys' (``genesys/notifications.py`` says what that is): a heartbeat on ``channel.metadata`` every
``heartbeat_every`` s, a ``pong`` for ``{"message": "ping"}``, a channel that closes its socket when it expires,
at most 20 channels per token (a 21st removes the oldest) and 1,000 topics per channel. Faults on the socket
(target ``socket``, counted per socket from 1): ``socket-drop``, ``heartbeat-stop``, ``socket-closing``,
``malformed-frame``, ``huge-frame``; the API side has ``rate_limit@channels`` (429 on creation),
``forbidden@subscriptions`` (403) and ``channel-expiry:S@channels``. Tests also trigger them directly
(:meth:`ChannelServer.drop_all`, :meth:`ChannelServer.closing_all`, …), by steps they control.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from tui_health.simulator.scenario import Fault, Scenario
from tui_health.support.clock import Clock

if TYPE_CHECKING:
    from websockets.sync.server import Server, ServerConnection


class World(Protocol):
    """What the channel server reads of the simulator's state (:class:`SimState` satisfies it)."""

    scenario: Scenario
    clock: Clock
    stopping: threading.Event

    def fault_for(self, kind: str, number: int) -> Fault | None: ...


MAX_CHANNELS = 20
MAX_TOPICS = 1000
HUGE_FRAME = 4 * 1024 * 1024


@dataclass
class SimChannel:
    id: str
    token: str
    expires_mono: float
    topics: set[str] = field(default_factory=set)
    sockets: list[Any] = field(default_factory=list)
    closed: bool = False


class ChannelServer:
    def __init__(self, state: World, host: str = "127.0.0.1") -> None:
        self.state = state
        self.host = host
        self.channels: dict[str, SimChannel] = {}
        self.lock = threading.Lock()
        self.silent: set[int] = set()  # id() of sockets that went silent (heartbeat-stop)
        self.sockets_opened = 0
        self.published = 0
        self._server: Server | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle ------------------------------------------------------------------------------------------
    def start(self) -> None:
        from websockets.sync.server import serve  # only when a channel is asked for

        with self.lock:
            if self._server is not None:
                return
            self._server = serve(
                self._handle,
                self.host,
                0,
                ping_interval=None,
                max_size=2**20,
                compression=None,
                open_timeout=5,
                close_timeout=1,
            )
            self._thread = threading.Thread(
                target=self._server.serve_forever, name="sim-channels", daemon=True
            )
            self._thread.start()

    def stop(self) -> None:
        server = self._server
        if server is None:
            return
        self.drop_all()
        server.shutdown()
        if self._thread:
            self._thread.join(timeout=5)

    @property
    def port(self) -> int:
        assert self._server is not None
        return int(self._server.socket.getsockname()[1])

    # -- the API side --------------------------------------------------------------------------------------
    def create(self, token: str) -> dict[str, Any]:
        """A new channel for ``token`` (the oldest of its channels goes when it already has 20)."""
        self.start()
        lifetime = self.state.scenario.channel_lifetime
        expiry = self.state.fault_for("channels", 0)  # channel-expiry applies to every channel
        if expiry is not None and expiry.kind == "channel-expiry":
            lifetime = float(expiry.arg or 5)
        ident = str(uuid.uuid4())
        channel = SimChannel(ident, token, self.state.clock.monotonic() + lifetime)
        with self.lock:
            mine = [c for c in self.channels.values() if c.token == token and not c.closed]
            oldest = mine[0] if len(mine) >= MAX_CHANNELS else None
            if oldest is not None:
                oldest.closed = True
                del self.channels[oldest.id]
            self.channels[ident] = channel
        if oldest is not None:
            self._close(oldest.sockets)
        expires = self.state.clock.now().timestamp() + lifetime
        from datetime import UTC, datetime

        from tui_health.support.clock import rfc3339

        return {
            "id": ident,
            "connectUri": f"ws://{self.host}:{self.port}/channels/{ident}",
            "expires": rfc3339(datetime.fromtimestamp(expires, UTC)),
        }

    def subscribe(self, ident: str, topics: list[str]) -> bool:
        """Replace a channel's topics; ``False`` when there is no such channel."""
        with self.lock:
            channel = self.channels.get(ident)
            if channel is None:
                return False
            channel.topics = set(topics)
        return True

    def publish(self, topic: str, body: dict[str, Any]) -> None:
        frame = json.dumps({"topicName": topic, "version": "2", "eventBody": body})
        with self.lock:
            sockets = [s for c in self.channels.values() if topic in c.topics for s in c.sockets]
        for sock in sockets:
            if id(sock) in self.silent:
                continue
            with contextlib.suppress(Exception):
                sock.send(frame)
                self.published += 1

    # -- faults tests trigger -----------------------------------------------------------------------------
    def drop_all(self) -> None:
        """Every socket closes without a word (the TCP connection just ends)."""
        with self.lock:
            sockets = [s for c in self.channels.values() for s in c.sockets]
        for sock in sockets:
            with contextlib.suppress(Exception):
                sock.socket.shutdown(2)

    def closing_all(self) -> None:
        """``v2.system.socket_closing`` on every socket (they close a moment later)."""
        with self.lock:
            sockets = [s for c in self.channels.values() for s in c.sockets]
        for sock in sockets:
            self._closing(sock)

    def silence_all(self) -> None:
        """Every open socket goes silent: no heartbeat, no pong, no event (a dead middlebox)."""
        with self.lock:
            self.silent.update(id(s) for c in self.channels.values() for s in c.sockets)

    def send_all(self, frame: str) -> None:
        """A raw frame to every socket (malformed ones, huge ones)."""
        with self.lock:
            sockets = [s for c in self.channels.values() for s in c.sockets]
        for sock in sockets:
            with contextlib.suppress(Exception):
                sock.send(frame)

    def open_sockets(self) -> int:
        with self.lock:
            return sum(len(c.sockets) for c in self.channels.values())

    # -- one socket ------------------------------------------------------------------------------------------
    def _handle(self, sock: ServerConnection) -> None:
        path = sock.request.path if sock.request else ""
        ident = path.rsplit("/", 1)[-1]
        with self.lock:
            channel = self.channels.get(ident)
            self.sockets_opened += 1
            number = self.sockets_opened
            if channel is not None:
                channel.sockets.append(sock)
        if channel is None:
            sock.close(4004, "no such channel")
            return
        try:
            self._serve(sock, channel, number)
        finally:
            with self.lock:
                if sock in channel.sockets:
                    channel.sockets.remove(sock)
                self.silent.discard(id(sock))

    def _serve(self, sock: ServerConnection, channel: SimChannel, number: int) -> None:
        state = self.state
        fault = state.fault_for("socket", number)
        opened = time.monotonic()
        fault_at = opened + float(fault.arg or 1) if fault else None
        last_beat = opened
        from websockets.exceptions import ConnectionClosed

        while not state.stopping.is_set() and not channel.closed:
            now = time.monotonic()
            if state.clock.monotonic() >= channel.expires_mono:
                sock.close(1000, "channel expired")
                return
            if fault is not None and fault_at is not None and now >= fault_at:
                fault_at = None
                if self._fault(sock, fault.kind):
                    return
            silent = id(sock) in self.silent
            if not silent and now - last_beat >= state.scenario.heartbeat_every:
                last_beat = now
                with contextlib.suppress(Exception):
                    sock.send(
                        json.dumps(
                            {"topicName": "channel.metadata", "eventBody": {"message": "WebSocket Heartbeat"}}
                        )
                    )
            try:
                message = sock.recv(timeout=0.05)
            except TimeoutError:
                continue
            except ConnectionClosed:
                return
            if silent:
                continue
            try:
                ping = json.loads(message).get("message") == "ping"
            except (ValueError, AttributeError):
                ping = False
            if ping:
                sock.send(json.dumps({"topicName": "channel.metadata", "eventBody": {"message": "pong"}}))

    def _fault(self, sock: ServerConnection, kind: str) -> bool:
        """Do the socket fault; ``True`` when the socket is done."""
        if kind == "socket-drop":
            with contextlib.suppress(Exception):
                sock.socket.shutdown(2)
            return True
        if kind == "heartbeat-stop":
            self.silent.add(id(sock))
        elif kind == "socket-closing":
            self._closing(sock)
            return True
        elif kind == "malformed-frame":
            with contextlib.suppress(Exception):
                sock.send("{not json")
                sock.send(json.dumps({"eventBody": {"id": "x"}}))
                sock.send(
                    json.dumps({"topicName": "v2.telephony.providers.edges.trunks.unknown", "eventBody": {}})
                )
        elif kind == "huge-frame":
            with contextlib.suppress(Exception):
                sock.send("x" * HUGE_FRAME)
        return False

    @staticmethod
    def _closing(sock: Any) -> None:
        with contextlib.suppress(Exception):
            sock.send(
                json.dumps({"topicName": "v2.system.socket_closing", "eventBody": {"message": "closing"}})
            )
            time.sleep(0.2)
            sock.close(1001, "going away")

    @staticmethod
    def _close(sockets: list[Any]) -> None:
        for sock in list(sockets):
            with contextlib.suppress(Exception):
                sock.close(1000, "channel removed")
