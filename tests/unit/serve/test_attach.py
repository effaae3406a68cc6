"""Consoles share one collector: --serve on the collector, --attach on the console (no credentials, no polls)."""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import replace
from pathlib import Path

import httpx
import pytest
from textual.widgets import Input

from tests.conftest import run_cli, sim_settings
from tests.tui_helpers import table_ids
from tui_health.model.state import ConnectionState
from tui_health.monitor.runtime import open_monitor
from tui_health.serve.attach import Attachment
from tui_health.serve.codec import state_from_json, state_to_json
from tui_health.serve.http import CollectorServer
from tui_health.support.errors import ConfigError
from tui_health.support.users import local_user
from tui_health.tui.app import HealthApp
from tui_health.tui.screens.silence import SilenceScreen
from tui_health.tui.widgets.header import StatusHeader


async def wait_for(predicate, pilot, timeout: float = 10.0) -> None:
    for _ in range(int(timeout / 0.05)):
        if predicate():
            return
        await pilot.pause(0.05)
    raise AssertionError("condition not reached")


async def wait_until_async(predicate, timeout: float = 20.0) -> None:
    """Wait for a condition (never for a fixed time) without blocking the loop; ``timeout`` only bounds a hang."""
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "condition not reached"
        await asyncio.sleep(0.02)


async def test_an_attached_console_shows_the_collectors_components_and_silences_on_it(
    start_sim, tmp_path: Path
) -> None:
    sim = start_sim("outage")
    settings = sim_settings(sim, tmp_path, **{"alerts.enabled": False, "thresholds.flap_interval": 0})
    async with open_monitor(settings, config_path=tmp_path / "none.toml") as collector:
        server = CollectorServer([collector], serve=True, token="serve-token-1234").start()
        attachment = Attachment(server.url, "serve-token-1234")
        try:
            await collector.start()
            await collector.poll()
            app = HealthApp(await attachment.open(), autopoll=False)
            async with app.run_test(size=(140, 45)) as pilot:
                await wait_for(lambda: len(table_ids(app)) == 40, pilot)
                assert table_ids(app)[0] == "voice-telephony"  # worst first, as the collector sees it
                assert (
                    sim.state.counts["token"] == 1
                )  # the console polled nothing: only the collector logged in
                # a change on the collector reaches the console over the stream
                sim.state.overrides["chat"] = "down"
                await collector.poll()
                await wait_for(lambda: "chat" in table_ids(app)[:3], pilot)
                # a silence made here is applied by the collector, with who asked and why
                await pilot.press("s")
                assert isinstance(app.screen, SilenceScreen)
                app.screen.query_one(Input).value = "2h carrier maintenance"
                await pilot.press("enter")
                await wait_for(lambda: bool(collector.engine.silences), pilot)
                assert set(collector.engine.silences) <= {"voice-telephony", "chat"}
                [added] = [e for e in collector.recent if e.event_type == "silence_added"]
                assert added.message.endswith(f"by {local_user()} (attached console): carrier maintenance")
                await wait_for(lambda: bool(app.state.silences), pilot)
                # the collector goes away: the console says so (and keeps trying)
                server.stop()
                await wait_for(lambda: "unreachable" in app.state.connection.message, pilot)
                await pilot.pause()
                line = str(app.query_one(StatusHeader).render())  # not "poll failed": nothing polls here
                assert app.state.connection.kind == "collector_lost" and "✖ collector lost" in line, line
        finally:
            await attachment.close()
            server.stop()
            await collector.close()


async def test_an_attached_console_says_to_which_collector_even_at_80_columns(
    start_sim, tmp_path: Path
) -> None:
    """An attached console is not the monitor itself: its header says so, naming the collector (redacted), on
    screen at 80x24 — and still when the collector's own poll fails."""
    sim = start_sim("outage")
    settings = sim_settings(sim, tmp_path, **{"alerts.enabled": False})
    async with open_monitor(settings, config_path=tmp_path / "none.toml") as collector:
        server = CollectorServer([collector], serve=True, token="serve-token-1234").start()
        attachment = Attachment(server.url, "serve-token-1234")
        try:
            await collector.poll()
            app = HealthApp(await attachment.open(), autopoll=False)
            async with app.run_test(size=(80, 24)) as pilot:
                await wait_for(lambda: len(table_ids(app)) == 40, pilot)
                await pilot.pause()
                second = [strip.text for strip in app.screen._compositor.render_strips()][1]
                assert second.startswith(f" ⇄ {server.url} ") and "connected" in second, second
                # the collector's own poll fails: the header still says where this console is attached
                app.render_state(
                    replace(app.state, connection=ConnectionState("error", "statuspage: HTTP 503"))
                )
                await pilot.pause()
                second = [strip.text for strip in app.screen._compositor.render_strips()][1]
                assert second.startswith(f" ⇄ {server.url} ") and "✖ poll" in second, second
        finally:
            await attachment.close()
            server.stop()


def test_the_header_names_the_collector_without_its_secrets() -> None:
    from datetime import UTC, datetime

    from tui_health.model.state import MonitorState
    from tui_health.tui.widgets.header import header_text

    now = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    attached = header_text(
        MonitorState(region="eu"), now, 80, collector="https://alice:pw@collector:9464/x?k=1"
    )
    assert "⇄ https://collector:9464/…" in attached.plain and "pw" not in attached.plain
    assert "⇄" not in header_text(MonitorState(region="eu"), now, 80).plain  # the monitor's own console


async def test_a_collector_without_a_token_is_read_only(start_sim, tmp_path: Path) -> None:
    sim = start_sim("outage")
    settings = sim_settings(sim, tmp_path, **{"alerts.enabled": False})
    async with open_monitor(settings, config_path=tmp_path / "none.toml") as collector:
        server = CollectorServer([collector], serve=True).start()
        try:
            await collector.poll()
            async with httpx.AsyncClient(base_url=server.url) as client:
                body = {"target": collector.region, "component": "chat", "seconds": 60}
                refused = await client.post("/silences", json=body)
                assert refused.status_code == 403 and "read-only" in refused.json()["message"]
            attachment = Attachment(server.url, "whatever")
            [target] = await attachment.open()
            await attachment.send_silence(target, "chat", 60)
            assert "read-only" in target.store.state.events[-1].message and not collector.engine.silences
            await attachment.close()
        finally:
            server.stop()
    # with a token: a wrong one is 401, an unknown component 404, nonsense 400
    async with open_monitor(settings, config_path=tmp_path / "none.toml") as collector:
        server = CollectorServer([collector], serve=True, token="right").start()
        try:
            await collector.poll()
            async with httpx.AsyncClient(base_url=server.url) as client:
                ok = {"target": collector.region, "component": "chat", "seconds": 60}
                assert (
                    await client.post("/silences", json=ok, headers={"Authorization": "Bearer wrong"})
                ).status_code == 401
                auth = {"Authorization": "Bearer right"}
                assert (
                    await client.post("/silences", json={**ok, "component": "nope"}, headers=auth)
                ).status_code == 404
                assert (
                    await client.post("/silences", json={**ok, "seconds": -5}, headers=auth)
                ).status_code == 400
                assert (await client.post("/silences", content=b"{", headers=auth)).status_code == 400
                answer = await asyncio.to_thread(httpx.post, f"{server.url}/silences", json=ok, headers=auth)
                assert answer.status_code == 200 and "chat" in collector.engine.silences
        finally:
            server.stop()


def test_the_state_codec_round_trips_and_cleans_what_it_reads() -> None:
    from datetime import UTC, datetime

    from tui_health.model.domain import Status
    from tui_health.model.state import ComponentView, MonitorState

    at = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
    state = MonitorState(
        region="emea",
        components=(
            ComponentView("a", "Voice", Status.DOWN, Status.DOWN, at, at, "health-api", critical=True),
        ),
        breached=True,
        reasons=("1 down",),
        last_poll_at=at,
        availability={"a": 99.5},
        silences=(("a", at),),
        silence_notes={"a": "by alice: carrier work"},
    )
    back = state_from_json(json.loads(json.dumps(state_to_json(state))))
    assert back.components == state.components and back.breached and back.availability == {"a": 99.5}
    assert back.silences == (("a", at),) and back.silence_notes == {"a": "by alice: carrier work"}
    hostile = state_to_json(state)
    hostile["components"][0]["name"] = "Voice\x1b[2J\x07"
    hostile["components"][0]["status"] = "on fire"
    hostile["last_poll_at"] = "yesterday-ish"
    hostile["silence_notes"] = {"a": "by \x1b]0;eve\x07eve"}
    read = state_from_json(hostile)
    assert read.components[0].name == "Voice[2J" and read.components[0].status is Status.UNKNOWN
    assert read.silence_notes == {"a": "by ]0;eveeve"}
    assert read.last_poll_at is None


async def test_the_stream_sends_states_and_each_audit_event_once(start_sim, tmp_path: Path) -> None:
    """The second state's events hold the first's too: only the new ones are sent again."""
    sim = start_sim("outage")
    settings = sim_settings(sim, tmp_path, **{"alerts.enabled": False, "thresholds.flap_interval": 0})
    async with open_monitor(settings, config_path=tmp_path / "none.toml") as collector:
        server = CollectorServer([collector], serve=True).start()
        second: asyncio.Future[object] | None = None
        try:
            await collector.start()
            await collector.poll()
            kinds: list[str] = []
            ids: list[str] = []
            async with (
                asyncio.timeout(30),
                httpx.AsyncClient(base_url=server.url, timeout=10) as client,
                client.stream("GET", "/events") as response,
            ):
                assert response.headers["content-type"] == "text/event-stream"
                kind = ""
                async for line in response.aiter_lines():
                    if line.startswith("event:"):
                        kind = line[6:].strip()
                        kinds.append(kind)
                        if kind == "state" and second is None:  # a second poll: chat goes down
                            sim.state.overrides["chat"] = "down"
                            second = asyncio.ensure_future(collector.poll())
                    elif line.startswith("data:") and kind == "audit":
                        event = json.loads(line[5:])["event"]
                        ids.append(event["id"])
                        if event["component_ids"] == ["chat"]:
                            break
            assert kinds[0] == "state" and kinds.count("state") >= 2 and len(ids) >= 4
            assert len(ids) == len(set(ids))
            assert {e.id for e in collector.store.state.events} >= set(ids)
        finally:
            if second is not None:
                await second
            server.stop()


def test_attach_to_nothing_is_one_line() -> None:
    proc = run_cli("--attach", "http://127.0.0.1:9")
    assert (
        proc.returncode == 3 and "cannot reach the collector" in proc.stderr and proc.stderr.count("\n") == 1
    )
    serve_once = run_cli("--once", "--serve", "127.0.0.1:0", "--demo")
    assert serve_once.returncode == 3 and "--serve goes with --headless" in serve_once.stderr


class HostileCollector:
    """A collector that sends a good /state.json (or ``state_body``, raw), then on /events whatever the test
    scripted for each connection, and counts the connections (a console that keeps reconnecting makes more).
    A script of ``None`` hangs after the headers until the collector is stopped; a number is refused with
    that HTTP status."""

    def __init__(self, state: dict, streams: list[bytes | int | None]) -> None:
        import threading
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        self.connections = 0
        self.state_body: bytes | None = None
        self.released = threading.Event()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                return None

            def do_GET(self) -> None:
                if self.path == "/state.json":
                    body = outer.state_body or json.dumps({"targets": [state]}).encode()
                    self.send_response(200)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                    return
                if not streams:
                    self.send_error(404)
                    return
                outer.connections += 1
                script = streams[min(outer.connections, len(streams)) - 1]
                if isinstance(script, int):
                    self.send_error(script)
                    return
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.end_headers()
                self.wfile.flush()
                if script is None:  # hangs: headers, then nothing at all (until stop)
                    outer.released.wait(60)
                    return
                self.wfile.write(script)
                self.wfile.flush()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.released.set()
        self.server.shutdown()
        self.server.server_close()


def event(state, target: int = 0) -> bytes:
    return b"event: state\ndata: " + json.dumps({"target": target, "state": state}).encode() + b"\n\n"


async def test_an_attached_console_validates_and_bounds_what_a_collector_sends(monkeypatch) -> None:
    from datetime import UTC, datetime

    from tui_health.model.domain import Status
    from tui_health.model.state import ComponentView, MonitorState
    from tui_health.serve import attach

    monkeypatch.setattr(attach, "MAX_EVENT", 1024 * 1024)
    monkeypatch.setattr(attach, "RECONNECT", (0.05,))
    at = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
    good = state_to_json(
        MonitorState(
            region="emea",
            components=(ComponentView("a", "Voice", Status.DOWN, Status.DOWN, at, at, "health-api"),),
        )
    )
    wrong_shapes = [
        {**good, "components": 5},  # a number where a list belongs
        {**good, "reasons": {"a": 1}},
        {**good, "components": [{**good["components"][0], "caused_by": 7}]},
        {**good, "events": "many"},
        {**good, "interval": "soon"},
    ]
    streams: list[bytes | int | None] = [event(s) for s in wrong_shapes]
    streams.append(b"event: state\ndata: " + b"x" * (2 * 1024 * 1024))  # a line that never ends
    too_many = [{"name": str(n), "ok": True} for n in range(51)]
    streams.append(event({**good, "sources": too_many}))  # more than allowed
    newer = {**good, "components": [{**good["components"][0], "id": "b"}]}
    streams.append(event(newer))  # and then a good one: the console takes it
    collector = HostileCollector(good, streams)
    attachment = Attachment(collector.url)
    seen: list[str] = []
    try:
        [target] = await attachment.open()
        assert [c.id for c in target.store.state.components] == ["a"]
        target.store.subscribe(lambda state: seen.append(state.connection.message))
        attachment.start()
        await wait_until_async(lambda: [c.id for c in target.store.state.components] == ["b"])
        problems = [m for m in seen if "not a tui-health state" in m]
        # every bad stream was named as such, and the console kept reconnecting until a good state came
        assert len(problems) >= len(wrong_shapes) + 2, seen
        assert any("components: input should be a valid list" in m for m in problems)
        assert any("line longer than 1 MiB" in m for m in problems)
        assert any("sources: list should have at most 50 items" in m for m in problems)
        assert collector.connections >= len(streams)
    finally:
        await attachment.close()
        collector.stop()


async def test_json_nested_100000_deep_is_named_and_the_console_reconnects(monkeypatch) -> None:
    """The decoder gives up on deep nesting with RecursionError, not ValueError: the stream task must name it
    and open the stream again, never die (a dead task is a console frozen on its last state)."""
    from tui_health.serve import attach

    monkeypatch.setattr(attach, "RECONNECT", (0.05,))
    deep = b"[" * 100_000 + b"]" * 100_000
    good = {"region": "emea", "components": []}
    collector = HostileCollector(good, [b"event: state\ndata: " + deep + b"\n\n"])
    attachment = Attachment(collector.url)
    seen: list[str] = []
    try:
        [target] = await attachment.open()
        target.store.subscribe(lambda state: seen.append(state.connection.message))
        attachment.start()
        await wait_until_async(lambda: collector.connections >= 3 and len(seen) >= 3)
        assert all("JSON nested too deeply" in m and "reconnecting" in m for m in seen), seen
        assert attachment._task is not None and not attachment._task.done()  # still listening
    finally:
        await attachment.close()
        collector.stop()
    # the first answer (/state.json) nested as deep: one line, not a traceback
    hostile = HostileCollector(good, [])
    hostile.state_body = deep
    try:
        with pytest.raises(ConfigError, match="JSON nested too deeply"):
            await Attachment(hostile.url).open()
    finally:
        hostile.stop()


async def test_a_hung_collector_reads_unreachable(monkeypatch) -> None:
    import httpx as _httpx

    from tui_health.serve import attach

    collector = HostileCollector({"region": "emea", "components": []}, [None])
    monkeypatch.setattr(attach, "READ_TIMEOUT", 0.3)
    attachment = Attachment(collector.url)
    attachment.http = _httpx.AsyncClient(timeout=_httpx.Timeout(10.0, read=0.3))
    try:
        [target] = await attachment.open()
        attachment.start()
        await wait_until_async(
            lambda: "unreachable (nothing for 0.3 s)" in target.store.state.connection.message
        )
    finally:
        await attachment.close()
        collector.stop()


async def test_an_attached_console_says_silenced_only_when_the_collector_takes_it(
    start_sim, tmp_path: Path
) -> None:
    """A silence the collector refuses is never toasted as done; pause, poll-now and requeue are not offered
    (the collector polls and delivers, not this console)."""
    sim = start_sim("outage")
    settings = sim_settings(sim, tmp_path, **{"alerts.enabled": False})
    async with open_monitor(settings, config_path=tmp_path / "none.toml") as collector:
        # anyone may read (serve.public_read), only the token's holders may silence
        server = CollectorServer([collector], serve=True, token="right-token", public_read=True).start()
        attachment = Attachment(server.url, "wrong-token")
        try:
            await collector.poll()
            app = HealthApp(await attachment.open(), autopoll=False)
            async with app.run_test(size=(140, 45)) as pilot:
                await wait_for(lambda: len(table_ids(app)) == 40, pilot)
                for action in ("pause", "poll_now", "requeue"):
                    assert app.check_action(action, ()) is False
                keys = {key for key, b in app.screen.active_bindings.items() if b.binding.show and b.enabled}
                assert "p" not in keys and "r" not in keys
                await pilot.press("s")
                await pilot.press("enter")
                await wait_for(
                    lambda: any(
                        "refused" in str(n.message) or "401" in str(n.message) for n in app._notifications
                    ),
                    pilot,
                )
                toasts = [str(n.message) for n in app._notifications]
                assert not any(t.endswith(" silenced") for t in toasts), toasts
                assert not collector.engine.silences
        finally:
            await attachment.close()
            server.stop()


async def test_with_a_token_the_state_is_read_only_by_those_who_hold_it(start_sim, tmp_path: Path) -> None:
    """/state.json, /status.json and /events need the token (a missing or wrong one: 401); /metrics, /healthz and
    /readyz stay open for scrapers; serve.public_read opens the state again; an attached console sends it."""
    sim = start_sim("outage")
    settings = sim_settings(sim, tmp_path, **{"alerts.enabled": False})
    async with open_monitor(settings, config_path=tmp_path / "none.toml") as collector:
        await collector.poll()
        guarded = CollectorServer([collector], serve=True, token="read-token").start()
        public = CollectorServer([collector], serve=True, token="read-token", public_read=True).start()
        try:
            async with httpx.AsyncClient() as client:
                for path in ("/state.json", "/status.json", "/events"):
                    bare = await client.get(f"{guarded.url}{path}")
                    wrong = await client.get(f"{guarded.url}{path}", headers={"Authorization": "Bearer nope"})
                    assert bare.status_code == wrong.status_code == 401, path
                    assert bare.headers["www-authenticate"] == "Bearer"
                    if path != "/events":
                        assert (await client.get(f"{public.url}{path}")).status_code == 200, path
                auth = {"Authorization": "Bearer read-token"}
                assert (await client.get(f"{guarded.url}/status.json", headers=auth)).status_code == 200
                for path in ("/metrics", "/healthz", "/readyz"):
                    assert (await client.get(f"{guarded.url}{path}")).status_code == 200, path
            [target] = await Attachment(guarded.url, "read-token").open()  # sends it: reads the state
            assert len(target.store.state.components) == 40
            with pytest.raises(ConfigError, match="token"):
                await Attachment(guarded.url, None).open()
        finally:
            guarded.stop()
            public.stop()


async def test_metrics_listen_beyond_loopback_keeps_the_state_from_everyone_without_a_token(
    start_sim, tmp_path: Path
) -> None:
    """--metrics-listen 0.0.0.0 is how Prometheus scrapes: /metrics, /healthz and /readyz answer anyone, but the
    org's components and incidents (/status.json) need the token or serve.public_read, as --serve's state does."""
    sim = start_sim("outage")
    settings = sim_settings(sim, tmp_path, **{"alerts.enabled": False})
    async with open_monitor(settings, config_path=tmp_path / "none.toml") as collector:
        await collector.poll()
        servers = {
            "open": CollectorServer([collector], "0.0.0.0"),
            "public": CollectorServer([collector], "0.0.0.0", public_read=True),
            "token": CollectorServer([collector], "0.0.0.0", token="read-token"),
            "loopback": CollectorServer([collector], "127.0.0.1"),
        }
        try:
            async with httpx.AsyncClient() as client:
                codes = {}
                for name, server in servers.items():
                    base = f"http://127.0.0.1:{server.start().port}"
                    for path in ("/metrics", "/healthz", "/readyz"):
                        assert (await client.get(base + path)).status_code == 200, (name, path)
                    answer = await client.get(
                        base + "/status.json", headers={"Authorization": "Bearer read-token"}
                    )
                    codes[name] = answer.status_code
                    if name == "open":
                        assert "TUI_HEALTH_SERVE_TOKEN" in answer.json()["message"]
            assert codes == {"open": 403, "public": 200, "token": 200, "loopback": 200}
        finally:
            for server in servers.values():
                server.stop()


async def test_a_state_for_a_target_the_collector_did_not_list_is_refused(monkeypatch) -> None:
    from tui_health.serve import attach

    monkeypatch.setattr(attach, "RECONNECT", (0.01,))
    listed = {"region": "emea", "components": []}
    intruder = {"region": "intruder", "components": []}
    collector = HostileCollector(
        listed, [event(intruder, target=1), event(intruder, target=-1), event({**listed, "interval": 42})]
    )
    attachment = Attachment(collector.url)
    regions: list[str] = []
    said: list[str] = []
    try:
        [target] = await attachment.open()
        target.store.subscribe(
            lambda state: (regions.append(state.region), said.append(state.connection.message))
        )
        attachment.start()
        await wait_until_async(lambda: target.store.state.interval == 42)
    finally:
        await attachment.close()
        collector.stop()
    assert "intruder" not in regions
    assert any("a state of target 1, which it did not list" in m for m in said), said
    assert any("a state of target -1, which it did not list" in m for m in said), said


def big_state(components: int) -> dict:
    from datetime import UTC, datetime

    from tui_health.model.domain import Status
    from tui_health.model.state import ComponentView, MonitorState

    at = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
    views = tuple(
        ComponentView(f"c{n}", f"C{n}", Status.HEALTHY, Status.HEALTHY, at, at, "health-api")
        for n in range(components)
    )
    return state_to_json(MonitorState(region="emea", components=views))


async def test_a_state_larger_than_the_bound_is_refused_at_open(monkeypatch) -> None:
    from tui_health.serve import attach

    monkeypatch.setattr(attach, "MAX_EVENT", 1024 * 1024)
    collector = HostileCollector({}, [])
    collector.state_body = json.dumps({"targets": [big_state(8000)]}).encode()  # a valid state of ~2 MiB
    try:
        with pytest.raises(ConfigError, match="its state is larger than 1 MiB"):
            await Attachment(collector.url).open()
    finally:
        collector.stop()


async def test_a_state_event_larger_than_the_bound_is_refused_however_it_is_split(monkeypatch) -> None:
    """A state sent as many short ``data:`` lines adds up to one event: bounded as a whole, not per line."""
    from tui_health.serve import attach

    monkeypatch.setattr(attach, "MAX_EVENT", 1024 * 1024)
    monkeypatch.setattr(attach, "RECONNECT", (0.01,))
    data = json.dumps({"target": 0, "state": big_state(8000)}, separators=(",", ":")).encode()
    lines = b"".join(b"data:" + data[i : i + 16384] + b"\n" for i in range(0, len(data), 16384))
    collector = HostileCollector({"region": "emea", "components": []}, [b"event: state\n" + lines + b"\n"])
    attachment = Attachment(collector.url)
    said: list[str] = []
    try:
        [target] = await attachment.open()
        target.store.subscribe(lambda state: said.append(state.connection.message))
        attachment.start()
        await wait_until_async(lambda: collector.connections >= 2 and len(said) >= 2)
        assert target.store.state.components == ()  # the big state was never taken
    finally:
        await attachment.close()
        collector.stop()
    assert all("an event larger than 1 MiB" in m for m in said), said


async def test_the_reconnect_backoff_starts_over_after_a_good_stream(monkeypatch) -> None:
    from tui_health.serve import attach

    monkeypatch.setattr(attach, "RECONNECT", (0.01, 0.02, 0.03, 0.04))
    good = {"region": "emea", "components": []}
    collector = HostileCollector(good, [503, 503, 503, event(good)])  # refused three times, then a stream
    attachment = Attachment(collector.url)
    said: list[str] = []
    try:
        [target] = await attachment.open()
        target.store.subscribe(lambda state: said.append(state.connection.message))
        attachment.start()
        await wait_until_async(lambda: sum("closed the stream" in m for m in said) >= 2)
    finally:
        await attachment.close()
        collector.stop()
    waits = [m.rsplit("reconnecting in ", 1)[1] for m in said if "reconnecting in " in m]
    assert waits[:5] == ["0.01 s", "0.02 s", "0.03 s", "0.01 s", "0.01 s"], said


async def test_a_collector_watching_no_target_is_refused() -> None:
    collector = HostileCollector({}, [])
    collector.state_body = b'{"targets": []}'
    try:
        with pytest.raises(ConfigError, match="watches no target"):
            await Attachment(collector.url).open()
    finally:
        collector.stop()
