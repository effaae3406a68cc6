"""The org sources' rules, each pinned on its own: thresholds at their exact boundaries, per-queue thresholds,
the queue bound, the listing's refresh, pushed fields, renames, catch-up (no HTTP: fakes and the injected clock)."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from tests.paths import FIXTURES
from tests.unit.fake_api import FakeApi, client
from tui_health.model.domain import Status
from tui_health.sources import trunks
from tui_health.sources.entities import EntitySource
from tui_health.sources.queues import AGENTS, QueuesSettings, QueuesSource, QueueThreshold
from tui_health.sources.trunks import TrunksSettings
from tui_health.support.clock import FakeClock


def body(name: str) -> Any:
    return json.loads((FIXTURES / f"{name}.json").read_text())["body"]


def queue(waiting: int | None, on_queue: int | None, **settings: Any) -> Status:
    source = QueuesSource(None, QueuesSettings(ids=["q1"], **settings))  # type: ignore[arg-type]
    source.queues = {"q1": "Sales EMEA"}
    groups: dict[str, dict[str, int]] = {}
    if on_queue is not None:
        groups[AGENTS] = {"oOnQueueUsers": on_queue}
    if waiting is not None:
        groups["voice"] = {"oWaiting": waiting}
    source.figures = {"q1": groups} if groups else {}
    return source._component("q1", "Sales EMEA").status


@pytest.mark.parametrize(
    ("waiting", "on_queue", "status"),
    [
        (10, 5, Status.HEALTHY),  # exactly max_waiting (10): not more than it
        (11, 5, Status.DEGRADED),
        (1, 0, Status.DOWN),  # someone waits, nobody on queue (min_on_queue 1)
        (1, 1, Status.HEALTHY),  # exactly min_on_queue: answered
        (0, 0, Status.HEALTHY),  # nobody on queue, but nobody waits either
        (11, 0, Status.DOWN),  # down outranks degraded
        (3, None, Status.HEALTHY),  # no agent group: judged on the waiting only
        (12, None, Status.DEGRADED),
        (None, None, Status.UNKNOWN),  # the query said nothing of it
    ],
)
def test_queue_thresholds_at_their_boundaries(waiting, on_queue, status):
    assert queue(waiting, on_queue) is status


def test_a_queues_own_thresholds_by_id_then_by_name_pattern_then_the_defaults():
    by_id = {"q1": QueueThreshold(max_waiting=2), "Sales*": QueueThreshold(max_waiting=50)}
    assert queue(3, 5, thresholds=by_id) is Status.DEGRADED  # the id wins over a matching pattern
    by_name = {"Sales*": QueueThreshold(max_waiting=2, min_on_queue=3)}
    assert queue(3, 5, thresholds=by_name) is Status.DEGRADED
    assert queue(1, 2, thresholds=by_name) is Status.DOWN  # its own min_on_queue
    other = {"Support*": QueueThreshold(max_waiting=0)}
    assert queue(3, 5, thresholds=other) is Status.HEALTHY  # not its pattern: the default 10


def listing_api(names: list[str]) -> FakeApi:
    """Answers the queue list with ``names`` (as they are when asked) and every observation query with none."""

    def answer(url: str, request: dict[str, Any]) -> tuple[Any, str]:
        if url.endswith("/routing/queues"):
            page = body("routing_queues_page")
            example = page["entities"][0]
            page["entities"] = [{**example, "id": f"id-{n}", "name": n} for n in names]
            page.update(total=len(names), pageCount=1)
            return page, "cid"
        return {"results": []}, "cid"

    return FakeApi(answer)


def lists(api: FakeApi) -> int:
    return sum(1 for asked in api.asked if asked["url"].endswith("/routing/queues"))


async def test_the_queue_list_is_read_again_only_after_list_every():
    clock = FakeClock()
    names = ["Support", "Sales"]
    api = listing_api(names)
    source = QueuesSource(client(api), QueuesSettings(names=["S*"], list_every=300), clock=clock)
    await source.fetch(None)
    clock.advance(299)
    await source.fetch(None)
    assert lists(api) == 1
    clock.advance(1)
    names.append("Sales APAC")
    result = await source.fetch(None)
    assert lists(api) == 2 and len(result.components) == 3


async def test_at_most_max_queues_are_watched_and_the_rest_is_said():
    api = listing_api([f"Support {n}" for n in range(7)])
    source = QueuesSource(client(api), QueuesSettings(names=["Support*"], max_queues=5))
    result = await source.fetch(None)
    assert len(result.components) == 5
    assert result.extras.note == "2 more matching queue(s) not watched (queues.max_queues)"


class NoApi:
    def rate_limit(self, path: str) -> None:
        return None


def trunk_source() -> EntitySource:
    source = EntitySource(trunks.SPEC, NoApi(), settings=TrunksSettings(), clock=FakeClock())  # type: ignore[arg-type]
    source.entities = {
        e["id"]: e for e in body("trunks_page")["entities"] if trunks.watched(e, TrunksSettings())
    }
    source.components = {eid: trunks.component(e) for eid, e in source.entities.items()}
    source._polled, source._stale = True, False
    return source


def test_a_push_that_changes_more_than_the_status_is_published_and_one_that_changes_nothing_is_not():
    source = trunk_source()
    tid = next(iter(source.entities))
    topic = f"v2.telephony.providers.edges.trunks.{tid}"
    same = {"id": tid, "connectedStatus": copy.deepcopy(source.entities[tid]["connectedStatus"])}
    assert not source.apply(topic, same)
    moved = {"id": tid, "ipStatus": {"address": "10.0.0.99"}}  # merged, but nothing the component shows
    assert not source.apply(topic, moved) and source.entities[tid]["ipStatus"] == {"address": "10.0.0.99"}
    failing = copy.deepcopy(source.entities[tid]["optionsStatus"])
    failing[0]["optionState"] = False
    assert source.apply(topic, {"id": tid, "optionsStatus": failing})  # degraded now: published
    assert source.components[tid].status is Status.DEGRADED
    assert not source.apply(
        f"v2.telephony.providers.edges.trunks.{tid}.metrics", {"id": tid}
    )  # not its topic
    assert not source.apply("v2.telephony.providers.edges.trunks.unknown", {"connectedStatus": {}})


def test_a_disabled_trunk_and_an_edge_out_of_service_are_in_maintenance():
    trunk = copy.deepcopy(body("trunks_page")["entities"][2])  # disconnected
    assert trunks.component(trunk).status is Status.DOWN
    trunk["enabled"] = False  # its Edge is out of service
    assert trunks.component(trunk).status is Status.MAINTENANCE
    trunk["enabled"], trunk["inService"] = True, False
    assert trunks.component(trunk).status is Status.MAINTENANCE


def test_after_a_gap_a_pushed_source_asks_for_a_poll_instead_of_answering():
    source = trunk_source()
    tid = next(iter(source.entities))
    topic = f"v2.telephony.providers.edges.trunks.{tid}"
    drop = {"id": tid, "connectedStatus": {"connected": False, "connectedStateTime": "2030-01-01T00:00:00Z"}}
    answer = source.apply(topic, drop)
    assert not isinstance(answer, bool) and answer.components[0].status is Status.DOWN  # its answer, at once
    source.catch_up()
    back = {"id": tid, "connectedStatus": {"connected": True, "connectedStateTime": "2030-01-01T00:01:00Z"}}
    assert source.apply(topic, back) is True  # after a gap: no answer from what it knew, a poll is asked


async def test_a_rename_seen_by_a_poll_is_published():
    listing = body("trunks_page")
    api = FakeApi(lambda url, request: (copy.deepcopy(listing), "cid"))
    source = EntitySource(trunks.SPEC, client(api), settings=TrunksSettings())
    await source.fetch(None)
    listing["entities"][0]["name"] = "Carrier A (renamed)"
    result = await source.fetch(None)
    assert result.components[0].name == "Carrier A (renamed)"
