"""The simulator's notification service: channels, their subscriptions, and a real WebSocket on 127.0.0.1.

Behaves like Genesys' (``genesys/notifications.py`` and ``genesys/channel_api.py`` say what that is), with every
body and frame from a fixture (:mod:`tui_health.simulator.bodies`):

- an OAuth client holds at most 20 channels; a 21st removes one — those without an open socket first, then the
  one used longest ago (NotificationsApi: "Channels without an active connection will be removed first");
- a channel takes 1,000 topics; subscribing (again) extends its life by a lifetime from now; with
  ``ignoreErrors=true`` a topic the client may not hear comes back ``Rejected`` (with ``missingPermissions``) and
  the others are taken, without it the whole request is refused with 403;
- a heartbeat on ``channel.metadata`` every ``heartbeat_every`` s, a ``pong`` for ``{"message": "ping"}``; a
  channel closes its socket when it expires and when the token that made it expires;
- ``HEAD`` of a channel says whether it exists; the client's channels are listed, other tokens' without their id.

Faults on the socket (target ``socket``, counted per socket from 1, ARG seconds after it opens): ``socket-drop``,
``heartbeat-stop``, ``socket-closing``, ``malformed-frame``, ``huge-frame``, ``no-longer-subscribed`` (the
channel's subscriptions are dropped, heartbeats go on), ``token-revoked`` (the token is revoked and the channel
closed), ``channel-gone`` (a ``{"result": "404"}`` frame, then the channel is gone). The API side has
``rate_limit@channels`` (429 on creation), ``forbidden@subscriptions`` (403), ``channel-expiry:S@channels`` and
``reject-topics:PREFIX@subscriptions`` (topics starting with PREFIX are rejected). Tests also trigger them
directly (:meth:`ChannelServer.drop_all`, :meth:`ChannelServer.closing_all`, …), by steps they control.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Protocol

from tui_health.simulator import bodies
from tui_health.simulator.scenario import Fault, Scenario
from tui_health.support.clock import Clock, rfc3339

if TYPE_CHECKING:
    from websockets.sync.server import Server, ServerConnection


class World(Protocol):
    """What the channel server reads of the simulator's state (:class:`SimState` satisfies it)."""

    scenario: Scenario
    clock: Clock
    stopping: threading.Event

    def fault_for(self, kind: str, number: int) -> Fault | None: ...

    def client_of(self, token: str | None) -> str | None: ...

    def token_valid(self, token: str | None) -> bool: ...

    def revoke(self, token: str) -> None: ...


MAX_CHANNELS = 20
MAX_TOPICS = 1000
HUGE_FRAME = 4 * 1024 * 1024
PERMISSIONS = {  # what each topic needs (the catalogue fixture's requiresPermissions, by topic prefix)
    "v2.analytics.queues.": "analytics:queueObservation:view",
    "v2.operations.events.": "usage:events:view",
    "v2.telephony.providers.edges.": "telephony:plugin:all",
}


@dataclass
class SimChannel:
    id: str
    client: str
    token: str
    expires_mono: float
    last_used: float
    topics: set[str] = field(default_factory=set)
    sockets: list[Any] = field(default_factory=list)
    closed: bool = False
    subscribed: int = 0  # subscription requests so far


def frame_of(name: str) -> str:
    """A system frame of the fixture ``system_frames`` (``heartbeat``, ``pong_reply_to_ping``, …) as text."""
    return json.dumps(bodies.body("system_frames")[name])


class ChannelServer:
    def __init__(self, state: World, host: str = "127.0.0.1") -> None:
        self.state = state
        self.host = host
        self.channels: dict[str, SimChannel] = {}
        self.lock = threading.Lock()
        self.silent: set[int] = set()  # id() of sockets that went silent (heartbeat-stop)
        self.sockets_opened = 0
        self.published = 0
        self.evicted: list[str] = []  # ids of channels a 21st removed
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

    def _lifetime(self) -> float:
        expiry = self.state.fault_for("channels", 0)  # channel-expiry applies to every channel
        if expiry is not None and expiry.kind == "channel-expiry":
            return float(expiry.arg or 5)
        return self.state.scenario.channel_lifetime

    # -- the API side --------------------------------------------------------------------------------------
    def create(self, token: str) -> dict[str, Any]:
        """A new channel for ``token``'s OAuth client (one of its channels goes when it already has 20)."""
        self.start()
        client = self.state.client_of(token) or ""
        now = self.state.clock.monotonic()
        ident = f"streaming-0-{uuid.uuid4().hex[:26]}"
        channel = SimChannel(ident, client, token, now + self._lifetime(), now)
        with self.lock:
            mine = [c for c in self.channels.values() if c.client == client and not c.closed]
            gone = None
            if len(mine) >= MAX_CHANNELS:  # unconnected ones first, then the one used longest ago
                gone = min(mine, key=lambda c: (bool(c.sockets), c.last_used))
                gone.closed = True
                del self.channels[gone.id]
                self.evicted.append(gone.id)
            self.channels[ident] = channel
        if gone is not None:
            self._close(gone.sockets)
        answer = bodies.body("channel")
        answer.update(
            id=ident,
            connectUri=f"ws://{self.host}:{self.port}/channels/{ident}",
            expires=self._expires(channel),
        )
        return answer

    def _expires(self, channel: SimChannel) -> str:
        left = channel.expires_mono - self.state.clock.monotonic()
        return rfc3339(datetime.fromtimestamp(self.state.clock.now().timestamp() + left, UTC))

    def subscribe(
        self, ident: str, topics: list[str], *, ignore_errors: bool, rejected: tuple[str, ...] = ()
    ) -> dict[str, Any] | None:
        """Replace a channel's topics: the ``ChannelTopicEntityListing`` answer; ``None`` when there is no
        such channel; ``{"refused": …}`` when one topic is rejected and ``ignore_errors`` is not set."""
        example = bodies.body("subscriptions_partial")["entities"]
        permitted = next(e for e in example if e["state"] == "Permitted")
        refused = next(e for e in example if e["state"] == "Rejected")
        entities, taken = [], set()
        for topic in topics:
            if any(topic.startswith(prefix) for prefix in rejected if prefix):
                need = next(
                    (p for prefix, p in PERMISSIONS.items() if topic.startswith(prefix)), "a permission"
                )
                reason = refused["rejectionReason"].replace(refused["id"], topic)
                entities.append(
                    {**refused, "id": topic, "rejectionReason": reason, "missingPermissions": [need]}
                )
            else:
                taken.add(topic)
                entities.append({**permitted, "id": topic})
        if not ignore_errors and len(taken) < len(topics):
            return {"refused": next(e for e in entities if e["state"] == "Rejected")}
        with self.lock:
            channel = self.channels.get(ident)
            if channel is None or channel.closed:
                return None
            now = self.state.clock.monotonic()
            channel.topics = taken
            channel.subscribed += 1
            channel.expires_mono = now + self._lifetime()  # subscribing again keeps a channel alive
            channel.last_used = now
        return {"entities": entities}

    def exists(self, ident: str) -> bool:
        with self.lock:
            channel = self.channels.get(ident)
            return channel is not None and not channel.closed

    def listing(self, token: str) -> dict[str, Any]:
        """The client's channels (``includechannels=oauthclient``): other tokens' without their id."""
        client = self.state.client_of(token) or ""
        answer = bodies.body("channels_listing")
        mine, theirs = answer["entities"][0], answer["entities"][1]
        with self.lock:
            channels = [c for c in self.channels.values() if c.client == client and not c.closed]
        answer["entities"] = [
            {
                **mine,
                "id": c.id,
                "connectUri": f"ws://{self.host}:{self.port}/channels/{c.id}",
                "expires": self._expires(c),
            }
            if c.token == token
            else {**theirs, "expires": self._expires(c)}
            for c in channels
        ]
        return answer

    def publish(self, topic: str, frame: dict[str, Any]) -> None:
        text = json.dumps(frame)
        with self.lock:
            sockets = [s for c in self.channels.values() if topic in c.topics for s in c.sockets]
        for sock in sockets:
            if id(sock) in self.silent:
                continue
            with contextlib.suppress(Exception):
                sock.send(text)
                self.published += 1

    # -- faults tests trigger -----------------------------------------------------------------------------
    def _all_sockets(self) -> list[Any]:
        with self.lock:
            return [s for c in self.channels.values() for s in c.sockets]

    def drop_all(self) -> None:
        """Every socket closes without a word (the TCP connection just ends)."""
        for sock in self._all_sockets():
            with contextlib.suppress(Exception):
                sock.socket.shutdown(2)

    def closing_all(self) -> None:
        """``v2.system.socket_closing`` on every socket (they close a moment later)."""
        for sock in self._all_sockets():
            self._closing(sock)

    def silence_all(self) -> None:
        """Every open socket goes silent: no heartbeat, no pong, no event (a dead middlebox)."""
        with self.lock:
            self.silent.update(id(s) for c in self.channels.values() for s in c.sockets)

    def send_all(self, frame: str) -> None:
        """A raw frame to every socket (malformed ones, huge ones)."""
        for sock in self._all_sockets():
            with contextlib.suppress(Exception):
                sock.send(frame)

    def unsubscribe_all(self) -> None:
        """``v2.system.no_longer_subscribed`` on every channel: its topics are dropped, heartbeats go on."""
        with self.lock:
            channels = [c for c in self.channels.values() if not c.closed]
        for channel in channels:
            self._unsubscribe(channel)

    def revoke_all(self) -> None:
        """``v2.system.token_revoked`` on every channel: the token goes, and the channel with it."""
        with self.lock:
            channels = [c for c in self.channels.values() if not c.closed]
        for channel in channels:
            self._revoke(channel)

    def gone_all(self) -> None:
        """``{"result": "404"}`` on every socket, and the channels are gone."""
        with self.lock:
            channels = [c for c in self.channels.values() if not c.closed]
        for channel in channels:
            self._gone(channel)

    def open_sockets(self) -> int:
        with self.lock:
            return sum(len(c.sockets) for c in self.channels.values())

    def held(self, client: str | None = None) -> int:
        """Channels held (by one OAuth client)."""
        with self.lock:
            return sum(
                1 for c in self.channels.values() if not c.closed and (client is None or c.client == client)
            )

    def _system(self, name: str, channel: SimChannel) -> str:
        example = bodies.body("system_frames")[name]
        example["topicName"] = example["topicName"].rsplit(".", 1)[0] + "." + channel.id
        if isinstance(example.get("eventBody"), dict):
            example["eventBody"]["channelId"] = channel.id
        return json.dumps(example)

    def _unsubscribe(self, channel: SimChannel) -> None:
        with self.lock:
            channel.topics = set()
            sockets = list(channel.sockets)
        for sock in sockets:
            with contextlib.suppress(Exception):
                sock.send(self._system("no_longer_subscribed", channel))

    def _revoke(self, channel: SimChannel) -> None:
        for sock in list(channel.sockets):
            with contextlib.suppress(Exception):
                sock.send(self._system("token_revoked", channel))
        self.state.revoke(channel.token)
        self._drop(channel)

    def _gone(self, channel: SimChannel) -> None:
        for sock in list(channel.sockets):
            with contextlib.suppress(Exception):
                sock.send(frame_of("channel_not_found_404"))
        self._drop(channel)

    def _drop(self, channel: SimChannel) -> None:
        with self.lock:
            channel.closed = True
            self.channels.pop(channel.id, None)
        self._close(channel.sockets)

    # -- one socket ------------------------------------------------------------------------------------------
    def _handle(self, sock: ServerConnection) -> None:
        path = sock.request.path if sock.request else ""
        ident = path.rsplit("/", 1)[-1]
        with self.lock:
            channel = self.channels.get(ident)
            self.sockets_opened += 1
            number = self.sockets_opened
            if channel is not None and not channel.closed:
                channel.sockets.append(sock)
                channel.last_used = self.state.clock.monotonic()
            else:
                channel = None
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
            if not state.token_valid(channel.token):  # a channel lives no longer than the token that made it
                sock.close(1000, "token expired")
                return
            if fault is not None and fault_at is not None and now >= fault_at:
                fault_at = None
                if self._fault(sock, channel, fault.kind):
                    return
            silent = id(sock) in self.silent
            if not silent and now - last_beat >= state.scenario.heartbeat_every:
                last_beat = now
                with contextlib.suppress(Exception):
                    sock.send(frame_of("heartbeat"))
            try:
                message = sock.recv(timeout=0.05)
            except TimeoutError:
                continue
            except ConnectionClosed:
                return
            if silent:
                continue
            try:
                ping = json.loads(message) == bodies.body("system_frames")["client_ping_request"]
            except (ValueError, AttributeError):
                ping = False
            if ping:
                sock.send(frame_of("pong_reply_to_ping"))

    def _fault(self, sock: ServerConnection, channel: SimChannel, kind: str) -> bool:
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
        elif kind == "no-longer-subscribed":
            self._unsubscribe(channel)
        elif kind == "token-revoked":
            self._revoke(channel)
            return True
        elif kind == "channel-gone":
            self._gone(channel)
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
            sock.send(frame_of("socket_closing"))
            time.sleep(0.2)
            sock.close(1001, "going away")

    @staticmethod
    def _close(sockets: list[Any]) -> None:
        for sock in list(sockets):
            with contextlib.suppress(Exception):
                sock.close(1000, "channel removed")
