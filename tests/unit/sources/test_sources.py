"""Statuspage and API-probe sources, and how sources are chosen."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from tests.conftest import CLIENT_ID, SECRET, run_cli, sim_settings
from tests.paths import DATA
from tests.tui_helpers import console_after_first_poll, table_statuses
from tui_health.model.domain import Status
from tui_health.settings.config import load_settings
from tui_health.sources.statuspage import STATUS_MAP, parse_summary
from tui_health.support.errors import ApiError
from tui_health.tui.widgets.header import StatusHeader

SUMMARY = json.loads((DATA / "summary.json").read_text())
CREDS = {"GENESYSCLOUD_OAUTHCLIENT_ID": CLIENT_ID, "GENESYSCLOUD_OAUTHCLIENT_SECRET": SECRET}


def test_leaf_components_carry_their_group_and_groups_are_not_components():
    components, _, _ = parse_summary(SUMMARY)
    got = {c.id: (c.name, c.group, c.status) for c in components}
    assert got == {
        "am-voice": ("Voice", "Americas", Status.DOWN),
        "am-chat": ("[bold red]Chat[/]", "Americas", Status.DEGRADED),
        "am-routing": ("Routing", "Americas", Status.DEGRADED),  # a child named only in the group's list
        "am-wfm": ("Workforce Management", "Americas", Status.MAINTENANCE),
        "eu-voice": ("Voice", "EMEA", Status.HEALTHY),
        "eu-bots": ("Bots", "EMEA", Status.UNKNOWN),
        "global-api": ("Platform API", None, Status.HEALTHY),
    }


def test_every_status_maps_and_the_original_is_kept():
    assert STATUS_MAP == {
        "operational": Status.HEALTHY,
        "degraded_performance": Status.DEGRADED,
        "partial_outage": Status.DEGRADED,
        "major_outage": Status.DOWN,
        "under_maintenance": Status.MAINTENANCE,
    }
    components, issues, _ = parse_summary(SUMMARY)
    chat = next(c for c in components if c.id == "am-chat")
    assert chat.details == {"statuspage_status": "partial_outage"} and chat.raw_status == "partial_outage"
    bots = next(c for c in components if c.id == "eu-bots")
    assert bots.raw_status == "on_fire" and bots.last_modified is None
    assert sorted(i.message for i in issues) == [
        "invalid updated_at 'yesterday' for eu-bots",
        "unknown status 'on_fire' for eu-bots",
    ]


def test_timestamps_with_offsets_and_milliseconds_parse():
    components, _, _ = parse_summary(SUMMARY)
    by_id = {c.id: c.last_modified for c in components}
    assert by_id["am-voice"] == datetime(2026, 3, 2, 14, 58, 12, 123000, tzinfo=UTC)
    assert by_id["am-chat"] == datetime(2026, 3, 2, 14, 58, 12, tzinfo=UTC)
    assert by_id["am-routing"] == datetime(2026, 3, 2, 4, 28, 12, 500000, tzinfo=UTC)


def test_open_incidents_and_maintenances_are_kept_resolved_ones_are_not():
    _, _, incidents = parse_summary(SUMMARY)
    assert [(i["kind"], i["id"], i["status"]) for i in incidents] == [
        ("incident", "inc1", "investigating"),
        ("maintenance", "mnt1", "in_progress"),
    ]
    assert incidents[0]["components"] == ["Voice"] and incidents[1]["scheduled_until"].startswith(
        "2026-03-02T11"
    )


def test_group_filter_keeps_only_those_groups():
    components, _, _ = parse_summary(SUMMARY, groups=["emea"])
    assert {c.id for c in components} == {"eu-voice", "eu-bots"}


def test_a_summary_without_components_is_an_error():
    with pytest.raises(ApiError) as info:
        parse_summary({"page": {}}, cid="abc")
    assert "components" in str(info.value) and info.value.correlation_id == "abc"


def test_once_against_a_served_summary(start_sim):
    sim = start_sim("steady", statuspage_summary=SUMMARY)
    proc = run_cli(
        "--once",
        "--source",
        "statuspage",
        "--statuspage-url",
        f"http://127.0.0.1:{sim.url.rsplit(':', 1)[1]}",
        "--format",
        "json",
    )
    assert proc.returncode == 2, proc.stderr  # Voice is in major outage
    doc = json.loads(proc.stdout)
    rows = {c["id"]: (c.get("group"), c["status"]) for c in doc["components"]}
    assert "grp-am" not in rows and "grp-emea" not in rows
    assert rows["am-voice"] == ("Americas", "down") and rows["am-chat"] == ("Americas", "degraded")
    assert rows["am-wfm"] == ("Americas", "maintenance") and rows["global-api"] == (None, "healthy")
    assert next(c for c in doc["components"] if c["id"] == "am-chat")["name"] == "[bold red]Chat[/]"
    assert [i["id"] for i in doc["incidents"]] == ["inc1", "mnt1"]
    assert sim.state.counts["token"] == 0  # the status page needs no credentials


def test_group_flag_and_table_output(start_sim):
    sim = start_sim("steady", statuspage_summary=SUMMARY)
    proc = run_cli("--once", "--source", "statuspage", "--statuspage-url", sim.url, "--group", "EMEA")
    assert proc.returncode == 1, proc.stderr  # EMEA: healthy and one unknown
    assert "EMEA" in proc.stdout and "Americas" not in proc.stdout
    assert (
        "incident:" not in proc.stdout
    )  # the Americas' incident is another region's: not shown, not counted


@pytest.mark.parametrize(
    ("overrides", "status", "note"),
    [
        ({}, "healthy", "answered"),
        ({"probe_latency_ms": 300}, "degraded", "slow"),
        ({"faults": [{"kind": "error_json", "every": 1, "target": "probe"}]}, "down", "HTTP 503"),
        ({"faults": [{"kind": "rate_limit", "every": 1, "target": "probe"}]}, "unknown", "not measured"),
    ],
)
def test_probe_statuses(start_sim, overrides, status, note):
    # the simulator's latency is a floor (300 ms at least): slow_ms is 200 only where slowness is the point, and
    # a minute elsewhere, so a busy machine never makes the quick answers slow
    slow_ms = 200 if status == "degraded" else 60_000
    sim = start_sim("steady", **overrides)
    proc = run_cli(
        "--once",
        "--source",
        "api-probe",
        "--api-url",
        sim.url,
        "--login-url",
        sim.url,
        "--format",
        "json",
        env=CREDS,
        extra_config=f"[probe]\nslow_ms = {slow_ms}\n",
    )
    doc = json.loads(proc.stdout)
    [probe] = doc["components"]
    assert probe["id"] == "platform-api-probe" and probe["name"].startswith("Platform API (")
    assert probe["status"] == status, probe
    assert note in probe["details"]["note"]
    assert proc.returncode == {"healthy": 0, "degraded": 1, "down": 2, "unknown": 3}[status]
    assert any(r["label"] == "probe" for r in doc["latency_ms"]["requests"])


def test_probe_auth_failure_is_our_credentials_not_their_outage(start_sim):
    sim = start_sim("steady", require_client={"id": "someone", "secret": "else"})
    proc = run_cli(
        "--once",
        "--source",
        "api-probe",
        "--api-url",
        sim.url,
        "--login-url",
        sim.url,
        "--format",
        "json",
        env=CREDS,
    )
    assert proc.returncode == 3
    doc = json.loads(proc.stdout)
    assert doc["components"] == [] and doc["sources"][0]["ok"] is False
    assert "rejected the OAuth client" in doc["sources"][0]["error"]
    assert "rejected the OAuth client" in proc.stderr and SECRET not in proc.stderr + proc.stdout
    headless = run_cli(
        "--headless",
        "--max-polls",
        "1",
        "--source",
        "api-probe",
        "--api-url",
        sim.url,
        "--login-url",
        sim.url,
        env=CREDS,
    )
    events = [json.loads(line) for line in headless.stdout.splitlines()]
    failed = [e for e in events if e["event_type"] == "poll_failed"]
    assert failed and failed[0]["status"] == "auth" and failed[0]["source"] == "api-probe"


def test_probe_auth_failure_shows_in_the_console(start_sim, tmp_path):
    sim = start_sim("steady", require_client={"id": "someone", "secret": "else"})
    settings = sim_settings(sim, tmp_path, **{"poll.sources": ["api-probe"]})
    text = console_after_first_poll(
        settings, tmp_path / "x.toml", lambda app: str(app.query_one(StatusHeader).render())
    )
    assert "auth failed" in text and "rejected the OAuth client" in text


@pytest.mark.parametrize(
    ("env", "flags", "expected"),
    [
        ({}, {}, ["statuspage"]),
        (CREDS, {}, ["statuspage", "api-probe"]),
        (CREDS, {"genesys.api_url": "http://127.0.0.1:1"}, ["health-api"]),
        ({}, {"poll.sources": "api-probe,statuspage,api-probe"}, ["api-probe", "statuspage"]),
    ],
)
def test_sources_are_chosen_from_what_is_set(tmp_path, env, flags, expected):
    assert load_settings(path=tmp_path / "none.toml", env=env, flags=flags).sources() == expected


def test_a_slow_probe_in_headless_and_a_failing_probe_in_the_console(start_sim, tmp_path):
    slow = start_sim("steady", probe_latency_ms=300)
    proc = run_cli(
        "--headless",
        "--max-polls",
        "1",
        "--source",
        "api-probe",
        "--api-url",
        slow.url,
        "--login-url",
        slow.url,
        env=CREDS,
        extra_config="[probe]\nslow_ms = 200\n",
    )
    changes = [json.loads(line) for line in proc.stdout.splitlines()]
    changes = [e for e in changes if e["event_type"] == "component_health_change"]
    assert [(e["component_ids"], e["status"], e["source"]) for e in changes] == [
        (["platform-api-probe"], "degraded", "api-probe")
    ]

    failing = start_sim("steady", faults=[{"kind": "error_json", "every": 1, "target": "probe"}])
    settings = sim_settings(failing, tmp_path, **{"poll.sources": ["api-probe"]})
    assert console_after_first_poll(settings, tmp_path / "x.toml", table_statuses) == ["▼ DOWN"]


def test_the_genesys_api_variable_reaches_the_org_without_picking_health_api(start_sim):
    """GENESYSCLOUD_API_REGION names the API host; the login host is derived from it; the source stays the probe."""
    sim = start_sim("steady")
    proc = run_cli(
        "--once",
        "--source",
        "api-probe",
        "--format",
        "json",
        env={**CREDS, "GENESYSCLOUD_API_REGION": sim.url},
    )
    doc = json.loads(proc.stdout)
    assert proc.returncode == 0, proc.stderr
    [probe] = doc["components"]
    assert probe["status"] == "healthy" and probe["source"] == "api-probe"
    assert (
        sim.state.counts["token"] == 1 and sim.state.counts["health"] == 0
    )  # the token came from the same host


def test_a_status_page_mirror_is_folded_into_the_health_api_component() -> None:
    """One outage, one row: the page's same-named service folds into the API's, the worse status wins and says
    where it comes from; a name on several groups of the page (all regions) is left alone."""
    from tui_health.model.domain import Component, Status
    from tui_health.monitor.mirrors import fold_mirrors

    api = Component("voice", "Voice", Status.HEALTHY, source="health-api")
    chat = Component("chat", "Chat", Status.DOWN, source="health-api")
    page = Component(
        "sp-us-voice", "Voice", Status.DOWN, source="statuspage", raw_status="major_outage", group="US"
    )
    page_chat = Component("sp-us-chat", "Chat", Status.HEALTHY, source="statuspage", group="US")
    login = Component("sp-login", "Login", Status.HEALTHY, source="statuspage")
    folded = {c.id: c for c in fold_mirrors([api, chat, page, page_chat, login])}
    assert set(folded) == {"voice", "chat", "sp-login"}
    assert folded["voice"].status is Status.DOWN and folded["voice"].raw_status == "status page: major_outage"
    assert folded["voice"].details == {
        "status_page": {"status": "major_outage", "id": "sp-us-voice", "group": "US"}
    }
    assert (
        folded["chat"].status is Status.DOWN and folded["chat"].raw_status is None
    )  # the API said it already
    emea = Component("sp-eu-voice", "Voice", Status.HEALTHY, source="statuspage", group="EMEA")
    ambiguous = {c.id for c in fold_mirrors([api, page, emea])}
    assert ambiguous == {"voice", "sp-us-voice", "sp-eu-voice"}
