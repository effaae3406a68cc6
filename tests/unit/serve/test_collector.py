"""The collector's server: who may change state, and that no client can hold what the monitor needs."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from tests.conftest import run_cli, sim_settings
from tui_health.monitor.runtime import open_monitor
from tui_health.serve.bounded import BoundedServer, Limits, Request, Response, Stream
from tui_health.serve.exposure import check_exposure
from tui_health.serve.http import CollectorServer
from tui_health.support.errors import ConfigError

TOKEN = "serve-token-abcdef123456"


async def test_a_state_change_needs_the_bearer_token_in_its_header(start_sim, tmp_path: Path) -> None:
    sim = start_sim("outage")
    settings = sim_settings(sim, tmp_path, **{"alerts.enabled": False})
    async with open_monitor(settings, config_path=tmp_path / "none.toml") as collector:
        server = CollectorServer([collector], serve=True, token=TOKEN).start()
        try:
            await collector.poll()
            body = {"target": collector.region, "component": "chat", "seconds": 60}
            refused = {
                "no Authorization header": {},
                "another scheme": {"Authorization": f"Basic {TOKEN}"},
                "the token without a scheme": {"Authorization": TOKEN},
                "an empty token": {"Authorization": "Bearer"},
                "a wrong token": {"Authorization": f"Bearer {TOKEN}x"},
                "a prefix of the token": {"Authorization": f"Bearer {TOKEN[:-1]}"},
                "the token in another header": {"X-Token": TOKEN},
            }
            async with httpx.AsyncClient(base_url=server.url) as client:
                for why, headers in refused.items():
                    answer = await client.post("/silences", json=body, headers=headers)
                    assert answer.status_code == 401, why
                    assert TOKEN not in answer.text and answer.headers["WWW-Authenticate"] == "Bearer"
                for query in (f"token={TOKEN}", f"access_token={TOKEN}"):
                    answer = await client.post(f"/silences?{query}", json=body)
                    assert answer.status_code == 401, query
                assert collector.engine.silences == {}  # none of them changed anything
                answer = await client.post(
                    "/silences", json=body, headers={"Authorization": f"bearer {TOKEN}"}
                )
                assert answer.status_code == 200  # the scheme is case-insensitive (RFC 9110)
                assert "chat" in collector.engine.silences
        finally:
            server.stop()


async def test_a_silence_through_the_collector_lasts_30_days_at_most(start_sim, tmp_path: Path) -> None:
    sim = start_sim("outage")
    settings = sim_settings(sim, tmp_path, **{"alerts.enabled": False})
    async with open_monitor(settings, config_path=tmp_path / "none.toml") as collector:
        server = CollectorServer([collector], serve=True, token=TOKEN).start()
        try:
            await collector.poll()
            auth = {"Authorization": f"Bearer {TOKEN}"}
            async with httpx.AsyncClient(base_url=server.url, headers=auth) as client:
                for seconds, status in ((30 * 86400 + 1, 400), (0, 400), (30 * 86400, 200)):
                    body = {"target": collector.region, "component": "chat", "seconds": seconds}
                    assert (await client.post("/silences", json=body)).status_code == status, seconds
            assert list(collector.engine.silences) == ["chat"]
        finally:
            server.stop()


GATE = threading.Event()
"""Holds every ``/gate`` request until set (each test that uses it sets it before it ends)."""


async def answer_of(request: Request) -> Response | Stream:
    if request.path == "/stream":

        async def run(send) -> None:
            while True:
                await send(b"x" * 65536)

        return Stream("text/event-stream", run)
    if request.path == "/calm":  # a console's stream: one event, then quiet until the server ends it

        async def calm(send) -> None:
            await send(b"data: hello\n\n")
            await asyncio.Event().wait()

        return Stream("text/event-stream", calm)
    if request.path == "/gate":
        await asyncio.to_thread(GATE.wait, 60)
    return Response(200, "text/plain", f"{request.method} {request.path} {len(request.body)}".encode())


@contextmanager
def bounded(**limits: float) -> Iterator[BoundedServer]:
    server = BoundedServer(answer_of, limits=Limits(**limits)).start()  # type: ignore[arg-type]
    try:
        yield server
    finally:
        GATE.set()
        server.stop()


def connect(server: BoundedServer, source: str = "127.0.0.1") -> socket.socket:
    sock = socket.create_connection((server.host, server.port), timeout=10, source_address=(source, 0))
    return sock


def closed_by_server(sock: socket.socket, within: float) -> bool:
    """Whether the server closes ``sock`` (without a word) within ``within`` seconds."""
    sock.settimeout(within)
    try:
        return sock.recv(1) == b""
    except TimeoutError:
        return False
    except ConnectionResetError:
        return True


def get(server: BoundedServer, path: str = "/x", source: str = "127.0.0.1") -> bytes:
    with connect(server, source) as sock:
        sock.sendall(f"GET {path} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
        return data


def wait_for(predicate, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "condition not reached"
        time.sleep(0.02)


def test_a_client_that_sends_nothing_is_closed_after_the_head_timeout() -> None:
    with bounded(head_timeout=0.3) as server:
        idle = connect(server)
        assert closed_by_server(idle, within=10)
        idle.close()
        slow = connect(server)  # a request line, then nothing more: the same limit holds for the whole head
        slow.sendall(b"GET /x HTTP/1.1\r\n")
        assert closed_by_server(slow, within=10)
        slow.close()
        assert get(server).startswith(b"HTTP/1.1 200")


def answered(sock: socket.socket) -> bytes:
    """What the server answers on ``sock`` (until it closes it), within a bound."""
    sock.settimeout(10)
    data = b""
    while chunk := sock.recv(65536):
        data += chunk
    return data


def test_one_address_may_use_every_idle_slot_while_no_other_waits() -> None:
    """Twelve requests at once from one address, four slots, a cap of two per address: four are answered
    together, eight wait their turn unread, and every one of them is answered — none is refused."""
    GATE.clear()
    with bounded(connections=4, per_client=2) as server, ThreadPoolExecutor(12) as pool:
        answers = [pool.submit(get, server, "/gate", "127.0.0.2") for _ in range(12)]
        wait_for(lambda: server.open_connections == 4 and server.waiting == 8)
        assert server.slots.held("127.0.0.2") == 4  # beyond its cap of 2: nobody else waits
        GATE.set()
        assert [a.result(timeout=30)[:12] for a in answers] == [b"HTTP/1.1 200"] * 12
        assert server.refused["busy"] == 0


def test_while_another_address_waits_the_per_address_cap_holds() -> None:
    """One address holds every slot with connections that send nothing (for a minute of head timeout); another
    address is still served at once: the first gives back a slot it holds beyond its cap, with a 503 and
    Retry-After. With both at their cap, a newcomer waits for the next slot that frees."""
    with bounded(connections=4, per_client=2, head_timeout=60) as server:
        crowd = [connect(server, "127.0.0.2") for _ in range(4)]
        wait_for(lambda: server.open_connections == 4)
        assert get(server, "/x", "127.0.0.1").startswith(b"HTTP/1.1 200")  # not after the minute
        busy = answered(crowd.pop())  # the newest of the crowd gave its slot up
        assert busy.startswith(b"HTTP/1.1 503") and b"\r\nRetry-After: 1\r\n" in busy
        assert server.refused["yielded"] == 1
        # the other address holds slots too (idle ones): the crowd is cut down to its cap, no further
        mine = [connect(server, "127.0.0.1") for _ in range(2)]
        wait_for(lambda: server.slots.held("127.0.0.1") == 2 and server.slots.held("127.0.0.2") == 2)
        assert answered(crowd.pop()).startswith(b"HTTP/1.1 503")
        late = connect(server, "127.0.0.1")  # both at their cap: it waits, and nobody is cut for it
        wait_for(lambda: server.waiting == 1)
        assert server.refused["yielded"] == 2 and server.slots.held("127.0.0.2") == 2
        crowd.pop().close()  # a slot frees: the waiter has it
        wait_for(lambda: server.waiting == 0 and server.slots.held("127.0.0.1") == 3)
        for sock in [*crowd, *mine, late]:
            sock.close()


def test_a_full_waiting_room_turns_away_the_address_with_the_most_waiting() -> None:
    with bounded(connections=2, per_client=1, waiting=2, head_timeout=60) as server:
        held = [connect(server, "127.0.0.2") for _ in range(2)]
        wait_for(lambda: server.open_connections == 2)
        queued = [connect(server, "127.0.0.2") for _ in range(2)]
        wait_for(lambda: server.waiting == 2)
        extra = connect(server, "127.0.0.2")  # the room is full, of its own address: refused at once
        refused = answered(extra)
        assert refused.startswith(b"HTTP/1.1 503") and b"\r\nRetry-After: 1\r\n" in refused
        # another address: the newest waiter of the fullest address makes room, and it is served
        assert get(server, "/x", "127.0.0.1").startswith(b"HTTP/1.1 200")
        assert answered(queued[-1]).startswith(b"HTTP/1.1 503")
        assert server.refused["busy"] == 2
        for sock in [*held, *queued, extra]:
            sock.close()


def test_a_waiter_is_told_busy_after_the_wait_timeout() -> None:
    with bounded(connections=1, head_timeout=60, wait_timeout=0.3) as server:
        held = connect(server, "127.0.0.2")
        wait_for(lambda: server.open_connections == 1)
        waiter = connect(server, "127.0.0.2")
        waiter.sendall(b"GET /x HTTP/1.1\r\n\r\n")
        busy = answered(waiter)  # well before the minute the slot's holder may keep it
        assert busy.startswith(b"HTTP/1.1 503") and b"\r\nRetry-After: 1\r\n" in busy
        assert server.waiting == 0
        held.close()
        waiter.close()


def test_while_every_slot_is_taken_newcomers_wait_unread_and_are_served_after() -> None:
    with bounded(connections=2, per_client=10, head_timeout=60) as server:
        held = [connect(server, "127.0.0.2") for _ in range(2)]
        wait_for(lambda: server.open_connections == 2)
        waiting = connect(server)
        waiting.sendall(b"GET /late HTTP/1.1\r\n\r\n")
        wait_for(lambda: server.waiting == 1)
        waiting.settimeout(0.5)
        with pytest.raises(TimeoutError):
            waiting.recv(1)  # no slot: not read yet
        assert server.open_connections == 2
        held[0].close()  # a slot frees: the waiting request is answered
        waiting.settimeout(10)
        assert waiting.recv(65536).startswith(b"HTTP/1.1 200")
        waiting.close()
        held[1].close()


def test_heads_and_bodies_are_bounded() -> None:
    with bounded(max_head=1024, max_body=16, body_timeout=0.3) as server:
        with connect(server) as sock:
            sock.sendall(b"GET /x HTTP/1.1\r\nX-Big: " + b"a" * 4096 + b"\r\n\r\n")
            assert sock.recv(65536).startswith(b"HTTP/1.1 431")
        with connect(server) as sock:
            sock.sendall(b"POST /x HTTP/1.1\r\nContent-Length: 17\r\n\r\n" + b"a" * 17)
            assert sock.recv(65536).startswith(b"HTTP/1.1 413")
        with connect(server) as sock:  # a body announced and never sent: closed after the body timeout
            sock.sendall(b"POST /x HTTP/1.1\r\nContent-Length: 10\r\n\r\nabc")
            assert closed_by_server(sock, within=10)
        with connect(server) as sock:
            sock.sendall(b"POST /x HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc")
            assert sock.recv(65536).split(b"\r\n\r\n", 1)[1] == b"POST /x 3"


def test_a_body_of_exactly_max_body_is_taken_and_one_byte_more_is_refused() -> None:
    with bounded(max_body=16) as server:
        for size, status in ((16, b"HTTP/1.1 200"), (17, b"HTTP/1.1 413")):
            with connect(server) as sock:
                sock.sendall(b"POST /x HTTP/1.1\r\nContent-Length: %d\r\n\r\n" % size + b"a" * size)
                assert sock.recv(65536).startswith(status), size


def test_a_body_without_content_length_is_refused_with_411() -> None:
    """A chunked body is never read: the length of what a client sends is known before any of it is read."""
    with bounded() as server, connect(server) as sock:
        sock.sendall(b"POST /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n")
        assert sock.recv(65536).startswith(b"HTTP/1.1 411")


@pytest.mark.parametrize("length", ["\u00b2", "-1", "1e3", " "])
def test_a_content_length_that_is_not_ascii_digits_is_a_bad_request(length: str) -> None:
    """ "²" is a digit to str.isdigit() and not to int(): the connection's task died and nothing was answered."""
    with bounded() as server, connect(server) as sock:
        sock.sendall(f"POST /x HTTP/1.1\r\nContent-Length: {length}\r\n\r\n".encode("latin-1"))  # as read
        assert sock.recv(65536).startswith(b"HTTP/1.1 400")
    with bounded() as server, connect(server) as sock:  # and the server goes on answering
        sock.sendall(b"POST /x HTTP/1.1\r\nContent-Length: 0\r\n\r\n")
        assert not sock.recv(65536).startswith(b"HTTP/1.1 400")


async def test_reload_on_a_collector_without_a_token_is_forbidden() -> None:
    """Without TUI_HEALTH_SERVE_TOKEN nobody may reload (403, whatever bearer is sent): a reload changes where
    alerts go."""
    calls: list[int] = []
    server = CollectorServer([], reload=lambda: calls.append(1) or []).start()
    try:
        async with httpx.AsyncClient(base_url=server.url) as client:
            for headers in ({}, {"Authorization": "Bearer anything"}):
                answer = await client.post("/-/reload", headers=headers)
                assert answer.status_code == 403, headers
        assert calls == []
    finally:
        server.stop()


def test_streams_are_capped_and_a_reader_that_stops_reading_is_dropped() -> None:
    with bounded(streams=2, streams_per_client=2, stream_stall=0.5) as server:
        readers = []
        for _ in range(2):
            sock = connect(server)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            sock.sendall(b"GET /stream HTTP/1.1\r\n\r\n")
            readers.append(sock)
        wait_for(lambda: server.open_streams == 2)
        refused = get(server, "/stream")  # a third stream is refused, and told when to come back
        assert refused.startswith(b"HTTP/1.1 503") and b"\r\nRetry-After: 10\r\n" in refused
        # the two readers never read: each is dropped once its buffer stays full for the stall time
        wait_for(lambda: server.open_streams == 0)
        assert get(server, "/x").startswith(b"HTTP/1.1 200")
        for sock in readers:
            sock.close()


def open_stream(server: BoundedServer, source: str, path: str = "/calm") -> socket.socket:
    sock = connect(server, source)
    sock.sendall(f"GET {path} HTTP/1.1\r\n\r\n".encode())
    sock.settimeout(10)
    seen = b""
    while b"\r\n\r\n" not in seen or (path == "/calm" and not seen.endswith(b"data: hello\n\n")):
        chunk = sock.recv(65536)
        assert chunk, seen
        seen += chunk
    assert seen.startswith(b"HTTP/1.1 200")
    return sock


def test_one_address_may_open_every_stream_place_until_another_address_needs_one() -> None:
    """Consoles behind one NAT use the free places; once all are taken, a console from another address takes the
    newest stream of the address over its share (that console reconnects), and one more from the address at
    its share is refused with Retry-After."""
    with bounded(streams=3, streams_per_client=1) as server:
        office = [
            open_stream(server, "127.0.0.2") for _ in range(3)
        ]  # beyond its share of 1: places are free
        wait_for(lambda: server.open_streams == 3)
        other = open_stream(server, "127.0.0.1")
        assert answered(office[-1]) == b""  # closed: it gave its place up
        wait_for(lambda: server.open_streams == 3 and server.places.held("127.0.0.2") == 2)
        assert server.refused["stream_yielded"] == 1
        again = get(server, "/calm", "127.0.0.1")  # the other address has its share, and places are all taken
        assert again.startswith(b"HTTP/1.1 503") and b"\r\nRetry-After: 10\r\n" in again
        for sock in [*office, other]:
            sock.close()


def test_the_collector_takes_its_caps_from_the_settings(tmp_path: Path) -> None:
    from tui_health.serve import serving
    from tui_health.settings.config import load_settings

    config = tmp_path / "config.toml"
    config.write_text("[serve]\nmax_clients = 7\nmax_streams = 2\nstreams_per_address = 1\n")
    settings = load_settings(path=config, env={})
    with serving([], None, ("127.0.0.1", 0), settings.serve) as [collector]:
        limits = collector.http.limits
        assert (limits.connections, limits.streams, limits.streams_per_client) == (7, 2, 1)
        assert limits.per_client == 1  # a quarter of the slots, at least one
        consoles = [open_stream(collector.http, "127.0.0.1", "/events") for _ in range(2)]  # places are free
        refused = get(collector.http, "/events")  # both places taken, and this address has its share
        assert refused.startswith(b"HTTP/1.1 503") and b"\r\nRetry-After: 10\r\n" in refused
        for sock in consoles:
            sock.close()


async def test_the_collector_names_stale_targets_in_healthz(start_sim, tmp_path: Path) -> None:
    from tui_health.support.clock import FakeClock

    sim = start_sim("steady")
    clock = FakeClock()
    settings = sim_settings(sim, tmp_path, **{"alerts.enabled": False, "poll.interval": 10.0})
    async with open_monitor(settings, config_path=tmp_path / "none.toml", clock=clock) as monitor:
        server = CollectorServer([monitor]).start()
        try:
            await monitor.start()
            await monitor.poll()
            async with httpx.AsyncClient(base_url=server.url) as client:
                fresh = await client.get("/healthz")
                assert fresh.status_code == 200 and fresh.json()["stale"] == []
                assert fresh.json()["targets"][0]["last_poll_at"].endswith("Z")
                clock.advance(10 * 60)  # no poll for ten minutes
                stale = await client.get("/healthz")
                assert stale.status_code == 503 and stale.json()["stale"] == [monitor.region]
                assert "no poll for 600 s" in stale.json()["targets"][0]["reason"]
        finally:
            server.stop()


def test_many_idle_clients_never_starve_the_monitor(start_sim, tmp_path: Path) -> None:
    """1,100 idle connections to --serve under a 1,024-descriptor limit: polls, the audit log and alerts go on,
    and a scrape from another address is still answered."""
    import json
    import resource
    import subprocess
    import sys

    from tests.conftest import CLIENT_ID, SECRET

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and hard < 2200:
        pytest.skip("the test process needs 2,200 descriptors of its own")
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, 2200), hard))
    sim = start_sim("steady")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = tmp_path / "config.toml"
    config.write_text(
        f'[state]\ndir = "{tmp_path}"\n[audit]\npath = "{tmp_path / "audit.jsonl"}"\n'
        "[thresholds]\nflap_interval = 0\n[poll]\nmin_gap = 0\ninterval = 0.2\n"
        f'[[alerts.sinks]]\ntype = "webhook"\nurl = "{sim.url}/hooks/starve"\n'
    )
    env = {
        "GENESYSCLOUD_OAUTHCLIENT_ID": CLIENT_ID,
        "GENESYSCLOUD_OAUTHCLIENT_SECRET": SECRET,
        "TUI_HEALTH_CONFIG": str(config),
        "HOME": str(tmp_path),
        "PATH": "/usr/bin:/bin",
    }

    def limit_fds() -> None:  # as on most machines: 1,024, and no raising it
        resource.setrlimit(resource.RLIMIT_NOFILE, (1024, 1024))

    proc = subprocess.Popen(
        [sys.executable, "-m", "tui_health", "--headless", "--api-url", sim.url, "--login-url", sim.url,
         "--serve", f"127.0.0.1:{port}"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, preexec_fn=limit_fds,
    )  # fmt: skip
    idle: list[socket.socket] = []
    try:
        wait_for(lambda: sim.state.counts["health"] >= 2, timeout=60)
        for _ in range(1100):
            try:
                idle.append(socket.create_connection(("127.0.0.1", port), 10, ("127.0.0.2", 0)))
            except OSError:
                break  # the backlog is full: the kernel refuses, which costs the collector nothing
        sim.drop_connections()  # every later poll and delivery needs new descriptors
        polls = sim.state.counts["health"]
        sim.state.overrides["chat"] = "down"
        wait_for(lambda: any(h["path"] == "/hooks/starve" for h in sim.state.webhooks), timeout=60)
        wait_for(lambda: sim.state.counts["health"] >= polls + 5, timeout=60)  # polls go on
        started = time.monotonic()
        answer = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=30)  # another address is answered
        assert answer.status_code == 200 and time.monotonic() - started < 10
    finally:
        for sock in idle:
            sock.close()
        proc.terminate()
        out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    assert "Too many open files" not in out + err
    kinds = [json.loads(line)["event_type"] for line in out.splitlines()]
    assert "alert_delivered" in kinds and "storage_failed" not in kinds and "poll_failed" not in kinds
    assert len(idle) >= 500  # the connections were really made (the backlog holds the rest)


def test_serving_the_state_beyond_this_host_without_a_token_is_refused_before_anything_runs() -> None:
    """``--serve`` on an address other hosts reach, with no token and no ``serve.public_read``: one line naming
    the ways out, exit 3, nothing bound and nothing polled (no audit line on stdout)."""
    for address in ("0.0.0.0:0", "[::]:0"):
        refused = run_cli("--headless", "--demo", "--max-polls", "1", "--serve", address)
        assert refused.returncode == 3, refused.stderr
        assert "TUI_HEALTH_SERVE_TOKEN" in refused.stderr and "serve.public_read = true" in refused.stderr
        assert refused.stderr.count("\n") == 1 and "Traceback" not in refused.stderr and refused.stdout == ""
    # on loopback only this host reads: served as before, no token needed
    local = run_cli("--headless", "--demo", "--max-polls", "1", "--serve", "127.0.0.1:0")
    assert local.returncode == 0 and "the live state on http://127.0.0.1:" in local.stderr, local.stderr


def test_who_may_read_follows_the_address_the_token_and_public_read() -> None:
    for host in ("127.0.0.1", "127.0.0.53", "::1", "localhost"):
        assert check_exposure((host, 9464), token=None, public_read=False) is None
    for host in ("0.0.0.0", "::", "10.1.2.3", "collector.example"):
        with pytest.raises(ConfigError, match="TUI_HEALTH_SERVE_TOKEN"):
            check_exposure((host, 9464), token=None, public_read=False)
        assert check_exposure((host, 9464), token="t0k", public_read=False) is None  # reading needs the token
        opened = check_exposure(
            (host, 9464), token=None, public_read=True
        )  # open on purpose: said, not refused
        assert opened is not None and "anyone" in opened and "nobody can silence" in opened
    assert (
        check_exposure(None, token=None, public_read=False) is None
    )  # --metrics-listen alone: not the state
