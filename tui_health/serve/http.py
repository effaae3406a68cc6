"""The collector's HTTP endpoints, on a bounded server of their own (:mod:`tui_health.serve.bounded`: no client
can slow a poll or hold descriptors the monitor needs): ``/metrics`` (Prometheus text or OpenMetrics, as the
scraper asks), ``/healthz`` and ``/status.json``; with ``--serve`` also the live state for attached consoles:
``/state.json``, ``/events`` (Server-Sent Events: a ``state`` event per target whenever its state changed, at
most every half second, an ``audit`` event for each new audit event, and a comment every 10 s to keep the line
open) and ``POST /silences`` (only with a bearer token, ``TUI_HEALTH_SERVE_TOKEN``: without one the server is
read-only).

Bound to 127.0.0.1 unless told otherwise. Each request reads the monitors' latest immutable states; what a client
sends is the path, the Accept header and, for a silence, a small bounded JSON body.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import hmac
import json
import ssl
import time
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from prometheus_client.exposition import choose_encoder

from tui_health.report.formats import render_json, render_json_targets
from tui_health.serve.bounded import BoundedServer, Limits, Request, Response, Send, Stream
from tui_health.serve.codec import state_bytes
from tui_health.serve.exposure import loopback
from tui_health.serve.metrics import Exporter
from tui_health.support.clock import rfc3339
from tui_health.support.errors import ConfigError
from tui_health.support.text import clean
from tui_health.support.timespec import MAX_SILENCE

if TYPE_CHECKING:
    from tui_health.monitor.monitor import Monitor

PRIVATE_READS = ("/state.json", "/status.json", "/events")
"""What reading needs the token for (when one is set): the org's components, incidents and events."""

STALE_AFTER = 3
"""``/healthz`` says 503 once a target's last poll is older than this many poll intervals and one poll's
deadline (a poll that hangs on Genesys until its deadline is the loop running, not stuck); ``/readyz`` once its
last answer is older than this many intervals."""


def parse_listen(text: str, flag: str = "--metrics-listen") -> tuple[str, int]:
    """``9464``, ``:9464``, ``0.0.0.0:9464`` or ``[::1]:9464`` → (host, port); the host defaults to 127.0.0.1."""
    host, _, port = text.strip().rpartition(":")
    host = host.strip("[]") or "127.0.0.1"
    if not port.isdigit() or not 0 <= int(port) <= 65535:
        raise ConfigError(f"{flag} {text!r} is not HOST:PORT", hint="e.g. 127.0.0.1:9464 (port 0-65535)")
    return host, int(port)


def health(
    monitors: Sequence[Monitor], now: datetime, *, answered: bool = False
) -> tuple[bool, list[dict[str, Any]]]:
    """Whether every target polled within the last three intervals, and each target's account of it.

    Liveness (``/healthz``): the poll loop runs — a poll happened, whatever Genesys said, so an outage upstream
    never gets the collector restarted (a Genesys that hangs every poll until its deadline is such an outage:
    the allowance is three intervals *and* a poll's deadline). Readiness (``/readyz``, ``answered``): Genesys
    answered — the data is current enough to act on.
    """
    report = []
    for monitor in monitors:
        state = monitor.store.state
        polled = state.last_ok_at if answered else state.last_poll_at
        last = polled or monitor.started_at
        age = (now - last).total_seconds() if last else None
        grace = 0.0 if answered else monitor.poller.deadline
        limit = STALE_AFTER * monitor.interval + grace
        ok = age is not None and age <= limit
        entry: dict[str, Any] = {
            "target": monitor.region,
            "ok": ok,
            "last_poll_at": rfc3339(state.last_poll_at) if state.last_poll_at else None,
            "last_answer_at": rfc3339(state.last_ok_at) if state.last_ok_at else None,
            "age_s": round(age, 3) if age is not None else None,
        }
        if not ok:
            what = "no answer from Genesys" if answered else "no poll"
            allowed = f"{STALE_AFTER} intervals of {monitor.interval:g} s" + (
                f" and a poll's deadline of {grace:g} s" if grace else ""
            )
            entry["reason"] = (
                f"{what} for {age:.0f} s (more than {allowed})" if age is not None else "not started"
            )
        report.append(entry)
    return all(e["ok"] for e in report), report


def status_document(monitors: Sequence[Monitor]) -> str:
    """The ``--once --format json`` document of each target's latest poll (a ``targets`` list when several)."""
    reports = []
    for monitor in monitors:
        state = monitor.store.state
        events = [e for e in state.events if state.last_poll_at and e.timestamp >= state.last_poll_at]
        reports.append(monitor.report(state, events))
    return render_json(reports[0]) if len(reports) == 1 else render_json_targets(reports)


STREAM_EVERY = 0.5
"""Seconds between two state events of one target on the stream (states published faster are coalesced)."""
KEEPALIVE = 10.0
MAX_TOLD = 300
"""Audit event ids a stream remembers per target, so each event is sent once."""
MAX_BODY = 4096
METRICS_FRESH = 1.0
"""Seconds one rendering of /metrics is served to every scraper that asks (a poll every 15 s changes it)."""


def authorized(request: Request, token: str | None) -> bool:
    """Whether ``request`` carries ``Authorization: Bearer <token>`` (the scheme in any case, the token compared
    in constant time). A token anywhere else (the query string, another header) counts for nothing."""
    if not token:
        return False
    scheme, _, given = request.headers.get("authorization", "").partition(" ")
    given = given.strip()
    if scheme.lower() != "bearer" or not given:
        return False
    return hmac.compare_digest(given.encode(), token.encode())


class Broadcast:
    """The latest state of each target and a version that moves when any changes; lives on the server's loop
    (monitors publish on their own thread: each publication is handed over with ``call``)."""

    def __init__(self, monitors: Sequence[Monitor], server: BoundedServer) -> None:
        self.monitors = monitors
        self.versions = [0] * len(monitors)
        self._tick = asyncio.Event()  # set (and replaced) at each publication
        self._encoded: dict[int, tuple[int, bytes]] = {}
        for index, monitor in enumerate(monitors):
            monitor.store.subscribe(functools.partial(self._hand_over, server, index))

    def _hand_over(self, server: BoundedServer, index: int, state: object) -> None:
        server.call(functools.partial(self._published, index))

    def _published(self, index: int) -> None:
        self.versions[index] += 1
        self._tick.set()
        self._tick = asyncio.Event()

    async def wait(self, seen: list[int], timeout: float) -> list[int]:
        """The versions once they differ from ``seen`` (or after ``timeout``)."""
        if seen == self.versions:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._tick.wait(), timeout)
        return list(self.versions)

    async def encoded(self, index: int, version: int) -> bytes:
        """The ``state`` event of one target, encoded once per version whatever the number of streams."""
        cached = self._encoded.get(index)
        if cached is not None and cached[0] == version:
            return cached[1]
        state = self.monitors[index].store.state

        def encode() -> bytes:  # the state's JSON has no newline: it fits one data line
            return b'event: state\ndata: {"target": %d, "state": %b}\n\n' % (index, state_bytes(state))

        body = await asyncio.to_thread(encode)
        self._encoded[index] = (version, body)
        return body


class CollectorServer:
    """Serves the endpoints for ``monitors`` until :meth:`stop`; ``serve``: the live state for attached consoles
    too, and silences from them when ``token`` is set."""

    def __init__(
        self,
        monitors: Sequence[Monitor],
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        serve: bool = False,
        token: str | None = None,
        public_read: bool = False,
        limits: Limits | None = None,
        reload: Callable[[], list[str]] | None = None,
        tls: ssl.SSLContext | None = None,
    ) -> None:
        """``token``: what silences need — and, unless ``public_read``, what reading the state needs
        (``/state.json``, ``/status.json``, ``/events``). ``/metrics``, ``/healthz`` and ``/readyz`` stay open:
        scrapers and orchestrators ask them without credentials."""
        self.monitors = list(monitors)
        self.exporter = Exporter(self.monitors)
        self.serve = serve
        self.token = token or None
        self.public_read = public_read
        self.reload = reload
        """``POST /-/reload`` (with the token) runs it on the monitors' loop: the config read again."""
        self.loop: asyncio.AbstractEventLoop | None = None
        self.http = BoundedServer(
            self._route, host, port, limits=limits or Limits(max_body=MAX_BODY), tls=tls
        )
        self.broadcast = Broadcast(self.monitors, self.http) if serve else None
        self._rendered: dict[str, tuple[float, bytes]] = {}
        self._rendering = asyncio.Lock()  # created off any loop; bound to the server's loop on first use

    @property
    def host(self) -> str:
        return self.http.host

    @property
    def port(self) -> int:
        return self.http.port

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{'https' if self.http.tls else 'http'}://{host}:{self.port}"

    def start(self) -> CollectorServer:
        with contextlib.suppress(RuntimeError):
            self.loop = asyncio.get_running_loop()  # silences are applied on the monitors' loop
        self.http.start()
        return self

    def stop(self) -> None:
        self.http.stop()
        for monitor in self.monitors:
            if self.exporter in monitor.observers:
                monitor.observers.remove(self.exporter)

    def now(self) -> datetime:
        return self.monitors[0].now()

    def states_json(self) -> bytes:
        return b'{"targets": [%b]}' % b", ".join(state_bytes(m.store.state) for m in self.monitors)

    async def silence(self, body: dict[str, Any]) -> tuple[int, str]:
        """Apply a silence (or lift one) sent by an attached console; (HTTP status, message)."""
        target = next((m for m in self.monitors if m.region == body.get("target")), None)
        component = body.get("component")
        if target is None or not isinstance(component, str):
            return 404, "no such target or component"
        if component not in {c.id for c in target.store.state.components}:
            return 404, f"{target.region} has no component {component!r}"
        lift = body.get("lift") is True
        seconds = body.get("seconds")
        if not lift and not (
            isinstance(seconds, int | float) and not isinstance(seconds, bool) and 0 < seconds <= MAX_SILENCE
        ):
            return 400, "seconds must be a number from 0 to 30 days"
        if self.loop is None or self.loop.is_closed():
            return 503, "the collector is not running"

        by, reason = body.get("by"), body.get("reason")
        who = f"{clean(by, 60) if isinstance(by, str) and by.strip() else 'someone'} (attached console)"
        why = clean(reason, 200) if isinstance(reason, str) else ""

        async def apply() -> None:
            if lift:
                target.unsilence(component)
            else:
                target.silence(component, float(seconds or 0), reason=why, by=who)

        try:
            future = asyncio.run_coroutine_threadsafe(apply(), self.loop)
            await asyncio.wait_for(asyncio.wrap_future(future), timeout=5)
        except Exception as exc:
            return 500, f"could not apply it: {exc.__class__.__name__}"
        return 200, ("silence lifted" if lift else f"silenced for {seconds:g} s")

    async def _metrics(self, encoder: Any, content_type: str) -> bytes:
        """The exposition, rendered at most once per METRICS_FRESH seconds per format: many scrapers at once
        share one rendering instead of each paying for the whole registry."""
        now = time.monotonic()
        cached = self._rendered.get(content_type)
        if cached is not None and now - cached[0] < METRICS_FRESH:
            return cached[1]
        async with self._rendering:
            cached = self._rendered.get(content_type)
            if cached is not None and time.monotonic() - cached[0] < METRICS_FRESH:
                return cached[1]
            body: bytes = await asyncio.to_thread(encoder, self.exporter.registry)
            self._rendered[content_type] = (time.monotonic(), body)
            return body

    # -- routes -----------------------------------------------------------------------------------
    async def _route(self, request: Request) -> Response | Stream:
        if request.method == "GET":
            return await self._get(request)
        if request.method == "POST":
            return await self._post(request)
        return _text(
            405, "GET /metrics, /healthz, /readyz, /status.json" + (", POST /silences" if self.serve else "")
        )

    async def _get(self, request: Request) -> Response | Stream:
        path = request.path
        if (
            path in PRIVATE_READS
            and self.token
            and not self.public_read
            and not authorized(request, self.token)
        ):
            return _reply(
                401,
                "reading the state needs the bearer token (TUI_HEALTH_SERVE_TOKEN), or serve.public_read = true",
                {"WWW-Authenticate": "Bearer"},
            )
        if path in PRIVATE_READS and not self.token and not self.public_read and not loopback(self.host):
            # --metrics-listen beyond loopback (--serve there is refused at start): the scrapers' endpoints are
            # open, the org's components and incidents are not shown to everyone who can reach the port
            return _reply(
                403,
                "this address is reached from other hosts: reading the state here needs TUI_HEALTH_SERVE_TOKEN "
                "set on the collector, or serve.public_read = true",
            )
        if path == "/metrics":
            encoder, content_type = choose_encoder(request.headers.get("accept", ""))
            return Response(200, content_type, await self._metrics(encoder, content_type))
        if path in ("/healthz", "/readyz"):
            ok, targets = health(self.monitors, self.now(), answered=path == "/readyz")
            stale = [t["target"] for t in targets if not t["ok"]]
            document = {"ok": ok, "stale": stale, "targets": targets}
            return _json(200 if ok else 503, json.dumps(document, indent=2) + "\n")
        if path == "/status.json":
            return _json(200, await asyncio.to_thread(status_document, self.monitors) + "\n")
        if path == "/state.json" and self.serve:
            return Response(200, "application/json", await asyncio.to_thread(self.states_json))
        if path == "/events" and self.broadcast is not None:
            broadcast = self.broadcast
            return Stream("text/event-stream", lambda send: self._stream(broadcast, send))
        return _text(404, "not found: /metrics, /healthz, /readyz, /status.json")

    async def _post(self, request: Request) -> Response:
        if request.path == "/-/reload":
            return await self._reload(request)
        if request.path != "/silences" or not self.serve:
            return _text(405, "read-only: GET /metrics, /healthz, /readyz, /status.json")
        if self.token is None:
            return _reply(403, "this collector is read-only (it has no TUI_HEALTH_SERVE_TOKEN)")
        if not authorized(request, self.token):
            return _reply(
                401, "a bearer token is needed (TUI_HEALTH_SERVE_TOKEN)", {"WWW-Authenticate": "Bearer"}
            )
        try:
            body = json.loads(request.body)
        except ValueError:
            return _reply(400, "not JSON")
        if not isinstance(body, dict):
            return _reply(400, "not a JSON object")
        status, message = await self.silence(body)
        return _reply(status, message, {"Retry-After": "5"} if status == 503 else None)

    async def _reload(self, request: Request) -> Response:
        """Read the config again, as SIGHUP does; only with the token (a reload changes where alerts go)."""
        if self.reload is None:
            return _reply(405, "this process cannot reload its config")
        if self.token is None:
            return _reply(403, "reloading needs TUI_HEALTH_SERVE_TOKEN to be set on the collector")
        if not authorized(request, self.token):
            return _reply(
                401, "a bearer token is needed (TUI_HEALTH_SERVE_TOKEN)", {"WWW-Authenticate": "Bearer"}
            )
        if self.loop is None or self.loop.is_closed():
            return _reply(503, "the collector is not running", {"Retry-After": "5"})
        reload = self.reload

        async def run() -> list[str]:
            return reload()

        try:
            future = asyncio.run_coroutine_threadsafe(run(), self.loop)
            problems = await asyncio.wait_for(asyncio.wrap_future(future), timeout=30)
        except Exception as exc:
            return _reply(500, f"could not reload: {exc.__class__.__name__}")
        if problems:
            return _reply(409, "; ".join(problems))
        return _reply(200, "config reloaded")

    async def _stream(self, broadcast: Broadcast, send: Send) -> None:
        """``state`` events as targets change (coalesced, at most every STREAM_EVERY s), each new audit event
        once after the state that holds it, and a comment every KEEPALIVE s."""
        sent = [-1] * len(self.monitors)
        told: dict[str, None] = {}  # audit event ids already sent, oldest first
        while True:
            versions = await broadcast.wait(sent, KEEPALIVE)
            if versions == sent:
                await send(b": keep-alive\n\n")
                continue
            chunks = []
            for index, version in enumerate(versions):
                if version == sent[index]:
                    continue
                chunks.append(await broadcast.encoded(index, version))
                for event in self.monitors[index].store.state.events:
                    if event.id not in told:
                        told[event.id] = None
                        line = json.dumps({"target": index, "event": event.to_dict()})
                        chunks.append(f"event: audit\ndata: {line}\n\n".encode())
                while len(told) > 4 * MAX_TOLD:  # remember the recent ids only
                    told.pop(next(iter(told)))
            await send(b"".join(chunks))
            sent = versions
            await asyncio.sleep(STREAM_EVERY)


def _text(status: int, message: str) -> Response:
    return Response(status, "text/plain; charset=utf-8", (message + "\n").encode())


def _json(status: int, text: str) -> Response:
    return Response(status, "application/json", text.encode())


def _reply(status: int, message: str, headers: dict[str, str] | None = None) -> Response:
    body = json.dumps({"ok": status == 200, "message": message}).encode()
    return Response(status, "application/json", body, headers or {})
