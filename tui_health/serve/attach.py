"""``--attach URL``: the console on a remote collector (``--headless --serve``): the same views, no Genesys
credentials on this machine and no API quota used — the collector polls, this console only listens.

One Server-Sent Events stream from the collector feeds a :class:`RemoteTarget` per target. When the collector
goes away the console says so (each target's connection shows the reason, the data goes stale as it ages) and
the stream is opened again, after 1, 2, 4 … 10 s. Silences made here are sent to the collector with the bearer
token from ``TUI_HEALTH_SERVE_TOKEN``; a collector without a token is read-only and says so.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from dataclasses import replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import httpx

from tui_health.model.domain import AuditEvent, EventType, Severity
from tui_health.model.state import ConnectionState, MonitorState, StatePublisher
from tui_health.model.watched import Passive
from tui_health.serve.codec import state_from_json
from tui_health.support.errors import ConfigError
from tui_health.support.redact import redact_url
from tui_health.support.text import clean

if TYPE_CHECKING:
    from tui_health.model.component_history import ComponentTimeline

MAX_EVENT = 64 * 1024 * 1024
"""The largest document or stream event accepted (a state of 100,000 components is ~30 MB); a collector that
sends more (or a line that never ends) is cut off, never buffered on."""
READ_TIMEOUT = 30.0
"""Seconds of silence after which a collector counts as hung: it sends a comment every 10 s."""
RECONNECT = (1.0, 2.0, 4.0, 8.0, 10.0)
TOO_DEEP = "JSON nested too deeply to be a state"
MAX_TARGETS = 200


class CollectorError(Exception):
    """The collector answered, but not with what a tui-health collector sends (shown, then reconnected)."""


class Attachment:
    def __init__(self, url: str, token: str | None = None) -> None:
        self.url = url.rstrip("/")
        self.token = token or None
        self.targets: list[RemoteTarget] = []
        self.http = httpx.AsyncClient(timeout=httpx.Timeout(10.0, read=READ_TIMEOUT))
        self._task: asyncio.Task[None] | None = None
        self._sending: set[asyncio.Task[None]] = set()

    async def open(self) -> list[RemoteTarget]:
        """The collector's targets as it sees them now; a ConfigError (one line) when it cannot be reached or
        is not a tui-health collector with ``--serve``."""
        where = redact_url(self.url)
        try:
            async with self.http.stream(
                "GET", f"{self.url}/state.json", headers=self._auth(), timeout=10.0
            ) as response:
                if response.status_code == 401:
                    raise ConfigError(
                        f"{where} keeps its state for those who hold its token",
                        hint="set TUI_HEALTH_SERVE_TOKEN to the collector's token",
                    )
                if response.status_code != 200:
                    raise ConfigError(
                        f"{where} answered HTTP {response.status_code} for /state.json",
                        hint="is it a tui-health collector started with --serve?",
                    )
                body = bytearray()
                async for chunk in response.aiter_raw():
                    body += chunk
                    if len(body) > MAX_EVENT:
                        raise CollectorError(f"its state is larger than {MAX_EVENT // 2**20} MiB")
        except httpx.HTTPError as exc:
            raise ConfigError(
                f"cannot reach the collector at {where}: {exc.__class__.__name__}",
                hint="start it with --headless --serve HOST:PORT, and check the URL",
            ) from None
        except CollectorError as exc:
            raise ConfigError(
                f"{where} did not send a tui-health state: {exc}", hint="check the URL"
            ) from None
        try:
            document = json.loads(body)
            targets = document["targets"] if isinstance(document, dict) else None
            if not isinstance(targets, list):
                raise ValueError("no targets list")
            states = [state_from_json(s) for s in targets[:MAX_TARGETS]]
        except RecursionError:
            raise ConfigError(
                f"{where} did not send a tui-health state ({TOO_DEEP})", hint="check the URL"
            ) from None
        except (ValueError, KeyError, TypeError) as exc:
            reason = clean(str(exc), 300)
            raise ConfigError(
                f"{where} did not send a tui-health state ({reason})", hint="check the URL"
            ) from None
        if not states:
            raise ConfigError(f"the collector at {where} watches no target")
        self.targets = [RemoteTarget(self, state) for state in states]
        return self.targets

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.ensure_future(self._listen())

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self.http.aclose()

    async def _listen(self) -> None:
        """Read the stream; on any trouble say what it was, wait (1, 2, 4 … 10 s) and open it again."""
        attempt = 0
        while True:
            try:
                async with self.http.stream("GET", f"{self.url}/events", headers=self._auth()) as response:
                    if response.status_code != 200:
                        raise ConnectionError(f"HTTP {response.status_code}")
                    attempt = 0
                    await self._read(response)
                raise ConnectionError("the collector closed the stream")
            except (httpx.HTTPError, ConnectionError, CollectorError) as exc:
                wait = RECONNECT[min(attempt, len(RECONNECT) - 1)]
                attempt += 1
                where = redact_url(self.url)
                if isinstance(exc, CollectorError):
                    problem = (
                        f"collector {where} sent what is not a tui-health state ({clean(str(exc), 300)})"
                    )
                elif isinstance(exc, httpx.TimeoutException):
                    problem = f"collector {where} unreachable (nothing for {READ_TIMEOUT:g} s)"
                else:
                    problem = (
                        f"collector {where} unreachable ({clean(str(exc) or exc.__class__.__name__, 200)})"
                    )
                for target in self.targets:
                    target.lost(f"{problem}; reconnecting in {wait:g} s")
                await asyncio.sleep(wait)

    async def _read(self, response: httpx.Response) -> None:
        """Split the stream into events by hand, bounded: a line that never ends is not buffered beyond
        MAX_EVENT (httpx's line iterator would keep it all)."""
        kind, data = "", bytearray()
        pending = bytearray()
        async for chunk in response.aiter_raw():
            pending += chunk
            while (end := pending.find(b"\n")) >= 0:
                line = bytes(pending[:end]).rstrip(b"\r")
                del pending[: end + 1]
                if line.startswith(b"event:"):
                    kind = line[6:].strip().decode("utf-8", "replace")
                elif line.startswith(b"data:"):
                    data += line[5:].strip()
                elif not line:
                    if kind == "state" and data:
                        self._state(bytes(data))
                    kind, data = "", bytearray()
                if len(data) > MAX_EVENT:
                    raise CollectorError(f"an event larger than {MAX_EVENT // 2**20} MiB")
            if len(pending) > MAX_EVENT:
                raise CollectorError(f"a line longer than {MAX_EVENT // 2**20} MiB")

    def _state(self, data: bytes) -> None:
        """Publish one target's state; what is not one raises CollectorError (the stream is opened again)."""
        try:
            message = json.loads(data)
        except RecursionError:  # the decoder stops at the interpreter's depth limit: said, never a dead task
            raise CollectorError(TOO_DEEP) from None
        except ValueError:
            raise CollectorError("an event that is not JSON") from None
        if not isinstance(message, dict) or not isinstance(message.get("target"), int):
            raise CollectorError("an event without its target")
        index = message["target"]
        if not 0 <= index < len(self.targets):
            raise CollectorError(f"a state of target {index}, which it did not list")
        try:
            state = state_from_json(message.get("state"))
        except ValueError as exc:
            raise CollectorError(str(exc)) from None
        self.targets[index].store.publish(state)

    def _auth(self) -> dict[str, str]:
        """The bearer token, on every request: the collector may keep its state for those who hold it."""
        return {"Authorization": f"Bearer {self.token}"} if self.token else {}

    def post_silence(self, target: RemoteTarget, cid: str, seconds: float | None, reason: str = "") -> None:
        task = asyncio.ensure_future(self.send_silence(target, cid, seconds, reason))
        self._sending.add(task)
        task.add_done_callback(self._sending.discard)

    async def send_silence(
        self, target: RemoteTarget, cid: str, seconds: float | None, reason: str = ""
    ) -> None:
        """POST the silence (``seconds`` None: lift it) with who asked and why; what went wrong is shown as an
        event in the console."""
        from tui_health.support.users import local_user

        body: dict[str, Any] = {
            "target": target.region,
            "component": cid,
            "by": local_user(),
            "reason": reason,
        }
        body.update({"lift": True} if seconds is None else {"seconds": seconds})
        try:
            response = await self.http.post(
                f"{self.url}/silences", json=body, headers=self._auth(), timeout=10.0
            )
            answer = (
                response.json()
                if response.headers.get("content-type", "").startswith("application/json")
                else {}
            )
            message = clean(str(answer.get("message") or f"HTTP {response.status_code}"), 300)
            ok = response.status_code == 200
        except (httpx.HTTPError, ValueError) as exc:
            ok, message = False, f"the collector could not be reached ({exc.__class__.__name__})"
        what = "lifting the silence of" if seconds is None else "silencing"
        target.note(
            f"{what} {cid}: done by the collector ({message})"
            if ok
            else f"{what} {cid}: refused by the collector ({message})",
            ok,
        )


CONSOLE = "this console"
"""The source of the events an attached console makes itself (the collector's answer to its silences)."""


class RemoteTarget(Passive):
    confirms_later = True  # the collector decides: "silenced" is said when it says so
    """One of the collector's targets, as the console watches it (the collector polls)."""

    def __init__(self, attachment: Attachment, state: MonitorState) -> None:
        self.attachment = attachment
        self.store = StatePublisher(state)
        self.interval = state.interval
        self.collector = redact_url(
            attachment.url
        )  # the console names it (credentials, path and query masked)

    @property
    def region(self) -> str:
        return self.store.state.region

    def now(self) -> datetime:
        return datetime.now(UTC)

    def audit_tail(self, count: int) -> list[AuditEvent]:
        return list(self.store.state.events)[-count:]

    def timeline(self, cid: str) -> ComponentTimeline | None:
        return None  # the history lives with the collector

    async def start(self) -> None:
        self.attachment.start()

    def silence(self, cid: str, seconds: float, *, reason: str = "") -> None:
        self.attachment.post_silence(self, cid, seconds, reason)

    def unsilence(self, cid: str) -> None:
        self.attachment.post_silence(self, cid, None)

    def lost(self, message: str) -> None:
        state = self.store.state
        self.store.publish(replace(state, connection=ConnectionState("collector_lost", message)))

    def note(self, message: str, ok: bool) -> None:
        """An event of this console's own (a silence sent, or refused), shown in its audit pane."""
        event = AuditEvent(
            timestamp=self.now(),
            event_type=EventType.SILENCE_ADDED if ok else EventType.SILENCE_REFUSED,
            message=message,
            severity=Severity.INFO if ok else Severity.WARNING,
            source=CONSOLE,
        )
        state = self.store.state
        self.store.publish(replace(state, events=(*state.events, event)))
