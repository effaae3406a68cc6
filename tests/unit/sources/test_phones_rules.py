"""The phones source's rules, each pinned on its own: which phone is a WebRTC one, a phone's state from its two
Edges, a site's verdict at its edges, the named phones, the listings (full and offline-only) on an injected clock,
the topics' budget and pushed changes."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from tests.unit.fake_api import FakeApi, client, context, page
from tui_health.genesys.listing import Listing
from tui_health.model.domain import Component, RequestTiming, SourceResult, Status
from tui_health.model.extras import SourceExtras
from tui_health.sources import phones
from tui_health.sources.phones import PhonesSettings, PhonesSource, changed_at, is_webrtc, site_id, state
from tui_health.support.clock import FakeClock
from tui_health.support.errors import ApiError

PATH = "https://api.test/api/v2/telephony/providers/edges/phones"
TOPIC = "v2.telephony.providers.edges.phones."
OUT = {"first": "OFFLINE", "second": "OFFLINE"}
IMPAIRED = {"first": "DEGRADED"}
UNKNOWN = {"first": "REBOOTING"}


def phone(
    pid: str,
    site: str | None = "s1",
    *,
    first: str = "OPERATIONAL",
    second: str = "OPERATIONAL",
    name: str | None = "",
    at: str | None = None,
    **more: Any,
) -> dict[str, Any]:
    """A hardware phone at ``site`` (its name ``Desk <id>`` unless given; ``None``: no name)."""
    found: dict[str, Any] = {
        "id": pid,
        "status": {"operationalStatus": first},
        "secondaryStatus": {"operationalStatus": second},
        **more,
    }
    if name is not None:
        found["name"] = name or f"Desk {pid}"
    if site is not None:
        found["site"] = {"id": site, "name": f"Site {site}"}
    if at is not None:
        found["status"]["eventCreationTime"] = at
    return found


def webrtc(pid: str, site: str = "s1", **more: Any) -> dict[str, Any]:
    return phone(pid, site, webRtcUser={"id": f"user-{pid}"}, **more)


def watched(*listed: dict[str, Any], api: FakeApi | None = None, **settings: Any) -> PhonesSource:
    source = PhonesSource(client(api or FakeApi([])), PhonesSettings(**settings), clock=FakeClock())
    source.take(list(listed))
    return source


def sites(source: PhonesSource) -> dict[str, Component]:
    return {c.id: c for c in source._result().components if c.kind == "site"}


# -- which phones ------------------------------------------------------------------------------------------
def test_a_webrtc_phone_is_one_with_a_webrtc_user_or_named_so_when_the_field_is_missing():
    assert is_webrtc({"webRtcUser": {"id": "u"}, "name": "Desk"})
    assert not is_webrtc({"webRtcUser": {}, "name": "Jo_WebRTC"})  # asked for, and empty: hardware
    assert not is_webrtc(
        {"webRtcUser": "u", "name": "Jo_WebRTC"}
    )  # not a user object, but the field is there
    assert is_webrtc({"name": "Jo Smith_webrtc"})
    assert not is_webrtc({"name": "Jo Smith_WebRTC phone"})
    assert not is_webrtc({"name": 7})
    assert is_webrtc({"name": "x" * 193 + "_WebRTC"})  # 200 characters: read whole
    assert not is_webrtc({"name": "x" * 194 + "_WebRTC"})  # 201: cut before its end


@pytest.mark.parametrize(
    ("status", "secondary", "found"),
    [
        ({"operationalStatus": "OPERATIONAL"}, {"operationalStatus": "OFFLINE"}, "ok"),
        ({"operationalStatus": "operational", "edgesStatus": "out_of_service"}, {}, "out"),
        ({"operationalStatus": "OPERATIONAL", "edgesStatus": "NO_EDGES"}, {}, "out"),
        ({"operationalStatus": "OPERATIONAL", "edgesStatus": "IN_SERVICE"}, {}, "ok"),
        ({"operationalStatus": "offline"}, {"operationalStatus": "operational"}, "impaired"),
        ({"operationalStatus": "OFFLINE"}, {"operationalStatus": "DEGRADED"}, "out"),
        ({"operationalStatus": "OFFLINE"}, {}, "out"),
        ({"operationalStatus": "degraded"}, {}, "impaired"),
        ({"operationalStatus": "DEGRADED", "lineStatuses": [{"reachable": True}]}, {}, "impaired"),
        (
            {"operationalStatus": "OPERATIONAL", "lineStatuses": [{"reachable": True}, {"reachable": False}]},
            {},
            "impaired",
        ),
        ({"operationalStatus": "OPERATIONAL", "lineStatuses": ["x", {"reachable": None}, {}]}, {}, "ok"),
        ({"operationalStatus": "OPERATIONAL", "lineStatuses": {"reachable": False}}, {}, "ok"),
        (
            {
                "operationalStatus": "OPERATIONAL",
                "lineStatuses": [{"reachable": True}] * 20 + [{"reachable": False}],
            },
            {},
            "ok",
        ),
        (
            {"operationalStatus": "OFFLINE", "lineStatuses": [{"reachable": False}]},
            {"operationalStatus": "OPERATIONAL"},
            "impaired",
        ),
        ({"operationalStatus": "REBOOTING", "lineStatuses": [{"reachable": False}]}, {}, "unknown"),
        ({}, {"operationalStatus": "OPERATIONAL"}, "unknown"),
    ],
)
def test_a_phones_state_by_both_of_its_edges(status, secondary, found):
    assert state({"id": "p", "status": status, "secondaryStatus": secondary}) == found


def test_a_phones_site_and_when_it_changed():
    assert site_id({"site": {"id": "s" * 201}}) == "s" * 199 + "…"
    assert site_id({"site": {"id": 5}}) == "" and site_id({"site": "s1"}) == "" and site_id({}) == ""
    both = {
        "status": {"eventCreationTime": "2025-06-01T10:00:00Z"},
        "secondaryStatus": {"eventCreationTime": "2025-06-01T10:00:05Z"},
    }
    assert changed_at(both) == datetime(2025, 6, 1, 10, 0, 5, tzinfo=UTC)
    assert changed_at({"status": {"eventCreationTime": "2025-06-01T10:00:00Z"}}) == datetime(
        2025, 6, 1, 10, 0, tzinfo=UTC
    )
    assert changed_at({"status": {"eventCreationTime": "yesterday"}, "secondaryStatus": {}}) is None


# -- a site ---------------------------------------------------------------------------------------------------
def test_a_site_says_what_is_out_impaired_and_unknown():
    source = watched(
        phone("p1", **OUT, at="2025-06-01T10:00:00Z"),
        phone("p2", **IMPAIRED, at="2025-06-01T10:05:00Z"),
        phone("p3", **UNKNOWN),
        phone("p4"),
        webrtc("w1", **OUT),
    )
    assert source._result() == SourceResult(
        name="phones",
        ok=True,
        components=(
            Component(
                id="site:s1",
                name="Site s1",
                status=Status.DEGRADED,
                last_modified=datetime(2025, 6, 1, 10, 5, tzinfo=UTC),
                source="phones",
                details={
                    "hardware_phones": 4,
                    "out": 1,
                    "impaired": 1,
                    "out_or_impaired_pct": 50.0,
                    "degraded_pct": 10.0,
                    "unknown": 1,
                    "phones_out": "Desk p1",
                    "phones_impaired": "Desk p2",
                },
                kind="site",
            ),
        ),
        extras=SourceExtras(note=None),
        rate_limit=("rate limit of", "/api/v2/telephony/providers/edges/phones"),  # type: ignore[arg-type]
    )


def test_a_healthy_site_says_only_its_counts():
    (site,) = sites(watched(phone("p1", **OUT), phone("p2"), phone("p3"), degraded_pct=40)).values()
    assert (site.status, site.last_modified) == (Status.HEALTHY, None)
    assert site.details == {
        "hardware_phones": 3,
        "out": 1,
        "impaired": 0,
        "out_or_impaired_pct": 33.3,
        "degraded_pct": 40.0,
        "phones_out": "Desk p1",
    }


@pytest.mark.parametrize(
    ("states", "status"),
    [
        ([UNKNOWN, UNKNOWN], Status.UNKNOWN),  # nothing could be judged
        ([UNKNOWN, {}], Status.HEALTHY),
        ([OUT, OUT], Status.DOWN),
        ([OUT, UNKNOWN], Status.DEGRADED),  # one out, one not known: not every phone is out
        ([OUT, IMPAIRED], Status.DEGRADED),
        ([IMPAIRED, IMPAIRED], Status.DEGRADED),  # impaired is never down
    ],
)
def test_a_sites_verdict(states, status):
    source = watched(*(phone(f"p{n}", **s) for n, s in enumerate(states)))
    assert sites(source)["site:s1"].status is status


def test_a_share_of_exactly_degraded_pct_is_healthy_and_more_is_degraded():
    four = [phone("p1", **OUT), phone("p2"), phone("p3"), phone("p4")]  # 25 %
    assert sites(watched(*four, degraded_pct=25))["site:s1"].status is Status.HEALTHY
    assert sites(watched(*four, degraded_pct=24.9))["site:s1"].status is Status.DEGRADED


def test_ten_phones_are_named_and_the_rest_counted():
    ten = [phone(f"p{n:02d}", **OUT) for n in range(10)] + [phone("ok")]
    named = ", ".join(f"Desk p{n:02d}" for n in range(10))
    assert (sites(watched(*ten))["site:s1"].details or {})["phones_out"] == named
    twelve = [phone(f"p{n:02d}", **IMPAIRED) for n in range(12)]
    assert (sites(watched(*twelve))["site:s1"].details or {})["phones_impaired"] == named + ", +2 more"


def test_a_phone_without_a_name_is_named_by_its_id_and_long_names_are_cut():
    source = watched(phone("i" * 61, name=None, **OUT), phone("p2", name="n" * 61, **OUT))
    assert (sites(source)["site:s1"].details or {})["phones_out"] == "i" * 59 + "…, " + "n" * 59 + "…"


def test_sites_are_named_from_the_listing_sorted_by_id_and_phones_without_one_are_left_out():
    source = watched(
        phone("p1", "s2"),
        {**phone("p2", None), "site": {"id": "s1", "name": "n" * 101}},
        {**phone("p3", None), "site": {"id": "s3"}},
        {**phone("p4", None), "site": {"id": "t" * 101, "name": 5}},
        phone("p5", None),  # no site: counted nowhere
        {**phone("p6", None), "site": {"id": 7, "name": "Seven"}},
    )
    assert [(c.id, c.name) for c in source._result().components] == [
        ("site:s1", "n" * 99 + "…"),
        ("site:s2", "Site s2"),
        ("site:s3", "s3"),
        ("site:" + "t" * 101, "t" * 99 + "…"),
    ]
    assert source.sites == {"s2": "Site s2", "s1": "n" * 99 + "…", "s3": "s3", "t" * 101: "t" * 99 + "…"}


def test_an_org_without_hardware_phones_says_so_in_a_note():
    source = watched(webrtc("w1"), {"id": "w2", "name": "Jo_WebRTC", "status": {}})
    assert source.phones == {} and source._result().components == ()
    assert source._result().extras == SourceExtras(
        note="no hardware phones in this org: nothing to watch here"
    )
    assert watched(phone("p1"))._result().extras == SourceExtras(note=None)


# -- the named phones ---------------------------------------------------------------------------------------------
def test_a_named_phone_is_a_component_of_its_own():
    source = watched(
        phone("p1", **OUT, at="2025-06-01T10:00:00Z"),
        {
            **phone("p2", first="x" * 61),
            "status": {"operationalStatus": "x" * 61, "edgesStatus": "IN_SERVICE"},
        },
        phone("p3", name=None, **IMPAIRED),
        webrtc("w1"),
        ids=["p1", "p2", "p3", "w1", "gone"],
    )
    named = [c for c in source._result().components if c.kind == "phone"]
    assert named == [
        Component(
            id="phone:p1",
            name="Desk p1",
            status=Status.DOWN,
            last_modified=datetime(2025, 6, 1, 10, tzinfo=UTC),
            source="phones",
            details={"operational_status": "OFFLINE", "edges_status": None, "site": "Site s1"},
            kind="phone",
        ),
        Component(
            id="phone:p2",
            name="Desk p2",
            status=Status.UNKNOWN,
            source="phones",
            details={"operational_status": "x" * 59 + "…", "edges_status": "IN_SERVICE", "site": "Site s1"},
            kind="phone",
        ),
        Component(
            id="phone:p3",
            name="p3",
            status=Status.DEGRADED,
            source="phones",
            details={"operational_status": "DEGRADED", "edges_status": None, "site": "Site s1"},
            kind="phone",
        ),
        Component(
            id="phone:w1",  # named: watched, though a WebRTC phone
            name="Desk w1",
            status=Status.HEALTHY,
            source="phones",
            details={"operational_status": "OPERATIONAL", "edges_status": None, "site": "Site s1"},
            kind="phone",
        ),
        Component(
            id="phone:gone",
            name="gone",
            status=Status.UNKNOWN,
            source="phones",
            details={"note": "the listing does not have this phone"},
            kind="phone",
        ),
    ]
    assert [c.id for c in source._result().components if c.kind == "site"] == ["site:s1"]
    assert (sites(source)["site:s1"].details or {})["hardware_phones"] == 3  # the WebRTC one is not counted


def test_a_long_phone_name_is_cut_at_100():
    source = watched(phone("p1", name="n" * 101), ids=["p1"])
    assert [c.name for c in source._result().components if c.kind == "phone"] == ["n" * 99 + "…"]


# -- the listings ------------------------------------------------------------------------------------------------
class Org:
    """The phones the API lists: everything, or (asked for OFFLINE) the offline ones."""

    def __init__(self, *listed: dict[str, Any], offline: list[dict[str, Any]] | None = None) -> None:
        self.listed = list(listed)
        self.offline = offline
        self.api = FakeApi(self.answer)

    def answer(self, url: str, request: dict[str, Any]) -> tuple[Any, str]:
        params = request["params"]
        offline = "status.operationalStatus" in params
        if offline and self.offline is not None:
            found = self.offline
        else:
            found = [p for p in self.listed if not offline or p["status"]["operationalStatus"] == "OFFLINE"]
        size, number = params["pageSize"], params["pageNumber"]
        count = max(1, -(-len(found) // size))
        return page(found[(number - 1) * size : number * size], total=len(found), page_count=count), (
            f"cid-{len(self.api.asked)}"
        )

    def kinds(self) -> list[str]:
        return ["offline" if "status.operationalStatus" in a["params"] else "all" for a in self.api.asked]


def polled(org: Org, clock: FakeClock | None = None, **settings: Any) -> PhonesSource:
    return PhonesSource(
        client(org.api), PhonesSettings(**settings), clock=clock or FakeClock(), max_pages=150
    )


async def test_a_full_listing_asks_for_status_site_and_webrtc_sorted_by_id():
    org = Org(phone("p1"))
    result = await polled(org, page_size=50).fetch(3.0)
    assert org.api.asked == [
        {
            "url": PATH,
            "label": "phones page 1",
            "deadline": 3.0,
            "params": {
                "expand": "status,site",
                "fields": "webRtcUser",
                "sortBy": "id",
                "pageSize": 50,
                "pageNumber": 1,
            },
            "permission": "telephony:plugin:all",
        }
    ]
    assert result.timings == (RequestTiming("phones page 1", 1.0, 200, correlation_id="cid-1"),)
    assert result.correlation_ids == ("cid-1",) and result.ok


async def test_the_walk_is_bounded_by_the_settings_and_50000_phones(monkeypatch):
    asked: list[dict[str, Any]] = []

    async def walk(api: Any, path: str, **options: Any) -> Listing:
        asked.append({"path": path, **{k: v for k, v in options.items() if k not in ("timings", "cids")}})
        return Listing([phone("p1")])

    monkeypatch.setattr(phones, "walk", walk)
    source = PhonesSource(client(FakeApi([])), PhonesSettings(page_size=20), clock=FakeClock(), max_pages=7)
    await source.fetch(9.0)
    assert asked == [
        {
            "path": "/api/v2/telephony/providers/edges/phones",
            "label": "phones",
            "deadline": 9.0,
            "permission": "telephony:plugin:all",
            "params": {"expand": "status,site", "fields": "webRtcUser", "sortBy": "id"},
            "page_size": 20,
            "max_pages": 7,
            "max_entities": 50_000,
        }
    ]
    assert PhonesSource(client(FakeApi([])), PhonesSettings()).max_pages == 200


async def test_between_full_listings_only_the_offline_phones_are_asked_for():
    clock = FakeClock()
    org = Org(phone("p1"), phone("p2"), phone("p3", **OUT))
    source = polled(org, clock, list_every=300)
    await source.fetch(None)
    org.listed[0] = phone("p1", **OUT, at="2025-06-01T10:00:00Z", name="Renamed")
    org.listed[2] = phone("p3")  # back: no longer listed as offline
    clock.advance(299)
    result = await source.fetch(None)
    assert org.kinds() == ["all", "offline"]
    assert org.api.asked[1]["params"]["status.operationalStatus"] == "OFFLINE"
    assert org.api.asked[1]["params"]["sortBy"] == "id"
    (site,) = [c for c in result.components if c.kind == "site"]
    assert (site.details or {})["phones_out"] == "Desk p1"  # its status from the offline list, its name kept
    assert site.last_modified == datetime(2025, 6, 1, 10, tzinfo=UTC)
    assert source.phones["p3"]["status"] == {"operationalStatus": "OPERATIONAL"}
    assert source.phones["p2"] == phone("p2")  # untouched
    clock.advance(1)
    await source.fetch(None)
    assert org.kinds() == ["all", "offline", "all"]  # list_every is up: everything again


async def test_a_phone_offline_but_unknown_to_the_full_listing_is_not_added():
    clock = FakeClock()
    org = Org(phone("p1"), offline=[phone("p9", **OUT), webrtc("p1", **OUT)])
    source = polled(org, clock)
    await source.fetch(None)
    clock.advance(1)
    result = await source.fetch(None)
    assert set(source.phones) == {"p1"} and [c.status for c in result.components] == [Status.HEALTHY]


async def test_an_offline_entry_brings_its_two_statuses_and_nothing_else():
    clock = FakeClock()
    offline = {"id": "p1", "name": "Other", "status": {"operationalStatus": "OFFLINE"}, "site": {"id": "s9"}}
    org = Org(phone("p1"), offline=[offline])
    source = polled(org, clock)
    await source.fetch(None)
    clock.advance(1)
    await source.fetch(None)
    assert source.phones["p1"] == {
        **phone("p1"),
        "status": {"operationalStatus": "OFFLINE"},
    }  # the secondary kept as the full listing said: on it only, impaired
    assert state(source.phones["p1"]) == "impaired"


async def test_an_offline_list_cut_at_10000_is_replaced_by_a_full_listing():
    clock = FakeClock()
    many = [phone(f"p{n:05d}", **OUT) for n in range(10_000)]
    org = Org(*many)
    source = polled(org, clock)
    await source.fetch(None)
    clock.advance(1)
    await source.fetch(None)
    assert org.kinds() == ["all"] * 100 + ["offline"] * 100 + ["all"] * 100
    clock.advance(299)  # 300 s after the first listing, 299 after the second: the offline list is due
    org.listed.pop()
    await source.fetch(None)
    assert org.kinds()[300:] == ["offline"] * 100  # 9,999: not cut


async def test_a_listing_without_any_status_fails_and_an_empty_one_is_no_failure():
    org = Org({"id": "p1", "name": "Desk"}, {"id": "p2", "status": "OFFLINE"})
    result = await polled(org).fetch(None)
    assert not result.ok and result.error == (
        "the phone listing carries no status for any phone (expand=status was not honoured): nothing could be "
        "judged (ININ-Correlation-Id cid-1)"
    )
    empty = await polled(Org()).fetch(None)
    assert empty.ok and empty.extras.note == "no hardware phones in this org: nothing to watch here"


async def test_a_failed_listing_is_listed_in_full_again():
    clock = FakeClock()
    api = FakeApi([ApiError("503"), (page([phone("p1")], total=1), "c1"), (page([], total=0), "c2")])
    source = PhonesSource(client(api), PhonesSettings(), clock=clock)
    failed = await source.fetch(None)
    assert (failed.ok, failed.error, failed.name) == (False, "503", "phones")
    clock.advance(1)
    assert (await source.fetch(None)).ok
    clock.advance(1)
    await source.fetch(None)
    assert ["status.operationalStatus" in a["params"] for a in api.asked] == [False, False, True]


async def test_a_push_heard_while_listing_is_applied_over_the_listing():
    def answer(url: str, request: dict[str, Any]) -> tuple[Any, str]:
        source.apply(TOPIC + "p1", {"status": {"operationalStatus": "OFFLINE"}})  # newer than the page
        return page([phone("p1", second="OFFLINE")], total=1), "c1"

    source = PhonesSource(client(FakeApi(answer)), PhonesSettings(), clock=FakeClock())
    result = await source.fetch(None)
    assert [c.status for c in result.components] == [Status.DOWN]
    assert isinstance(
        source.apply(TOPIC + "p1", {"status": {"operationalStatus": "OPERATIONAL"}}), SourceResult
    )
    assert source._during is None  # a push after the poll is not kept for the next one


# -- topics -------------------------------------------------------------------------------------------------------
def topics(source: PhonesSource) -> list[str]:
    return [t.removeprefix(TOPIC) for t in source.topics()]


def test_topics_go_to_the_named_phones_first_then_every_site_in_turn():
    listed = [phone("a1", "sa"), phone("a2", "sa"), phone("a3", "sa"), phone("b1", "sb"), webrtc("w1", "sb")]
    assert topics(watched(*listed)) == ["a1", "b1", "a2", "a3"]
    assert watched(*listed).topics()[0] == "v2.telephony.providers.edges.phones.a1"
    assert topics(watched(*listed, ids=["a3", "w1", "gone"])) == ["a3", "w1", "a1", "b1", "a2"]
    assert topics(watched(*listed, max_pushed=2)) == ["a1", "b1"]
    assert topics(watched(*listed, max_pushed=3, ids=["a3"])) == ["a3", "a1", "b1"]
    assert topics(watched(*listed, max_pushed=1, ids=["a3", "b1"])) == ["a3"]
    assert topics(watched(*listed, max_pushed=0)) == []
    assert topics(watched()) == []
    assert topics(watched(phone("x1", None), phone("y1"))) == ["x1", "y1"]  # no site is a site of its own


# -- pushes -------------------------------------------------------------------------------------------------------
def test_a_push_changes_the_phone_by_its_own_topic_only():
    source = watched(phone("p1"), phone("p2"))
    down = {"status": {"operationalStatus": "OFFLINE"}, "secondaryStatus": {"operationalStatus": "OFFLINE"}}
    assert source.apply("p1", down) is False  # not its topic
    assert source.apply(TOPIC + "p1.other", down) is False
    assert source.apply(TOPIC + "p9", down) is False  # a phone not listed
    assert source.apply(TOPIC + "p1", {**down, "id": "p2"}) is False  # a body about another phone
    assert source.phones["p1"] == phone("p1")
    assert source.apply(TOPIC + "p1", {**down, "id": "p1"}) is True  # not polled yet: a reason to ask
    assert state(source.phones["p1"]) == "out"


def test_a_push_merges_its_statuses_over_the_listings():
    source = watched(phone("p1"))
    source.phones["p1"]["status"]["edgesStatus"] = "IN_SERVICE"
    pushed = {
        "status": {"eventCreationTime": "2025-06-01T10:00:00Z"},
        "secondaryStatus": "OFFLINE",
        "name": "X",
    }
    assert source.apply(TOPIC + "p1", pushed) is False  # changed, but not its state
    assert source.phones["p1"]["status"] == {
        "operationalStatus": "OPERATIONAL",
        "edgesStatus": "IN_SERVICE",
        "eventCreationTime": "2025-06-01T10:00:00Z",
    }
    assert source.phones["p1"]["secondaryStatus"] == {"operationalStatus": "OPERATIONAL"}
    assert source.phones["p1"]["name"] == "Desk p1"
    assert source.apply(TOPIC + "p1", {"secondaryStatus": {"operationalStatus": "OFFLINE"}}) is False
    assert source.apply(TOPIC + "p1", {}) is False


def test_a_pushed_change_answers_at_once_after_a_poll_until_a_gap():
    source = watched(phone("p1"), phone("p2"))
    source._polled, source._stale = True, False
    answer = source.apply(TOPIC + "p1", {"status": {"operationalStatus": "DEGRADED"}})
    assert isinstance(answer, SourceResult) and answer.components[0].status is Status.DEGRADED
    source.catch_up()
    assert source.apply(TOPIC + "p1", {"status": {"operationalStatus": "OPERATIONAL"}}) is True


async def test_a_poll_makes_pushes_answer_again():
    org = Org(phone("p1"))
    source = polled(org)
    source.catch_up()
    await source.fetch(None)
    assert isinstance(source.apply(TOPIC + "p1", {"status": {"operationalStatus": "DEGRADED"}}), SourceResult)


# -- what the module declares ------------------------------------------------------------------------------------
def test_build_uses_the_token_the_api_url_the_section_the_clock_and_max_pages(tmp_path):
    clock = FakeClock()
    built = phones.build(context(tmp_path, clock, **{"phones.page_size": 20, "poll.max_pages": 9}))
    assert built.api.core == "the budgeted core" and built.api.tokens == "the tokens"
    assert built.api.api_url == "https://api.test"
    assert built.settings == PhonesSettings(page_size=20) and built.clock is clock and built.max_pages == 9


def test_it_is_asked_for_by_name_and_in_the_demo_with_an_org():
    assert phones.chosen(None) is False  # type: ignore[arg-type]
    assert phones.demo("http://sim", True) == {}
    assert phones.demo("http://sim", False) is None


# -- ids, notes and deadlines at their edges --------------------------------------------------------------------
async def test_long_phone_and_site_ids_are_cut_alike_in_every_listing():
    clock = FakeClock()
    long_phone, long_site = "p" * 201, "s" * 201
    org = Org(phone(long_phone, long_site))
    source = polled(org, clock)
    await source.fetch(None)
    assert list(source.phones) == ["p" * 199 + "…"] and source.sites == {
        "s" * 199 + "…": f"Site {long_site}"[:99] + "…"
    }
    org.listed[0] = phone(long_phone, long_site, **OUT)
    clock.advance(1)
    result = await source.fetch(None)  # the offline list: its entry is the same phone
    assert [(c.id, c.status) for c in result.components] == [("site:" + "s" * 199 + "…", Status.DOWN)]


async def test_a_phone_back_from_offline_keeps_its_status_but_forgets_its_outage():
    clock = FakeClock()
    outage = {
        "id": "p1",
        "operationalStatus": "OFFLINE",
        "edgesStatus": "OUT_OF_SERVICE",
        "lineStatuses": [{"id": "l1", "reachable": False}],
    }
    org = Org({**phone("p1", **OUT), "status": outage})
    source = polled(org, clock)
    await source.fetch(None)
    org.listed.clear()
    clock.advance(1)
    result = await source.fetch(None)
    # the lines and Edges the offline listing had describe the outage: kept, they would hold the phone impaired
    assert source.phones["p1"]["status"] == {"id": "p1", "operationalStatus": "OPERATIONAL"}
    assert [c.status for c in result.components] == [Status.HEALTHY]


async def test_every_listing_of_a_poll_is_asked_within_its_deadline():
    clock = FakeClock()
    many = [phone(f"p{n:05d}", **OUT) for n in range(10_000)]
    org = Org(phone("p1"))
    source = polled(org, clock)
    await source.fetch(7.0)
    clock.advance(1)
    await source.fetch(8.0)  # the offline list
    org.listed = many
    clock.advance(1)
    await source.fetch(9.0)  # the offline list, cut: then everything
    deadlines = [(kind, a["deadline"]) for kind, a in zip(org.kinds(), org.api.asked, strict=True)]
    assert deadlines[:2] == [("all", 7.0), ("offline", 8.0)]
    assert set(deadlines[2:]) == {("offline", 9.0), ("all", 9.0)}


async def test_a_listing_without_status_and_without_a_correlation_id_says_none():
    api = FakeApi([(page([{"id": "p1", "name": "Desk"}], total=1), None)])
    result = await PhonesSource(client(api), PhonesSettings(), clock=FakeClock()).fetch(None)
    assert result.error == (
        "the phone listing carries no status for any phone (expand=status was not honoured): nothing could be "
        "judged"
    )


def test_named_phones_answer_even_when_the_org_has_no_hardware_phones():
    source = watched(webrtc("w1"), ids=["gone"])
    assert [c.id for c in source._result().components] == ["phone:gone"]
    assert source._result().extras == SourceExtras(note=None)


def test_phones_without_sites_are_watched_but_make_no_component():
    source = watched(phone("p1", None))
    assert list(source.phones) == ["p1"] and source._result().components == ()
    assert source._result().extras == SourceExtras(note=None)
