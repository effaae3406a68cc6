"""The collector's HTTP endpoints, on a thread of their own (a scrape never waits for a poll, nor a poll for a
scrape): ``/metrics`` (Prometheus text or OpenMetrics, as the scraper asks), ``/healthz`` and ``/status.json``.

Bound to 127.0.0.1 unless told otherwise. Each request reads the monitors' latest immutable states; nothing a
client sends is used beyond the path and the Accept header.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Sequence
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any

from prometheus_client.exposition import choose_encoder

from tui_health.errors import ConfigError
from tui_health.output import render_json
from tui_health.report import report_of
from tui_health.serve.metrics import Exporter

if TYPE_CHECKING:
    from tui_health.monitor import Monitor

STALE_AFTER = 3
"""``/healthz`` says 503 once a target's last poll is older than this many poll intervals."""


def parse_listen(text: str) -> tuple[str, int]:
    """``9464``, ``:9464``, ``0.0.0.0:9464`` or ``[::1]:9464`` → (host, port); the host defaults to 127.0.0.1."""
    host, _, port = text.strip().rpartition(":")
    host = host.strip("[]") or "127.0.0.1"
    if not port.isdigit() or not 0 <= int(port) <= 65535:
        raise ConfigError(
            f"--metrics-listen {text!r} is not HOST:PORT", hint="e.g. 127.0.0.1:9464 (port 0-65535)"
        )
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
    documents = []
    for monitor in monitors:
        state = monitor.store.state
        events = [e for e in state.events if state.last_poll_at and e.timestamp >= state.last_poll_at]
        rule = monitor.engine.config.rule
        documents.append(
            render_json(report_of(state, events, min_down=rule.min_down, min_degraded=rule.min_degraded))
        )
    if len(documents) == 1:
        return documents[0]
    return '{"targets": [\n' + ",\n".join(documents) + "\n]}"


class CollectorServer:
    """Serves the endpoints for ``monitors`` until :meth:`stop`."""

    def __init__(self, monitors: Sequence[Monitor], host: str = "127.0.0.1", port: int = 0) -> None:
        self.monitors = list(monitors)
        self.exporter = Exporter(self.monitors)
        self.host, self.port = host, port
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def start(self) -> CollectorServer:
        handler = _handler(self)
        try:
            self._server = ThreadingHTTPServer((self.host, self.port), handler)
        except OSError as exc:
            raise ConfigError(
                f"cannot listen on {self.host}:{self.port}: {exc.strerror or exc}",
                hint="pick another --metrics-listen port, or stop what holds this one",
            ) from None
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, name="collector-http", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        for monitor in self.monitors:
            if self.exporter in monitor.observers:
                monitor.observers.remove(self.exporter)

    def now(self) -> datetime:
        return self.monitors[0].now()


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
            else:
                self._send(404, "text/plain; charset=utf-8", b"not found: /metrics, /healthz, /status.json\n")

        def do_POST(self) -> None:
            self._send(405, "text/plain; charset=utf-8", b"read-only: GET /metrics, /healthz, /status.json\n")

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
