"""The paged walk's rules, each pinned on its own: how many pages it reads (``pageCount``, ``total``, an empty
page), the bounds it does not let a server exceed, what it keeps, repeated ids and a listing short of its total."""

from __future__ import annotations

from typing import Any

import pytest

from tests.unit.fake_api import FakeApi, client
from tui_health.genesys.listing import Listing, list_entities, walk
from tui_health.model.domain import RequestTiming
from tui_health.support.errors import ApiError

URL = "https://api.test/api/v2/things"


def ids(*names: str) -> list[dict[str, Any]]:
    return [{"id": name} for name in names]


def answer(
    entities: Any, *, total: Any = None, page_count: Any = None, cid: str | None = "cid"
) -> tuple[Any, Any]:
    body: dict[str, Any] = {"entities": entities}
    if total is not None:
        body["total"] = total
    if page_count is not None:
        body["pageCount"] = page_count
    return body, cid


async def walked(
    *pages: Any, page_size: int = 2, max_pages: int = 10, max_entities: int = 100, **options: Any
) -> tuple[Listing, FakeApi, list[RequestTiming], list[str]]:
    api = FakeApi(list(pages))
    timings: list[RequestTiming] = []
    cids: list[str] = []
    found = await walk(
        client(api),
        "/api/v2/things",
        label="things",
        timings=timings,
        deadline=4.0,
        cids=cids,
        permission="things:view",
        page_size=page_size,
        max_pages=max_pages,
        max_entities=max_entities,
        **options,
    )
    return found, api, timings, cids


def numbers(api: FakeApi) -> list[int]:
    return [a["params"]["pageNumber"] for a in api.asked]


# -- what is asked -------------------------------------------------------------------------------------------
async def test_a_page_is_asked_with_the_callers_parameters_and_the_paging():
    found, api, timings, cids = await walked(
        answer(ids("a", "b"), total=2, page_count=1, cid="c1"), params={"expand": "x", "pageSize": 9}
    )
    assert api.asked == [
        {
            "url": URL,
            "label": "things page 1",
            "deadline": 4.0,
            "params": {"expand": "x", "pageSize": 2, "pageNumber": 1},
            "permission": "things:view",
        }
    ]
    assert found == Listing(ids("a", "b"), set(), None)
    assert timings == [RequestTiming("things page 1", 1.0, 200, correlation_id="c1")] and cids == ["c1"]


async def test_the_defaults_are_pages_of_100_and_no_parameters():
    api = FakeApi([answer(ids("a"))])
    await walk(client(api), "/p", label="l", timings=[], deadline=None, cids=[], permission="p")
    assert api.asked[0]["params"] == {"pageSize": 100, "pageNumber": 1}


async def test_pages_are_read_in_order_as_many_as_page_count_says():
    found, api, _, cids = await walked(
        answer(ids("a", "b"), page_count=3, cid="c1"),
        answer(ids("c", "d"), page_count=1, cid=None),  # later pages do not change the count
        answer(ids("e"), cid="c3"),
    )
    assert numbers(api) == [1, 2, 3] and [a["label"] for a in api.asked][1:] == [
        "things page 2",
        "things page 3",
    ]
    assert [e["id"] for e in found.entities] == ["a", "b", "c", "d", "e"] and cids == ["c1", "c3"]


@pytest.mark.parametrize(
    ("total", "page_count", "pages"),
    [
        (5, 1, 3),  # a pageCount short of the total drops nothing
        (6, 1, 3),
        (4, 3, 3),  # a total short of the pageCount neither
        (5, None, 3),
        (0, None, 1),
        (None, None, 1),
        (None, 0, 1),
        (True, 2, 2),  # not counts: the pageCount alone
        (-4, 2, 2),
        ("6", 2, 2),
        (5, True, 3),
        (2, -3, 1),
        (2, 2.0, 1),
    ],
)
async def test_the_pages_read_are_the_most_that_page_count_or_total_imply(total, page_count, pages):
    answers = [answer(ids(f"{n}a", f"{n}b"), total=total, page_count=page_count) for n in range(5)]
    _, api, _, _ = await walked(*answers)
    assert numbers(api) == list(range(1, pages + 1))


async def test_an_empty_page_ends_the_walk():
    found, api, _, _ = await walked(answer(ids("a", "b"), page_count=5), answer([]), answer(ids("c")))
    assert numbers(api) == [1, 2] and [e["id"] for e in found.entities] == ["a", "b"]


async def test_only_objects_with_an_id_are_kept():
    odd: list[Any] = [{"id": "a"}, {"id": ""}, {"id": 5}, {"name": "x"}, "b", None, {"id": "c", "n": 1}]
    found, _, _, _ = await walked(answer(odd), page_size=10)
    assert found.entities == [{"id": "a"}, {"id": "c", "n": 1}]


# -- what is not believed ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("body", [{"entities": {"a": 1}}, {"items": []}, ["entities"], None])
async def test_a_page_without_an_entities_list_fails(body):
    with pytest.raises(ApiError) as raised:
        await walked(answer(ids("a", "b"), page_count=2), (body, "c2"))
    assert (raised.value.message, raised.value.correlation_id) == ("things page 2 has no entities list", "c2")


async def test_a_page_holding_more_than_asked_for_fails():
    await walked(answer(ids("a", "b")))  # as many as asked for
    with pytest.raises(ApiError) as raised:
        await walked(answer(ids("a", "b", "c"), cid="c1"))
    assert raised.value.message == "things page 1 holds 3 entities, more than the 2 asked for"
    assert raised.value.correlation_id == "c1"


async def test_more_entities_than_max_entities_fails():
    found, _, _, _ = await walked(answer(ids("a", "b"), page_count=2), answer(ids("c")), max_entities=3)
    assert len(found.entities) == 3
    with pytest.raises(ApiError) as raised:
        await walked(answer(ids("a", "b"), page_count=2), answer(ids("c", "d"), cid="c2"), max_entities=3)
    assert (raised.value.message, raised.value.correlation_id) == (
        "things: more than 3 entities; not believed",
        "c2",
    )


async def test_more_pages_than_max_pages_fails_before_reading_them():
    _, api, _, _ = await walked(*[answer(ids("a"), page_count=3)] * 3, max_pages=3)
    assert numbers(api) == [1, 2, 3]
    with pytest.raises(ApiError) as raised:
        await walked(answer(ids("a", "b"), total=7, cid="c1"), max_pages=3)
    assert raised.value.message == "things claims 4 pages, more than the 3 read at most"
    assert raised.value.hint == "raise poll.max_pages if the org really has that many"
    assert raised.value.correlation_id == "c1"


# -- repeats and short listings ----------------------------------------------------------------------------------
async def test_an_id_listed_twice_is_kept_twice_and_named():
    found, _, _, _ = await walked(answer(ids("a", "b"), page_count=2), answer(ids("b", "a")), page_size=2)
    assert [e["id"] for e in found.entities] == ["a", "b", "b", "a"] and found.repeated == {"a", "b"}
    assert found.short is None


async def test_a_listing_short_of_its_total_says_so_counting_each_id_once():
    found, _, _, _ = await walked(answer(ids("a", "b"), total=5), answer(ids("a")), answer([]))
    assert found.short == "things: the API said 5 but listed 2" and found.repeated == {"a"}
    exact, _, _, _ = await walked(answer(ids("a", "b"), total=3), answer(ids("a")))
    assert exact.short is None  # one listed twice is listed: nobody is missing for it
    more, _, _, _ = await walked(answer(ids("a", "b"), total=1))
    assert more.short is None
    unsaid, _, _, _ = await walked(answer(ids("a"), page_count=2), answer([]))
    assert unsaid.short is None


# -- each id once ------------------------------------------------------------------------------------------------
async def test_list_entities_keeps_the_first_of_each_id_and_passes_every_bound():
    api = FakeApi(
        [
            answer([{"id": "a", "n": 1}, {"id": "b"}], page_count=2, cid="c1"),
            answer([{"id": "a", "n": 2}], cid="c2"),
        ]
    )
    timings: list[RequestTiming] = []
    cids: list[str] = []
    found = await list_entities(
        client(api),
        "/api/v2/things",
        label="things",
        timings=timings,
        deadline=3.0,
        cids=cids,
        permission="things:view",
        params={"q": "1"},
        page_size=2,
        max_pages=2,
        max_entities=3,
    )
    assert found == [{"id": "a", "n": 1}, {"id": "b"}]
    assert [a["params"] for a in api.asked] == [
        {"q": "1", "pageSize": 2, "pageNumber": 1},
        {"q": "1", "pageSize": 2, "pageNumber": 2},
    ]
    assert {(a["label"], a["deadline"], a["permission"], a["url"]) for a in api.asked} == {
        ("things page 1", 3.0, "things:view", URL),
        ("things page 2", 3.0, "things:view", URL),
    }
    assert cids == ["c1", "c2"] and len(timings) == 2
    with pytest.raises(ApiError, match="more than the 1 read at most"):
        await list_entities(
            client(FakeApi([answer(ids("a"), page_count=2)])),
            "/p",
            label="things",
            timings=[],
            deadline=None,
            cids=[],
            permission="p",
            max_pages=1,
        )
    with pytest.raises(ApiError, match="more than 1 entities"):
        await list_entities(
            client(FakeApi([answer(ids("a", "b"))])),
            "/p",
            label="things",
            timings=[],
            deadline=None,
            cids=[],
            permission="p",
            max_entities=1,
        )


async def test_list_entities_defaults_are_pages_of_100_without_parameters():
    api = FakeApi([answer(ids("a"))])
    await list_entities(client(api), "/p", label="l", timings=[], deadline=None, cids=[], permission="p")
    assert api.asked[0]["params"] == {"pageSize": 100, "pageNumber": 1}


@pytest.mark.parametrize("lister", [walk, list_entities])
async def test_by_default_50_pages_and_5000_entities_are_read_at_most(lister):
    def call(api: FakeApi, **options: Any) -> Any:
        return lister(
            client(api), "/p", label="l", timings=[], deadline=None, cids=[], permission="p", **options
        )

    fifty = FakeApi([answer(ids("a"), page_count=50)] + [answer(ids("b"))] * 49)
    await call(fifty)
    assert numbers(fifty) == list(range(1, 51))
    with pytest.raises(ApiError, match="claims 51 pages, more than the 50 read at most"):
        await call(FakeApi([answer(ids("a"), page_count=51)]))
    many = [{"id": f"e{n}"} for n in range(5001)]
    await call(FakeApi([answer(many[:5000])]), page_size=5000)
    with pytest.raises(ApiError, match="more than 5000 entities"):
        await call(FakeApi([answer(many)]), page_size=5001)
