"""The whole contact centre: desk phones by site, integrations and data actions.

The rules are read off the fixtures (the SDK's shapes, the recorded answers) directly; the sources are then run
over real HTTP and a real WebSocket against the simulator, which answers from the same fixtures."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime, timedelta
from typing import Any, cast

import pytest

from tests.conftest import delivered, run_cli
from tests.org_harness import CREDS, health_requests, listening, observed, org_monitor, until
from tui_health.genesys.client import ApiClient
from tui_health.model.domain import Status
from tui_health.simulator import Scenario, SimulatorServer, bodies, org_routes
from tui_health.sources import data_actions, integrations, phones
from tui_health.support.clock import FakeClock

PHONES = "/api/v2/telephony/providers/edges/phones"
CENTRE = {"sites": 3, "phones_per_site": 4, "integrations": 3, "actions": 3, "edges": 0, "cloud_media": 0}


class NoApi:
    """What a source asks of its API client outside a request: nothing to say about rate limits."""

    def rate_limit(self, path: str) -> None:
        return None


def api() -> ApiClient:
    return cast(ApiClient, NoApi())


def page(name: str) -> list[dict[str, Any]]:
    return cast(list[dict[str, Any]], bodies.body(name)["entities"])


def phone_like(ident: str, site: str, *, webrtc: bool = False) -> dict[str, Any]:
    """The fixture's first hardware (or WebRTC) phone as another phone at another site."""
    example = next(p for p in page("phones_page") if ("webRtcUser" in p) == webrtc)
    return {**copy.deepcopy(example), "id": ident, "name": ident, "site": {"id": site, "name": site}}


# -- phones, on the fixtures --------------------------------------------------------------------------------
def test_each_phone_is_read_as_the_sdk_shapes_it():
    listed = {p["name"]: p for p in page("phones_page")}
    hardware = {name: phones.state(p) for name, p in listed.items() if not phones.is_webrtc(p)}
    assert hardware == {
        "CHI-Reception-VVX450": "ok",
        "CHI-Sales-T54W-12": "ok",
        "DEN-Warehouse-VVX450": "out",  # OFFLINE on both Edges
        "DEN-FrontDesk-T54W": "impaired",  # DEGRADED on its primary Edge, a line unreachable
    }
    assert sorted(n for n, p in listed.items() if phones.is_webrtc(p)) == [
        "Maria Gomez_WebRTC",
        "Tom Becker_WebRTC",
    ]
    # the recorded answer (splunk's mock) has no webRtcUser on its WebRTC phones: Genesys' name for them tells
    recorded = {k: v for k, v in listed["Tom Becker_WebRTC"].items() if k != "webRtcUser"}
    assert phones.is_webrtc(recorded)
    assert not phones.is_webrtc({**listed["CHI-Reception-VVX450"], "webRtcUser": None})  # asked for, empty
    # the listing's eventCreationTime is a plain string with microseconds: the later of the two states
    assert phones.changed_at(listed["CHI-Reception-VVX450"]) == datetime(
        2025, 6, 1, 9, 58, 12, 502117, tzinfo=UTC
    )


def test_a_phone_is_out_impaired_or_unknown_by_both_of_its_edges():
    base = phone_like("p", "s")

    def with_status(primary: dict[str, Any], secondary: str = "OFFLINE") -> str:
        return phones.state(
            {
                **base,
                "status": {**base["status"], **primary},
                "secondaryStatus": {**base["secondaryStatus"], "operationalStatus": secondary},
            }
        )

    assert with_status({"operationalStatus": "OFFLINE"}, "OPERATIONAL") == "impaired"  # on its secondary only
    assert with_status({"operationalStatus": "OFFLINE"}) == "out"
    assert with_status({"operationalStatus": "OPERATIONAL", "edgesStatus": "NO_EDGES"}) == "out"
    assert with_status({"operationalStatus": "OPERATIONAL", "edgesStatus": "OUT_OF_SERVICE"}) == "out"
    assert with_status({"operationalStatus": "OPERATIONAL", "edgesStatus": "IN_SERVICE"}) == "ok"
    unreachable = [{**base["status"]["lineStatuses"][0], "reachable": False}]
    assert with_status({"operationalStatus": "OPERATIONAL", "lineStatuses": unreachable}) == "impaired"
    assert with_status({"operationalStatus": "REBOOTING"}) == "unknown"
    assert phones.state({"id": "p"}) == "unknown"  # no status at all


def source(**settings: Any) -> phones.PhonesSource:
    return phones.PhonesSource(api(), phones.PhonesSettings(**settings))


def test_a_site_is_judged_by_its_hardware_phones_alone():
    watched = source()
    watched.take(page("phones_page"))
    result = {c.name: c for c in watched._result().components}
    assert {name: c.status for name, c in result.items()} == {
        "HQ-Chicago": Status.HEALTHY,  # two desk phones up; its WebRTC phone does not count
        "Branch-Denver": Status.DEGRADED,  # one out, one impaired: not every phone is out
    }
    assert result["Branch-Denver"].details == {
        "hardware_phones": 2,  # Tom Becker's WebRTC phone, OFFLINE since he logged out, is not one
        "out": 1,
        "impaired": 1,
        "out_or_impaired_pct": 100.0,
        "degraded_pct": 10.0,
        "phones_out": "DEN-Warehouse-VVX450",
        "phones_impaired": "DEN-FrontDesk-T54W",
    }
    assert result["Branch-Denver"].id == "site:8b4e7d12-95c3-4f0a-b6e2-7c1d9a3e5b02"
    assert result["Branch-Denver"].kind == "site"


@pytest.mark.parametrize(
    ("out", "status"), [(0, Status.HEALTHY), (1, Status.HEALTHY), (2, Status.DEGRADED), (10, Status.DOWN)]
)
def test_a_site_degrades_past_its_share_and_is_down_when_every_phone_is_out(out, status):
    listed = [phone_like(f"p{i}", "s") for i in range(10)]
    for phone in listed[:out]:
        phone["status"] = {**phone["status"], "operationalStatus": "OFFLINE"}
        phone["secondaryStatus"] = {**phone["secondaryStatus"], "operationalStatus": "OFFLINE"}
    watched = source()  # degraded_pct 10: one phone of ten out is 10 %, not more than 10 %
    watched.take(listed)
    (site,) = watched._result().components
    assert site.status is status


def test_the_named_phones_are_watched_one_by_one():
    listed = page("phones_page")
    warehouse = next(p["id"] for p in listed if p["name"] == "DEN-Warehouse-VVX450")
    front = next(p["id"] for p in listed if p["name"] == "DEN-FrontDesk-T54W")
    watched = source(ids=[warehouse, front, "gone"])
    watched.take(listed)
    named = {c.id: c.status for c in watched._result().components if c.kind == "phone"}
    assert named == {
        f"phone:{warehouse}": Status.DOWN,
        f"phone:{front}": Status.DEGRADED,
        "phone:gone": Status.UNKNOWN,
    }


def test_a_pushed_phone_changes_its_site_and_a_stranger_changes_nothing():
    watched = source()
    watched.take(page("phones_page"))
    frame = bodies.body("topic_phone")
    topic, event = frame["topicName"], frame["eventBody"]
    assert watched.apply(topic, event) is False  # what the listing said already (DEGRADED)
    event["status"]["operationalStatus"] = "OFFLINE"
    event["secondaryStatus"]["operationalStatus"] = "OFFLINE"
    assert watched.apply(topic, event) is True  # not polled yet: a reason to ask, no answer
    watched._polled, watched._stale = True, False
    event2 = copy.deepcopy(event)
    event2["status"]["operationalStatus"] = event2["secondaryStatus"]["operationalStatus"] = "OPERATIONAL"
    answer = watched.apply(topic, event2)
    assert not isinstance(answer, bool)
    assert {c.name: c.status for c in answer.components}["Branch-Denver"] is Status.DEGRADED
    answer = watched.apply(topic, event)
    assert not isinstance(answer, bool)
    assert {c.name: c.status for c in answer.components}["Branch-Denver"] is Status.DOWN  # both out now
    webrtc = next(p for p in page("phones_page") if p["name"] == "Tom Becker_WebRTC")
    assert watched.apply(f"v2.telephony.providers.edges.phones.{webrtc['id']}", event) is False
    other = {**event, "id": "someone-else"}
    assert watched.apply(topic, other) is False  # a body about another phone than its topic


def test_push_spends_its_topics_on_every_site_in_turn():
    listed = [phone_like(f"s{s}-p{p}", f"site-{s}") for s in (1, 2, 3) for p in (1, 2, 3)]
    listed.append(phone_like("webrtc", "site-1", webrtc=True))
    watched = source(max_pushed=5, ids=["s3-p3"])
    watched.take(listed)
    assert [t.rsplit(".", 1)[1] for t in watched.topics()] == ["s3-p3", "s1-p1", "s2-p1", "s3-p1", "s1-p2"]
    everything = source(max_pushed=500)
    everything.take(listed)
    assert len(everything.topics()) == 9  # every hardware phone, never the WebRTC one


# -- integrations, on the fixture --------------------------------------------------------------------------
def integration_states(now: datetime, **settings: Any) -> dict[str, tuple[Status, dict[str, Any]]]:
    clock = FakeClock(now)
    watched = integrations.IntegrationsSource(
        api(), integrations.IntegrationsSettings(**settings), clock=clock
    )
    return {
        i["name"]: (c.status, c.details) for i in page("integrations_page") for c in [watched.component(i)]
    }


def test_integrations_are_judged_by_what_they_are_meant_to_be_and_what_they_report():
    activating = datetime(2025, 6, 1, 10, 2, 17, tzinfo=UTC)  # the fixture's ACTIVATING one, since then
    found = integration_states(activating + timedelta(minutes=5))
    assert {name: status for name, (status, _) in found.items()} == {
        "Genesys Cloud Data Actions": Status.HEALTHY,
        "CRM REST Actions": Status.DOWN,
        "Order Lambda Actions": Status.HEALTHY,  # on its way
        "Legacy Ticketing Webhook": Status.MAINTENANCE,  # disabled on purpose: never pages
    }
    assert found["CRM REST Actions"][1]["genesys_says"] == (
        "Unable to authenticate with the remote endpoint: 401 Unauthorized returned by "
        "https://crm.example.com/oauth/token"
    )
    stuck = integration_states(activating + timedelta(minutes=11))["Order Lambda Actions"]
    assert stuck == (
        Status.DEGRADED,
        {
            "intended_state": "ENABLED",
            "reported_state": "ACTIVATING",
            "type": "aws-lambda-data-actions",
            "reason": "enabled, but ACTIVATING for 11m",
        },
    )
    edge = integration_states(activating + timedelta(minutes=10), stuck_after=600)["Order Lambda Actions"]
    assert edge[0] is Status.HEALTHY  # exactly stuck_after is not longer than it


# -- data actions, on the fixtures -------------------------------------------------------------------------
def test_data_action_figures_are_summed_by_action_and_error_type():
    figures, _ = data_actions.figures_of(bodies.body("actions_aggregates")["results"])
    counted = {aid.rsplit("-", 1)[1]: (f.total, f.errors, dict(f.by_type)) for aid, f in figures.items()}
    assert counted == {
        "1d2e3f4a5b6c": (214, 0, {"NONE": 214}),
        "2e3f4a5b6c7d": (70, 13, {"NONE": 57, "REMOTE_ENDPOINT": 9, "TIMEOUT": 4}),
        "3f4a5b6c7d8e": (31, 0, {"NONE": 31}),
    }
    recorded, _ = data_actions.figures_of(bodies.body("actions_aggregates_recorded")["results"])
    assert [(f.total, f.errors, f.sum_ms) for f in recorded.values()] == [(3, 0, 45210.0), (3, 0, 45210.0)]


def action_status(**settings: Any) -> dict[str, tuple[Status, dict[str, Any]]]:
    watched = data_actions.DataActionsSource(api(), data_actions.DataActionsSettings(**settings))
    figures, _ = data_actions.figures_of(bodies.body("actions_aggregates")["results"])
    return {
        aid.rsplit("-", 1)[1]: (c.status, c.details)
        for aid, f in figures.items()
        for c in [watched.component(aid, aid, f)]
    }


def test_a_data_action_degrades_by_its_errors_or_its_time_and_is_down_by_its_errors():
    found = action_status()
    assert {k: s for k, (s, _) in found.items()} == {
        "1d2e3f4a5b6c": Status.HEALTHY,
        "2e3f4a5b6c7d": Status.DEGRADED,  # 13 of 70 failing: 18.6 %
        "3f4a5b6c7d8e": Status.DEGRADED,  # 13.7 s on average
    }
    assert found["2e3f4a5b6c7d"][1] == {
        "executions": 70,
        "errors": 13,
        "error_pct": 18.6,
        "mean_ms": 1266,
        "max_ms": 15000,
        "window": "15m",
        "error_types": "REMOTE_ENDPOINT 9, TIMEOUT 4",
    }
    assert found["3f4a5b6c7d8e"][1]["reason"] == "slow: 13709 ms on average > 5000 ms"
    # the thresholds are inclusive for errors, exclusive for time
    assert action_status(down_pct=13 / 70 * 100)["2e3f4a5b6c7d"][0] is Status.DOWN
    assert action_status(degraded_pct=13 / 70 * 100 + 0.01)["2e3f4a5b6c7d"][0] is Status.HEALTHY
    assert action_status(slow_ms=424980 / 31)["3f4a5b6c7d8e"][0] is Status.HEALTHY


def test_an_action_nobody_called_is_quiet_not_broken():
    watched = data_actions.DataActionsSource(api(), data_actions.DataActionsSettings(window=600))
    quiet = watched.component("a", "Yearly export", None)
    assert (quiet.status, quiet.details) == (
        Status.HEALTHY,
        {"executions": 0, "note": "no traffic in the last 10m"},
    )


# -- over HTTP and the channel, against the simulator -------------------------------------------------------
def centre_sim(start_sim: Any, **more: Any) -> SimulatorServer:
    sim = start_sim(Scenario.model_validate({"org": CENTRE, "heartbeat_every": 0.3, **more}))
    return cast(SimulatorServer, sim)


def once(sim: SimulatorServer, *sources: str, config: str = "") -> tuple[int, dict[str, Any]]:
    flags = [f for s in sources for f in ("--source", s)]
    proc = run_cli(
        "--once", "--format", "json", "--api-url", sim.url, "--login-url", sim.url, *flags,
        env=CREDS, extra_config=config,
    )  # fmt: skip
    assert proc.stdout, proc.stderr
    return proc.returncode, json.loads(proc.stdout)


def test_once_sees_a_dark_site_a_failing_integration_and_a_failing_action(start_sim):
    sim = centre_sim(start_sim)
    sim.org.apply("site", "site-2", {"online": False}, publish=False)
    sim.org.apply("phone", "phone-3-1", {"degraded": True}, publish=False)
    sim.org.apply(
        "integration", "integration-2", {"state": "ERROR", "message": "401 from the CRM"}, publish=False
    )
    sim.org.centre.actions["custom_-_action-2"].traffic[-1].error_pct = 60  # failing all along
    code, doc = once(sim, "phones", "integrations", "data-actions", config="[data_actions]\nwindow = 60\n")
    assert code == 2
    assert [(s["name"], s["ok"]) for s in doc["sources"]] == [
        ("phones", True),
        ("integrations", True),
        ("data-actions", True),
    ]
    got = {c["id"]: (c["status"], c["kind"]) for c in doc["components"]}
    assert got == {
        "site:site-1": ("healthy", "site"),  # its WebRTC phone is OFFLINE (agent logged out): not counted
        "site:site-2": ("down", "site"),
        "site:site-3": ("degraded", "site"),  # one of four on its secondary Edge: 25 %
        "integration:integration-1": ("healthy", "integration"),
        "integration:integration-2": ("down", "integration"),
        "integration:integration-3": ("healthy", "integration"),
        "integration:integration-off": ("maintenance", "integration"),
        "action:custom_-_action-1": ("healthy", "action"),
        "action:custom_-_action-2": ("down", "action"),
        "action:custom_-_action-3": ("healthy", "action"),
    }  # the action nobody calls is not listed
    details = {c["id"]: c["details"] for c in doc["components"]}
    assert details["integration:integration-2"]["genesys_says"] == "401 from the CRM"
    assert details["action:custom_-_action-2"]["executions"] == 30  # the last 60 s of 30 calls a minute
    assert details["action:custom_-_action-2"]["error_types"] == "REMOTE_ENDPOINT 18"
    assert details["site:site-2"]["phones_out"] == "DEN-Desk-01, DEN-Desk-02, DEN-Desk-03, DEN-Desk-04"
    names = {c["id"]: c["name"] for c in doc["components"]}
    assert names["site:site-2"] == "Branch-Denver" and names["action:custom_-_action-2"] == "Order status"
    listing = next(p for _, p, _ in sim.state.log if p.startswith(PHONES))
    assert "sortBy=id" in listing and "expand=status%2Csite" in listing  # not cut at 10,000


@pytest.mark.parametrize(
    ("target", "name", "permission"),
    [
        ("phones", "phones", "telephony:plugin:all"),
        ("integrations", "integrations", "integrations:integration:view"),
        ("actions", "data-actions", "integrations:action:view or bridge:actions:view"),
    ],
)
def test_a_403_names_the_permission_each_needs(start_sim, target, name, permission):
    sim = centre_sim(start_sim, faults=[{"kind": "forbidden", "target": target}])
    code, doc = once(sim, name)
    (found,) = doc["sources"]
    assert not found["ok"] and permission in found["error"] and doc["overall"] != "healthy"
    assert code != 0


def test_a_listing_that_drops_the_phones_status_fails_instead_of_saying_ok(start_sim):
    sim = centre_sim(start_sim, faults=[{"kind": "narrow-fields", "target": "phones"}])
    code, doc = once(sim, "phones")
    (found,) = doc["sources"]
    assert not found["ok"] and "carries no status for any phone" in found["error"]
    assert doc["components"] == [] and code != 0


async def test_only_the_offline_phones_are_listed_between_full_listings(start_sim, tmp_path, monkeypatch):
    sim = centre_sim(start_sim)
    clock = FakeClock(datetime.now(UTC))
    flags = {"push.enabled": False, "phones.list_every": 300}
    async with org_monitor(sim, tmp_path, ("phones",), clock=clock, **flags) as monitor:
        await monitor.poll()  # a full listing
        sim.org.apply("phone", "phone-1-1", {"online": False}, publish=False)
        await monitor.poll()
        assert observed(monitor, "site:site-1") is Status.DEGRADED  # one of four out
        sim.org.apply("phone", "phone-1-1", {"online": True}, publish=False)
        await monitor.poll()
        assert observed(monitor, "site:site-1") is Status.HEALTHY  # it left the offline list
        asked = [p for _, p, _ in sim.state.log if p.startswith(PHONES)]
        assert ["OFFLINE" in p for p in asked] == [False, True, True]
        # the offline list cut at Genesys' limit: the whole listing instead
        monkeypatch.setattr(phones, "FILTERED_MAX", 3)
        monkeypatch.setattr(org_routes, "PHONES_FILTERED_MAX", 3)
        sim.org.apply("site", "site-2", {"online": False}, publish=False)
        await monitor.poll()
        asked = [p for _, p, _ in sim.state.log if p.startswith(PHONES)]
        assert ["OFFLINE" in p for p in asked[3:]] == [True, False]
        assert observed(monitor, "site:site-2") is Status.DOWN  # all four, not the three of the cut list
        clock.advance(300)
        await monitor.poll()
        assert (
            "OFFLINE" not in [p for _, p, _ in sim.state.log if p.startswith(PHONES)][-1]
        )  # time for a full one


async def test_integrations_are_listed_at_most_every_so_often(start_sim, tmp_path):
    sim = centre_sim(start_sim)
    clock = FakeClock(datetime.now(UTC))
    async with org_monitor(
        sim, tmp_path, ("integrations",), clock=clock, **{"push.enabled": False}
    ) as monitor:
        await monitor.poll()
        sim.org.apply("integration", "integration-1", {"state": "ERROR"}, publish=False)
        await monitor.poll()
        assert health_requests(sim, "/api/v2/integrations") == 1
        assert observed(monitor, "integration:integration-1") is Status.HEALTHY  # what it last read
        clock.advance(300)
        await monitor.poll()
        assert health_requests(sim, "/api/v2/integrations") == 2
        assert observed(monitor, "integration:integration-1") is Status.DOWN


async def test_a_site_going_dark_is_pushed_and_paged_without_a_poll(start_sim, tmp_path):
    sim = centre_sim(start_sim)
    hooks = {"alerts.sinks": [{"type": "webhook", "url": f"{sim.url}/hooks/phones"}]}
    async with org_monitor(sim, tmp_path, ("phones",), **hooks) as monitor:
        await listening(monitor, sim)
        topics = sorted(t for c in sim.channels.channels.values() for t in c.topics)
        assert topics == sorted(
            f"v2.telephony.providers.edges.phones.phone-{s}-{p}" for s in (1, 2, 3) for p in (1, 2, 3, 4)
        )
        polls = health_requests(sim, PHONES)
        sim.org.apply("site", "site-2", {"online": False})
        await until(lambda: observed(monitor, "site:site-2") is Status.DOWN, "the pushed site")
        await until(lambda: delivered(sim, "site:site-2", "down"), "the page")
        assert health_requests(sim, PHONES) == polls  # seen by push: nothing listed the phones again
        sim.org.apply("site", "site-2", {"online": True})  # back, phone by phone: down, degraded, healthy
        await until(lambda: observed(monitor, "site:site-2") is Status.HEALTHY, "the pushed recovery")
        await until(lambda: delivered(sim, "site:site-2", "healthy"), "the resolve")
        assert health_requests(sim, PHONES) == polls
