"""The integrations source's rules, each pinned on its own: an integration's verdict from what it is meant to be
and what it reports, the settling time at its edge, and the listing's cadence on an injected clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.unit.fake_api import FakeApi, client, context, page
from tui_health.genesys.listing import Listing
from tui_health.model.domain import Component, RequestTiming, SourceResult, Status
from tui_health.model.extras import SourceExtras
from tui_health.sources import integrations
from tui_health.sources.integrations import IntegrationsSettings, IntegrationsSource
from tui_health.support.clock import FakeClock
from tui_health.support.errors import ApiError

NOW = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)  # FakeClock's start


def integration(
    iid: str = "i1",
    intended: Any = "ENABLED",
    code: Any = "ACTIVE",
    *,
    since: datetime | None = None,
    message: Any = None,
    kind: Any = None,
    **more: Any,
) -> dict[str, Any]:
    reported: dict[str, Any] = {"code": code}
    if since is not None:
        reported["lastUpdated"] = since.isoformat()
    if message is not None:
        reported["detail"] = {"message": message}
    found: dict[str, Any] = {"id": iid, "name": f"Integration {iid}", "intendedState": intended}
    found["reportedState"] = reported
    if kind is not None:
        found["integrationType"] = {"id": kind}
    return {**found, **more}


def judge(item: dict[str, Any], clock: FakeClock | None = None, **settings: Any) -> Component:
    source = IntegrationsSource(
        client(FakeApi([])), IntegrationsSettings(**settings), clock=clock or FakeClock()
    )
    return source.component(item)


# -- one integration ----------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("intended", "code", "status"),
    [
        ("ENABLED", "ACTIVE", Status.HEALTHY),
        ("restored", "active", Status.HEALTHY),  # restored is enabled again
        ("ENABLED", "ERROR", Status.DOWN),
        ("RESTORED", "ERROR", Status.DOWN),
        ("DISABLED", "ERROR", Status.MAINTENANCE),
        ("disabled", "ACTIVE", Status.MAINTENANCE),
        ("DELETED", "ERROR", Status.UNKNOWN),
        ("SOMETHING", "ACTIVE", Status.UNKNOWN),
        (None, "ACTIVE", Status.UNKNOWN),
        ("ENABLED", "BROKEN", Status.UNKNOWN),
        ("ENABLED", None, Status.UNKNOWN),
        ("ENABLED", "ACTIVATING", Status.HEALTHY),  # no time: on its way
    ],
)
def test_an_integrations_verdict(intended, code, status):
    assert judge(integration(intended=intended, code=code)).status is status


def test_a_healthy_integration_with_every_detail():
    item = integration(since=NOW - timedelta(days=1), message="m" * 301, kind="k" * 61, name="n" * 101)
    assert judge(item) == Component(
        id="integration:i1",
        name="n" * 99 + "…",
        status=Status.HEALTHY,
        last_modified=NOW - timedelta(days=1),
        source="integrations",
        details={
            "intended_state": "ENABLED",
            "reported_state": "ACTIVE",
            "type": "k" * 59 + "…",
            "genesys_says": "m" * 299 + "…",
        },
        kind="integration",
    )


def test_a_disabled_one_never_pages_and_an_unknown_state_is_shown_raw():
    assert judge(integration(intended="DISABLED", code="ERROR", message="")) == Component(
        id="integration:i1",
        name="Integration i1",
        status=Status.MAINTENANCE,
        source="integrations",
        details={"intended_state": "DISABLED", "reported_state": "ERROR", "reason": "disabled: never pages"},
        kind="integration",
    )
    odd = judge(integration("i" * 201, code="warming", name=None, kind=7))
    assert odd == Component(
        id="integration:" + "i" * 199 + "…",
        name="i" * 199 + "…",
        status=Status.UNKNOWN,
        source="integrations",
        raw_status="WARMING",
        details={"intended_state": "ENABLED", "reported_state": "WARMING"},
        kind="integration",
    )
    empty = judge({"id": "i2", "reportedState": "ACTIVE", "intendedState": 5})
    assert (empty.status, empty.raw_status, empty.details) == (
        Status.UNKNOWN,
        None,
        {"intended_state": None, "reported_state": None},
    )
    assert judge(integration(intended="ENABLED", code="ERROR")).raw_status is None


@pytest.mark.parametrize("code", ["ACTIVATING", "DEACTIVATING", "inactive"])
def test_settling_longer_than_stuck_after_is_degraded(code):
    at_edge = judge(integration(code=code, since=NOW - timedelta(seconds=600)))
    assert at_edge.status is Status.HEALTHY and "reason" not in (at_edge.details or {})
    stuck = judge(integration(code=code, since=NOW - timedelta(seconds=601)))
    assert stuck.status is Status.DEGRADED
    assert (stuck.details or {})["reason"] == f"enabled, but {code.upper()} for 10m1s"
    assert judge(integration(code=code, since=NOW - timedelta(seconds=31)), stuck_after=30).status is (
        Status.DEGRADED
    )
    future = judge(integration(code=code, since=NOW + timedelta(hours=1)))
    assert future.status is Status.HEALTHY


def test_a_stuck_reason_says_the_wait_to_the_second():
    stuck = judge(integration(code="INACTIVE", since=NOW - timedelta(seconds=30.6)), stuck_after=10)
    assert (stuck.details or {})["reason"] == "enabled, but INACTIVE for 31 s"


# -- the listing --------------------------------------------------------------------------------------------------
PATH = "https://api.test/api/v2/integrations"


def listed(*items: dict[str, Any], cid: str = "cid-1") -> tuple[Any, str]:
    return page(list(items), total=len(items), page_count=1), cid


async def test_a_listing_answers_every_integration_but_the_deleted_and_the_repeated():
    api = FakeApi(
        [
            listed(
                integration("i1"),
                integration("i2", intended="deleted"),
                integration("i3", code="ERROR"),
                integration("i1", code="ERROR"),  # listed twice: the first is kept
            )
        ]
    )
    source = IntegrationsSource(
        client(api), IntegrationsSettings(page_size=25), clock=FakeClock(), max_pages=3
    )
    result = await source.fetch(4.0)
    assert api.asked == [
        {
            "url": PATH,
            "label": "integrations page 1",
            "deadline": 4.0,
            "params": {"pageSize": 25, "pageNumber": 1},
            "permission": "integrations:integration:view",
        }
    ]
    assert result == SourceResult(
        name="integrations",
        ok=True,
        components=(
            judge(integration("i1")),
            judge(integration("i3", code="ERROR")),
        ),
        extras=SourceExtras(note=None),
        rate_limit=("rate limit of", "/api/v2/integrations"),  # type: ignore[arg-type]
        timings=(RequestTiming("integrations page 1", 1.0, 200, correlation_id="cid-1"),),
        correlation_ids=("cid-1",),
    )


async def test_the_walk_is_bounded_by_the_settings_and_2000_integrations(monkeypatch):
    asked: list[dict[str, Any]] = []

    async def walk(api: Any, path: str, **options: Any) -> Listing:
        asked.append({"path": path, **{k: v for k, v in options.items() if k not in ("timings", "cids")}})
        return Listing([])

    monkeypatch.setattr(integrations, "walk", walk)
    source = IntegrationsSource(client(FakeApi([])), IntegrationsSettings(page_size=20), max_pages=7)
    await source.fetch(9.0)
    assert asked == [
        {
            "path": "/api/v2/integrations",
            "label": "integrations",
            "deadline": 9.0,
            "permission": "integrations:integration:view",
            "page_size": 20,
            "max_pages": 7,
            "max_entities": 2000,
        }
    ]
    assert IntegrationsSource(client(FakeApi([])), IntegrationsSettings()).max_pages == 200


async def test_an_org_without_integrations_says_so():
    result = await IntegrationsSource(client(FakeApi([listed()])), IntegrationsSettings()).fetch(None)
    assert result.ok and result.components == ()
    assert result.extras == SourceExtras(note="no integrations in this org: nothing to watch here")


async def test_the_listing_is_read_again_only_every_so_often_and_times_move_on_between():
    clock = FakeClock()
    settling = integration("i1", code="ACTIVATING", since=NOW - timedelta(seconds=500))
    api = FakeApi([listed(settling), listed(integration("i1", code="ERROR"), cid="cid-2")])
    source = IntegrationsSource(client(api), IntegrationsSettings(every=300), clock=clock)
    first = await source.fetch(None)
    assert [c.status for c in first.components] == [Status.HEALTHY]
    clock.advance(299)
    between = await source.fetch(None)
    assert len(api.asked) == 1
    assert [c.status for c in between.components] == [Status.DEGRADED]  # stuck by now, without a listing
    assert between.correlation_ids == ("cid-1",) and between.ok
    clock.advance(1)
    again = await source.fetch(None)
    assert len(api.asked) == 2 and [c.status for c in again.components] == [Status.DOWN]
    assert again.correlation_ids == ("cid-2",)


async def test_a_failed_listing_is_tried_again_at_the_next_poll():
    clock = FakeClock()
    api = FakeApi([ApiError("503"), listed(integration("i1")), ApiError("502"), listed(integration("i2"))])
    source = IntegrationsSource(client(api), IntegrationsSettings(every=300), clock=clock)
    failed = await source.fetch(None)
    assert (failed.ok, failed.name, failed.error) == (False, "integrations", "503")
    clock.advance(1)
    assert (await source.fetch(None)).ok and len(api.asked) == 2
    clock.advance(300)
    failed = await source.fetch(None)
    assert not failed.ok and len(api.asked) == 3
    clock.advance(1)
    again = await source.fetch(None)  # not answered from before the failure: it asks again
    assert len(api.asked) == 4 and [c.id for c in again.components] == ["integration:i2"]


# -- what the module declares ------------------------------------------------------------------------------------
def test_build_uses_the_token_the_api_url_the_section_the_clock_and_max_pages(tmp_path):
    clock = FakeClock()
    built = integrations.build(context(tmp_path, clock, **{"integrations.every": 60, "poll.max_pages": 9}))
    assert built.api.core == "the budgeted core" and built.api.tokens == "the tokens"
    assert built.api.api_url == "https://api.test"
    assert built.settings == IntegrationsSettings(every=60) and built.clock is clock and built.max_pages == 9


def test_it_is_asked_for_by_name_and_listed_at_every_poll_in_the_demo():
    assert integrations.chosen(None) is False  # type: ignore[arg-type]
    assert integrations.demo("http://sim", True) == {"integrations.every": 0}
    assert integrations.demo("http://sim", False) is None


def test_states_longer_than_60_characters_are_cut():
    found = judge(integration(code="W" * 61))
    assert (found.raw_status, (found.details or {})["reported_state"]) == ("W" * 59 + "…", "W" * 59 + "…")
    assert judge(integration(intended="E" * 61)).details == {
        "intended_state": "E" * 59 + "…",
        "reported_state": "ACTIVE",
    }
