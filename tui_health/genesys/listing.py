"""Listing a Platform API collection page by page (``pageSize``/``pageNumber``, Genesys' usual paging).

The server's paging is not believed: at most ``max_pages`` pages and ``max_entities`` entities are read, a page
holding more entities than asked for fails the walk, and only objects with a string ``id`` are kept. The walk
goes on while ``pageCount`` *or* ``total`` says more is there (a ``pageCount`` shorter than ``total`` implies
drops nothing), and what it could not reconcile is told, never hidden: an id listed twice (the collection moved
while it was read) and a listing that ends short of its ``total``. The caller decides what to do about them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tui_health.genesys.client import ApiClient
from tui_health.model.domain import RequestTiming
from tui_health.support.errors import ApiError


@dataclass(slots=True)
class Listing:
    """Every entity of a walk in order, duplicates included (``repeated`` names their ids), and ``short``:
    why the walk holds fewer entities than the collection said it has (``None``: it does not)."""

    entities: list[dict[str, Any]] = field(default_factory=list)
    repeated: set[str] = field(default_factory=set)
    short: str | None = None


def _count(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None


async def walk(
    api: ApiClient,
    path: str,
    *,
    label: str,
    timings: list[RequestTiming],
    deadline: float | None,
    cids: list[str],
    permission: str,
    params: dict[str, Any] | None = None,
    page_size: int = 100,
    max_pages: int = 50,
    max_entities: int = 5000,
) -> Listing:
    """Every entity of ``path``, in order, walked sequentially for as many pages as the first one promises."""
    out = Listing()
    seen: set[str] = set()
    page, pages, total = 1, 1, None
    while page <= pages:
        data, cid = await api.request_json(
            api.url(path),
            label=f"{label} page {page}",
            timings=timings,
            deadline=deadline,
            params={**(params or {}), "pageSize": page_size, "pageNumber": page},
            permission=permission,
        )
        if cid:
            cids.append(cid)
        entities = data.get("entities") if isinstance(data, dict) else None
        if not isinstance(entities, list):
            raise ApiError(f"{label} page {page} has no entities list", correlation_id=cid)
        if len(entities) > page_size:
            raise ApiError(
                f"{label} page {page} holds {len(entities)} entities, more than the {page_size} asked for",
                correlation_id=cid,
            )
        for entity in entities:
            if isinstance(entity, dict) and isinstance(entity.get("id"), str) and entity["id"]:
                if entity["id"] in seen:
                    out.repeated.add(entity["id"])
                seen.add(entity["id"])
                out.entities.append(entity)
        if len(out.entities) > max_entities:
            raise ApiError(f"{label}: more than {max_entities} entities; not believed", correlation_id=cid)
        if page == 1:
            total = _count(data.get("total"))
            claimed = _count(data.get("pageCount")) or 1
            implied = -(-total // page_size) if total else 1  # a pageCount short of the total drops nothing
            pages = max(claimed, implied)
            if pages > max_pages:
                raise ApiError(
                    f"{label} claims {pages} pages, more than the {max_pages} read at most",
                    correlation_id=cid,
                    hint="raise poll.max_pages if the org really has that many",
                )
        if not entities:
            break
        page += 1
    if (
        total is not None and len(out.entities) < total
    ):  # one listed twice is listed: no one is missing for it
        out.short = f"{label}: the API said {total} but listed {len(seen)}"
    return out


async def list_entities(
    api: ApiClient,
    path: str,
    *,
    label: str,
    timings: list[RequestTiming],
    deadline: float | None,
    cids: list[str],
    permission: str,
    params: dict[str, Any] | None = None,
    page_size: int = 100,
    max_pages: int = 50,
    max_entities: int = 5000,
) -> list[dict[str, Any]]:
    """Every entity of ``path`` once (the first of a repeated id), for callers that only need names."""
    listing = await walk(
        api,
        path,
        label=label,
        timings=timings,
        deadline=deadline,
        cids=cids,
        permission=permission,
        params=params,
        page_size=page_size,
        max_pages=max_pages,
        max_entities=max_entities,
    )
    firsts: dict[str, dict[str, Any]] = {}
    for entity in listing.entities:
        firsts.setdefault(entity["id"], entity)
    return list(firsts.values())
