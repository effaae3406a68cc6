"""A real org's view of Genesys Cloud: its quota is ours, not Genesys' (rate-limit headroom and 429s)."""

from __future__ import annotations

import asyncio
import html
import json
from datetime import datetime

from rich.text import Text

from tests.conftest import CLIENT_ID, SECRET, run_cli, sim_settings
from tests.tui_helpers import console_after_first_poll
from tui_health.monitor.runtime import open_monitor
from tui_health.tui.widgets.header import StatusHeader, header_text

CREDS = {"GENESYSCLOUD_OAUTHCLIENT_ID": CLIENT_ID, "GENESYSCLOUD_OAUTHCLIENT_SECRET": SECRET}


def once_json(sim, *extra: str):  # type: ignore[no-untyped-def]
    proc = run_cli(
        "--once", "--format", "json", "--api-url", sim.url, "--login-url", sim.url, *extra, env=CREDS
    )
    return proc, json.loads(proc.stdout)


def test_the_apis_count_of_our_requests_is_in_the_json(start_sim):
    sim = start_sim("steady", rate_limit_allowed=180)
    proc, doc = once_json(sim)
    assert proc.returncode == 0, proc.stderr
    [source] = doc["sources"]
    limit = source["rate_limit"]
    assert limit["allowed"] == 180 and limit["used"] == 1  # 40 components: one page of 100 this minute
    assert limit["reset_at"].endswith("Z")
    _, doc = once_json(sim)
    assert doc["sources"][0]["rate_limit"]["used"] == 1  # a new run gets a new token: its own count


def test_no_headers_no_headroom(start_sim):
    sim = start_sim("steady", rate_limit_allowed=0)
    _, doc = once_json(sim)
    assert "rate_limit" not in doc["sources"][0]


def test_low_headroom_is_audited_once_and_shown_in_the_header(start_sim, tmp_path):
    sim = start_sim("steady", rate_limit_allowed=5)  # one page a poll: 80 % used after four polls
    settings = sim_settings(sim, tmp_path)

    def headroom_style(text: Text) -> tuple[str, str]:
        """The header's API headroom words, and their style."""
        start = text.plain.index("   API ")
        [span] = [s for s in text.spans if s.start <= start + 3 < s.end]
        return text.plain[span.start : span.end].strip(), str(span.style)

    async def polls() -> tuple[list[str], list[tuple[str, str]]]:
        headers = []
        async with open_monitor(settings, config_path=tmp_path / "x.toml") as monitor:
            for _ in range(5):
                await monitor.poll()
                headers.append(headroom_style(header_text(monitor.store.state, monitor.now())))
            return [e.event_type for e in monitor.recent], headers

    types, headers = asyncio.run(polls())
    assert types.count("rate_limit_low") == 1  # once when it crossed 20 %, not every poll below it
    # the header says it in yellow once less than 20 % is left, dimmed before
    assert headers[0] == ("API 80% left (health)", "dim")
    assert headers[-1] == ("API 0% left (health)", "bold yellow")
    lines = [json.loads(line) for line in settings.audit.path.read_text().splitlines()]
    [low] = [line for line in lines if line["event_type"] == "rate_limit_low"]
    assert "not a Genesys problem" in low["message"] and low["severity"] == "warning"
    header = console_after_first_poll(
        settings, tmp_path / "x.toml", lambda app: str(app.query_one(StatusHeader).render())
    )
    assert "API 80% left" in header  # its own token: one request of five counted so far


def test_a_429_from_our_quota_is_rate_limited_not_an_outage(start_sim):
    sim = start_sim("steady", rate_limit_allowed=1)  # page 1 is the minute's one request; page 2 gets a 429
    proc, doc = once_json(sim, "--page-size", "20", "--deadline", "5")
    assert proc.returncode == 3, proc.stdout  # nothing could be measured: unknown, never down
    [source] = doc["sources"]
    assert not source["ok"] and "rate" in source["error"].lower()
    assert source["retry_at"].endswith("Z")  # when the API lets us ask again
    limit = source["rate_limit"]
    assert (limit["allowed"], limit["used"]) == (1, 1)  # the API's own count: its one request is used
    reset = datetime.fromisoformat(limit["reset_at"].replace("Z", "+00:00"))
    generated = datetime.fromisoformat(doc["generated_at"].replace("Z", "+00:00"))
    assert 0 < (reset - generated).total_seconds() <= 61  # the simulator's minute starts over within it
    assert doc["components"] == [] and doc["counts"]["down"] == 0 and not doc["threshold"]["breached"]
    assert "rate" in proc.stderr.lower() and proc.stderr.count("\n") == 1  # one line for the person


def test_a_429_on_the_probe_is_not_measured_and_pages_nobody(start_sim, tmp_path):
    sim = start_sim("steady", rate_limit_allowed=1)
    settings = sim_settings(sim, tmp_path, **{"poll.sources": ["api-probe"]})

    async def two_polls():  # type: ignore[no-untyped-def]
        async with open_monitor(settings, config_path=tmp_path / "x.toml") as monitor:
            await monitor.poll()
            return await monitor.poll()

    state = asyncio.run(two_polls())
    [probe] = state.components
    assert probe.status.value == "unknown" and "not measured" in str(probe.details)
    assert state.connection.kind == "rate_limited"
    assert not state.breached


def test_every_receiver_names_the_org_region_and_host(start_sim):
    """Over real HTTP: one outage, four receivers; each body says which org, region and host it is about."""
    sim = start_sim("outage")
    config = (
        '[poll]\nsources = ["health-api", "api-probe"]\n'
        f'[[alerts.sinks]]\ntype = "webhook"\nurl = "{sim.url}/hooks/web"\n'
        f'[[alerts.sinks]]\ntype = "slack"\nurl = "{sim.url}/hooks/slack"\n'
        f'[[alerts.sinks]]\ntype = "pagerduty"\nurl = "{sim.url}/hooks/pd"\nrouting_key = "R0UTEKEY123R0UTEKEY123R0UTEKEY12"\n'
        f'[[alerts.sinks]]\ntype = "alertmanager"\nurl = "{sim.url}/hooks/am"\n'
    )
    proc = run_cli(
        "--once",
        "--format",
        "json",
        "--api-url",
        sim.url,
        "--login-url",
        sim.url,
        env=CREDS,
        extra_config=config,
    )
    assert proc.returncode == 2, proc.stderr
    host = sim.url.split("://", 1)[1]
    bodies = {w["path"]: w["body"] for w in sim.state.webhooks}
    [entry, *_] = bodies["/hooks/web"]["logs"]
    assert entry["target"]["org"] == "Simulated Org" and entry["target"]["host"] == host
    assert entry["target"]["name"] == host and len(entry["target"]["key"]) == 16
    assert "Simulated Org" in bodies["/hooks/slack"]["text"]
    assert host in json.dumps(bodies["/hooks/slack"]["blocks"])
    pd = bodies["/hooks/pd"]
    assert pd["payload"]["source"] == host and pd["dedup_key"].startswith(
        f"tui-health/{entry['target']['key']}/"
    )
    assert pd["payload"]["summary"].startswith("[Simulated Org · ")
    alerts = bodies["/hooks/am/api/v2/alerts"]
    assert all(a["labels"]["target"] == host and a["labels"]["region"] == host for a in alerts)
    assert all(a["annotations"]["org"] == "Simulated Org" for a in alerts)
    assert "R0UTEKEY123R0UTEKEY123R0UTEKEY12" not in proc.stdout + proc.stderr


GENESYS_GROUPS = [
    "Americas (US East)", "Americas (US East 2)", "Americas (US West)", "Americas (Canada)",
    "Americas (São Paulo)", "Americas (Mexico)", "EMEA (Dublin)", "EMEA (London)", "EMEA (Frankfurt)",
    "EMEA (Zurich)", "EMEA (UAE)", "APAC (Mumbai)", "APAC (Singapore)", "APAC (Sydney)", "APAC (Tokyo)",
    "APAC (Seoul)", "APAC (Osaka)",
]  # fmt: skip


def test_every_region_picks_exactly_its_own_status_page_group():
    from tui_health.genesys.regions import REGION_GROUPS, REGIONS, region_groups

    # every region but the EU sovereign cloud, whose group's name is not verified (its org sees the whole page)
    assert set(REGIONS) - set(REGION_GROUPS) == {"eusc-de-east-1"}
    picked = {region: region_groups(region, GENESYS_GROUPS) for region in REGION_GROUPS}
    assert all(len(groups) == 1 for groups in picked.values()), picked
    assert len({groups[0] for groups in picked.values()}) == len(
        REGION_GROUPS
    )  # no two regions share a group
    assert picked["ap-southeast-1"] == ["APAC (Singapore)"]
    assert picked["us-east-1"] == ["Americas (US East)"] and picked["us-east-2"] == ["Americas (US East 2)"]
    assert picked["eu-central-1"] == ["EMEA (Frankfurt)"] and picked["ap-southeast-2"] == ["APAC (Sydney)"]


def page(sim, *extra: str):  # type: ignore[no-untyped-def]
    proc = run_cli(
        "--once", "--format", "json", "--source", "statuspage", "--statuspage-url", sim.url, *extra, env={}
    )
    return proc, json.loads(proc.stdout)


def test_the_region_scopes_the_status_page_and_its_incidents(start_sim):
    sim = start_sim("outage")  # the Americas suffer; EMEA has one incident of its own
    proc, doc = page(sim, "--region", "eu-central-1")
    groups = {c.get("group") for c in doc["components"]}
    assert groups == {"EMEA (Frankfurt)", None}  # its group, plus Login, which serves every region
    assert proc.returncode == 0 and doc["counts"]["down"] == 0  # the Americas' outage is not this org's
    incidents = {i["id"]: i for i in doc["incidents"] if i["kind"] == "incident"}
    assert list(incidents) == ["inc-emea-latency"]
    emea = incidents["inc-emea-latency"]
    assert emea["link"] == "https://stspg.io/inc-emea-latency"
    assert (
        emea["latest_update"]["status"] == "monitoring"
        and "fix has been applied" in emea["latest_update"]["body"]
    )
    [source] = doc["sources"]
    assert source["page_status"] == {"indicator": "major", "description": "Partial System Outage"}

    proc, doc = page(sim, "--region", "us-east-1")
    assert proc.returncode == 2 and doc["counts"]["down"] >= 1
    assert "inc-emea-latency" not in {i["id"] for i in doc["incidents"]}  # never counts in the Americas

    proc, doc = page(sim, "--all-regions")
    assert {c.get("group") for c in doc["components"]} == {"Americas (US East)", "EMEA (Frankfurt)", None}
    assert "inc-emea-latency" in {i["id"] for i in doc["incidents"]}


def test_group_overrides_the_region_by_unique_prefix(start_sim):
    sim = start_sim("steady")
    _, doc = page(sim, "--region", "us-east-1", "--group", "emea")
    assert {c.get("group") for c in doc["components"]} == {"EMEA (Frankfurt)"}
    proc, _ = page(sim, "--group", "APAC")
    assert proc.returncode == 3 and "Americas (US East), EMEA (Frankfurt)" in proc.stderr  # the groups listed


def test_a_page_without_region_groups_shows_everything_and_says_so(start_sim):
    summary = {
        "components": [
            {"id": "a", "name": "Voice", "status": "operational", "group_id": "g"},
            {"id": "g", "name": "Other things", "status": "operational", "group": True, "components": ["a"]},
        ]
    }
    sim = start_sim("steady", statuspage_summary=summary)
    _, doc = page(sim, "--region", "eu-central-1")
    assert [c["id"] for c in doc["components"]] == ["a"]
    [issue] = [e for e in doc["events"] if e["event_type"] == "schema_validation_error"]
    assert "eu-central-1" in issue["message"] and "showing every region" in issue["message"]


def test_the_incidents_screen_shows_the_regions_incident_with_its_latest_update(start_sim, tmp_path):
    from tui_health.tui.app import HealthApp

    sim = start_sim("steady")
    settings = sim_settings(
        sim,
        tmp_path,
        **{"poll.sources": ["statuspage"], "statuspage.url": sim.url, "genesys.region": "eu-central-1"},
    )

    async def run() -> str:
        async with open_monitor(settings, config_path=tmp_path / "x.toml") as monitor:
            app = HealthApp(monitor, tick=0)
            async with app.run_test(size=(140, 40)) as pilot:
                await app.workers.wait_for_complete()
                await pilot.pause()
                await pilot.press("i")
                await pilot.pause()
                return html.unescape(app.export_screenshot()).replace("\xa0", " ")

    text = asyncio.run(run())
    assert "Status page (every region): Minor Service Outage [minor]" in text
    assert "Elevated API latency in EMEA (Frankfurt)" in text
    assert "latest (monitoring" in text and "A fix has been applied" in text
    assert "https://stspg.io/inc-emea-latency" in text


EVENTS_CONFIG = '[poll]\nsources = ["operational-events"]\n[events]\ndefinitions = ["TELEPHONY-0010"]\n'


def events_once(sim, config: str = EVENTS_CONFIG, *extra: str):  # type: ignore[no-untyped-def]
    proc = run_cli(
        "--once", "--format", "json", "--api-url", sim.url, "--login-url", sim.url, *extra,
        env=CREDS, extra_config=config,
    )  # fmt: skip
    return proc, json.loads(proc.stdout) if proc.stdout.strip() else {}


def org_event(at: float, definition: str = "TELEPHONY-0010", entity: str = "Trunk a") -> dict:
    return {"at": at, "definition": definition, "entity": entity, "previous": "up", "current": "down"}


def test_operational_events_make_the_orgs_component_degraded_and_are_audited(start_sim):
    sim = start_sim(
        "steady",
        operational_events=[
            org_event(-60),
            org_event(-30, "ARCHITECT-0001", "Inbound flow"),
            org_event(-5000),  # before the first poll's look-back: not asked for
        ],
    )
    proc, doc = events_once(sim)
    assert proc.returncode == 1, proc.stderr  # degraded, below the threshold: a warning
    [component] = doc["components"]
    assert (
        component["id"] == "org-operational-events" and component["name"] == "Operational events (your org)"
    )
    assert component["status"] == "degraded" and component["details"]["events_in_window"] == 1
    [source] = doc["sources"]
    shown = source["operational_events"]
    assert [e["definition"] for e in shown] == [
        "TELEPHONY-0010",
        "ARCHITECT-0001",
    ]  # oldest first, both kinds
    assert shown[0]["name"] == "Trunk connection lost" and shown[0]["current"] == "down"
    audited = [e for e in doc["events"] if e["event_type"] == "operational_event"]
    assert (
        len(audited) == 2
        and "TELEPHONY-0010 Trunk connection lost: Trunk a (up → down)" in audited[0]["message"]
    )


def test_no_event_of_the_chosen_definitions_is_healthy(start_sim):
    sim = start_sim("steady", operational_events=[org_event(-30, "ARCHITECT-0001")])
    proc, doc = events_once(sim)
    assert proc.returncode == 0 and doc["components"][0]["status"] == "healthy"


def test_operational_events_follow_the_cursor_pages(start_sim):
    sim = start_sim("steady", operational_events=[org_event(-500 + i, entity=f"t{i}") for i in range(450)])
    config = EVENTS_CONFIG + "page_size = 200\n"
    proc, doc = events_once(sim, config)
    assert proc.returncode == 1, proc.stderr
    pages = [r for r in doc["latency_ms"]["requests"] if r["label"].startswith("events page")]
    assert [p["label"] for p in pages] == ["events page 1", "events page 2", "events page 3"]
    assert doc["components"][0]["details"]["events_in_window"] == 200  # the kept window: the latest 200
    audited = [e for e in doc["events"] if e["event_type"] == "operational_event"]
    assert len(audited) == 51 and audited[-1]["message"].startswith("400 more operational events")


def test_a_403_names_the_permission_to_add(start_sim):
    sim = start_sim("steady", faults=[{"kind": "forbidden", "every": 1, "target": "events"}])
    proc, doc = events_once(sim)
    assert proc.returncode == 3
    assert "usage:events:view" in proc.stderr and proc.stderr.count("\n") <= 2
    assert "usage:events:view" in doc["sources"][0]["error"]


def test_the_source_needs_definitions(start_sim):
    sim = start_sim("steady")
    proc, _ = events_once(sim, '[poll]\nsources = ["operational-events"]\n')
    assert proc.returncode == 3 and "events.definitions" in proc.stderr and "Traceback" not in proc.stderr


def test_the_console_lists_the_orgs_events_on_o(start_sim, tmp_path):
    from tui_health.tui.app import HealthApp

    sim = start_sim(
        "steady", operational_events=[org_event(-60), org_event(-30, "ARCHITECT-0001", "Inbound flow")]
    )
    settings = sim_settings(
        sim, tmp_path, **{"poll.sources": ["operational-events"], "events.definitions": ["TELEPHONY-0010"]}
    )

    async def run() -> tuple[str, str, dict[str, str]]:
        async with open_monitor(settings, config_path=tmp_path / "x.toml") as monitor:
            app = HealthApp(monitor, tick=0)
            async with app.run_test(size=(140, 40)) as pilot:
                await app.workers.wait_for_complete()
                await pilot.pause()
                main = html.unescape(app.export_screenshot()).replace("\xa0", " ")
                shown = {
                    b.binding.key: b.binding.description
                    for b in app.active_bindings.values()
                    if b.binding.show
                }
                await pilot.press("o")
                await pilot.pause()
                return main, html.unescape(app.export_screenshot()).replace("\xa0", " "), shown

    main, screen, footer = asyncio.run(run())
    assert (
        "Operational events (your org)" in main and "operational_event" in main
    )  # the row and the audit pane
    assert footer.get("o") == "Org events"  # offered in the footer
    assert screen.index("ARCHITECT-0001") < screen.index("TELEPHONY-0010")  # newest first
    assert "Trunk connection lost" in screen and "up → down" in screen


def test_an_alert_about_a_status_page_component_links_its_incident(start_sim):
    sim = start_sim("outage")
    proc = run_cli(
        "--once", "--format", "json", "--source", "statuspage", "--statuspage-url", sim.url,
        "--webhook", f"{sim.url}/hooks/inc", env={},
    )  # fmt: skip
    doc = json.loads(proc.stdout)
    voice = next(c for c in doc["components"] if c["id"] == "sp-americas-voice-telephony")
    assert voice["details"]["incident"]["link"] == "https://stspg.io/sp-americas-voice-telephony"
    [delivery] = sim.state.webhooks
    [change] = [
        log for log in delivery["body"]["logs"] if log["component_ids"] == ["sp-americas-voice-telephony"]
    ]
    assert "status page: Voice (Telephony) outage in Americas (US East) [investigating]" in change["message"]
    assert change["message"].endswith("https://stspg.io/sp-americas-voice-telephony")
