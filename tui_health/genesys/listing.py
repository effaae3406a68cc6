"""Listing a Platform API collection page by page (``pageSize``/``pageNumber``, Genesys' usual paging).

The server's paging is not believed: at most ``max_pages`` pages and ``max_entities`` entities are read, a page
holding more entities than asked for fails the walk, and only objects with a string ``id`` are kept.
"""

from __future__ import annotations

from typing import Any

from tui_health.genesys.client import ApiClient
from tui_health.model.domain import RequestTiming
from tui_health.support.errors import ApiError


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
    """Every entity of ``path``, in order, walked sequentially up to the page count the first page gives."""
    out: list[dict[str, Any]] = []
    page, pages = 1, 1
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
        out.extend(e for e in entities if isinstance(e, dict) and isinstance(e.get("id"), str) and e["id"])
        if len(out) > max_entities:
            raise ApiError(f"{label}: more than {max_entities} entities; not believed", correlation_id=cid)
        if page == 1:
            count = data.get("pageCount")
            if isinstance(count, int) and not isinstance(count, bool) and count > 1:
                if count > max_pages:
                    raise ApiError(
                        f"{label} claims {count} pages, more than the {max_pages} read at most",
                        correlation_id=cid,
                        hint="raise poll.max_pages if the org really has that many",
                    )
                pages = count
        if not entities:
            break
        page += 1
    return out
