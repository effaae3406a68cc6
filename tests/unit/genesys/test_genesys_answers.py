"""The parsers on Genesys' own shapes: every fixture in tests/fixtures/genesys/ copies an SDK model or a recorded
answer (its ``source`` says which), and these tests read the fixtures directly — so a parser that disagrees with
Genesys fails here even where the simulator's scenario code would agree with it."""

from __future__ import annotations

import asyncio
import copy
import json
from typing import Any

import pytest

from tests.paths import FIXTURES
from tui_health.genesys.channel_api import Catalogue, catalogue_of, channel_of, subscription_of
from tui_health.model.domain import Status
from tui_health.sources import edges, operational_events, queues, trunks
from tui_health.sources.entities import EntitySource
from tui_health.sources.queues import AGENTS, QueuesSettings, QueuesSource, groups_of
from tui_health.sources.trunks import TrunksSettings


def fixture(name: str) -> Any:
    return json.loads((FIXTURES / f"{name}.json").read_text())


def body(name: str) -> Any:
    return fixture(name)["body"]


def test_every_fixture_names_the_model_or_recording_it_copies():
    names = sorted(p.stem for p in FIXTURES.glob("*.json"))
    assert len(names) >= 18
    for name in names:
        doc = fixture(name)
        assert doc["source"], name
        for source in doc["source"]:
            assert "/" in source["repository"] and source["path"] and source["model"], (name, source)
        assert len(doc["note"]) > 40 and "body" in doc, name


def test_the_simulator_speaks_from_these_fixtures():
    from tui_health.simulator.bodies import FIXTURES as PACKAGED

    assert PACKAGED.resolve() == FIXTURES.resolve()


# -- queues -----------------------------------------------------------------------------------------------
Q1, Q2 = "4f2c8b1e-6a0d-4e0b-9a51-2c7e5b9d1a01", "9b7e3d20-1c4f-4a8e-b6d2-7f0a1e3c5b02"


@pytest.mark.parametrize("answer", ["queue_observations", "queue_observations_recorded"])
def test_a_queues_figures_combine_its_agent_group_and_every_media_group(answer):
    results = body(answer)["results"]
    groups = groups_of(results, {Q1, Q2})
    assert set(groups) == {Q1, Q2}
    for qid in (Q1, Q2):
        answered = [r for r in results if r["group"]["queueId"] == qid]
        assert len(groups[qid]) == len(answered) >= 2  # the agent group and each media type
        agents = next(r for r in answered if "mediaType" not in r["group"])
        on_queue = sum(d["stats"]["count"] for d in agents["data"] if d["metric"] == "oOnQueueUsers")
        assert groups[qid][AGENTS]["oOnQueueUsers"] == on_queue
        waiting = {
            r["group"]["mediaType"]: d["stats"]["count"]
            for r in answered
            if "mediaType" in r["group"]
            for d in r["data"]
            if d["metric"] == "oWaiting"
        }
        assert {m: g.get("oWaiting", 0) for m, g in groups[qid].items() if m != AGENTS} == {
            m: waiting.get(m, 0) for m in groups[qid] if m != AGENTS
        }


def queues_source(ids: list[str], **settings: Any) -> QueuesSource:
    source = QueuesSource(None, QueuesSettings(ids=ids, **settings))  # type: ignore[arg-type]
    source.queues = {qid: qid[:8] for qid in ids}
    return source


def test_a_queue_is_judged_on_all_its_groups_in_any_order():
    results = body("queue_observations")["results"]
    source = queues_source([Q1, Q2], max_waiting=1)
    source.figures = groups_of(list(reversed(results)), {Q1, Q2})
    component = source._component(Q1, "Q1")
    voice = next(
        d["stats"]["count"]
        for r in results
        if r["group"] == {"queueId": Q1, "mediaType": "voice"}
        for d in r["data"]
        if d["metric"] == "oWaiting"
    )
    assert voice > 1 and component.status is Status.DEGRADED
    assert component.details["waiting"] >= voice
    assert f"voice {voice}" in component.details["waiting_by_media"]


def test_a_pushed_group_updates_its_own_group_only_and_floats_are_counts():
    frames = body("topic_queue_observations")
    qid = frames[0]["eventBody"]["group"]["queueId"]
    source = queues_source([qid], min_on_queue=2)
    source.figures = {qid: {AGENTS: {"oOnQueueUsers": 0}, "voice": {"oWaiting": 0}, "chat": {"oWaiting": 4}}}
    media = copy.deepcopy(frames[0]["eventBody"])  # the voice group's frame
    for metric in media["data"][0]["metrics"]:
        metric["stats"] = {k: float(v) for k, v in metric["stats"].items()}  # the topic's map of floats
    assert source.apply(frames[0]["topicName"], media)
    pushed = next(m["stats"]["count"] for m in media["data"][0]["metrics"] if m["metric"] == "oWaiting")
    assert source.figures[qid]["voice"]["oWaiting"] == pushed and source.figures[qid]["chat"] == {
        "oWaiting": 4
    }
    component = source._component(qid, "q")
    assert component.details["waiting"] == pushed + 4 and component.status is Status.DOWN  # nobody on queue
    assert source.apply(frames[1]["topicName"], frames[1]["eventBody"])  # the agents' frame
    assert source._component(qid, "q").status is not Status.DOWN  # agents came: judged on merged figures
    assert source.figures[qid]["voice"]["oWaiting"] == pushed  # the agents' frame left the voice group alone


def test_a_frame_of_another_queue_or_without_figures_changes_nothing():
    frames = body("topic_queue_observations")
    qid = frames[0]["eventBody"]["group"]["queueId"]
    source = queues_source([qid])
    source.figures = {qid: {AGENTS: {"oOnQueueUsers": 3}}}
    other = copy.deepcopy(frames[0]["eventBody"])
    other["group"]["queueId"] = Q2
    assert not source.apply(frames[0]["topicName"], other)
    empty = copy.deepcopy(frames[0]["eventBody"])
    empty["data"] = []
    assert not source.apply(frames[0]["topicName"], empty)
    empty["data"] = [{"interval": "x"}]  # no metrics list: nothing said
    assert not source.apply(frames[0]["topicName"], empty)
    assert source.figures == {qid: {AGENTS: {"oOnQueueUsers": 3}}}


@pytest.mark.parametrize(
    ("count", "taken"),
    [
        (3, 3),
        (3.0, 3),
        (2.9999999, 3),
        (2.5, None),
        (-1, None),
        (True, None),
        ("3", None),
        (float("nan"), None),
    ],
)
def test_counts_may_be_ints_or_whole_floats(count, taken):
    assert queues.count_of({"count": count}) == taken


# -- edges ------------------------------------------------------------------------------------------------
def by_name(listing: str) -> dict[str, dict[str, Any]]:
    return {e["name"]: e for e in body(listing)["entities"]}


def test_edges_as_genesys_lists_them():
    listed = by_name("edges_page")
    got = {name: edges.component(e).status for name, e in listed.items() if edges.watched(e, None)}
    assert got == {
        "edge-chi-01": Status.HEALTHY,
        "edge-chi-02": Status.DOWN,  # OFFLINE, ACTIVE: a real outage
        "edge-chi-03": Status.MAINTENANCE,  # OFFLINE, sent for repair (RMA): pages nobody
        "edge-dal-01": Status.MAINTENANCE,  # OFFLINE, INACTIVE
        "edge-dal-02": Status.MAINTENANCE,  # a software update IN_PROGRESS holds its reboot
    }
    cloud = [name for name, e in listed.items() if not edges.watched(e, None)]
    assert cloud == ["cloud-media-i-07f738baf80f104a8"]  # Genesys' own cloud media Edge is never watched
    assert edges.component(listed["edge-chi-03"]).details["reason"] == "out of service (RMA)"


@pytest.mark.parametrize(
    ("update", "online", "status"),
    [
        ("FAILED", "ONLINE", Status.DEGRADED),
        ("EXCEPTION", "ONLINE", Status.DEGRADED),
        ("FAILED", "OFFLINE", Status.DOWN),
        ("SUCCEEDED", "ONLINE", Status.HEALTHY),
        ("INIT", "OFFLINE", Status.MAINTENANCE),
    ],
)
def test_a_software_update_that_failed_is_degraded_with_the_reason(update, online, status):
    edge = copy.deepcopy(by_name("edges_page")["edge-dal-02"])
    edge["softwareStatus"]["status"], edge["onlineStatus"] = update, online
    component = edges.component(edge)
    assert component.status is status
    if status is Status.DEGRADED:
        assert component.details["reason"] == f"software update {update}"


def entity_source(spec: Any, listing: str, settings: Any = None) -> EntitySource:
    source = EntitySource(spec, None, settings=settings)  # type: ignore[arg-type]
    source.entities = {e["id"]: e for e in body(listing)["entities"] if spec.keep(e, settings)}
    source.components = {eid: spec.component(e) for eid, e in source.entities.items()}
    return source


def test_an_edges_topic_carries_only_its_online_status_and_no_time():
    frame = body("topic_edge")
    source = entity_source(edges.SPEC, "edges_page")
    eid = frame["eventBody"]["id"]
    source.entities[eid]["onlineStatus"] = "ONLINE"  # the poll saw it online; the topic says it went offline
    source.components[eid] = edges.component(source.entities[eid])
    before = dict(source.entities[eid])
    assert source.apply(frame["topicName"], {**frame["eventBody"], "statusCode": "RMA", "name": "renamed"})
    after = source.entities[eid]
    assert after["onlineStatus"] == frame["eventBody"]["onlineStatus"]
    assert {k: v for k, v in after.items() if k != "onlineStatus"} == {
        k: v for k, v in before.items() if k != "onlineStatus"
    }  # nothing the topic does not carry (statusCode, name) is merged
    details = source._with_notice(source.components[eid], source._seen.get(eid)).details
    assert (
        details["noticed_by"] == "push"
        and details["noticed_timed_by"] == "arrival"
        and details["noticed_after_s"] is None
    )


def test_a_software_update_topic_updates_the_edges_software_status():
    frame = body("topic_edge_softwareupdate")
    listed = by_name("edges_page")
    source = entity_source(edges.SPEC, "edges_page")
    eid = frame["eventBody"]["id"]
    assert eid == listed["edge-dal-02"]["id"]
    update = {**frame["eventBody"], "status": "FAILED"}
    assert source.apply(frame["topicName"], update)
    assert source.entities[eid]["softwareStatus"]["status"] == "FAILED"
    assert (
        source.entities[eid]["softwareStatus"]["version"]
        == listed["edge-dal-02"]["softwareStatus"]["version"]
    )
    assert source.components[eid].status is Status.DEGRADED


# -- trunks -----------------------------------------------------------------------------------------------
def test_trunks_as_genesys_lists_them():
    listed = body("trunks_page")["entities"]
    watched = [t for t in listed if trunks.watched(t, TrunksSettings())]
    assert {t["trunkType"] for t in watched} == {"EXTERNAL"}  # PHONE and EDGE trunks are not carrier trunks
    got = [(t["name"], trunks.component(t).status) for t in watched]
    assert got == [
        ("Carrier A BYOC", Status.HEALTHY),
        ("Carrier B SIP", Status.DEGRADED),  # one of two proxies does not answer OPTIONS
        ("Carrier B SIP", Status.DOWN),  # disconnected, and no proxy answers
    ]
    degraded = trunks.component(watched[1])
    assert degraded.details["failing_proxies"] == ["198.51.100.22:5061 (No response to SIP OPTIONS)"]
    wide = TrunksSettings(types=["EXTERNAL", "PHONE", "EDGE"])
    assert len([t for t in listed if trunks.watched(t, wide)]) == len(listed)
    assert trunks.params(TrunksSettings()) == {"trunkType": "EXTERNAL"} and trunks.params(wide) == {}


def test_every_proxy_failing_is_down_before_connected_flips():
    trunk = copy.deepcopy(body("trunks_page")["entities"][1])
    for option in trunk["optionsStatus"]:
        option["optionState"] = False
    trunk["registersStatus"] = []
    assert trunk["connectedStatus"]["connected"] is True
    assert trunks.component(trunk).status is Status.DOWN


def test_a_trunks_topic_merges_its_sip_states_and_never_in_service():
    frame = body("topic_trunk")
    source = entity_source(trunks.SPEC, "trunks_page", TrunksSettings())
    tid = frame["eventBody"]["id"]
    source.entities[tid]["inService"] = False  # out of service on purpose
    source.components[tid] = trunks.component(source.entities[tid])
    pushed = {**frame["eventBody"], "inService": True, "enabled": True, "name": "x"}  # not the topic's fields
    source.apply(frame["topicName"], pushed)
    assert source.entities[tid]["inService"] is False and source.entities[tid]["name"] == "Carrier B SIP"
    assert source.entities[tid]["optionsStatus"] == frame["eventBody"]["optionsStatus"]
    assert source.components[tid].status is Status.MAINTENANCE


def test_a_trunk_push_is_timed_by_the_change_time_it_carries():
    frame = body("topic_trunk")
    merged = trunks.merge({"id": frame["eventBody"]["id"]}, frame["eventBody"])
    assert merged is not None
    times = [frame["eventBody"]["connectedStatus"]["connectedStateTime"]] + [
        o["optionStateTime"] for o in frame["eventBody"]["optionsStatus"]
    ]
    assert merged[1] is not None and merged[1].isoformat().startswith(max(times)[:19])
    assert trunks.merge({"id": "another"}, frame["eventBody"]) is None  # a body about another trunk


# -- the notification service ------------------------------------------------------------------------------
def test_a_partial_subscription_as_genesys_answers_it():
    listing = body("subscriptions_partial")
    asked = [e["id"] for e in listing["entities"]]
    result = subscription_of(listing, asked)
    rejected = [e for e in listing["entities"] if e["state"] == "Rejected"]
    assert [r.topic for r in result.refused] == [e["id"] for e in rejected]
    assert result.refused[0].missing == tuple(rejected[0]["missingPermissions"])
    assert result.taken == frozenset(asked) - {e["id"] for e in rejected}
    unknown = subscription_of(listing, [*asked, "v2.not.answered"])
    assert unknown.refused[-1].state == "Unknown"  # a topic the answer leaves out is not taken for granted


def test_the_catalogue_names_each_topics_parameters_and_permissions():
    catalogue = catalogue_of(body("availabletopics"))
    info = catalogue.info("v2.analytics.queues.4f2c8b1e-6a0d-4e0b-9a51-2c7e5b9d1a01.observations")
    assert info is not None and "analytics:queueObservation:view" in info.permissions
    assert catalogue.info("v2.telephony.providers.edges.abc.softwareupdate") is not None
    assert catalogue.info("v2.users.abc.presence") is None
    assert catalogue.info("v2.telephony.providers.edges.trunks.x").template.endswith("trunks.{id}")


def test_what_the_operational_events_topic_id_is_comes_from_the_catalogue():
    source = operational_events.OperationalEventsSource.__new__(operational_events.OperationalEventsSource)
    source.org_id, source.settings = (
        "org-1",
        operational_events.EventsSettings(definitions=["TELEPHONY-0010"]),
    )
    source.use_catalogue(catalogue_of(body("availabletopics")))  # "operationalEventId": not said which
    assert source.topics() == ["v2.operations.events.org-1", "v2.operations.events.TELEPHONY-0010"]
    for parameter, topics in (("organizationId", ["org-1"]), ("eventDefinitionId", ["TELEPHONY-0010"])):
        listing = body("availabletopics")
        for topic in listing["entities"]:
            if topic["id"].startswith("v2.operations.events."):
                topic["topicParameters"] = [parameter]
        source.use_catalogue(catalogue_of(listing))
        assert source.topics() == [f"v2.operations.events.{t}" for t in topics]
    source.use_catalogue(Catalogue())
    assert len(source.topics()) == 2  # no catalogue: both


def test_a_channel_answer_is_read_as_genesys_sends_it():
    channel = channel_of(body("channel"))
    assert channel.uri.startswith("wss://streaming.") and channel.expires is not None


class GatedApi:
    """An API whose answers wait for the test's go (a push can come while a poll is out)."""

    def __init__(self, answers: dict[str, Any]) -> None:
        self.answers = answers
        self.asked = asyncio.Event()
        self.go = asyncio.Event()

    def url(self, path: str) -> str:
        return path

    def rate_limit(self, path: str) -> None:
        return None

    async def request_json(self, url: str, **kwargs: Any) -> tuple[Any, str]:
        self.asked.set()
        await self.go.wait()
        return copy.deepcopy(self.answers[url]), "cid"


async def test_a_push_that_comes_while_a_poll_lists_is_not_undone_by_the_older_listing():
    listing = body("trunks_page")
    api = GatedApi({trunks.PATH: listing})
    source = EntitySource(trunks.SPEC, api, settings=TrunksSettings())  # type: ignore[arg-type]
    first = asyncio.create_task(source.fetch(None))
    await api.asked.wait()
    api.go.set()
    await first
    tid = listing["entities"][0]["id"]
    assert source.components[tid].status is Status.HEALTHY
    api.go.clear()
    api.asked.clear()
    second = asyncio.create_task(source.fetch(None))
    await api.asked.wait()
    drop = {"id": tid, "connectedStatus": {"connected": False, "connectedStateTime": "2030-01-01T00:00:00Z"}}
    source.apply(f"v2.telephony.providers.edges.trunks.{tid}", drop)  # pushed while the listing is out
    api.go.set()
    result = await second
    assert next(c for c in result.components if c.id == f"trunk:{tid}").status is Status.DOWN


async def test_a_queue_group_pushed_while_a_query_is_out_is_not_undone():
    frames = body("topic_queue_observations")
    qid = frames[0]["eventBody"]["group"]["queueId"]
    answer = {
        "results": [{"group": {"queueId": qid}, "data": [{"metric": "oOnQueueUsers", "stats": {"count": 0}}]}]
    }
    api = GatedApi({queues.QUERY_PATH: answer})
    source = QueuesSource(api, QueuesSettings(ids=[qid]))  # type: ignore[arg-type]
    source.queues, source._listed_at = {qid: "q"}, source.clock.monotonic()
    poll = asyncio.create_task(source.fetch(None))
    await api.asked.wait()
    source.apply(frames[0]["topicName"], frames[0]["eventBody"])  # voice: 2 waiting, pushed meanwhile
    api.go.set()
    result = await poll
    assert result.components[0].status is Status.DOWN and result.components[0].details["waiting"] == 2
