"""Authenticated Platform API requests (401 → new token, retried once) and the health-details page walk."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin

import httpx

from tui_health.auth import TokenProvider
from tui_health.errors import ApiError, AuthError, TuiHealthError
from tui_health.models import Component, RequestTiming, Status, ValidationIssue
from tui_health.transport import HttpCore, correlation_id, decode_json
from tui_health.wire import HealthPage, parse_entity

HEALTH_PATH = "/api/v2/health/details"


class ApiClient:
    """GETs against the Platform API with a bearer token from the shared TokenProvider."""

    def __init__(self, core: HttpCore, tokens: TokenProvider, api_url: str) -> None:
        self.core = core
        self.tokens = tokens
        self.api_url = api_url.rstrip("/")

    def url(self, path_or_uri: str) -> str:
        """Absolute URL for a path or a Genesys relative URI such as ``nextUri``."""
        return urljoin(self.api_url + "/", path_or_uri.lstrip("/"))

    async def get(
        self,
        url: str,
        *,
        label: str,
        timings: list[RequestTiming],
        deadline: float | None,
        params: dict[str, Any] | None = None,
    ) -> httpx.Response:
        """GET with a token; a 401 invalidates the token and retries once with a fresh one.

        Returns the final response whatever its status except 401/403, which raise AuthError.
        """
        for round_ in (1, 2):
            token = await self.tokens.token(timings, deadline)
            response = await self.core.send(
                "GET",
                url,
                label=label,
                timings=timings,
                deadline=deadline,
                params=params,
                what="the API",
                headers={"Authorization": f"Bearer {token}", "Accept": "application/json"},
            )
            if response.status_code == 401 and round_ == 1:
                self.tokens.invalidate(token)
                continue
            break
        cid = correlation_id(response)
        if response.status_code == 401:
            raise AuthError(
                "the API refused a fresh token (HTTP 401)",
                correlation_id=cid,
                hint="check that the OAuth client is active and belongs to this region's org",
            )
        if response.status_code == 403:
            raise AuthError(
                f"the API answered 403 Forbidden for {url.removeprefix(self.api_url)}",
                correlation_id=cid,
                hint="the OAuth client's roles lack the permission this call needs; add a role that grants it",
            )
        return response

    async def get_json(
        self,
        url: str,
        *,
        label: str,
        timings: list[RequestTiming],
        deadline: float | None,
        params: dict[str, Any] | None = None,
    ) -> tuple[Any, str | None]:
        """GET, require a 2xx, decode JSON; returns the data and the correlation id."""
        response = await self.get(url, label=label, timings=timings, deadline=deadline, params=params)
        if not 200 <= response.status_code < 300:
            raise HttpCore.status_error(response, "the API")
        return decode_json(response, f"the API ({label})"), correlation_id(response)


@dataclass(frozen=True, slots=True)
class HealthQuery:
    """Filters for ``GET /api/v2/health/details``."""

    ids: tuple[str, ...] = ()
    status: tuple[Status, ...] = ()
    expand: bool = True
    page_size: int = 100

    def params(self, page: int) -> dict[str, Any]:
        """Query parameters; lists are sent comma-separated (``status=degraded,down``)."""
        params: dict[str, Any] = {"pageSize": self.page_size, "pageNumber": page}
        if self.ids:
            params["ids"] = ",".join(self.ids)
        if self.status:
            params["status"] = ",".join(str(s) for s in self.status)
        if self.expand:
            params["expand"] = "details"
        return params


@dataclass(slots=True)
class HealthFetch:
    """The merged result of one page walk."""

    components: list[Component] = field(default_factory=list)
    issues: list[ValidationIssue] = field(default_factory=list)
    correlation_ids: list[str] = field(default_factory=list)
    pages: int = 0


class HealthClient:
    """Walks every page of health details: page 1, then the rest concurrently (bounded), merged in order."""

    def __init__(
        self, api: ApiClient, query: HealthQuery, *, concurrency: int = 10, source: str = "health-api"
    ):
        self.api = api
        self.query = query
        self.concurrency = concurrency
        self.source = source

    async def fetch(self, timings: list[RequestTiming], deadline: float | None) -> HealthFetch:
        url = self.api.url(HEALTH_PATH)
        first = await self._page(url, self.query.params(1), 1, timings, deadline)
        pages: dict[int, tuple[HealthPage, str | None]] = {1: first}
        page_count = first[0].pageCount
        if page_count is not None and page_count > 1:
            limit = asyncio.Semaphore(self.concurrency)

            async def one(number: int) -> None:
                async with limit:
                    pages[number] = await self._page(
                        url, self.query.params(number), number, timings, deadline
                    )

            try:
                async with asyncio.TaskGroup() as group:
                    for number in range(2, page_count + 1):
                        group.create_task(one(number))
            except BaseExceptionGroup as exc:
                raise _first_error(exc) from None
        else:
            next_uri, number = first[0].nextUri, 1
            seen = {url}
            while next_uri:
                number += 1
                next_url = self.api.url(next_uri)
                if next_url in seen:
                    raise ApiError(
                        f"the API's nextUri repeats itself at page {number}",
                        correlation_id=pages[number - 1][1],
                    )
                seen.add(next_url)
                pages[number] = await self._page(next_url, None, number, timings, deadline)
                next_uri = pages[number][0].nextUri
        return self._merge(pages)

    async def _page(
        self,
        url: str,
        params: dict[str, Any] | None,
        number: int,
        timings: list[RequestTiming],
        deadline: float | None,
    ) -> tuple[HealthPage, str | None]:
        data, cid = await self.api.get_json(
            url, label=f"page {number}", timings=timings, deadline=deadline, params=params
        )
        return HealthPage.parse(data, number, cid), cid

    def _merge(self, pages: dict[int, tuple[HealthPage, str | None]]) -> HealthFetch:
        result = HealthFetch(pages=len(pages))
        seen: set[str] = set()
        for number in sorted(pages):
            page, cid = pages[number]
            if cid:
                result.correlation_ids.append(cid)
            for raw in page.entities:
                component, issues = parse_entity(raw, cid, self.source)
                result.issues.extend(issues)
                if component is None or component.id in seen:
                    continue
                seen.add(component.id)
                result.components.append(component)
        return result


def _first_error(group: BaseExceptionGroup) -> BaseException:
    for exc in group.exceptions:
        if isinstance(exc, BaseExceptionGroup):
            return _first_error(exc)
        if isinstance(exc, TuiHealthError):
            return exc
    return group.exceptions[0]
