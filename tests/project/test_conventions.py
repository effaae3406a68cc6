"""Faithful to Genesys and to the tools tui-health feeds (issue: conventions): regions, login throttling, error
bodies, Nagios, Alertmanager, PagerDuty and Prometheus — each against the simulator or a recording receiver."""

from __future__ import annotations

import json

import httpx

from tests.conftest import CLIENT_ID, SECRET, run_cli
from tui_health.genesys.regions import region_groups
from tui_health.genesys.transport import correlation_id, error_detail

CREDS = {"GENESYSCLOUD_OAUTHCLIENT_ID": CLIENT_ID, "GENESYSCLOUD_OAUTHCLIENT_SECRET": SECRET}
PAGE_GROUPS = [
    "Americas (US East)",
    "EMEA (Frankfurt)",
    "Asia Pacific (Singapore)",
    "Asia Pacific (Sydney)",
    "Asia Pacific (Tokyo)",
]


def test_singapore_is_ap_southeast_1_and_the_sovereign_cloud_is_known() -> None:
    assert region_groups("ap-southeast-1", PAGE_GROUPS) == ["Asia Pacific (Singapore)"]
    assert region_groups("ap-southeast-2", PAGE_GROUPS) == ["Asia Pacific (Sydney)"]
    assert region_groups("eusc-de-east-1", PAGE_GROUPS) == []  # its group's name is not verified


def test_the_sovereign_cloud_region_resolves_and_shows_the_whole_page_saying_so_once(start_sim) -> None:
    sim = start_sim("steady")
    proc = run_cli(
        "--once", "--format", "json", "--source", "statuspage", "--statuspage-url", sim.url,
        "--region", "eusc-de-east-1", env={},
    )  # fmt: skip
    doc = json.loads(proc.stdout)
    groups = {c.get("group") for c in doc["components"]}
    assert groups == {"Americas (US East)", "EMEA (Frankfurt)", None}  # every region: nothing was hidden
    said = [e for e in doc["events"] if "status page group of eusc-de-east-1 is not known" in e["message"]]
    assert len(said) == 1
    shown = run_cli("config", "show", "--region", "eusc-de-east-1", env={})
    assert '"resolved_api_url": "https://api.edee1.eusc-pure.cloud"' in shown.stdout
    assert '"resolved_login_url": "https://login.edee1.eusc-pure.cloud"' in shown.stdout


def test_a_throttled_login_is_a_quota_not_bad_credentials(start_sim) -> None:
    sim = start_sim("steady", faults=[{"kind": "login-throttled", "target": "token"}])
    proc = run_cli(
        "--once", "--format", "json", "--source", "api-probe", "--api-url", sim.url, "--login-url", sim.url,
        env=CREDS,
    )  # fmt: skip
    assert proc.returncode == 3, proc.stderr  # nothing measured: unknown
    doc = json.loads(proc.stdout)
    [source] = doc["sources"]
    assert not source["ok"] and "throttling" in source["error"] and source["retry_at"].endswith("Z")
    assert "GENESYSCLOUD_OAUTHCLIENT" not in proc.stderr + source["error"]  # never "check your credentials"
    [probe] = doc["components"]
    assert probe["status"] == "unknown" and not doc["threshold"]["breached"]
    assert not any(e.get("status") == "auth" for e in doc["events"])  # no auth failure, no alert


async def test_a_throttled_login_is_not_asked_again_before_it_lifts(start_sim, tmp_path) -> None:
    from tests.conftest import sim_settings
    from tui_health.monitor.runtime import open_monitor

    sim = start_sim("steady", faults=[{"kind": "login-throttled", "target": "token"}])
    settings = sim_settings(sim, tmp_path, **{"poll.sources": ["api-probe"], "alerts.enabled": False})
    async with open_monitor(settings, config_path=tmp_path / "none.toml", stateless=True) as monitor:
        first = await monitor.poll()
        second = await monitor.poll()
    assert sim.state.counts["token_requests"] == 1, (
        sim.state.log
    )  # the second poll waited for the throttle to lift
    for state in (first, second):
        assert state.connection.kind == "rate_limited", state.connection


def test_error_bodies_lend_their_context_id_and_their_message() -> None:
    bare = httpx.Response(503, json={"message": "Service Unavailable", "code": "x", "contextId": "ctx-42"})
    assert correlation_id(bare) == "ctx-42"  # no ININ-Correlation-Id header: the body's contextId
    headed = httpx.Response(503, headers={"ININ-Correlation-Id": "hdr-1"}, json={"contextId": "ctx-42"})
    assert correlation_id(headed) == "hdr-1"
    assert correlation_id(httpx.Response(200, json={"contextId": "ctx-42"})) is None  # only error answers
    assert error_detail(httpx.Response(403, json={"message": "Missing permission usage:events:view"})) == (
        "Missing permission usage:events:view"
    )


def test_a_403_shows_the_apis_own_message_beside_ours(start_sim) -> None:
    sim = start_sim("steady", faults=[{"kind": "forbidden", "target": "probe"}])
    proc = run_cli(
        "--once", "--source", "api-probe", "--api-url", sim.url, "--login-url", sim.url, env=CREDS,
    )  # fmt: skip
    assert proc.returncode == 3
    assert "403 Forbidden" in proc.stderr
    assert (
        "(the API says: You are not authorized to perform the requested action. [missing.permissions])"
        in proc.stderr
    )


def test_rate_limit_readings_are_kept_per_endpoint_family(start_sim) -> None:
    """Genesys keeps its inin-ratelimit-* allowance per endpoint: the health walk's count and the probe's are
    two readings, each named by its family, never one overwriting the other."""
    sim = start_sim("steady", rate_limit_allowed=300)
    proc = run_cli(
        "--once", "--format", "json", "--source", "health-api", "--source", "api-probe", "--api-url", sim.url,
        "--login-url", sim.url, "--page-size", "10", env=CREDS,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    limits = {s["name"]: s["rate_limit"] for s in json.loads(proc.stdout)["sources"]}
    assert limits["health-api"]["bucket"] == "/api/v2/health" and limits["health-api"]["used"] == 4  # 4 pages
    assert limits["api-probe"]["bucket"] == "/api/v2/organizations" and limits["api-probe"]["used"] == 1


def test_every_unknown_answers_nagios_on_stdout_too(tmp_path) -> None:
    """monitoring-plugins: whatever ended the check, stdout carries one 'HEALTH UNKNOWN - …' line (Nagios shows
    stdout; an empty one reads as a broken plugin), and the exit code is 3."""
    bad = tmp_path / "bad.toml"
    bad.write_text("[poll]\ninterval = -1\n")
    cases = {
        "a bad option": ["--once", "--format", "nagios", "--no-such-flag"],
        "missing credentials": ["--once", "--format", "nagios", "--source", "api-probe"],
        "a bad config": ["--once", "--format=nagios", "--config", str(bad)],
        "an unknown region": ["--once", "--format", "nagios", "--region", "mars-north-1"],
    }
    for why, args in cases.items():
        proc = run_cli(*args, env={})
        assert proc.returncode == 3, why
        assert proc.stdout.startswith("HEALTH UNKNOWN - ") and proc.stdout.count("\n") == 1, (
            why,
            proc.stdout,
        )
        assert "|" not in proc.stdout  # no perfdata: nothing was measured
        assert proc.stderr.count("\n") == 1, why
    json_doc = run_cli("--once", "--format", "json", "--source", "api-probe", env={})
    assert json.loads(json_doc.stdout)["exit_code"] == 3
