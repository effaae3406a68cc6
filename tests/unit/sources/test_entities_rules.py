"""What every entity source shares (``edges``, ``trunks``), pinned on a kind of its own: a listing that moved
while it was read, one that ends short, how late a change was seen (by a poll, by a push), topics, merges and
what the source declares — on a scripted API and an injected clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

import pytest

from tests.unit.fake_api import FakeApi, client, context, page
from tui_health.genesys.listing import Listing
from tui_health.genesys.wire import parse_timestamp
from tui_health.model.domain import Component, RequestTiming, SourceResult, Status, ValidationIssue
from tui_health.model.extras import SourceExtras
from tui_health.settings.config import Settings
from tui_health.sources import entities
from tui_health.sources.edges import EdgesSettings
from tui_health.sources.entities import EntityKind, EntitySource, PushedTopic, merge_fields
from tui_health.support.clock import FakeClock
from tui_health.support.errors import ApiError

NOW = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)  # FakeClock's start
STATES = {"up": Status.HEALTHY, "down": Status.DOWN, "slow": Status.DEGRADED, "off": Status.MAINTENANCE}


def component(entity: dict[str, Any]) -> Component:
    status = STATES.get(entity.get("state"), Status.UNKNOWN)  # type: ignore[arg-type]
    name = entity.get("name", entity["id"])
    return Component(id=f"widget:{entity['id']}", name=name, status=status, source="widgets", kind="widget")


def changed_at(entity: dict[str, Any]) -> datetime | None:
    return parse_timestamp(entity.get("at"))


def merge_timed(
    entity: dict[str, Any], body: dict[str, Any]
) -> tuple[dict[str, Any], datetime | None] | None:
    if "state" not in body:
        return None
    return {**entity, "state": body["state"]}, parse_timestamp(body.get("at"))


SPEC = EntityKind(
    name="widgets",
    kind="widget",
    path="/api/v2/widgets",
    permission="widgets:view",
    topics=(
        PushedTopic("v2.widgets.{id}", merge_fields(frozenset({"state", "name"}))),
        PushedTopic("v2.widgets.{id}.timed", merge_timed),
    ),
    component=component,
    changed_at=changed_at,
    empty_note="no widgets here",
    section="edges",
    params=lambda settings: {"colour": settings.colour},
    keep=lambda entity, settings: entity.get("state") != "gone",
)
SETTINGS = SimpleNamespace(page_size=25, colour="blue")


def widget(wid: str, state: str = "up", at: datetime | None = None, **more: Any) -> dict[str, Any]:
    found: dict[str, Any] = {"id": wid, "state": state, **more}
    if at is not None:
        found["at"] = at.isoformat()
    return found


def listed(*found: dict[str, Any], total: int | None = None, cid: str = "cid") -> tuple[Any, str]:
    return page(list(found), total=len(found) if total is None else total, page_count=1), cid


def source(api: FakeApi, clock: FakeClock | None = None, spec: EntityKind = SPEC) -> EntitySource:
    return EntitySource(spec, client(api), clock=clock or FakeClock(), settings=SETTINGS)


def polled(*found: dict[str, Any]) -> EntitySource:
    """A source whose last poll listed ``found``."""
    watched = source(FakeApi([]))
    watched.entities = {e["id"]: e for e in found}
    watched.components = {e["id"]: component(e) for e in found}
    watched._polled, watched._stale = True, False
    return watched


# -- topics ------------------------------------------------------------------------------------------------------
def test_a_topic_names_its_entity_and_nothing_else():
    timed = PushedTopic("v2.widgets.{id}.timed", merge_timed)
    assert timed.topic("w1") == "v2.widgets.w1.timed"
    assert timed.entity_id("v2.widgets.w1.timed") == "w1"
    assert timed.entity_id("v2.widgets..timed") is None  # no id between
    assert timed.entity_id("v2.widgets.timed") is None
    assert timed.entity_id("v2.widgets.w.1.timed") is None
    assert timed.entity_id("v2.gadgets.w1.timed") is None
    assert timed.entity_id("v2.widgets.w1.time") is None
    plain = PushedTopic("v2.widgets.{id}", merge_timed)
    assert plain.entity_id("v2.widgets.w1") == "w1"
    assert plain.entity_id("v2.widgets.w1.timed") is None
    assert plain.entity_id("v2.widgets.") is None
    assert plain.entity_id("v2.widgets.w") == "w"


def test_topics_are_every_topic_of_every_watched_entity():
    assert polled(widget("w1"), widget("w2")).topics() == [
        "v2.widgets.w1",
        "v2.widgets.w1.timed",
        "v2.widgets.w2",
        "v2.widgets.w2.timed",
    ]


def test_a_kinds_defaults_ask_no_parameters_and_keep_everything():
    plain = EntityKind("w", "w", "/p", "perm", (), component, changed_at, "none", "edges")
    assert plain.params(SETTINGS) == {} and plain.keep({"id": "x", "state": "gone"}, SETTINGS) is True


def test_merge_fields_takes_only_its_fields_of_the_same_entity():
    merge = merge_fields(frozenset({"state", "name"}))
    entity = {"id": "w1", "state": "up", "name": "W"}
    assert merge(entity, {"state": "down", "other": 1}) == ({"id": "w1", "state": "down", "name": "W"}, None)
    assert merge(entity, {"id": "w1", "name": "V"}) == ({"id": "w1", "state": "up", "name": "V"}, None)
    assert merge(entity, {"id": "w2", "state": "down"}) is None
    assert merge(entity, {"other": 1}) is None
    assert merge({"state": "up"}, {"id": None, "state": "down"}) == ({"state": "down"}, None)


# -- a poll -----------------------------------------------------------------------------------------------------
async def test_a_poll_lists_the_kinds_path_with_its_parameters_and_answers_every_kept_entity():
    api = FakeApi([listed(widget("w1"), widget("w2", "down"), widget("w3", "gone"), cid="cid-1")])
    result = await source(api).fetch(5.0)
    assert api.asked == [
        {
            "url": "https://api.test/api/v2/widgets",
            "label": "widgets page 1",
            "deadline": 5.0,
            "params": {"colour": "blue", "pageSize": 25, "pageNumber": 1},
            "permission": "widgets:view",
        }
    ]
    assert result == SourceResult(
        name="widgets",
        ok=True,
        components=(component(widget("w1")), component(widget("w2", "down"))),
        extras=SourceExtras(note=None),
        rate_limit=("rate limit of", "/api/v2/widgets"),  # type: ignore[arg-type]
        timings=(RequestTiming("widgets page 1", 1.0, 200, correlation_id="cid-1"),),
        correlation_ids=("cid-1",),
    )


async def test_the_walk_is_bounded_at_5000_entities_and_the_pages_asked(monkeypatch):
    asked: list[dict[str, Any]] = []

    async def walk(api: Any, path: str, **options: Any) -> Listing:
        asked.append({"path": path, **{k: v for k, v in options.items() if k not in ("timings", "cids")}})
        return Listing([])

    monkeypatch.setattr(entities, "walk", walk)
    watched = EntitySource(SPEC, client(FakeApi([])), max_pages=7, settings=SETTINGS)
    await watched.fetch(9.0)
    assert asked == [
        {
            "path": "/api/v2/widgets",
            "label": "widgets",
            "deadline": 9.0,
            "permission": "widgets:view",
            "params": {"colour": "blue"},
            "page_size": 25,
            "max_pages": 7,
            "max_entities": 5000,
        }
    ]
    defaults = EntitySource(SPEC, client(FakeApi([])))
    assert (defaults.max_pages, defaults.page_size, defaults.settings) == (50, 100, None)


async def test_an_empty_kind_says_so_and_a_failed_poll_fails():
    empty = await source(FakeApi([listed()])).fetch(None)
    assert empty.ok and empty.components == () and empty.extras == SourceExtras(note="no widgets here")
    failed = await source(FakeApi([ApiError("503 Service Unavailable")])).fetch(None)
    assert (failed.ok, failed.name, failed.error) == (False, "widgets", "503 Service Unavailable")


async def test_a_listing_that_moved_is_walked_again_and_the_second_walk_is_taken():
    api = FakeApi(
        [
            listed(widget("w1", "down"), widget("w1", "up"), cid="c1"),
            listed(widget("w1", "slow"), widget("w2"), cid="c2"),
        ]
    )
    result = await source(api).fetch(None)
    assert [(c.id, c.status) for c in result.components] == [
        ("widget:w1", Status.DEGRADED),
        ("widget:w2", Status.HEALTHY),
    ]
    assert result.issues == () and result.correlation_ids == ("c1", "c2") and len(result.timings) == 2


async def test_a_repeat_that_stays_keeps_the_worse_and_says_so():
    twice = listed(
        widget("w1", "up"), widget("w2", "down"), widget("w1", "slow"), widget("w2", "up"), cid="c2"
    )
    api = FakeApi([listed(widget("w1"), widget("w1"), cid="c1"), twice])
    result = await source(api).fetch(None)
    assert [(c.id, c.status) for c in result.components] == [
        ("widget:w1", Status.DEGRADED),
        ("widget:w2", Status.DOWN),
    ]
    assert result.issues == (
        ValidationIssue(
            "widget:w1",
            "widget w1 was listed twice, as healthy and as degraded, in two walks (the listing moved while it "
            "was read): kept degraded",
            "c2",
            "widgets",
        ),
        ValidationIssue(
            "widget:w2",
            "widget w2 was listed twice, as down and as healthy, in two walks (the listing moved while it was "
            "read): kept down",
            "c2",
            "widgets",
        ),
    )


async def test_a_repeat_of_the_same_status_keeps_the_first_and_long_ids_are_cut():
    long_id = "w" * 201
    twice = listed(widget(long_id, name="first"), widget(long_id, name="second"))
    result = await source(FakeApi([twice, twice])).fetch(None)
    assert [c.name for c in result.components] == ["first"]
    assert [i.component_id for i in result.issues] == ["widget:" + "w" * 199 + "…"]


async def test_a_listing_short_of_its_total_says_the_missing_ones_are_not_watched():
    result = await source(FakeApi([listed(widget("w1"), total=3, cid="c1")])).fetch(None)
    assert result.issues == (
        ValidationIssue(
            None, "widgets: the API said 3 but listed 1: the missing ones are not watched", "c1", "widgets"
        ),
    )


async def test_issues_name_no_correlation_id_when_there_is_none():
    api = FakeApi([(page([widget("w1")], total=2, page_count=1), None)])
    assert (await source(api).fetch(None)).issues[0].correlation_id is None


# -- how late a change was seen -----------------------------------------------------------------------------------
async def test_a_change_seen_by_a_poll_is_timed_from_when_it_happened():
    clock = FakeClock()
    api = FakeApi(
        [
            listed(widget("w1", at=NOW - timedelta(hours=1)), widget("w2")),
            listed(widget("w1", "down", at=NOW + timedelta(seconds=60 - 12.3456)), widget("w2", "slow")),
            listed(widget("w1", "down", at=NOW + timedelta(seconds=60 - 12.3456)), widget("w2", "slow")),
        ]
    )
    watched = source(api, clock)
    first = await watched.fetch(None)
    assert all(c.details is None for c in first.components)  # first sight: nothing was noticed late or early
    clock.advance(60)
    second = {c.id: c.details for c in (await watched.fetch(None)).components}
    assert second == {
        "widget:w1": {"noticed_after_s": 12.35, "noticed_by": "poll"},
        "widget:w2": {"noticed_after_s": None, "noticed_by": "poll", "noticed_timed_by": "arrival"},
    }
    clock.advance(60)
    third = {c.id: c.details for c in (await watched.fetch(None)).components}
    assert third == second  # the change stays said while nothing else changes


@pytest.mark.parametrize(
    ("happened_after", "noticed"),
    [
        (5.0, 0.0),  # a clock five seconds ahead is believed: seen at once
        (5.01, None),  # further ahead: a change from the future is not
        (-86_400.0, 86_400.0),
        (-86_400.01, None),  # over a day: not this change's time
        (-0.004, 0.0),
        (-0.006, 0.01),
    ],
)
async def test_a_changes_time_is_believed_within_its_bounds(happened_after, noticed):
    clock = FakeClock()
    at = NOW + timedelta(seconds=60 + happened_after)
    api = FakeApi([listed(widget("w1")), listed(widget("w1", "down", at=at))])
    watched = source(api, clock)
    await watched.fetch(None)
    clock.advance(60)
    (found,) = (await watched.fetch(None)).components
    expected = None if noticed is None else {"noticed_after_s": noticed, "noticed_by": "poll"}
    assert found.details == expected


async def test_a_change_of_an_entity_gone_and_back_is_forgotten():
    clock = FakeClock()
    api = FakeApi(
        [
            listed(widget("w1")),
            listed(widget("w1", "down")),
            listed(widget("w2")),
            listed(widget("w1", "down")),
        ]
    )
    watched = source(api, clock)
    for _ in range(3):
        await watched.fetch(None)
    assert watched._seen == {}
    (back,) = (await watched.fetch(None)).components
    assert back.details is None


async def test_a_changed_name_is_no_change_of_health():
    api = FakeApi([listed(widget("w1", name="A")), listed(widget("w1", name="B"))])
    watched = source(api)
    await watched.fetch(None)
    (renamed,) = (await watched.fetch(None)).components
    assert (renamed.name, renamed.details) == ("B", None)


# -- pushes -----------------------------------------------------------------------------------------------------
def test_a_push_for_no_watched_entity_or_carrying_nothing_changes_nothing():
    watched = polled(widget("w1"))
    assert watched.apply("v2.widgets.w9", {"state": "down"}) is False
    assert watched.apply("v2.gadgets.w1", {"state": "down"}) is False
    assert watched.apply("v2.widgets.w1", {"other": "down"}) is False
    assert watched.apply("v2.widgets.w1.timed", {"name": "x"}) is False
    assert watched.entities == {"w1": widget("w1")}


def test_a_pushed_change_is_timed_from_the_bodys_time_or_its_arrival():
    clock = FakeClock()
    watched = polled(widget("w1"), widget("w2"))
    watched.clock = clock
    answer = watched.apply(
        "v2.widgets.w1.timed", {"state": "down", "at": (NOW - timedelta(seconds=2.5)).isoformat()}
    )
    assert isinstance(answer, SourceResult)
    assert answer.components[0].details == {"noticed_after_s": 2.5, "noticed_by": "push"}
    assert watched.entities["w1"] == widget("w1", "down")
    clock.advance(10)
    answer = watched.apply("v2.widgets.w2", {"id": "w2", "state": "slow"})
    assert isinstance(answer, SourceResult)
    assert answer.components[1].details == {
        "noticed_after_s": None,
        "noticed_by": "push",
        "noticed_timed_by": "arrival",
    }
    assert answer.rate_limit == ("rate limit of", "/api/v2/widgets")


def test_a_push_that_changes_the_component_but_not_its_health_is_published_untimed():
    watched = polled(widget("w1", name="A"))
    answer = watched.apply("v2.widgets.w1", {"name": "B"})
    assert isinstance(answer, SourceResult) and answer.components[0].name == "B"
    assert watched._seen == {} and answer.components[0].details is None
    assert watched.apply("v2.widgets.w1", {"name": "B"}) is False  # the same again: nothing to publish
    assert watched.components["w1"].name == "B"


def test_before_a_poll_or_after_a_gap_a_push_asks_for_a_poll():
    watched = polled(widget("w1"))
    watched.catch_up()
    assert watched.apply("v2.widgets.w1", {"state": "down"}) is True
    unpolled = polled(widget("w1"))
    unpolled._polled = False
    assert unpolled.apply("v2.widgets.w1", {"state": "down"}) is True


async def test_a_push_heard_while_listing_is_applied_over_the_listing():
    def answer(url: str, request: dict[str, Any]) -> tuple[Any, str]:
        watched.apply("v2.widgets.w1", {"state": "down"})
        return listed(widget("w1"))

    watched = source(FakeApi(answer))
    (found,) = (await watched.fetch(None)).components
    assert found.status is Status.DOWN
    assert watched._during is None


async def test_a_push_heard_during_a_walk_that_moved_is_dropped_with_that_walk():
    calls = []

    def answer(url: str, request: dict[str, Any]) -> tuple[Any, str]:
        calls.append(url)
        if len(calls) == 1:
            watched.apply("v2.widgets.w1", {"state": "down"})  # about the walk that is thrown away
            return listed(widget("w1"), widget("w1"))
        return listed(widget("w1", "slow"))

    watched = source(FakeApi(answer))
    (found,) = (await watched.fetch(None)).components
    assert found.status is Status.DEGRADED


async def test_a_poll_makes_pushes_answer_again():
    watched = source(FakeApi([listed(widget("w1"))]))
    watched.catch_up()
    await watched.fetch(None)
    assert isinstance(watched.apply("v2.widgets.w1", {"state": "down"}), SourceResult)


# -- what every such source declares --------------------------------------------------------------------------
def test_build_uses_the_token_the_api_url_the_section_the_clock_and_max_pages(tmp_path):
    clock = FakeClock()
    built = entities.build(SPEC, context(tmp_path, clock, **{"edges.page_size": 30, "poll.max_pages": 9}))
    assert built.api.core == "the budgeted core" and built.api.tokens == "the tokens"
    assert built.api.api_url == "https://api.test"
    assert (built.spec, built.name, built.clock, built.max_pages) == (SPEC, "widgets", clock, 9)
    assert built.settings == EdgesSettings(page_size=30) and built.page_size == 30


def test_the_hosts_identity_and_demo_of_every_entity_source(tmp_path):
    settings: Settings = context(tmp_path, FakeClock()).settings
    assert entities.chosen(settings) is False
    assert entities.hosts(settings) == {"api": "https://api.test", "login": "https://login.test"}
    assert entities.identity(settings) == {"api": "https://api.test"}
    assert entities.demo("http://sim", True) == {} and entities.demo("http://sim", False) is None
    assert entities.history_flags({"api": "https://api.test"}) == []


async def test_an_unwatched_entity_listed_first_hides_none_after_it():
    result = await source(FakeApi([listed(widget("w0", "gone"), widget("w1"))])).fetch(None)
    assert [c.id for c in result.components] == ["widget:w1"]


async def test_the_second_walk_keeps_the_deadline_and_the_pushes_heard_while_it_lists():
    calls: list[str] = []

    def answer(url: str, request: dict[str, Any]) -> tuple[Any, str]:
        calls.append(url)
        if len(calls) == 1:
            return listed(widget("w1"), widget("w1"))
        watched.apply("v2.widgets.w1", {"state": "down"})  # heard during the second walk: newer than it
        return listed(widget("w1"))

    api = FakeApi(answer)
    watched = source(api)
    (found,) = (await watched.fetch(6.5)).components
    assert found.status is Status.DOWN
    assert [a["deadline"] for a in api.asked] == [6.5, 6.5]
