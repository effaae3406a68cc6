"""Benchmark: the live console as a person meets it — a real process in a real pseudo-terminal.

The simulator runs in its own process (50 ms latency); ``tui-health`` is started in a pty of 160x50 (TERM
xterm-256color, a fresh home) and everything it draws is read from the terminal's side. Measured, wall time:

  first table   from starting the process to the first component row drawn on the terminal (imports, settings,
                the first poll of every page, the first paint: what the person waits for)
  keys          a key written to the terminal to the text it changes drawn on the terminal: filters (3 0 2 0),
                presets (f f f), critical (c c), search (/ x, Escape), last and first row (G g). A lone
                Escape is only known for one after the terminal's escape delay (Textual's ESCDELAY, 100 ms,
                which tells it from the start of an escape sequence): that delay is printed apart
  idle CPU      the console's CPU between polls, over --idle seconds, as a share of one core (from /proc)

Goals: at 10,000 components first table <= 1.5 s, every key <= 100 ms, idle CPU <= 2 %; at 100,000 components
first table <= 5 s, every key <= 200 ms.
Usage: python benchmarks/bench_console_pty.py [--components 10000] [--idle 20]
"""

from __future__ import annotations

import argparse
import fcntl
import os
import struct
import subprocess
import sys
import tempfile
import termios
import threading
import time

from common import CREDENTIALS, cpu_seconds, simulator

from tui_health.simulator.names import component_names

COLUMNS, LINES = 160, 50
KEYS = [  # (what is pressed, the bytes a terminal sends, text the key makes the console draw)
    ("3 (down only)", b"3", b"status: down only"),
    ("0 (all)", b"0", b"status: all"),
    ("2 (degraded)", b"2", b"status: degraded"),
    ("0 (all)", b"0", b"status: all"),
    ("f (problems)", b"f", b"status: problems"),
    ("f (down only)", b"f", b"status: down only"),
    ("f (all)", b"f", b"status: all"),
    ("c (critical only)", b"c", b"critical only"),
    ("c (all)", b"c", b"status: all"),
    ("/ (search opens)", b"/", b"earch name or id"),  # the cursor sits on its first letter
    ("x (typed in the search)", b"x", b"search: 'x'"),
    ("Escape (clear search)", b"\x1b", b"status: all"),  # a lone ESC waits out the terminal's ESCDELAY
    ("G (last row)", b"G", b"LAST"),
    ("g (first row)", b"g", b"FIRST"),
]


class Terminal:
    """A process in a pty; what it writes is collected with the time it arrived."""

    def __init__(self, argv: list[str], env: dict[str, str]) -> None:
        self.master, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", LINES, COLUMNS, 0, 0))
        self.started = time.perf_counter()
        self.proc = subprocess.Popen(
            argv, stdin=slave, stdout=slave, stderr=slave, env=env, start_new_session=True, close_fds=True
        )
        os.close(slave)
        self.output = bytearray()
        self.lock = threading.Condition()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        while True:
            try:
                chunk = os.read(self.master, 65536)
            except OSError:
                return
            if not chunk:
                return
            with self.lock:
                self.output += chunk
                self.lock.notify_all()

    def mark(self) -> int:
        with self.lock:
            return len(self.output)

    def wait_for(self, text: bytes, since: int, timeout: float) -> float | None:
        """perf_counter time when ``text`` first appeared in the output after offset ``since``."""
        deadline = time.perf_counter() + timeout
        with self.lock:
            while self.output.find(text, since) < 0:
                left = deadline - time.perf_counter()
                if left <= 0:
                    return None
                self.lock.wait(min(left, 0.005))
            return time.perf_counter()

    def press(self, keys: bytes) -> None:
        os.write(self.master, keys)

    def close(self) -> None:
        self.press(b"q")
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        os.close(self.master)


def measure(components: int, idle: float) -> dict[str, object]:
    names = sorted((name for _, name in component_names(components)), key=str.casefold)
    first_name, last_name = names[0].encode(), names[-1].encode()
    page = 500 if components > 20_000 else 100
    with simulator(components, latency_ms=50) as url, tempfile.TemporaryDirectory() as home:
        config = os.path.join(home, "config.toml")
        with open(config, "w") as fh:  # one poll of 100,000 is 201 requests: a budget that allows it
            fh.write(f"[poll]\npage_size = {page}\nrequest_budget = 300\ninterval = 120\n")
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("TUI_HEALTH_", "XDG_"))},
            **CREDENTIALS,
            "HOME": home,
            "TERM": "xterm-256color",
            "TUI_HEALTH_CONFIG": config,
        }
        argv = [sys.executable, "-m", "tui_health", "--api-url", url, "--login-url", url]
        term = Terminal(argv, env)
        try:
            shown = term.wait_for(first_name, 0, 120)
            if shown is None:
                raise SystemExit(f"no table within 120 s: {bytes(term.output[-400:])!r}")
            first_table = shown - term.started
            time.sleep(1.0)  # the first paint settles (the audit pane, the latency panel)
            keys: dict[str, float | None] = {}
            for label, sent, expect in KEYS:
                expect = {b"LAST": last_name, b"FIRST": first_name}.get(expect, expect)
                since = term.mark()
                pressed = time.perf_counter()
                term.press(sent)
                drawn = term.wait_for(expect, since, 10)
                keys[label] = None if drawn is None else drawn - pressed
                time.sleep(0.3)
            cpu_before, wall_before = cpu_seconds(term.proc.pid), time.perf_counter()
            time.sleep(idle)
            cpu = (cpu_seconds(term.proc.pid) - cpu_before) / (time.perf_counter() - wall_before)
        finally:
            term.close()
    return {"first table": first_table, "keys": keys, "idle CPU": cpu}


def first_poll_alone(components: int) -> float:
    """Wall time of a first poll with no console at all (this process): what a first table cannot beat."""
    import asyncio
    from pathlib import Path

    from bench_poll import settings_for

    from tui_health.monitor.runtime import open_monitors

    async def once(url: str) -> float:
        with tempfile.TemporaryDirectory() as directory:
            settings = settings_for(url, Path(directory), 500 if components > 20_000 else 100)
            async with open_monitors(settings, config_path=Path(directory) / "none.toml") as monitors:
                await monitors[0].start()
                started = time.perf_counter()
                await monitors[0].poll()
                took = time.perf_counter() - started
                await monitors[0].close()
        return took

    with simulator(components, latency_ms=50) as url:
        return asyncio.run(once(url))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--components", type=int, default=10_000)
    parser.add_argument("--idle", type=float, default=20)
    args = parser.parse_args()
    found = measure(args.components, args.idle)
    print(f"console in a pty, {args.components:,} components:")
    print(f"  first table from process start  {found['first table'] * 1000:.0f} ms")  # type: ignore[operator]
    for label, took in found["keys"].items():  # type: ignore[attr-defined]
        print(f"  key {label:<24} {'not drawn' if took is None else f'{took * 1000:.0f} ms'}")
    print(f"  CPU between polls               {found['idle CPU'] * 100:.1f} % of a core")  # type: ignore[operator]


if __name__ == "__main__":
    main()
