"""`tui-health silence … --attach URL` against a collector that misbehaves: it drips, it sends without end, it
sends escape sequences. The command ends within its deadline, reads a bounded body, and prints nothing that
drives the terminal; `silence list --attach` says who silenced what, why, and until when."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from tests.conftest import run_cli
from tui_health.support import zone

Script = Callable[[BaseHTTPRequestHandler, threading.Event], None]

TERMINAL_CONTROLS = ("\x1b", "\x07", "\x9b", "\x9d", "\\u001b", "\\u0007", "\\u009b", "\\u009d")
"""ESC, BEL, CSI and OSC, raw or as JSON escapes (a `jq -r` would turn those back into the raw ones)."""


class Hostile:
    """A tiny HTTP server on 127.0.0.1 that runs ``get`` for GET /state.json and ``post`` for POST /silences;
    ``released`` is set at the end of the test (a script that waits on it ends then)."""

    def __init__(self, get: Script, post: Script | None = None) -> None:
        self.released = threading.Event()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                return None

            def do_GET(self) -> None:
                get(self, outer.released)

            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if post is None:
                    self.send_error(405)
                else:
                    post(self, outer.released)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@contextmanager
def hostile(get: Script, post: Script | None = None) -> Iterator[Hostile]:
    server = Hostile(get, post)
    try:
        yield server
    finally:
        server.released.set()
        server.server.shutdown()
        server.server.server_close()


def answer(handler: BaseHTTPRequestHandler, status: int, body: bytes) -> None:
    handler.send_response(status)
    handler.send_header("Content-Type", "application/json")
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    handler.wfile.write(body)


def one_line(stderr: str) -> str:
    assert stderr.count("\n") == 1 and "Traceback" not in stderr, stderr
    return stderr


def test_a_collector_that_drips_is_given_up_at_the_deadline() -> None:
    """A byte every 50 ms never trips a per-read timeout: only a deadline on the whole exchange ends it."""

    def drip(handler: BaseHTTPRequestHandler, released: threading.Event) -> None:
        handler.send_response(200)
        handler.send_header("Content-Length", str(10**9))
        handler.end_headers()
        try:
            while not released.wait(0.05):  # the drip's pace (its hostility), not a test's timeline
                handler.wfile.write(b" ")
                handler.wfile.flush()
        except OSError:
            return  # the client gave up: what this test wants

    with hostile(drip) as server:
        proc = run_cli("silence", "list", "--attach", server.url, "--deadline", "0.5", timeout=30)
    assert proc.returncode == 3
    assert "did not finish answering within 0.5 s" in one_line(proc.stderr)


def test_a_body_without_end_is_read_up_to_the_bound_and_said() -> None:
    sent = 0

    def endless(handler: BaseHTTPRequestHandler, released: threading.Event) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", "application/json")
        handler.end_headers()  # no Content-Length: the body ends when the connection does, which it never does
        block = b" " * 2**20
        nonlocal sent
        try:
            while not released.is_set():
                handler.wfile.write(block)
                sent += len(block)
        except OSError:
            return

    with hostile(endless) as server:
        proc = run_cli("silence", "list", "--attach", server.url, timeout=60)
    assert proc.returncode == 3
    assert "sent more than 64 MiB for GET /state.json: not read further" in one_line(proc.stderr)
    assert sent < 100 * 2**20  # it stopped reading at the bound (plus what the sockets' buffers held)


def hostile_state() -> bytes:
    cid = "voice\x1b[2J"
    state = {
        "region": "\x1b]0;owned\x07emea",
        "components": [
            {
                "id": cid,
                "name": "\x9b31mVoice\x1b[0m",
                "status": "down",
                "observed": "down",
                "since": "2026-11-26T08:00:00Z",
                "last_modified": None,
                "source": "health-api\x1b[2J",
            }
        ],
        "silences": [[cid, "2026-11-26T09:00:00Z"]],
        "silence_notes": {cid: "by \x1b]2;mallory\x07eve: \x07carrier\x1b[H work"},
    }
    return json.dumps({"targets": [state]}).encode()


def test_nothing_a_collector_sends_reaches_the_terminal_as_a_control_sequence() -> None:
    def state(handler: BaseHTTPRequestHandler, released: threading.Event) -> None:
        answer(handler, 200, hostile_state())

    def took(handler: BaseHTTPRequestHandler, released: threading.Event) -> None:
        answer(handler, 200, json.dumps({"ok": True, "message": "\x1b]0;pwned\x07silenced\x1b[2J"}).encode())

    def refused(handler: BaseHTTPRequestHandler, released: threading.Event) -> None:
        answer(handler, 409, json.dumps({"ok": False, "message": "no\x1b[2J\x9b1;1H \x07way"}).encode())

    outputs = []
    with hostile(state, took) as server:
        for fmt in ("human", "json"):
            listed = run_cli("silence", "list", "--attach", server.url, "--format", fmt)
            assert listed.returncode == 0, listed.stderr
            outputs.append(listed.stdout)
        until = zone.date_time(datetime(2026, 11, 26, 9, tzinfo=UTC))  # in the one clock
        assert f"voice[2J until {until}" in outputs[0]  # shown, only inert
        added = run_cli(
            "silence", "add", "--match", "*", "--duration", "1h", "--reason", "r", "--attach", server.url
        )
        assert added.returncode == 0, added.stderr
        assert "silenced" in added.stdout
        outputs.append(added.stdout)
    with hostile(state, refused) as server:
        rejected = run_cli(
            "silence", "add", "--match", "*", "--duration", "1h", "--reason", "r", "--attach", server.url
        )
        assert rejected.returncode == 3 and "no[2J1;1H way" in one_line(rejected.stderr)
        outputs.append(rejected.stderr)
    for text in outputs:
        assert not [c for c in TERMINAL_CONTROLS if c in text], text
