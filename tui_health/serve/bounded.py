"""A small HTTP/1.1 server that no client can starve, for the collector's endpoints.

It runs on a thread with its own event loop, so a scrape never waits for a poll nor a poll for a scrape, and it
bounds everything a client controls:

- **Connections**: at most ``Limits.connections`` requests are read or answered at once. The caps per address
  are work-conserving (:mod:`tui_health.serve.admission`): one address may use every idle slot, and keeps
  ``per_client`` of them only while another address waits. While every slot is taken newcomers wait, unread,
  in a room of ``waiting`` connections for at most ``wait_timeout``; a full room turns away the newest waiter
  of the address with the most. Event streams have places of their own (``streams``; ``streams_per_client``
  once every place is taken). Every busy answer is a 503 with ``Retry-After``.
- **Descriptors**: a new client is accepted only while ``fd_reserve`` descriptors below the soft
  ``RLIMIT_NOFILE`` stay free for the monitor itself (its audit log, stores, webhooks and polls).
- **Time**: the request line and headers must arrive within ``head_timeout``, a body within ``body_timeout``;
  an answer must be taken within ``write_timeout``; a stream whose reader stops reading for ``stream_stall`` is
  dropped.
- **Size**: the head is at most ``max_head`` bytes, a body at most ``max_body``; a stream holds at most one
  unsent event batch (what is published meanwhile is coalesced into the next one).

Every answer closes its connection (``Connection: close``): scrapers and consoles reconnect cheaply, and no idle
keep-alive connection holds a slot.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import resource
import socket
import ssl
import threading
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from http import HTTPStatus
from urllib.parse import parse_qs, urlsplit

from tui_health.serve.admission import Places, Slots, Ticket, Turn
from tui_health.support.errors import ConfigError


@dataclass(frozen=True, slots=True)
class Limits:
    connections: int = 64
    per_client: int = 16
    streams: int = 64
    streams_per_client: int = 32
    waiting: int = 256
    wait_timeout: float = 10.0
    head_timeout: float = 5.0
    body_timeout: float = 5.0
    write_timeout: float = 10.0
    stream_stall: float = 30.0
    max_head: int = 16 * 1024
    max_body: int = 4096
    backlog: int = 512
    fd_reserve: int = 128


@dataclass(frozen=True, slots=True)
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]  # names in lower case
    body: bytes
    client: str


@dataclass(frozen=True, slots=True)
class Response:
    status: int
    content_type: str
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)


Send = Callable[[bytes], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class Stream:
    """A long answer (Server-Sent Events): ``run(send)`` writes until the client or the server goes away."""

    content_type: str
    run: Callable[[Send], Awaitable[None]]


Handler = Callable[[Request], Awaitable[Response | Stream]]


def raise_fd_limit(wanted: int = 65_536) -> int:
    """Raise the soft limit on open descriptors towards the hard limit (as servers do at start); the new soft
    limit. Nothing is raised where the platform says no."""
    try:
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    except (OSError, ValueError):
        return 0
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if soft != resource.RLIM_INFINITY and soft < target:
        with contextlib.suppress(OSError, ValueError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
            return target
    return soft


def fd_headroom() -> int | None:
    """Descriptors this process can still open before the soft limit (``None`` where it cannot be counted)."""
    try:
        soft = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
        used = len(os.listdir("/proc/self/fd"))
    except (OSError, ValueError):
        return None
    if soft == resource.RLIM_INFINITY:
        return None
    return soft - used


class BoundedServer:
    """Serves ``handler`` on ``host:port`` until :meth:`stop`. :meth:`start` binds at once (a ConfigError when it
    cannot), then serves on its own thread."""

    def __init__(
        self,
        handler: Handler,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        limits: Limits | None = None,
        tls: ssl.SSLContext | None = None,
        name: str = "collector-http",
    ) -> None:
        self.handler = handler
        self.host, self.port = host, port
        self.limits = limits or Limits()
        self.tls = tls
        self.name = name
        self.loop: asyncio.AbstractEventLoop | None = None
        self.refused = Counter[str]()
        """Clients turned away, by reason (busy, yielded, streams, stream_yielded, timeout_or_reset, too_large):
        for tests and metrics."""
        self.open_connections = 0
        self.open_streams = 0
        self.slots = Slots(self.limits.connections, self.limits.per_client, self.limits.waiting)
        self.places = Places(self.limits.streams, self.limits.streams_per_client)
        self._sock: socket.socket | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._stopping: asyncio.Event | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._woken: dict[Ticket, asyncio.Future[None]] = {}
        """Waiters' wake-ups: set when a waiter is served or turned away."""
        self._holders: dict[Ticket, asyncio.Task[None]] = {}
        """The task behind each served connection and open stream (a cut cancels it)."""

    @property
    def waiting(self) -> int:
        """Connections accepted and waiting, unread, for a slot."""
        return self.slots.queued

    def start(self) -> BoundedServer:
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((self.host, self.port))
            sock.listen(self.limits.backlog)
        except OSError as exc:
            sock.close()
            raise ConfigError(
                f"cannot listen on {self.host}:{self.port}: {exc.strerror or exc}",
                hint="pick another port, or stop what holds this one",
            ) from None
        sock.setblocking(False)
        self._sock = sock
        self.port = sock.getsockname()[1]
        self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)
        self._thread.start()
        self._ready.wait(10)
        return self

    def stop(self, timeout: float = 5.0) -> None:
        loop, stopping = self.loop, self._stopping
        if loop is not None and stopping is not None and not loop.is_closed():
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(stopping.set)
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None
        if self._sock is not None:
            self._sock.close()
            self._sock = None

    def call(self, callback: Callable[[], None]) -> None:
        """Run ``callback`` on the server's loop (from any thread); nothing once it has stopped."""
        loop = self.loop
        if loop is not None and not loop.is_closed():
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(callback)

    # -- the server's thread ----------------------------------------------------------------------
    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        self.loop = loop
        try:
            loop.run_until_complete(self._main())
        finally:
            with contextlib.suppress(Exception):
                loop.run_until_complete(loop.shutdown_default_executor())
            loop.close()

    async def _main(self) -> None:
        self._stopping = asyncio.Event()
        self._ready.set()
        accepting = asyncio.ensure_future(self._accept())
        await self._stopping.wait()
        accepting.cancel()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(accepting, *self._tasks, return_exceptions=True)

    async def _accept(self) -> None:
        loop = asyncio.get_running_loop()
        assert self._sock is not None
        while True:
            headroom = fd_headroom()
            while headroom is not None and headroom < self.limits.fd_reserve:
                self.refused["fd_reserve"] += 1
                await asyncio.sleep(0.1)  # the monitor's descriptors come first
                headroom = fd_headroom()
            try:
                conn, address = await loop.sock_accept(self._sock)
            except OSError:  # out of descriptors after all, or the client left: try again shortly
                await asyncio.sleep(0.1)
                continue
            arrival = self.slots.arrive(str(address[0]))
            for ticket in arrival.refused:  # made room: answered 503 by their own tasks
                self._wake(ticket)
            if arrival.cut is not None:
                self._cut(arrival.cut)
            if arrival.ticket.turn is Turn.REFUSED:
                self.refused["busy"] += 1
                _turn_away(conn)
                continue
            task = loop.create_task(self._connection(conn, arrival.ticket))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    def _wake(self, ticket: Ticket) -> None:
        woken = self._woken.pop(ticket, None)
        if woken is not None and not woken.done():
            woken.set_result(None)

    def _cut(self, ticket: Ticket) -> None:
        holder = self._holders.get(ticket)
        if holder is not None:
            holder.cancel()

    def _leave(self, ticket: Ticket) -> None:
        for served in self.slots.leave(ticket):
            self._wake(served)

    async def _connection(self, conn: socket.socket, ticket: Ticket) -> None:
        limits = self.limits
        writer: asyncio.StreamWriter | None = None
        task = asyncio.current_task()
        assert task is not None
        try:
            if ticket.turn is Turn.WAITING:
                await self._slot(ticket)
            if ticket.turn is not Turn.SERVED:  # turned away while waiting, or waited too long
                self.refused["busy"] += 1
                _turn_away(conn)
                return
            self.open_connections += 1
            self._holders[ticket] = task
            try:
                loop = asyncio.get_running_loop()
                reader = asyncio.StreamReader(limit=limits.max_head)
                protocol = asyncio.StreamReaderProtocol(reader)
                async with asyncio.timeout(limits.head_timeout):
                    transport, _ = await loop.connect_accepted_socket(
                        lambda: protocol,
                        conn,
                        ssl=self.tls,
                        ssl_handshake_timeout=limits.head_timeout if self.tls else None,
                    )
                writer = asyncio.StreamWriter(transport, protocol, reader, loop)
                await self._answer(reader, writer, ticket)
            finally:
                self._holders.pop(ticket, None)
                self.open_connections -= 1
        except asyncio.CancelledError:
            if not ticket.cut:
                raise
            task.uncancel()  # cut for another address (told 503): the server goes on
            self.refused["yielded"] += 1
        except (TimeoutError, ConnectionError, OSError, asyncio.IncompleteReadError, ssl.SSLError):
            self.refused["timeout_or_reset"] += 1
        finally:
            self._leave(ticket)
            if writer is not None:
                writer.close()
            else:
                conn.close()  # a second close of a socket object does nothing

    async def _slot(self, ticket: Ticket) -> None:
        """Wait, unread, until ``ticket`` is served or turned away, or ``wait_timeout`` has passed (then it
        leaves the line)."""
        woken = asyncio.get_running_loop().create_future()
        self._woken[ticket] = woken
        try:
            async with asyncio.timeout(self.limits.wait_timeout):
                await woken
        except TimeoutError:
            pass
        finally:
            self._woken.pop(ticket, None)
        if ticket.turn is Turn.WAITING:
            self._leave(ticket)

    async def _answer(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, ticket: Ticket
    ) -> None:
        """Read one request and answer it, or stream."""
        ticket.reading = True
        try:
            request = await self._read(reader, ticket.address)
        except asyncio.CancelledError:
            if ticket.cut:  # another address waits and this one holds more than its share: 503, at once
                writer.write(BUSY)
            raise
        finally:
            ticket.reading = False
        if isinstance(request, Response):
            await self._write(writer, request)
            return
        try:
            answer = await self.handler(request)
        except Exception as exc:  # a bug of ours: one answer says so, the server goes on
            answer = _plain(500, f"internal error: {exc.__class__.__name__}")
        if isinstance(answer, Response):
            await self._write(writer, answer)
            return
        self._holders.pop(ticket, None)
        self._leave(ticket)  # a stream holds a stream place, not a request slot
        await self._stream(writer, ticket.address, answer)

    async def _read(self, reader: asyncio.StreamReader, client: str) -> Request | Response:
        limits = self.limits
        try:
            async with asyncio.timeout(limits.head_timeout):
                head = await reader.readuntil(b"\r\n\r\n")
        except asyncio.LimitOverrunError:
            self.refused["too_large"] += 1
            return _plain(431, "request head too large")
        lines = head.decode("latin-1").split("\r\n")
        parts = lines[0].split(" ")
        if len(parts) != 3 or not parts[2].startswith("HTTP/1."):
            return _plain(400, "not an HTTP/1.x request")
        method, target, _ = parts
        headers: dict[str, str] = {}
        for line in lines[1:]:
            if not line:
                continue
            name, sep, value = line.partition(":")
            if not sep or not name or name != name.strip():
                return _plain(400, "malformed header")
            headers[name.lower()] = value.strip()
        body = b""
        if "transfer-encoding" in headers:
            return _plain(411, "a body needs Content-Length")
        length = headers.get("content-length", "0")
        if not (length.isascii() and length.isdigit()):  # "²" is a digit to isdigit(), not to int()
            return _plain(400, "bad Content-Length")
        if int(length) > limits.max_body:
            self.refused["too_large"] += 1
            return _plain(413, f"a body is at most {limits.max_body} bytes")
        if int(length):
            async with asyncio.timeout(limits.body_timeout):
                body = await reader.readexactly(int(length))
        url = urlsplit(target)
        return Request(method.upper(), url.path or "/", parse_qs(url.query), headers, body, client)

    async def _write(self, writer: asyncio.StreamWriter, response: Response) -> None:
        reason = (
            HTTPStatus(response.status).phrase if response.status in HTTPStatus._value2member_map_ else ""
        )
        head = [
            f"HTTP/1.1 {response.status} {reason}",
            f"Content-Type: {response.content_type}",
            f"Content-Length: {len(response.body)}",
            "Cache-Control: no-store",
            "Connection: close",
            "Server: tui-health",
            *(f"{k}: {v}" for k, v in response.headers.items()),
        ]
        writer.write(("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + response.body)
        async with asyncio.timeout(self.limits.write_timeout):
            await writer.drain()

    async def _stream(self, writer: asyncio.StreamWriter, client: str, stream: Stream) -> None:
        limits = self.limits
        place = self.places.take(client)
        if place is None:
            self.refused["streams"] += 1
            await self._write(writer, _busy("too many event streams open; try again later", STREAM_RETRY))
            return
        if place.cut is not None:  # every place taken: an address over its share gives one up
            self._cut(place.cut)
        ticket = place.ticket
        task = asyncio.current_task()
        assert task is not None
        self._holders[ticket] = task
        self.open_streams += 1
        try:
            writer.transport.set_write_buffer_limits(high=64 * 1024)
            head = (
                "HTTP/1.1 200 OK\r\n"
                f"Content-Type: {stream.content_type}\r\nCache-Control: no-store\r\n"
                "Connection: close\r\nServer: tui-health\r\n\r\n"
            )
            writer.write(head.encode("latin-1"))

            async def send(data: bytes) -> None:
                writer.write(data)
                async with asyncio.timeout(limits.stream_stall):  # a reader that stopped reading is dropped
                    await writer.drain()

            await stream.run(send)
        except asyncio.CancelledError:
            if not ticket.cut:
                raise
            task.uncancel()  # gave its place to another address: closed; the console reconnects
            self.refused["stream_yielded"] += 1
        finally:
            self._holders.pop(ticket, None)
            self.open_streams -= 1
            self.places.give_back(ticket)


_BUSY_TEXT = b"busy: too many connections waiting; try again soon\n"
BUSY = (
    b"HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain; charset=utf-8\r\n"
    b"Content-Length: " + str(len(_BUSY_TEXT)).encode() + b"\r\nRetry-After: 1\r\nConnection: close\r\n"
    b"Server: tui-health\r\n\r\n" + _BUSY_TEXT
)
"""The answer to a connection turned away before its request was read (sent whole, without reading)."""


def _turn_away(conn: socket.socket) -> None:
    """Answer 503 at once and close, never blocking: one small send, then what the client already sent is read
    and dropped (closing on unread bytes would reset the connection, and the answer with it)."""
    with contextlib.suppress(OSError):
        conn.setblocking(False)
        conn.send(BUSY)
        conn.shutdown(socket.SHUT_WR)
        for _ in range(16):  # at most 1 MiB, only what has arrived: recv raises once nothing is there
            if not conn.recv(65536):
                break
    conn.close()


STREAM_RETRY = 10
"""Seconds a refused event stream is told to wait (``Retry-After``): streams last, places free slowly."""


def _busy(message: str, retry_after: int = 1) -> Response:
    """A busy answer: 503, with ``Retry-After`` saying when to come back."""
    return Response(
        503, "text/plain; charset=utf-8", (message + "\n").encode(), {"Retry-After": str(retry_after)}
    )


def _plain(status: int, message: str) -> Response:
    return Response(status, "text/plain; charset=utf-8", (message + "\n").encode())
