"""The data-actions source's rules, each pinned on its own: what an aggregate answer counts, the bounds on what is
believed, the thresholds at their edges, and a poll over a scripted API on an injected clock."""

from __future__ import annotations

from typing import Any

import pytest

from tests.unit.fake_api import FakeApi, client, context
from tui_health.model.domain import Component, RequestTiming, SourceResult, Status
from tui_health.model.extras import SourceExtras
from tui_health.sources import data_actions
from tui_health.sources.data_actions import DataActionsSettings, DataActionsSource, Figures, figures_of
from tui_health.support.clock import FakeClock
from tui_health.support.errors import ApiError

PATH = "https://api.test/api/v2/analytics/actions/aggregates/query"


def metric(
    count: Any, *, total: Any = None, most: Any = None, name: str = "tTotalExecution"
) -> dict[str, Any]:
    stats: dict[str, Any] = {"count": count}
    if total is not None:
        stats["sum"] = total
    if most is not None:
        stats["max"] = most
    return {"metric": name, "stats": stats}


def group(aid: Any, *metrics: dict[str, Any], error: Any = None, name: Any = None) -> dict[str, Any]:
    keys: dict[str, Any] = {"actionId": aid}
    if error is not None:
        keys["errorType"] = error
    if name is not None:
        keys["actionName"] = name
    return {"group": keys, "data": [{"interval": "x", "metrics": list(metrics)}]}


def read(*groups: dict[str, Any]) -> dict[str, tuple[int, int, float, float, dict[str, int]]]:
    figures, _ = figures_of(list(groups))
    return {aid: (f.total, f.errors, f.sum_ms, f.max_ms, dict(f.by_type)) for aid, f in figures.items()}


# -- what an answer counts ---------------------------------------------------------------------------------
def test_counts_sums_and_maxima_are_read_by_action_and_error_type():
    figures, names = figures_of(
        [
            group("a1", metric(5, total=100, most=40), error="none", name="Lookup"),
            group("a1", metric(2.0, total=30.5, most=25), error="timeout"),
            group("a1", metric(1, total=1, most=1)),  # no errorType: a success
            group("a2", metric(3), error=""),  # no sum, no max
        ]
    )
    assert {aid: (f.total, f.errors, f.sum_ms, f.max_ms, dict(f.by_type)) for aid, f in figures.items()} == {
        "a1": (8, 2, 131.5, 40.0, {"NONE": 5, "TIMEOUT": 2, "": 1}),
        "a2": (3, 0, 0.0, 0.0, {"": 3}),
    }
    assert names == {"a1": "Lookup"}


def test_one_error_types_counts_add_up_over_entries_and_metrics():
    item = group("a1", metric(2), metric(3), error="TIMEOUT")
    item["data"].append({"metrics": [metric(4)]})
    assert read(item) == {"a1": (9, 9, 0.0, 0.0, {"TIMEOUT": 9})}


def test_groups_without_a_usable_action_id_are_skipped_and_the_rest_is_read():
    assert read(
        group(7, metric(1)),
        group("", metric(1)),
        {"group": {}, "data": [{"metrics": [metric(1)]}]},
        "not a group",
        group("a1", metric(2)),
    ) == {"a1": (2, 0, 0.0, 0.0, {"": 2})}


def test_an_answer_without_a_results_list_counts_nothing():
    assert figures_of(None) == ({}, {})
    assert figures_of({"results": []}) == ({}, {})


def test_a_non_string_error_type_counts_as_success():
    assert read(group("a1", metric(4), error=7)) == {"a1": (4, 0, 0.0, 0.0, {"": 4})}


def test_long_ids_error_types_and_names_are_cut():
    figures, names = figures_of([group("i" * 201, metric(1), error="e" * 61, name="n" * 101)])
    cut = "i" * 199 + "…"
    assert list(figures) == [cut]
    assert dict(figures[cut].by_type) == {"E" * 59 + "…": 1}
    assert names == {cut: "n" * 99 + "…"}
    exact, exact_names = figures_of([group("i" * 200, metric(1), error="e" * 60, name="n" * 100)])
    assert list(exact) == ["i" * 200] and dict(exact["i" * 200].by_type) == {"E" * 60: 1}
    assert exact_names == {"i" * 200: "n" * 100}


def test_only_the_execution_metric_with_a_believable_count_is_read():
    item = group(
        "a1",
        metric(50, name="tOther"),  # another metric before it
        metric(-1),  # no count to believe before it
        metric(2, total=10, most=7),
        error="TIMEOUT",
    )
    item["data"][0]["metrics"].insert(0, "not a metric")
    assert read(item) == {"a1": (2, 2, 10.0, 7.0, {"TIMEOUT": 2})}


def test_at_most_100_entries_of_20_metrics_are_read_per_group():
    many_entries = {"group": {"actionId": "a1"}, "data": [{"metrics": [metric(1)]} for _ in range(101)]}
    many_metrics = {"group": {"actionId": "a2"}, "data": [{"metrics": [metric(1) for _ in range(21)]}]}
    found = read(many_entries, many_metrics)
    assert (found["a1"][0], found["a2"][0]) == (100, 20)


def test_at_most_2000_actions_are_read_and_one_already_read_still_adds_up():
    groups = [group(f"a{n}", metric(1)) for n in range(2000)]
    groups += [group("one-too-many", metric(1)), group("a0", metric(5), error="TIMEOUT")]
    figures, _ = figures_of(groups)
    assert len(figures) == 2000 and "one-too-many" not in figures
    assert dict(figures["a0"].by_type) == {"": 1, "TIMEOUT": 5}


def test_sums_and_maxima_outside_their_bounds_are_not_believed():
    unbelievable: list[Any] = [None, True, "5", -1, 1e15, 1e15 + 0.5]
    sums = [metric(1, total=t) for t in [0.5, *unbelievable]]
    assert read(group("a1", *sums))["a1"][2] == 0.5
    bigs: list[Any] = [None, True, "5", -1, 1e12, 1e12 + 0.5]
    maxima = [metric(1, most=m) for m in [0.5, *bigs]]
    assert read(group("a1", *maxima))["a1"][3] == 0.5
    assert read(group("a1", metric(1, total=1e15 - 1, most=1e12 - 1)))["a1"][2:4] == (1e15 - 1, 1e12 - 1)


# -- one action as a component -------------------------------------------------------------------------------
def figures(by_type: dict[str, int], sum_ms: float = 0.0, max_ms: float = 0.0) -> Figures:
    found = Figures()
    found.by_type.update(by_type)
    found.sum_ms, found.max_ms = sum_ms, max_ms
    return found


def judge(found: Figures | None, **settings: Any) -> Component:
    return DataActionsSource(client(FakeApi([])), DataActionsSettings(**settings)).component(
        "a1", "Lookup", found
    )


def test_an_action_with_no_executions_is_quiet_and_healthy():
    quiet = Component(
        "action:a1",
        "Lookup",
        Status.HEALTHY,
        source="data-actions",
        details={"executions": 0, "note": "no traffic in the last 15m"},
        kind="action",
    )
    assert judge(None) == quiet
    assert judge(figures({"": 0, "TIMEOUT": 0})) == quiet  # groups that counted nothing


def test_one_execution_is_judged_with_every_detail():
    assert judge(figures({"": 1}, sum_ms=120.4, max_ms=120.6)) == Component(
        "action:a1",
        "Lookup",
        Status.HEALTHY,
        source="data-actions",
        details={
            "executions": 1,
            "errors": 0,
            "error_pct": 0.0,
            "mean_ms": 120,
            "max_ms": 121,
            "window": "15m",
        },
        kind="action",
    )


def test_an_error_share_of_exactly_degraded_pct_is_degraded_and_of_down_pct_down():
    assert judge(figures({"": 19, "TIMEOUT": 1})).status is Status.DEGRADED  # 5.0 %: at least 5
    assert judge(figures({"": 20, "TIMEOUT": 1})).status is Status.HEALTHY  # 4.8 %
    assert judge(figures({"": 1, "TIMEOUT": 1})).status is Status.DOWN  # 50 %: at least 50
    assert judge(figures({"": 1, "TIMEOUT": 1}), down_pct=60).status is Status.DEGRADED


def test_a_mean_of_exactly_slow_ms_is_not_slow():
    at = judge(figures({"": 2}, sum_ms=10_000.0))
    assert at.status is Status.HEALTHY and "reason" not in (at.details or {})
    over = judge(figures({"": 2}, sum_ms=10_002.0))
    assert over.status is Status.DEGRADED
    assert (over.details or {})["reason"] == "slow: 5001 ms on average > 5000 ms"


def test_error_types_are_named_most_frequent_first_ten_at_most():
    counts = {f"E{n:02d}": n for n in range(1, 12)}  # E01 1 … E11 11
    found = judge(figures({"": 100, "NONE": 5, **counts, "ZERO": 0}))
    assert (found.details or {})["error_types"] == (
        "E11 11, E10 10, E09 9, E08 8, E07 7, E06 6, E05 5, E04 4, E03 3, E02 2"
    )
    assert (judge(figures({"A": 1, "B": 5})).details or {})["error_types"] == "B 5, A 1"


# -- a poll ------------------------------------------------------------------------------------------------
def answer(*groups: dict[str, Any], cid: str | None = "cid-1") -> tuple[Any, str | None]:
    return {"results": list(groups)}, cid


def source(api: FakeApi, clock: FakeClock | None = None, **settings: Any) -> DataActionsSource:
    return DataActionsSource(client(api), DataActionsSettings(**settings), clock=clock or FakeClock())


async def test_a_poll_asks_for_the_window_and_answers_every_action():
    api = FakeApi([answer(group("a1", metric(4, total=400, most=150), name="Lookup"))])
    result = await source(api, window=600).fetch(12.5)
    assert api.asked == [
        {
            "url": PATH,
            "label": "data action metrics",
            "deadline": 12.5,
            "method": "POST",
            "body": {
                "interval": "2026-01-01T11:50:00.000Z/2026-01-01T12:00:00.000Z",
                "metrics": ["tTotalExecution"],
                "groupBy": ["actionId", "actionName", "errorType"],
            },
            "permission": "integrations:action:view or bridge:actions:view",
        }
    ]
    assert result == SourceResult(
        name="data-actions",
        ok=True,
        components=(
            Component(
                "action:a1",
                "Lookup",
                Status.HEALTHY,
                source="data-actions",
                details={
                    "executions": 4,
                    "errors": 0,
                    "error_pct": 0.0,
                    "mean_ms": 100,
                    "max_ms": 150,
                    "window": "10m",
                },
                kind="action",
            ),
        ),
        extras=SourceExtras(note=None),
        rate_limit=("rate limit of", "/api/v2/analytics/actions/aggregates/query"),  # type: ignore[arg-type]
        timings=(RequestTiming("data action metrics", 1.0, 200, correlation_id="cid-1"),),
        correlation_ids=("cid-1",),
    )


async def test_the_window_follows_the_clock():
    clock = FakeClock()
    api = FakeApi([answer(), answer()])
    watched = source(api, clock)
    await watched.fetch(None)
    clock.advance(60)
    await watched.fetch(None)
    assert api.asked[1]["body"]["interval"] == "2026-01-01T11:46:00.000Z/2026-01-01T12:01:00.000Z"


async def test_an_action_seen_once_stays_listed_quiet_with_its_name():
    api = FakeApi(
        [
            answer(group("a1", metric(1), name="Lookup"), group("a2", metric(1))),
            answer(group("a2", metric(1)), group("a3", metric(2), name="Third")),
            answer(cid=None),
        ]
    )
    watched = source(api)
    await watched.fetch(None)
    second = await watched.fetch(None)
    assert [(c.id, c.name, (c.details or {})["executions"]) for c in second.components] == [
        ("action:a1", "Lookup", 0),  # quiet now, named as it was
        ("action:a2", "a2", 1),  # never named: its id
        ("action:a3", "Third", 2),
    ]
    third = await watched.fetch(None)
    assert [c.name for c in third.components] == ["Lookup", "a2", "Third"]
    assert third.correlation_ids == ()


async def test_a_later_name_wins_and_a_missing_one_keeps_the_known():
    api = FakeApi(
        [
            answer(group("a1", metric(1), name="Old")),
            answer(group("a1", metric(1))),
            answer(group("a1", metric(1), name="New")),
        ]
    )
    watched = source(api)
    assert [(await watched.fetch(None)).components[0].name for _ in range(3)] == ["Old", "Old", "New"]


async def test_with_ids_only_those_actions_are_listed_even_before_they_run():
    api = FakeApi([answer(group("a1", metric(1)), group("a2", metric(1), name="Two"))])
    result = await source(api, ids=["a2", "a9"]).fetch(None)
    assert sorted((c.id, c.name, (c.details or {})["executions"]) for c in result.components) == [
        ("action:a2", "Two", 1),
        ("action:a9", "a9", 0),
    ]


async def test_at_most_2000_actions_are_kept_the_newest_ones():
    api = FakeApi(
        [answer(*(group(f"a{n}", metric(1)) for n in range(2000))), answer(group("new", metric(1)))]
    )
    watched = source(api)
    assert len((await watched.fetch(None)).components) == 2000
    ids = [c.id for c in (await watched.fetch(None)).components]
    assert len(ids) == 2000 and ids[0] == "action:a1" and ids[-1] == "action:new"


async def test_nothing_ran_is_said_in_a_note():
    result = await source(FakeApi([answer()]), window=60).fetch(None)
    assert result.ok and result.components == ()
    assert result.extras == SourceExtras(note="no data action ran in the last 1m")


@pytest.mark.parametrize("data", [{"results": {"a": 1}}, ["results"], None])
async def test_an_answer_without_a_results_list_fails_the_poll(data):
    result = await source(FakeApi([(data, "cid-9")])).fetch(None)
    assert not result.ok and result.name == "data-actions" and result.components == ()
    assert result.error == "the data action metrics have no results list (ININ-Correlation-Id cid-9)"
    assert result.error_kind == "api" and result.correlation_ids == ("cid-9",)


async def test_an_answer_without_a_results_key_is_an_empty_one():
    result = await source(FakeApi([({"no": "results"}, "cid-9")])).fetch(None)
    assert result.ok and result.components == ()


async def test_a_refused_request_fails_the_poll():
    result = await source(FakeApi([ApiError("403 Forbidden", status_code=403)])).fetch(None)
    assert (result.ok, result.error, result.components) == (False, "403 Forbidden", ())


# -- what the module declares ----------------------------------------------------------------------------------
def test_build_uses_the_token_the_api_url_the_section_and_the_clock(tmp_path):
    clock = FakeClock()
    built = data_actions.build(context(tmp_path, clock, **{"data_actions.window": 120}))
    assert built.api.core == "the budgeted core" and built.api.tokens == "the tokens"
    assert built.api.api_url == "https://api.test"
    assert built.settings == DataActionsSettings(window=120) and built.clock is clock


def test_it_is_asked_for_by_name_and_in_the_demo_over_a_minute():
    assert data_actions.chosen(None) is False  # type: ignore[arg-type]
    assert data_actions.demo("http://sim", True) == {"data_actions.window": 60}
    assert data_actions.demo("http://sim", False) is None
