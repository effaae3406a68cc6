"""The collector's HTTP endpoints, on a thread of their own (a scrape never waits for a poll, nor a poll for a
scrape): ``/metrics`` (Prometheus text or OpenMetrics, as the scraper asks), ``/healthz`` and ``/status.json``;
with ``--serve`` also the live state for attached consoles: ``/state.json``, ``/events`` (Server-Sent Events: a
``state`` event per target whenever its state changed, at most every half second, an ``audit`` event for each
new audit event, and a comment every 10 s to keep the line open) and ``POST /silences`` (only with a bearer token, ``TUI_HEALTH_SERVE_TOKEN``: without one
the server is read-only).

Bound to 127.0.0.1 unless told otherwise. Each request reads the monitors' latest immutable states; what a client
sends is the path, the Accept header and, for a silence, a small bounded JSON body.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import hmac
import json
import threading
import time
from collections.abc import Sequence
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any

from prometheus_client.exposition import choose_encoder

from tui_health.errors import ConfigError
from tui_health.output import render_json, render_json_targets
from tui_health.report import report_of
from tui_health.serve.codec import state_to_json
from tui_health.serve.metrics import Exporter

if TYPE_CHECKING:
    from tui_health.monitor import Monitor

STALE_AFTER = 3
"""``/healthz`` says 503 once a target's last poll is older than this many poll intervals."""


def parse_listen(text: str, flag: str = "--metrics-listen") -> tuple[str, int]:
    """``9464``, ``:9464``, ``0.0.0.0:9464`` or ``[::1]:9464`` → (host, port); the host defaults to 127.0.0.1."""
    host, _, port = text.strip().rpartition(":")
    host = host.strip("[]") or "127.0.0.1"
    if not port.isdigit() or not 0 <= int(port) <= 65535:
        raise ConfigError(f"{flag} {text!r} is not HOST:PORT", hint="e.g. 127.0.0.1:9464 (port 0-65535)")
    return host, int(port)


def health(monitors: Sequence[Monitor], now: datetime) -> tuple[bool, list[dict[str, Any]]]:
    """Whether every target polled within the last three intervals, and each target's account of it."""
    report = []
    for monitor in monitors:
        state = monitor.store.state
        last = state.last_poll_at or monitor.started_at
        age = (now - last).total_seconds() if last else None
        limit = STALE_AFTER * monitor.interval
        ok = age is not None and age <= limit
        entry: dict[str, Any] = {
            "target": monitor.region,
            "ok": ok,
            "last_poll_at": state.last_poll_at.isoformat() if state.last_poll_at else None,
            "age_s": round(age, 3) if age is not None else None,
        }
        if not ok:
            entry["reason"] = (
                f"no poll for {age:.0f} s (more than {STALE_AFTER} intervals of {monitor.interval:g} s)"
                if age is not None
                else "not started"
            )
        report.append(entry)
    return all(e["ok"] for e in report), report


def status_document(monitors: Sequence[Monitor]) -> str:
    """The ``--once --format json`` document of each target's latest poll (a ``targets`` list when several)."""
    reports = []
    for monitor in monitors:
        state = monitor.store.state
        events = [e for e in state.events if state.last_poll_at and e.timestamp >= state.last_poll_at]
        rule = monitor.engine.config.rule
        report = report_of(state, events, min_down=rule.min_down, min_degraded=rule.min_degraded)
        reports.append((monitor.region, report))
    return render_json(reports[0][1]) if len(reports) == 1 else render_json_targets(reports)


STREAM_EVERY = 0.5
"""Seconds between two state events of one target on the stream (states published faster are coalesced)."""
KEEPALIVE = 10.0
MAX_TOLD = 300
"""Audit event ids a stream remembers per target, so each event is sent once."""
MAX_BODY = 4096


class Broadcast:
    """The latest state of each target and a version that moves when any changes (the stream waits on it)."""

    def __init__(self, monitors: Sequence[Monitor]) -> None:
        self.changed = threading.Condition()
        self.versions = [0] * len(monitors)
        self.closed = False
        for index, monitor in enumerate(monitors):
            monitor.store.subscribe(functools.partial(self._published, index))

    def _published(self, index: int, state: object = None) -> None:
        with self.changed:
            self.versions[index] += 1
            self.changed.notify_all()

    def close(self) -> None:
        with self.changed:
            self.closed = True
            self.changed.notify_all()


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
    ) -> None:
        self.monitors = list(monitors)
        self.exporter = Exporter(self.monitors)
        self.host, self.port = host, port
        self.serve = serve
        self.token = token or None
        self.broadcast = Broadcast(self.monitors) if serve else None
        self.loop: asyncio.AbstractEventLoop | None = None
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def start(self) -> CollectorServer:
        with contextlib.suppress(RuntimeError):
            self.loop = asyncio.get_running_loop()  # silences are applied on the monitors' loop
        handler = _handler(self)
        try:
            self._server = ThreadingHTTPServer((self.host, self.port), handler)
        except OSError as exc:
            raise ConfigError(
                f"cannot listen on {self.host}:{self.port}: {exc.strerror or exc}",
                hint="pick another port, or stop what holds this one",
            ) from None
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, name="collector-http", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self.broadcast is not None:
            self.broadcast.close()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        for monitor in self.monitors:
            if self.exporter in monitor.observers:
                monitor.observers.remove(self.exporter)

    def now(self) -> datetime:
        return self.monitors[0].now()

    def states_json(self) -> str:
        return json.dumps({"targets": [state_to_json(m.store.state) for m in self.monitors]})

    def silence(self, body: dict[str, Any]) -> tuple[int, str]:
        """Apply a silence (or lift one) sent by an attached console; (HTTP status, message)."""
        target = next((m for m in self.monitors if m.region == body.get("target")), None)
        component = body.get("component")
        if target is None or not isinstance(component, str):
            return 404, "no such target or component"
        if component not in {c.id for c in target.store.state.components}:
            return 404, f"{target.region} has no component {component!r}"
        lift = body.get("lift") is True
        seconds = body.get("seconds")
        if not lift and not (isinstance(seconds, int | float) and 0 < seconds <= 30 * 86400):
            return 400, "seconds must be a number from 0 to 30 days"
        if self.loop is None:
            return 503, "the collector is not running"

        async def apply() -> None:
            if lift:
                target.unsilence(component)
            else:
                target.silence(component, float(seconds or 0))

        try:
            asyncio.run_coroutine_threadsafe(apply(), self.loop).result(timeout=5)
        except Exception as exc:
            return 500, f"could not apply it: {exc.__class__.__name__}"
        return 200, ("silence lifted" if lift else f"silenced for {seconds:g} s")


def _handler(server: CollectorServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        server_version = "tui-health"
        sys_version = ""

        def do_GET(self) -> None:
            path = self.path.split("?", 1)[0]
            if path == "/metrics":
                encoder, content_type = choose_encoder(self.headers.get("Accept", ""))
                self._send(200, content_type, encoder(server.exporter.registry))
            elif path == "/healthz":
                ok, targets = health(server.monitors, server.now())
                body = json.dumps({"ok": ok, "targets": targets}, indent=2) + "\n"
                self._send(200 if ok else 503, "application/json", body.encode())
            elif path == "/status.json":
                self._send(200, "application/json", (status_document(server.monitors) + "\n").encode())
            elif path == "/state.json" and server.serve:
                self._send(200, "application/json", server.states_json().encode())
            elif path == "/events" and server.broadcast is not None:
                self._stream(server.broadcast)
            else:
                self._send(404, "text/plain; charset=utf-8", b"not found: /metrics, /healthz, /status.json\n")

        def do_POST(self) -> None:
            path = self.path.split("?", 1)[0]
            if path != "/silences" or not server.serve:
                self._send(
                    405, "text/plain; charset=utf-8", b"read-only: GET /metrics, /healthz, /status.json\n"
                )
                return
            if server.token is None:
                self._reply(403, "this collector is read-only (it has no TUI_HEALTH_SERVE_TOKEN)")
                return
            given = self.headers.get("Authorization", "")
            if not hmac.compare_digest(given.encode(), f"Bearer {server.token}".encode()):
                self._reply(401, "a bearer token is needed (TUI_HEALTH_SERVE_TOKEN)")
                return
            length = self.headers.get("Content-Length", "")
            if not length.isdigit() or int(length) > MAX_BODY:
                self._reply(413, "a silence is a small JSON object")
                return
            try:
                body = json.loads(self.rfile.read(int(length)))
            except ValueError:
                self._reply(400, "not JSON")
                return
            if not isinstance(body, dict):
                self._reply(400, "not a JSON object")
                return
            self._reply(*server.silence(body))

        def _reply(self, code: int, message: str) -> None:
            self._send(code, "application/json", json.dumps({"ok": code == 200, "message": message}).encode())

        def _stream(self, broadcast: Broadcast) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            sent = [-1] * len(server.monitors)
            told: dict[str, None] = {}  # audit event ids already sent, oldest first
            try:
                while True:
                    with broadcast.changed:
                        if sent == broadcast.versions and not broadcast.closed:
                            broadcast.changed.wait(KEEPALIVE)
                        if broadcast.closed:
                            return
                        versions = list(broadcast.versions)
                    if versions == sent:
                        self.wfile.write(b": keep-alive\n\n")
                    for index, version in enumerate(versions):
                        if version != sent[index]:
                            current = server.monitors[index].store.state
                            data = json.dumps({"target": index, "state": state_to_json(current)})
                            self.wfile.write(f"event: state\ndata: {data}\n\n".encode())
                            for event in current.events:  # each audit event once, after the state holding it
                                if event.id not in told:
                                    told[event.id] = None
                                    line = json.dumps({"target": index, "event": event.to_dict()})
                                    self.wfile.write(f"event: audit\ndata: {line}\n\n".encode())
                            while len(told) > 4 * MAX_TOLD:  # remember the recent ids only
                                told.pop(next(iter(told)))
                    self.wfile.flush()
                    sent = versions
                    time.sleep(STREAM_EVERY)
            except OSError:
                return  # the console went away

        def _send(self, code: int, content_type: str, body: bytes) -> None:
            self.send_response(code)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            return None  # scrapes are not news: the audit log and stdout stay the monitor's

    return Handler
