"""The queues source's rules, each pinned on its own: which counts are believed, how a queue's groups combine, its
thresholds (its own or the defaults), which queues are watched, the queries over a scripted API on an injected
clock, and pushed groups."""

from __future__ import annotations

from typing import Any

import pytest

from tests.unit.fake_api import FakeApi, client, context, page
from tui_health.model.domain import Component, RequestTiming, SourceResult, Status
from tui_health.model.extras import SourceExtras
from tui_health.sources import queues
from tui_health.sources.queues import (
    AGENTS,
    QueuesSettings,
    QueuesSource,
    QueueThreshold,
    count_of,
    figures_of,
    group_key,
    groups_of,
)
from tui_health.support.clock import FakeClock
from tui_health.support.errors import ApiError, ConfigError

QUERY = "https://api.test/api/v2/analytics/queues/observations/query"
LIST = "https://api.test/api/v2/routing/queues"
TOPIC = "v2.analytics.queues.{}.observations"


def metric(name: str, count: Any, qualifier: str | None = None) -> dict[str, Any]:
    found: dict[str, Any] = {"metric": name, "stats": {"count": count}}
    if qualifier is not None:
        found["qualifier"] = qualifier
    return found


def result(qid: str, media: str | None, *metrics: dict[str, Any]) -> dict[str, Any]:
    """One group of an observation answer (its ``data``: the metrics themselves)."""
    group = {"queueId": qid} if media is None else {"queueId": qid, "mediaType": media}
    return {"group": group, "data": list(metrics)}


# -- counts and groups ----------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("stats", "count"),
    [
        ({"count": 3}, 3),
        ({"count": 0}, 0),
        ({"count": 3.0}, 3),
        ({"count": 2.9999999}, 3),  # a float off by rounding only
        ({"count": 1e-6}, 0),  # off by exactly the rounding believed
        ({"count": 1_000_000}, 1_000_000),
        ({"count": 1_000_000.0}, 1_000_000),
        ({"count": 1_000_001}, None),
        ({"count": 2.5}, None),
        ({"count": 2.99999}, None),
        ({"count": float("nan")}, None),
        ({"count": -1}, None),
        ({"count": -1.0}, None),
        ({"count": True}, None),
        ({"count": "3"}, None),
        ({}, None),
        (None, None),
        ([3], None),
    ],
)
def test_a_count_is_believed_when_it_is_one(stats, count):
    found = count_of(stats)
    assert found == count and (found is None or type(found) is int)


def test_a_groups_figures_sum_the_qualifiers_of_each_metric():
    assert figures_of(
        [
            metric("oOnQueueUsers", 2, "IDLE"),
            metric("oOnQueueUsers", 3.0, "INTERACTING"),
            metric("oWaiting", 4),
            metric("oInteracting", 1),
            metric("oAlerting", 9),  # not a metric of ours
            "not a metric",
            metric("oWaiting", -1),  # not believed: the others still count
            {"metric": "oWaiting"},
        ]
    ) == {"oOnQueueUsers": 5, "oWaiting": 4, "oInteracting": 1}
    assert figures_of(None) == {} and figures_of({"metric": "oWaiting"}) == {}


def test_a_metric_sums_to_a_million_at_most_and_100_entries_are_read():
    assert figures_of([metric("oWaiting", 600_000), metric("oWaiting", 600_000)]) == {"oWaiting": 1_000_000}
    assert figures_of([metric("oWaiting", 1)] * 101) == {"oWaiting": 100}


def test_a_groups_key_is_its_queue_and_its_media_type():
    assert group_key({"queueId": "q1"}, {"q1"}) == ("q1", AGENTS)
    assert group_key({"queueId": "q1", "mediaType": "Voice"}, {"q1"}) == ("q1", "voice")
    assert group_key({"queueId": "q1", "mediaType": ""}, {"q1"}) == ("q1", AGENTS)
    assert group_key({"queueId": "q1", "mediaType": 5}, {"q1"}) == ("q1", AGENTS)
    assert group_key({"queueId": "q1", "mediaType": "M" * 41}, {"q1"}) == ("q1", "m" * 39 + "…")
    assert group_key({"queueId": "q2"}, {"q1"}) is None
    assert group_key({"queueId": 1}, {"q1"}) is None
    assert group_key("q1", {"q1"}) is None


def test_an_answers_groups_are_combined_per_queue_in_any_order():
    found = groups_of(
        [
            result("q1", "voice", metric("oWaiting", 2)),
            "not a result",
            {"group": "q1"},
            result("q2", None, metric("oOnQueueUsers", 1)),
            result("q9", None, metric("oOnQueueUsers", 1)),  # not asked about
            result("q1", None, metric("oOnQueueUsers", 4)),
            result("q1", "voice", metric("oInteracting", 3)),  # the same group again: its figures merged
            result("q1", "voice", metric("oWaiting", 5)),  # a metric again: the later one
        ],
        {"q1", "q2"},
    )
    assert found == {
        "q1": {"voice": {"oWaiting": 5, "oInteracting": 3}, AGENTS: {"oOnQueueUsers": 4}},
        "q2": {AGENTS: {"oOnQueueUsers": 1}},
    }


def test_twenty_groups_per_queue_are_read_and_a_known_one_is_still_merged():
    answer = [result("q1", f"m{n:02d}", metric("oWaiting", 1)) for n in range(21)]
    answer.append(result("q1", "m00", metric("oInteracting", 7)))
    found = groups_of(answer, {"q1"})["q1"]
    assert len(found) == 20 and "m20" not in found and found["m00"] == {"oWaiting": 1, "oInteracting": 7}


# -- one queue -------------------------------------------------------------------------------------------------
def source(
    *names: str, api: FakeApi | None = None, clock: FakeClock | None = None, **settings: Any
) -> QueuesSource:
    settings.setdefault("ids", ["q1"])
    found = QueuesSource(client(api or FakeApi([])), QueuesSettings(**settings), clock=clock or FakeClock())
    found.queues = {f"q{n}": name for n, name in enumerate(names, 1)}
    return found


def test_a_queue_with_every_figure():
    watched = source("Support")
    watched.figures = {
        "q1": {
            AGENTS: {"oOnQueueUsers": 3},
            "voice": {"oWaiting": 4, "oInteracting": 2},
            "chat": {"oWaiting": 0, "oInteracting": 5},
            "email": {"oWaiting": 7},
        }
    }
    assert watched._component("q1", "Support") == Component(
        id="queue:q1",
        name="Support",
        status=Status.DEGRADED,
        source="queues",
        details={
            "waiting": 11,
            "waiting_by_media": "email 7, voice 4",
            "interacting": 7,
            "on_queue": 3,
            "max_waiting": 10,
            "min_on_queue": 1,
        },
        kind="queue",
    )


def test_a_queue_nobody_waits_in_and_one_the_query_said_nothing_of():
    watched = source("Support", "Sales")
    watched.figures = {"q1": {AGENTS: {}, "voice": {}}, "q2": {}}
    assert watched._component("q1", "Support").details == {
        "waiting": 0,
        "waiting_by_media": None,
        "interacting": 0,
        "on_queue": 0,
        "max_waiting": 10,
        "min_on_queue": 1,
    }
    unknown = Component(
        id="queue:q2",
        name="Sales",
        status=Status.UNKNOWN,
        source="queues",
        details={"note": "the observation query said nothing of this queue"},
        kind="queue",
    )
    assert watched._component("q2", "Sales") == unknown
    assert watched._component("q3", "Sales").status is Status.UNKNOWN  # not in the answer at all


def test_a_queue_without_agent_figures_is_judged_on_its_waiting_only():
    watched = source("Support")
    watched.figures = {"q1": {"voice": {"oWaiting": 5, "oInteracting": 1}}}
    found = watched._component("q1", "Support")
    assert (found.status, found.details) == (
        Status.HEALTHY,
        {
            "waiting": 5,
            "waiting_by_media": "voice 5",
            "interacting": 1,
            "on_queue": None,
            "max_waiting": 10,
            "min_on_queue": 1,
            "note": "no agent figures in the answer: judged on the waiting only",
        },
    )


@pytest.mark.parametrize(
    ("waiting", "on_queue", "status"),
    [
        (0, 0, Status.HEALTHY),
        (1, 2, Status.DOWN),
        (3, 2, Status.DOWN),  # fewer than min_on_queue 3
        (3, 3, Status.HEALTHY),
        (5, 3, Status.HEALTHY),  # exactly max_waiting 5
        (6, 3, Status.DEGRADED),
        (6, 0, Status.DOWN),
    ],
)
def test_a_queues_thresholds_at_their_edges(waiting, on_queue, status):
    watched = source("Support", max_waiting=5, min_on_queue=3)
    watched.figures = {"q1": {AGENTS: {"oOnQueueUsers": on_queue}, "voice": {"oWaiting": waiting}}}
    assert watched._component("q1", "Support").status is status


def test_a_queues_own_thresholds_by_id_then_by_the_first_matching_pattern():
    thresholds = {
        "Sales*": QueueThreshold(max_waiting=3),
        "Sales EMEA": QueueThreshold(min_on_queue=4),
        "q7": QueueThreshold(max_waiting=1, min_on_queue=0),
        "q8": QueueThreshold(),
    }
    watched = source(thresholds=thresholds, max_waiting=10, min_on_queue=2)
    assert watched.threshold("q7", "Sales EMEA") == (1, 0)  # the id first
    assert watched.threshold("q1", "Sales EMEA") == (3, 2)  # the first pattern that matches; the rest default
    assert watched.threshold("q1", "Support") == (10, 2)
    assert watched.threshold("q1", "sales emea") == (10, 2)  # patterns are case-sensitive
    assert watched.threshold("q8", "Sales EMEA") == (10, 2)  # its own, saying nothing: the defaults


# -- the queries --------------------------------------------------------------------------------------------------
class Org:
    """The queue list and the observation answers; what was asked is in ``api.asked``."""

    def __init__(self, names: list[str], groups: list[dict[str, Any]] | None = None) -> None:
        self.names = names
        self.groups = groups or []
        self.api = FakeApi(self.answer)

    def answer(self, url: str, request: dict[str, Any]) -> Any:
        cid = f"cid-{len(self.api.asked)}"
        if url == LIST:
            listed = [{"id": f"q{n}", "name": name} for n, name in enumerate(self.names, 1)]
            number = request["params"]["pageNumber"]
            return page(listed[(number - 1) * 100 : number * 100], total=len(listed)), cid
        asked = {p["value"] for p in request["body"]["filter"]["predicates"]}
        return {"results": [g for g in self.groups if g["group"]["queueId"] in asked]}, cid

    def lists(self) -> int:
        return sum(1 for a in self.api.asked if a["url"] == LIST)


def polled(org: Org, clock: FakeClock | None = None, **settings: Any) -> QueuesSource:
    return QueuesSource(client(org.api), QueuesSettings(**settings), clock=clock or FakeClock(), max_pages=4)


async def test_a_poll_lists_the_queues_and_asks_for_their_figures():
    org = Org(["Support", "Sales"], [result("q1", "voice", metric("oWaiting", 2))])
    answer = await polled(org, names=["Sup*"]).fetch(8.0)
    assert org.api.asked == [
        {
            "url": LIST,
            "label": "queues page 1",
            "deadline": 8.0,
            "params": {"pageSize": 100, "pageNumber": 1},
            "permission": "routing:queue:view",
        },
        {
            "url": QUERY,
            "label": "queue observations",
            "deadline": 8.0,
            "method": "POST",
            "body": {
                "filter": {
                    "type": "or",
                    "predicates": [
                        {"type": "dimension", "dimension": "queueId", "operator": "matches", "value": "q1"}
                    ],
                },
                "metrics": ["oWaiting", "oInteracting", "oOnQueueUsers"],
            },
            "permission": "analytics:queueObservation:view",
        },
    ]
    assert answer == SourceResult(
        name="queues",
        ok=True,
        components=(
            Component(
                id="queue:q1",
                name="Support",
                status=Status.HEALTHY,
                source="queues",
                details={
                    "waiting": 2,
                    "waiting_by_media": "voice 2",
                    "interacting": 0,
                    "on_queue": None,
                    "max_waiting": 10,
                    "min_on_queue": 1,
                    "note": "no agent figures in the answer: judged on the waiting only",
                },
                kind="queue",
            ),
        ),
        extras=SourceExtras(note=None),
        rate_limit=("rate limit of", "/api/v2/analytics/queues/observations/query"),  # type: ignore[arg-type]
        timings=(
            RequestTiming("queues page 1", 1.0, 200, correlation_id="cid-1"),
            RequestTiming("queue observations", 1.0, 200, correlation_id="cid-2"),
        ),
        correlation_ids=("cid-1", "cid-2"),
    )


async def test_the_list_is_walked_within_max_pages():
    org = Org(["Support"])
    original = org.answer

    def answer(url: str, request: dict[str, Any]) -> Any:
        found, cid = original(url, request)
        if url == LIST:
            found["pageCount"] = 5  # more than the 4 pages read at most
        return found, cid

    org.api.answer = answer
    failed = await polled(org, ids=["q1"]).fetch(None)
    assert not failed.ok and "queues claims 5 pages, more than the 4 read at most" in (failed.error or "")


async def test_the_ids_come_first_then_the_names_in_the_lists_order_at_most_max_queues():
    org = Org(["Support", "Sales", "Billing", "Sales APAC", "Support"])
    watched = polled(org, ids=["q3", "q9", "q2"], names=["Sales*", "Support"], max_queues=4)
    answer = await watched.fetch(None)
    assert watched.queues == {"q3": "Billing", "q2": "Sales", "q1": "Support", "q4": "Sales APAC"}
    assert watched.truncated == 1
    assert answer.extras == SourceExtras(note="1 more matching queue(s) not watched (queues.max_queues)")
    assert watched.topics() == [TOPIC.format(q) for q in ("q3", "q2", "q1", "q4")]


async def test_names_are_cut_ids_are_cut_and_a_queue_without_a_name_is_named_by_its_id():
    org = Org([])
    long_id = "q" * 201

    def answer(url: str, request: dict[str, Any]) -> Any:
        if url == LIST:
            listed = [{"id": "a", "name": "n" * 101}, {"id": long_id}, {"id": "b", "name": ""}]
            return page(listed, total=3, page_count=1), "c"
        return {"results": []}, "c"

    org.api.answer = answer
    watched = polled(org, names=["*"])
    await watched.fetch(None)
    assert watched.queues == {"a": "n" * 99 + "…", "q" * 199 + "…": "q" * 99 + "…", "b": "b"}


async def test_a_selection_that_matches_nothing_fails():
    failed = await polled(Org(["Support"]), ids=["q9"], names=["Sales*"]).fetch(None)
    assert (failed.ok, failed.error_kind) == (False, "empty")
    assert failed.error == (
        "no queue of the org matches queues.ids or queues.names: "
        "`tui-health --once --source queues` lists nothing to watch; check the ids and patterns"
    )


async def test_the_list_is_read_again_after_list_every_and_the_figures_every_poll():
    clock = FakeClock()
    org = Org(["Support"])
    watched = polled(org, clock, names=["*"], list_every=60)
    await watched.fetch(None)
    clock.advance(59)
    await watched.fetch(None)
    assert (org.lists(), len(org.api.asked)) == (1, 3)
    clock.advance(1)
    await watched.fetch(None)
    assert (org.lists(), len(org.api.asked)) == (2, 5)


async def test_a_hundred_queues_a_query_each_with_its_own_figures():
    names = [f"Queue {n}" for n in range(1, 202)]
    groups = [result(f"q{n}", "voice", metric("oWaiting", n)) for n in (1, 100, 101, 200, 201)]
    org = Org(names, groups)
    watched = polled(org, names=["*"], max_queues=200)
    answer = await watched.fetch(None)
    queries = [a for a in org.api.asked if a["url"] == QUERY]
    assert [len(q["body"]["filter"]["predicates"]) for q in queries] == [100, 100]
    assert queries[1]["body"]["filter"]["predicates"][0]["value"] == "q101"
    waiting = {
        c.id: (c.details or {}).get("waiting") for c in answer.components if c.status is not Status.UNKNOWN
    }
    assert waiting == {"queue:q1": 1, "queue:q100": 100, "queue:q101": 101, "queue:q200": 200}


async def test_an_answer_is_read_to_twenty_groups_a_queue():
    groups = [result("q1", f"m{n:02d}", metric("oWaiting", 1)) for n in range(20)]
    groups.append(result("q1", None, metric("oOnQueueUsers", 0)))  # the 21st result for one queue: not read
    watched = polled(Org(["Support"], groups), names=["*"])
    (queue,) = (await watched.fetch(None)).components
    assert (queue.status, (queue.details or {})["on_queue"]) == (Status.DEGRADED, None)


@pytest.mark.parametrize("data", [{"results": "none"}, ["results"], {"no": "results"}])
async def test_an_answer_without_results_fails_the_poll(data):
    org = Org(["Support"])
    org.api.answer = lambda url, request: (
        (page([{"id": "q1", "name": "Support"}], total=1, page_count=1), "c1")
        if url == LIST
        else (data, "c2")
    )
    failed = await polled(org, names=["*"]).fetch(None)
    assert (failed.ok, failed.error) == (
        False,
        "the queue observations have no results list (ININ-Correlation-Id c2)",
    )
    assert failed.correlation_ids == ("c1", "c2")


async def test_an_answer_without_a_correlation_id_adds_none():
    org = Org(["Support"])
    org.api.answer = lambda url, request: (
        (page([{"id": "q1", "name": "Support"}], total=1, page_count=1), "c1")
        if url == LIST
        else ({"results": []}, None)
    )
    assert (await polled(org, names=["*"]).fetch(None)).correlation_ids == ("c1",)


async def test_a_failed_query_keeps_the_list_and_lists_again_only_when_due():
    clock = FakeClock()
    org = Org(["Support"])
    original = org.answer
    fail = [True]

    def answer(url: str, request: dict[str, Any]) -> Any:
        if url == QUERY and fail[0]:
            fail[0] = False
            return ApiError("503")
        return original(url, request)

    org.api.answer = answer
    watched = polled(org, clock, names=["*"])
    failed = await watched.fetch(None)
    assert (failed.ok, failed.name, failed.error) == (False, "queues", "503")
    clock.advance(1)
    assert (await watched.fetch(None)).ok and org.lists() == 1


# -- pushes ---------------------------------------------------------------------------------------------------------
def pushed(qid: str, media: str | None, *metrics: dict[str, Any]) -> dict[str, Any]:
    """One pushed group (its ``data``: intervals of metrics; the latest counts)."""
    group = {"queueId": qid} if media is None else {"queueId": qid, "mediaType": media}
    older = {"interval": "older", "metrics": [metric("oWaiting", 99)]}
    return {"group": group, "data": [older, {"interval": "now", "metrics": list(metrics)}]}


def watched_queue() -> QueuesSource:
    watched = source("Support")
    watched.figures = {"q1": {AGENTS: {"oOnQueueUsers": 2}, "voice": {"oWaiting": 1, "oInteracting": 1}}}
    watched._polled, watched._stale = True, False
    return watched


def test_a_pushed_group_replaces_that_group_with_its_latest_figures():
    watched = watched_queue()
    answer = watched.apply(TOPIC.format("q1"), pushed("q1", "voice", metric("oWaiting", 12)))
    assert isinstance(answer, SourceResult)
    assert watched.figures["q1"] == {AGENTS: {"oOnQueueUsers": 2}, "voice": {"oWaiting": 12}}
    assert answer.components[0].status is Status.DEGRADED
    assert watched.apply(TOPIC.format("q1"), pushed("q1", None)) is not False  # nobody on queue now: down
    assert watched._component("q1", "Support").status is Status.DOWN


def test_a_push_that_changes_nothing_or_is_not_for_the_queue_is_ignored():
    watched = watched_queue()
    same = pushed("q1", "voice", metric("oWaiting", 1), metric("oInteracting", 1))
    assert watched.apply(TOPIC.format("q1"), same) is False
    assert watched.apply(TOPIC.format("q2"), pushed("q2", "voice", metric("oWaiting", 12))) is False
    assert watched.apply("q1", pushed("q1", "voice", metric("oWaiting", 12))) is False
    assert watched.apply(TOPIC.format("q1") + ".x", pushed("q1", "voice", metric("oWaiting", 12))) is False
    for body in (
        pushed("q2", "voice", metric("oWaiting", 12)),  # another queue's group on this queue's topic
        {"group": {"queueId": "q1"}, "data": []},
        {"group": {"queueId": "q1"}, "data": "x"},
        {"group": {"queueId": "q1"}, "data": ["x"]},
        {"group": {"queueId": "q1"}, "data": [{"metrics": "x"}]},
    ):
        assert watched.apply(TOPIC.format("q1"), body) is False
    assert watched.figures["q1"]["voice"] == {"oWaiting": 1, "oInteracting": 1}


def test_before_its_first_poll_a_source_has_no_topics_and_takes_no_push():
    fresh = QueuesSource(client(FakeApi([])), QueuesSettings(ids=["q1"]))
    assert fresh.topics() == []
    assert fresh.apply(TOPIC.format("q1"), pushed("q1", "voice", metric("oWaiting", 12))) is False


def test_a_pushed_change_before_a_poll_or_after_a_gap_asks_for_a_poll():
    watched = watched_queue()
    watched.catch_up()
    assert watched.apply(TOPIC.format("q1"), pushed("q1", "voice", metric("oWaiting", 12))) is True
    fresh = source("Support")
    assert fresh.apply(TOPIC.format("q1"), pushed("q1", "voice", metric("oWaiting", 12))) is True
    assert fresh.figures == {"q1": {"voice": {"oWaiting": 12}}}


async def test_a_group_pushed_while_the_query_is_out_is_applied_over_its_answer():
    org = Org(["Support"], [result("q1", "voice", metric("oWaiting", 1))])
    original = org.answer

    def answer(url: str, request: dict[str, Any]) -> Any:
        if url == QUERY:
            watched.apply(TOPIC.format("q1"), pushed("q1", "voice", metric("oWaiting", 30)))
        return original(url, request)

    org.api.answer = answer
    watched = polled(org, names=["*"])
    (queue,) = (await watched.fetch(None)).components
    assert (queue.details or {})["waiting"] == 30
    assert isinstance(
        watched.apply(TOPIC.format("q1"), pushed("q1", "voice", metric("oWaiting", 2))), SourceResult
    )
    assert watched._during is None


# -- what the module declares ------------------------------------------------------------------------------------
def test_build_needs_queues_to_watch(tmp_path):
    with pytest.raises(ConfigError) as raised:
        queues.build(context(tmp_path, FakeClock()))
    assert raised.value.message == "the queues source needs queues.ids or queues.names: the queues to watch"
    assert raised.value.hint == 'e.g. [queues] names = ["Support*", "Sales"]'


@pytest.mark.parametrize("flags", [{"queues.ids": ["q1"]}, {"queues.names": ["S*"]}])
def test_build_uses_the_token_the_api_url_the_section_the_clock_and_max_pages(tmp_path, flags):
    clock = FakeClock()
    built = queues.build(context(tmp_path, clock, **flags, **{"poll.max_pages": 9}))
    assert built.api.core == "the budgeted core" and built.api.tokens == "the tokens"
    assert built.api.api_url == "https://api.test"
    assert built.settings == QueuesSettings(**{k.split(".")[1]: v for k, v in flags.items()})
    assert built.clock is clock and built.max_pages == 9


def test_it_is_asked_for_by_name_and_watches_every_queue_in_the_demo():
    assert queues.chosen(None) is False  # type: ignore[arg-type]
    assert queues.demo("http://sim", True) == {"queues.names": ["*"]}
    assert queues.demo("http://sim", False) is None
    assert QueuesSource(client(FakeApi([])), QueuesSettings(ids=["q1"])).max_pages == 50
