"""Authenticated Platform API requests (401 → new token, retried once) and the health-details page walk."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpx

from tui_health.genesys import lean
from tui_health.genesys.auth import TokenProvider
from tui_health.genesys.ratelimit import bucket_of
from tui_health.genesys.transport import (
    HttpCore,
    correlation_id,
    decode_json,
    error_detail,
    host_of,
    origin_of,
)
from tui_health.genesys.wire import EntityParser, HealthPage
from tui_health.model.domain import Component, RateLimit, RequestTiming, Status, ValidationIssue
from tui_health.support.errors import ApiError, AuthError, TuiHealthError
from tui_health.support.text import clean

HEALTH_PATH = "/api/v2/health/details"
MAX_URI = 2000
"""The longest server-given URI followed."""


class ApiClient:
    """GETs against the Platform API with a bearer token from the shared TokenProvider."""

    def __init__(self, core: HttpCore, tokens: TokenProvider, api_url: str) -> None:
        self.core = core
        self.tokens = tokens
        self.api_url = api_url.rstrip("/")

    def rate_limit(self, path: str) -> RateLimit | None:
        """The API's latest count of our requests to ``path``'s endpoint family (its ``inin-ratelimit-*``
        headers: the allowance differs by endpoint), if it sent one."""
        return self.core.rate_limits.get(host_of(self.api_url) + bucket_of(urlsplit(self.url(path)).path))

    def url(self, path_or_uri: str) -> str:
        """Absolute URL for a configured path (``probe.path``, the health-details path)."""
        return urljoin(self.api_url + "/", path_or_uri.lstrip("/"))

    def follow(self, uri: object, what: str, cid: str | None) -> str:
        """Absolute URL for a server-given URI (``nextUri``), refused unless it stays on the API's origin.

        The bearer token is sent with every API request, so a URI that points at another scheme, host or port
        (https downgraded to http included) would hand the token to whoever the server named.
        """
        if not isinstance(uri, str) or not uri or len(uri) > MAX_URI or clean(uri, MAX_URI) != uri:
            raise ApiError(f"{what} is not a usable URI ({clean(uri, 80)!r})", correlation_id=cid)
        url = urljoin(self.api_url + "/", uri)
        if origin_of(url) != origin_of(self.api_url):
            raise ApiError(
                f"refused {what} {clean(uri, 120)!r}: it leaves {host_of(self.api_url)} for {host_of(url)}, "
                "and the token goes to the configured API host only",
                correlation_id=cid,
                hint="the API (or something between) is misbehaving; report it with the correlation id",
            )
        return url

    async def request(
        self,
        url: str,
        *,
        label: str,
        timings: list[RequestTiming],
        deadline: float | None,
        params: dict[str, Any] | None = None,
        method: str = "GET",
        body: Any = None,
        permission: str | None = None,
    ) -> httpx.Response:
        """A request with a token (GET, or ``method`` with a JSON ``body``); a 401 invalidates the token and
        retries once with a fresh one.

        Returns the final response whatever its status except 401/403, which raise AuthError (naming
        ``permission`` when the call needs one).
        """
        extra: dict[str, Any] = {} if body is None else {"json": body}
        for round_ in (1, 2):
            token = await self.tokens.token(timings, deadline)
            response = await self.core.send(
                method,
                url,
                label=label,
                timings=timings,
                deadline=deadline,
                params=params,
                what="the API",
                headers={"Authorization": f"Bearer {token}", "Accept": "application/json"},
                **extra,
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
            path = urlsplit(url).path
            said = error_detail(response)  # Genesys' own message names the missing permission
            raise AuthError(
                f"the API answered 403 Forbidden for {path}"
                + (f" (the API says: {said})" if said else "")
                + (f": the OAuth client lacks the permission {permission}" if permission else ""),
                correlation_id=cid,
                hint=f"add a role with {permission} to the OAuth client"
                if permission
                else "the OAuth client's roles lack the permission this call needs; add a role that grants it",
            )
        return response

    async def request_json(
        self,
        url: str,
        *,
        label: str,
        timings: list[RequestTiming],
        deadline: float | None,
        params: dict[str, Any] | None = None,
        method: str = "GET",
        body: Any = None,
        permission: str | None = None,
    ) -> tuple[Any, str | None]:
        """:meth:`request`, require a 2xx, decode JSON; returns the data and the correlation id."""
        response = await self.request(
            url,
            label=label,
            timings=timings,
            deadline=deadline,
            params=params,
            method=method,
            body=body,
            permission=permission,
        )
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
    """Walks every page of health details: page 1, then the rest concurrently (bounded), merged in order.

    The server's paging is not trusted: ``pageCount`` is checked against ``total`` and ``pageSize`` and bounded
    by ``max_pages``; a ``nextUri`` chain ends at ``max_pages`` or when a URI repeats; a page never holds more
    entities than were asked for; every ``nextUri`` must stay on the API's origin.
    """

    def __init__(
        self,
        api: ApiClient,
        query: HealthQuery,
        *,
        concurrency: int = 10,
        source: str = "health-api",
        max_pages: int = 200,
    ):
        self.api = api
        self.query = query
        self.concurrency = concurrency
        self.source = source
        self.max_pages = max_pages
        self.entities = EntityParser(source)
        # last poll's page bodies, what they held, and where each entity is in them (for the next lean decode)
        self._bodies: dict[int, tuple[bytes, HealthPage, lean.Decoded | None]] = {}
        self._bodies_seen: dict[int, tuple[bytes, HealthPage, lean.Decoded | None]] = {}

    async def fetch(self, timings: list[RequestTiming], deadline: float | None) -> HealthFetch:
        url = self.api.url(HEALTH_PATH)
        first = await self._page(url, self.query.params(1), 1, timings, deadline)
        pages: dict[int, tuple[HealthPage, str | None]] = {1: first}
        page_count = self._checked_page_count(first[0], first[1])
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
        elif page_count is None:
            next_uri, number = first[0].nextUri, 1
            seen = {url}
            while next_uri:
                number += 1
                cid = pages[number - 1][1]
                if number > self.max_pages:
                    raise ApiError(
                        f"the API's nextUri chain goes on past {self.max_pages} pages (poll.max_pages)",
                        correlation_id=cid,
                        hint="raise poll.max_pages or poll.page_size if the org really is that large",
                    )
                next_url = self.api.follow(next_uri, f"nextUri of page {number - 1}", cid)
                if next_url in seen:
                    raise ApiError(f"the API's nextUri repeats itself at page {number}", correlation_id=cid)
                seen.add(next_url)
                pages[number] = await self._page(next_url, None, number, timings, deadline)
                next_uri = pages[number][0].nextUri
        await asyncio.sleep(0)  # the last page's decoding and the merge are two steps, not one long one
        return self._merge(pages)

    def _checked_page_count(self, page: HealthPage, cid: str | None) -> int | None:
        """``pageCount`` when the page gives one, after checking it against ``total``, ``pageSize`` and the cap."""
        count = page.pageCount
        if count is None:
            return None
        if count < 0 or (page.total is not None and page.total < 0):
            raise ApiError(
                f"the API's paging is negative (pageCount {count}, total {page.total})", correlation_id=cid
            )
        if count > self.max_pages:
            raise ApiError(
                f"the API claims {count:,} pages (total {page.total}); more than poll.max_pages ({self.max_pages})",
                correlation_id=cid,
                hint="raise poll.max_pages or poll.page_size if the org really is that large",
            )
        size = page.pageSize or self.query.page_size
        if page.total is not None and size > 0:
            expected = -(-page.total // size)
            if count != expected and not (page.total == 0 and count == 1):
                raise ApiError(
                    f"the API's paging is inconsistent: pageCount {count} but total {page.total} at pageSize {size}",
                    correlation_id=cid,
                )
        return count

    async def _page(
        self,
        url: str,
        params: dict[str, Any] | None,
        number: int,
        timings: list[RequestTiming],
        deadline: float | None,
    ) -> tuple[HealthPage, str | None]:
        response = await self.api.request(
            url, label=f"page {number}", timings=timings, deadline=deadline, params=params
        )
        if not 200 <= response.status_code < 300:
            raise HttpCore.status_error(response, "the API")
        cid = correlation_id(response)
        body = response.content
        known = self._bodies.get(number)
        if known is not None and known[0] == body:
            # the same bytes as last poll: the same page, decoded and checked then (most pages of a calm org)
            self._bodies_seen[number] = known
            return known[1], cid
        decoded = self._lean(response, body, known[2] if known is not None else None)
        data = decoded.data if decoded is not None else decode_json(response, f"the API (page {number})")
        page = HealthPage.parse(data, number, cid)
        if len(page.entities) > self.query.page_size:
            raise ApiError(
                f"page {number} holds {len(page.entities)} entities, more than the {self.query.page_size} asked for",
                correlation_id=cid,
            )
        self._bodies_seen[number] = (body, page, decoded)  # only a page that passed every check is remembered
        return page, cid

    @staticmethod
    def _lean(response: httpx.Response, body: bytes, before: lean.Decoded | None) -> lean.Decoded | None:
        """The page decoded leanly (:mod:`tui_health.genesys.lean`: only what changed since ``before``), or
        ``None`` to decode it in full (anything unusual, and everything an error is made of)."""
        if "json" not in response.headers.get("content-type", "").lower():
            return None
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            return None
        spliced = lean.splice(before, text) if before is not None else None
        return spliced if spliced is not None else lean.decode(text)

    def _merge(self, pages: dict[int, tuple[HealthPage, str | None]]) -> HealthFetch:
        """Pages in order; a duplicate id keeps the worse status (a problem never hides behind a healthy twin)."""
        result = HealthFetch(pages=len(pages))
        parsed: list[tuple[int, str | None, list[Component]]] = []
        for number in sorted(pages):
            page, cid = pages[number]
            if cid:
                result.correlation_ids.append(cid)
            components, issues = self.entities.parse_page(number, page.entities, cid)
            result.issues.extend(issues)
            parsed.append((number, cid, components))
            result.components.extend(components)
        self.entities.end_poll()
        self._bodies, self._bodies_seen = self._bodies_seen, {}
        if len({c.id for c in result.components}) < len(result.components):
            result.components = self._without_duplicates(parsed, result.issues)
        return result

    def _without_duplicates(
        self, parsed: list[tuple[int, str | None, list[Component]]], issues: list[ValidationIssue]
    ) -> list[Component]:
        kept: dict[str, tuple[int, int]] = {}  # id -> (index in out, page number)
        out: list[Component] = []
        for number, cid, components in parsed:
            for component in components:
                if component.id not in kept:
                    kept[component.id] = (len(out), number)
                    out.append(component)
                    continue
                index, first_page = kept[component.id]
                earlier = out[index]
                if component.status.rank < earlier.status.rank:
                    out[index] = component
                    winner, page_of_winner = component, number
                else:
                    winner, page_of_winner = earlier, first_page
                issues.append(
                    ValidationIssue(
                        component.id,
                        f"duplicate id {component.id} on pages {first_page} and {number} "
                        f"({earlier.status} and {component.status}): kept {winner.status} from page {page_of_winner}",
                        cid,
                        self.source,
                    )
                )
        return out


def _first_error(group: BaseExceptionGroup) -> BaseException:
    for exc in group.exceptions:
        if isinstance(exc, BaseExceptionGroup):
            return _first_error(exc)
        if isinstance(exc, TuiHealthError):
            return exc
    return group.exceptions[0]
