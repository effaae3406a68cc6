"""A hostile network (issue: trustworthy on a bad night): each fault over real HTTP against the simulator."""

from __future__ import annotations

import contextlib
import io
import json
import time
from typing import Any

import pytest

from tests.conftest import SECRET, run_cli, sim_settings
from tui_health.genesys.ratelimit import HostGate, RequestBudget
from tui_health.genesys.transport import origin_of
from tui_health.modes.once import run_once
from tui_health.monitor.runtime import open_monitor
from tui_health.simulator import SimulatorServer
from tui_health.support.clock import FakeClock

CREDS = {"GENESYSCLOUD_OAUTHCLIENT_ID": "test-client", "GENESYSCLOUD_OAUTHCLIENT_SECRET": SECRET}


async def once_json(sim: SimulatorServer, tmp_path, **flags: Any) -> tuple[int, dict[str, Any], str]:
    """``--once --format json`` in-process: exit code, document, stderr."""
    out, err = io.StringIO(), io.StringIO()
    settings = sim_settings(sim, tmp_path, **{"alerts.enabled": False, **flags})
    code = await run_once(settings, config_path=tmp_path / "none.toml", fmt="json", out=out, err=err)
    return code, json.loads(out.getvalue()), err.getvalue()


def failed_sources(doc: dict[str, Any]) -> dict[str, str]:
    return {s["name"]: s.get("error", "") for s in doc["sources"] if not s["ok"]}


def health_requests(sim: SimulatorServer) -> int:
    return sum(1 for _, path, _ in sim.state.log if path.startswith("/api/v2/health/details"))


# -- 1. a poll ends at its deadline, whatever the server does ----------------------------------------------


@pytest.mark.parametrize("fault", ["drip", "hang"])
def test_once_ends_at_its_deadline_when_the_server_drips_or_hangs(start_sim, fault):
    sim = start_sim("steady", faults=[{"kind": fault, "arg": "1" if fault == "drip" else None}])
    args = ("--once", "--api-url", sim.url, "--login-url", sim.url, "--timeout", "2", "--deadline", "5")
    proc = run_cli(*args, "--format", "json", env=CREDS, timeout=30)  # a hang fails the test here
    assert proc.returncode == 3, proc.stderr
    doc = json.loads(proc.stdout)
    assert doc["overall"] == "unknown"
    error = failed_sources(doc)["health-api"]
    assert "within 2 s" in error or "deadline" in error, error
    assert "Traceback" not in proc.stderr


async def test_each_attempt_is_bounded_as_a_whole_not_per_byte(start_sim, tmp_path):
    """httpx's read timeout restarts with every byte; the attempt's own timeout does not."""
    sim = start_sim("steady", faults=[{"kind": "drip", "arg": "0.3", "target": "statuspage"}])
    code, doc, _ = await once_json(
        sim,
        tmp_path,
        **{
            "poll.sources": ["statuspage"],
            "statuspage.url": sim.url,
            "poll.timeout": 1.0,
            "poll.max_attempts": 2,
        },
    )
    assert code == 3
    assert "did not finish answering within 1 s" in failed_sources(doc)["statuspage"]


async def test_a_reset_connection_fails_the_poll_with_a_clear_line(start_sim, tmp_path):
    sim = start_sim("steady", faults=[{"kind": "reset"}])
    code, doc, _ = await once_json(sim, tmp_path, **{"poll.max_attempts": 2})
    assert code == 3
    error = failed_sources(doc)["health-api"]
    # a reset after the request was sent: the host broke off (whether the kernel says "reset" or the client
    # sees a close without an answer), never mistaken for a refused connection or a timeout
    assert (
        f"{sim.url} broke off the exchange: " in error
        and "the host or a proxy dropped the connection" in error
    )


# -- 2. the server's paging is not trusted -----------------------------------------------------------------


async def test_a_page_count_of_a_billion_is_refused_after_one_request(start_sim, tmp_path):
    sim = start_sim("steady", faults=[{"kind": "page-count-lie"}])
    code, doc, _ = await once_json(sim, tmp_path)
    assert code == 3
    error = failed_sources(doc)["health-api"]
    assert "1,000,000,000 pages" in error and "poll.max_pages" in error
    assert health_requests(sim) == 1
    assert [e["event_type"] for e in doc["events"]].count("poll_failed") == 1


@pytest.mark.parametrize(
    ("page", "needle"),
    [
        ({"pageCount": 3, "total": 10, "pageSize": 25}, "inconsistent: pageCount 3 but total 10"),
        ({"pageCount": -1}, "negative"),
        ({"pageCount": 201}, "more than poll.max_pages (200)"),
    ],
)
def test_paging_claims_are_checked(page, needle):
    from tui_health.genesys.client import HealthClient, HealthQuery
    from tui_health.genesys.wire import HealthPage
    from tui_health.support.errors import ApiError

    client = HealthClient(None, HealthQuery(), max_pages=200)  # type: ignore[arg-type]
    with pytest.raises(ApiError, match=needle.replace("(", r"\(").replace(")", r"\)")):
        client._checked_page_count(HealthPage.model_validate({"entities": [], **page}), "cid")


@pytest.mark.parametrize(("arg", "needle"), [(None, "repeats itself"), ("endless", "past 5 pages")])
async def test_next_uri_loops_and_endless_chains_end(start_sim, tmp_path, arg, needle):
    sim = start_sim("steady", components=60, faults=[{"kind": "next-uri-loop", "arg": arg}])
    code, doc, _ = await once_json(sim, tmp_path, **{"poll.page_size": 25, "poll.max_pages": 5})
    assert code == 3
    assert needle in failed_sources(doc)["health-api"]
    assert health_requests(sim) <= 5


# -- 3. the bearer token never leaves its host -------------------------------------------------------------


async def test_a_foreign_next_uri_is_refused_and_the_foreign_host_hears_nothing(start_sim, tmp_path):
    foreign = start_sim("steady")
    sim = start_sim("steady", components=60, faults=[{"kind": "next-uri-foreign-host", "arg": foreign.url}])
    code, doc, _ = await once_json(sim, tmp_path, **{"poll.page_size": 25})
    assert code == 3
    error = failed_sources(doc)["health-api"]
    assert "refused nextUri" in error and foreign.url in error and "configured API host only" in error
    assert foreign.state.log == []


async def test_a_redirect_is_never_followed(start_sim, tmp_path):
    foreign = start_sim("steady")
    sim = start_sim("steady", faults=[{"kind": "redirect", "arg": f"{foreign.url}/api/v2/health/details"}])
    code, doc, _ = await once_json(sim, tmp_path)
    assert code == 3
    assert (
        "HTTP 302" in failed_sources(doc)["health-api"]
        and "never followed" in failed_sources(doc)["health-api"]
    )
    assert foreign.state.log == []


def test_same_origin_means_scheme_host_and_port():
    assert origin_of("https://api.example.com/x") == origin_of("https://API.example.com:443/y")
    assert origin_of("https://api.example.com") != origin_of("http://api.example.com")  # no downgrade
    assert origin_of("https://api.example.com") != origin_of("https://api.example.com:8443")
    assert origin_of("https://api.example.com") != origin_of("https://api.example.com.evil.net")


# -- 4. hostile bodies cannot crash it ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fault", "needle"),
    [("deep-json", "nested too deeply"), ("nan", "NaN is not JSON")],
)
@pytest.mark.parametrize("fmt", ["json", "table", "nagios"])
def test_hostile_bodies_are_a_clear_failure_in_every_format(start_sim, fault, needle, fmt):
    sim = start_sim("steady", faults=[{"kind": fault}])
    proc = run_cli("--once", "--api-url", sim.url, "--login-url", sim.url, "--format", fmt, env=CREDS)
    assert proc.returncode == 3, proc.stderr
    assert "Traceback" not in proc.stderr and "internal error" not in proc.stderr
    assert needle in proc.stderr + proc.stdout
    if fmt == "json":
        assert json.loads(proc.stdout)["overall"] == "unknown"
    if fmt == "nagios":
        assert proc.stdout.startswith("HEALTH UNKNOWN") and proc.stdout.count("\n") == 1


@pytest.mark.parametrize("fmt", ["json", "table", "nagios"])
def test_out_of_range_timestamps_are_validation_errors_not_crashes(start_sim, fmt):
    sim = start_sim("steady", components=10, faults=[{"kind": "bad-timestamp"}])
    proc = run_cli("--once", "--api-url", sim.url, "--login-url", sim.url, "--format", fmt, env=CREDS)
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr and "internal error" not in proc.stderr
    if fmt == "json":
        doc = json.loads(proc.stdout)
        assert all(c["last_modified"] is None for c in doc["components"])
        messages = [e["message"] for e in doc["events"] if e["event_type"] == "schema_validation_error"]
        assert len(messages) == 10 and any("0001-01-01T00:00:00+14:00" in m for m in messages)


async def test_a_duplicate_id_keeps_the_problem_and_says_which_won(start_sim, tmp_path):
    sim = start_sim("steady", components=60, faults=[{"kind": "duplicate-ids"}])
    code, doc, _ = await once_json(sim, tmp_path, **{"poll.page_size": 25})
    first = sim.state.components[0][0]
    status = {c["id"]: c["status"] for c in doc["components"]}
    assert status[first] == "down"  # healthy on page 1, down on page 3: the problem is not hidden
    [note] = [e["message"] for e in doc["events"] if "duplicate id" in e["message"]]
    assert "pages 1 and 3" in note and "kept down from page 3" in note
    assert code == 2


def test_headless_survives_hostile_bodies(start_sim):
    sim = start_sim("steady", faults=[{"kind": "deep-json", "on": [1]}, {"kind": "bad-timestamp", "on": [2]}])
    proc = run_cli(
        "--headless", "--api-url", sim.url, "--login-url", sim.url, "--interval", "0.05",
        "--max-polls", "3", "--no-alerts", env={**CREDS}, extra_config="[poll]\nmin_gap = 0\n",
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    kinds = [json.loads(line)["event_type"] for line in proc.stdout.splitlines()]
    assert "poll_failed" in kinds and "schema_validation_error" in kinds
    assert "Traceback" not in proc.stderr


# -- 5. request budget, Retry-After across polls, a minimum gap --------------------------------------------


def test_the_budget_is_a_sliding_window_from_when_each_request_ended():
    now = [0.0]
    budget = RequestBudget(3, 60, monotonic=lambda: now[0])
    slots = []
    for _ in range(3):
        assert budget.wait_for_slot() == 0
        slots.append(budget.take())
    assert budget.wait_for_slot() == 1.0  # all three still in flight: look again shortly
    now[0] = 5
    budget.done(slots[0])  # answered at 5 s: the server saw it somewhere before that
    assert budget.wait_for_slot() == 60
    now[0] = 30
    budget.done(slots[1])
    budget.done(slots[2])
    assert budget.wait_for_slot() == 35
    now[0] = 65.5
    assert budget.wait_for_slot() == 0 and budget.used() == 2
    now[0] = 90.5
    assert budget.used() == 0


def test_retry_after_is_bounded_and_kept_per_host():
    now = [0.0]
    gate = HostGate(monotonic=lambda: now[0])
    gate.block("https://api.a", 1e9)
    assert gate.remaining("https://api.a") == 3600 and gate.remaining("https://api.b") == 0
    now[0] = 3600
    assert gate.remaining("https://api.a") == 0


def test_a_shorter_retry_after_never_shortens_a_longer_block():
    clock = FakeClock()
    gate = HostGate(monotonic=clock.monotonic)
    gate.block("https://api.a", 600)
    clock.advance(10)
    gate.block("https://api.a", 5)  # a later answer asks for less: the hour-long promise still holds
    assert gate.remaining("https://api.a") == 590
    gate.block("https://api.a", 900)  # and a longer one extends it
    assert gate.remaining("https://api.a") == 900


async def test_the_request_budget_is_never_exceeded(start_sim, tmp_path):
    sim = start_sim("steady", components=1000)
    code, doc, _ = await once_json(
        sim, tmp_path, **{"poll.request_budget": 5, "poll.page_size": 100, "poll.deadline": 3}
    )
    assert code == 3
    error = failed_sources(doc)["health-api"]
    assert "request budget of 5 requests/minute" in error
    assert len(sim.state.log) <= 5  # never more than the budget; the rest of the eleven were never asked


async def test_retry_after_is_honoured_across_polls(start_sim, tmp_path):
    sim = start_sim("steady", faults=[{"kind": "retry-after", "arg": "3600", "on": [1]}])
    settings = sim_settings(sim, tmp_path, **{"alerts.enabled": False, "poll.min_gap": 0})
    async with open_monitor(settings, config_path=tmp_path / "none.toml", stateless=True) as monitor:
        first = await monitor.poll()
        asked = health_requests(sim)
        second = await monitor.poll()
    assert asked == 1 and health_requests(sim) == 1  # the second poll did not ask at all
    for state in (first, second):
        assert state.connection.kind == "rate_limited" and state.connection.until is not None
    assert "no request before then" in second.connection.message
    lifts = (second.connection.until - first.last_poll_at).total_seconds()  # type: ignore[operator]
    assert 3500 < lifts <= 3601
    from tui_health.tui.format import clock_time
    from tui_health.tui.widgets.header import header_text

    shown = header_text(second, second.last_poll_at).plain  # type: ignore[arg-type]
    assert f"rate-limited until {clock_time(second.connection.until)}" in shown


async def test_a_poll_never_starts_sooner_than_the_minimum_gap(start_sim, tmp_path):
    sim = start_sim("steady")
    settings = sim_settings(sim, tmp_path, **{"alerts.enabled": False, "poll.min_gap": 0.4})
    async with open_monitor(settings, config_path=tmp_path / "none.toml", stateless=True) as monitor:
        await monitor.poll()
        finished = time.monotonic()
        await monitor.poll()
    pages = [t for t in monitor.last_snapshot.timings if t.label == "page 1"]  # type: ignore[union-attr]
    assert pages and time.monotonic() - finished >= 0.4


# -- 6. the monitor's own trouble is not Genesys' outage ---------------------------------------------------


@pytest.mark.parametrize(
    "login_url", ["http://login.nonexistent.invalid", "http://127.0.0.1:9"], ids=["dns", "refused"]
)
def test_probe_says_unknown_when_we_cannot_reach_the_login_host(start_sim, login_url):
    sim = start_sim("steady")
    proc = run_cli(
        "--once", "--source", "api-probe", "--api-url", sim.url, "--login-url", login_url,
        "--format", "json", "--webhook", f"{sim.url}/hooks/page", env=CREDS,
    )  # fmt: skip
    assert proc.returncode == 3, proc.stderr
    doc = json.loads(proc.stdout)
    [probe] = doc["components"]
    assert (
        probe["status"] == "unknown"
        and "not measured: no token from the login host" in probe["details"]["note"]
    )
    assert not [e for e in doc["events"] if e["event_type"] == "component_health_change"]
    assert sim.state.webhooks == []  # nothing paged


def test_probe_says_unknown_when_the_api_host_cannot_be_resolved(start_sim):
    sim = start_sim("steady")
    proc = run_cli(
        "--once", "--source", "api-probe", "--api-url", "http://api.nonexistent.invalid",
        "--login-url", sim.url, "--format", "json", env=CREDS,
    )  # fmt: skip
    assert proc.returncode == 3
    [probe] = json.loads(proc.stdout)["components"]
    assert probe["status"] == "unknown" and "cannot resolve" in probe["details"]["note"]


async def test_an_unmeasured_probe_does_not_resolve_an_open_alert(start_sim, tmp_path):
    """The API was down (paged); then our own network failed: receivers are not told it recovered."""
    login = start_sim("steady")
    sim = start_sim("steady", faults=[{"kind": "error_json", "on": [1], "target": "probe"}])
    sim.state.tokens = login.state.tokens  # one org: the API accepts what the login host issued
    clock = FakeClock()
    settings = sim_settings(
        sim,
        tmp_path,
        **{
            "poll.sources": ["api-probe"],
            "thresholds.flap_interval": 0,
            "poll.min_gap": 0,
            "genesys.login_url": login.url,
        },
    )
    async with open_monitor(settings, config_path=tmp_path / "none.toml", clock=clock) as monitor:
        first = await monitor.poll()
        assert first.components[0].status.value == "down"
        sim.stop()  # our way to the API is gone
        second = await monitor.poll()
    assert second.components[0].status.value == "unknown"
    assert monitor.engine.open_problems() == {"platform-api-probe": first.components[0].status}


async def test_a_poll_that_waited_for_the_budget_says_so(start_sim, tmp_path):
    from tui_health.report.status import report_of
    from tui_health.tui.widgets.header import header_text

    sim = start_sim("steady", components=250)
    settings = sim_settings(
        sim, tmp_path, **{"alerts.enabled": False, "poll.request_budget": 3, "poll.page_size": 100}
    )
    async with open_monitor(settings, config_path=tmp_path / "none.toml", stateless=True) as monitor:
        assert monitor.budget is not None
        monitor.budget.window = 0.5  # a short window, so the test waits half a second, not a minute
        state = await monitor.poll()
    assert state.connection.kind == "ok" and len(state.components) == 250
    assert state.budget is not None and state.budget.waited_s > 0.2
    doc = report_of(state, []).to_json()
    assert doc["request_budget"]["limit_per_minute"] == 3 and doc["request_budget"]["waited_s"] > 0.2
    assert "request budget full (3/min)" in header_text(state, state.last_poll_at).plain  # type: ignore[arg-type]


async def test_the_console_survives_hostile_bodies(start_sim, tmp_path):
    """Bad timestamps, then JSON nested 100,000 deep, then duplicates: the console keeps running and says why."""
    from tui_health.tui.app import HealthApp
    from tui_health.tui.widgets.header import StatusHeader

    sim = start_sim(
        "steady",
        components=60,
        faults=[
            {"kind": "bad-timestamp", "on": [1, 2, 3]},
            {"kind": "deep-json", "on": [4]},
            {"kind": "duplicate-ids", "on": [5, 6, 7]},
        ],
    )
    settings = sim_settings(
        sim, tmp_path, **{"alerts.enabled": False, "poll.page_size": 25, "poll.min_gap": 0}
    )
    async with open_monitor(settings, config_path=tmp_path / "none.toml") as monitor:
        app = HealthApp(monitor, autopoll=False, tick=0)
        async with app.run_test(size=(120, 40)) as pilot:
            await monitor.poll()
            await pilot.pause()
            assert all(c.last_modified is None for c in app.state.components)
            await monitor.poll()
            await pilot.pause()
            assert "nested too deeply" in str(app.query_one(StatusHeader).render())
            await monitor.poll()
            await pilot.pause()
            first = sim.state.components[0][0]
            assert {c.id: c.observed.value for c in app.state.components}[first] == "down"
            assert app.is_running


async def test_the_interval_follows_what_the_request_budget_affords(start_sim, tmp_path):
    """250 components in pages of 100 and a token: 4 requests a poll. With a budget of 7/min the next poll
    would wait, and 7/min affords one such poll every 35 s: the monitor polls every 35 s instead of 15 and says
    so once; STALE follows that interval."""
    sim = start_sim("steady", components=250)
    settings = sim_settings(
        sim, tmp_path, **{"alerts.enabled": False, "poll.request_budget": 7, "poll.page_size": 100}
    )
    async with open_monitor(settings, config_path=tmp_path / "none.toml", stateless=True) as monitor:
        state = await monitor.poll()
        requests = len(monitor.last_snapshot.timings)
        assert requests == 4
        assert monitor.interval == 35.0 and state.interval == 35.0  # ceil(4 * 60 / 7)
        [paced] = [e for e in state.events if e.event_type == "rate_limit_low"]
        assert "affords one every 35 s: polling every 35 s instead of 15 s" in paced.message
        again = await monitor.poll()  # the token is cached: 3 requests, ceil(3 * 60 / 7) = 26 s
        assert monitor.interval == 26.0
        assert sum(1 for e in again.events if e.event_type == "rate_limit_low") == 2


async def test_cheap_polls_keep_the_configured_interval(start_sim, tmp_path):
    """Two requests a poll against 200/min: the budget never binds, so nothing is paced (a fast interval in a
    small org stays fast)."""
    sim = start_sim("steady")
    settings = sim_settings(sim, tmp_path, **{"alerts.enabled": False, "poll.interval": 1.0})
    async with open_monitor(settings, config_path=tmp_path / "none.toml", stateless=True) as monitor:
        state = await monitor.poll()
        assert monitor.interval == 1.0 and not [e for e in state.events if e.event_type == "rate_limit_low"]


async def test_the_paced_interval_never_drops_below_the_configured_one(start_sim, tmp_path):
    """The budget binds (4 requests a poll, 7/min) but affords a poll every 35 s: a configured 60 s stays."""
    sim = start_sim("steady", components=250)
    flags = {"alerts.enabled": False, "poll.request_budget": 7, "poll.page_size": 100, "poll.interval": 60}
    settings = sim_settings(sim, tmp_path, **flags)
    async with open_monitor(settings, config_path=tmp_path / "none.toml", stateless=True) as monitor:
        state = await monitor.poll()
        assert len(monitor.last_snapshot.timings) == 4  # type: ignore[union-attr]
        assert monitor.interval == 60.0 and not [e for e in state.events if e.event_type == "rate_limit_low"]


async def test_a_failed_poll_does_not_pace_the_interval_again(start_sim, tmp_path):
    """A poll that failed after one request says nothing of what a poll costs: the paced 35 s stays."""
    sim = start_sim("steady", components=250, faults=[{"kind": "forbidden", "on": [4]}])  # 2nd poll, 1st page
    settings = sim_settings(
        sim, tmp_path, **{"alerts.enabled": False, "poll.request_budget": 7, "poll.page_size": 100}
    )
    async with open_monitor(settings, config_path=tmp_path / "none.toml", stateless=True) as monitor:
        await monitor.poll()
        assert monitor.interval == 35.0
        failed = await monitor.poll()
        assert not failed.sources[0].ok and monitor.interval == 35.0


async def test_one_hanging_source_does_not_blind_the_others(start_sim, tmp_path):
    """The status page hangs until the poll deadline; the health API's answer is shown as soon as it arrives,
    counted as fresh (not STALE), with the header saying what is still awaited."""
    import asyncio

    from tui_health.tui.widgets.header import header_text, stale_for

    sim = start_sim("outage", faults=[{"kind": "hang", "target": "statuspage"}])
    settings = sim_settings(
        sim,
        tmp_path,
        **{
            "alerts.enabled": False,
            "poll.sources": ["health-api", "statuspage"],
            "statuspage.url": sim.url,
            "poll.deadline": 30.0,
        },
    )
    async with open_monitor(settings, config_path=tmp_path / "none.toml", stateless=True) as monitor:
        polling = asyncio.ensure_future(monitor.poll())
        try:
            for _ in range(600):  # until the interim state arrives (bounded: a broken build fails, not hangs)
                state = monitor.store.state
                if state.connection.kind == "waiting":
                    break
                await asyncio.sleep(0.05)
            assert state.connection.kind == "waiting" and not polling.done()
            assert "waiting for statuspage" in state.connection.message
            ids = {c.id for c in state.components}
            assert "voice-telephony" in ids and len(ids) == 40
            assert next(c for c in state.components if c.id == "voice-telephony").observed.value == "down"
            assert state.last_ok_at is not None and stale_for(state, state.last_ok_at) is None
            assert "partly answered: waiting for statuspage" in header_text(state, state.last_ok_at).plain
            assert not [
                e for e in state.events if e.event_type == "component_health_change"
            ]  # nothing confirmed yet
        finally:
            polling.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await polling
