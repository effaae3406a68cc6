"""The ``operational-events`` source: the org's own Operational Events, the one health signal Genesys publishes
about *your* org (trunks that dropped, flows that failed, integrations that errored).

Each poll asks ``POST /api/v2/usage/events/query`` for the interval since the last poll (the first looks back
``events.lookback``), ``sortOrder`` ascending, following the cursor (``nextUri``, on the API's origin only) for at
most ``poll.max_pages`` pages of at most 200. Definition names come from ``GET /api/v2/usage/events/definitions``
(once; kept). Both need the permission ``usage:events:view``: a 403 says so.

New events are audited (``operational_event``) and kept for the console (the last :data:`KEPT`). When
``events.definitions`` names some, they count as one component of the org — "Operational events (your org)" —
*degraded* while at least ``events.min_events`` of them arrived within ``events.window`` seconds, healthy otherwise.
Definitions are required: an event stream alone checks nothing, so it could never honestly say OK.
"""

from __future__ import annotations

from collections import deque
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from pydantic import Field, field_validator

from tui_health.genesys.channel_api import Catalogue
from tui_health.genesys.client import ApiClient
from tui_health.genesys.wire import parse_timestamp
from tui_health.model.domain import Component, RequestTiming, SourceResult, Status
from tui_health.model.extras import SourceExtras
from tui_health.sources.base import BuildContext, SourceSettings, failed
from tui_health.support.clock import Clock, SystemClock, rfc3339
from tui_health.support.errors import ApiError, ConfigError, TuiHealthError
from tui_health.support.section import Section, split_list
from tui_health.support.text import clean

NAME = "operational-events"
NEEDS_CREDENTIALS = True
SECTION = "events"
PERMISSION = "usage:events:view"
KINDS: tuple[str, ...] = ()
PAGES_AT_ONCE = False
TEMPLATE = """\
[events]             # the operational-events source (needs usage:events:view)
# definitions = ["TELEPHONY-0010"]   # these event definitions count as your org's component
component_name = "Operational events (your org)"
min_events = 1       # degraded while this many of them arrived within the window
window = 900
lookback = 900       # how far back the first poll looks
page_size = 200      # events per page (the API's maximum)
"""
QUERY_PATH = "/api/v2/usage/events/query"
DEFINITIONS_PATH = "/api/v2/usage/events/definitions"
COMPONENT_ID = "org-operational-events"
ORG_PATH = "/api/v2/organizations/me"
TOPIC = "v2.operations.events.{id}"
"""Pushed when an operational event happens (``OperationalEventNotificationTopicOperationalEventNotification``).
What ``{id}`` is, no SDK says: the org's id (``organizations/me``) or an event definition's id. The catalogue's
``topicParameters`` decides when it names one; when it does not, both are asked for (a topic that does not exist
is refused on its own, and any event is only a reason to query now)."""
KEPT = 200
"""Recent events kept for the console and JSON."""


class EventsSettings(Section):
    """``[events]``."""

    definitions: list[str] = Field(default_factory=list)
    """Event definition ids (``TELEPHONY-0010``, …) that count as the org's component; empty: no component."""
    component_name: str = "Operational events (your org)"
    min_events: int = Field(1, ge=1)
    """The component is degraded while at least this many of those events arrived within ``window``."""
    window: float = Field(900.0, gt=0, le=86_400)
    lookback: float = Field(900.0, gt=0, le=86_400)
    """How far back the first poll looks."""
    page_size: int = Field(200, ge=1, le=200)

    _split = field_validator("definitions", mode="before")(split_list)


Settings = EventsSettings


def build(ctx: BuildContext) -> OperationalEventsSource:
    assert ctx.tokens is not None
    if not ctx.settings.section(SECTION).definitions:
        raise ConfigError(
            "the operational-events source needs events.definitions: the event definitions that count as your "
            "org's component (an event stream alone checks nothing)",
            hint='e.g. [events] definitions = ["TELEPHONY-0010"]; the ids are listed by '
            "GET /api/v2/usage/events/definitions",
        )
    return OperationalEventsSource(
        ApiClient(ctx.budgeted, ctx.tokens, ctx.settings.api_url),
        ctx.settings.section(SECTION),
        max_pages=ctx.settings.poll.max_pages,
        clock=ctx.clock,
    )


def event_key(event: dict[str, Any]) -> tuple[Any, ...]:
    """Operational events carry no id of their own: what happened, to what, when."""
    return (event.get("definition"), event.get("entity_id"), event.get("at"), event.get("current"))


class OperationalEventsSource:
    name = NAME

    def __init__(
        self, api: ApiClient, settings: EventsSettings, *, max_pages: int = 200, clock: Clock | None = None
    ) -> None:
        self.api = api
        self.clock = clock or SystemClock()
        self.settings = settings
        self.max_pages = max_pages
        self.definitions: dict[str, str] = {}  # id → name (fetched once)
        self.recent: deque[dict[str, Any]] = deque(maxlen=KEPT)
        self._seen: deque[tuple[Any, ...]] = deque(maxlen=4 * KEPT)
        self._since: datetime | None = None
        self.org_id: str | None = None
        self._asked_org = False
        self.topic_ids = "both"
        """What the topic's ``{id}`` is taken for: ``org``, ``definition`` or ``both`` (not known)."""

    async def fetch(self, deadline: float | None) -> SourceResult:
        """One poll's result, with the API's latest count of our requests (rate-limit headroom)."""
        return replace(await self._fetch(deadline), rate_limit=self.api.rate_limit(QUERY_PATH))

    async def _fetch(self, deadline: float | None) -> SourceResult:
        timings: list[RequestTiming] = []
        now = self.clock.now()
        since = self._since or now - timedelta(seconds=self.settings.lookback)
        cids: list[str] = []
        try:
            if not self.definitions:
                self.definitions = await self._definitions(timings, deadline, cids)
            if not self._asked_org:
                self._asked_org = True
                self.org_id = await self._org(timings, deadline)
            raw = await self._query(since, now, timings, deadline, cids)
        except TuiHealthError as exc:
            return failed(self.name, exc, timings)
        self._since = now
        new = []
        for item in raw:
            event = self._event(item)
            if event is None or event_key(event) in self._seen:
                continue
            self._seen.append(event_key(event))
            self.recent.append(event)
            new.append(event)
        components = self._component(now)
        return SourceResult(
            self.name,
            True,
            components,
            correlation_ids=tuple(cids),
            timings=tuple(timings),
            extras=SourceExtras(operational_events=tuple(self.recent), new_operational_events=tuple(new)),
        )

    async def _org(self, timings: list[RequestTiming], deadline: float | None) -> str | None:
        """The org's id, for its notification topic; ``None`` (events are then polled only) when not told."""
        try:
            data, _ = await self.api.request_json(
                self.api.url(ORG_PATH), label="organization", timings=timings, deadline=deadline
            )
        except TuiHealthError:
            return None
        ident = data.get("id") if isinstance(data, dict) else None
        return (
            ident if isinstance(ident, str) and 0 < len(ident) <= 100 and clean(ident, 100) == ident else None
        )

    # -- push: an event in the org is a reason to ask now (the query since the last one is cheap) -------------
    def use_catalogue(self, catalogue: Catalogue) -> None:
        info = catalogue.info(TOPIC.format(id="x"))
        named = " ".join(info.parameters).lower() if info else ""
        if "org" in named:
            self.topic_ids = "org"
        elif "definition" in named:
            self.topic_ids = "definition"
        else:
            self.topic_ids = "both"

    def topics(self) -> list[str]:
        ids = [self.org_id] if self.org_id and self.topic_ids != "definition" else []
        if self.topic_ids != "org":
            ids += [d for d in self.settings.definitions if d and "." not in d]
        return [TOPIC.format(id=i) for i in dict.fromkeys(ids)]

    def apply(self, topic: str, body: dict[str, Any]) -> SourceResult | bool:
        """An event in the org is a reason to ask now: the pushed body is a hint, the query the record."""
        return topic in self.topics()

    def catch_up(self) -> None:
        """Nothing to do: every answer comes from the query since the last one."""

    async def _definitions(
        self, timings: list[RequestTiming], deadline: float | None, cids: list[str]
    ) -> dict[str, str]:
        data, cid = await self.api.request_json(
            self.api.url(DEFINITIONS_PATH),
            label="event definitions",
            timings=timings,
            deadline=deadline,
            permission=PERMISSION,
        )
        if cid:
            cids.append(cid)
        entities = data.get("entities") if isinstance(data, dict) else None
        if not isinstance(entities, list):
            raise ApiError("the event definitions have no entities list", correlation_id=cid)
        out = {}
        for item in entities[:1000]:
            if isinstance(item, dict) and isinstance(item.get("id"), str):
                out[clean(item["id"], 100)] = clean(item.get("name") or item["id"], 200)
        return out

    async def _query(
        self,
        since: datetime,
        until: datetime,
        timings: list[RequestTiming],
        deadline: float | None,
        cids: list[str],
    ) -> list[Any]:
        body: dict[str, Any] = {
            "interval": f"{rfc3339(since)}/{rfc3339(until)}",
            "sortOrder": "ASC",
        }
        url: str | None = self.api.url(QUERY_PATH)
        params: dict[str, Any] | None = {"pageSize": self.settings.page_size}
        seen_urls: set[str] = set()
        out: list[Any] = []
        page = 0
        while url:
            page += 1
            if page > self.max_pages:
                raise ApiError(
                    f"the operational events go on past {self.max_pages} pages (poll.max_pages)",
                    hint="poll more often, or raise poll.max_pages",
                )
            data, cid = await self.api.request_json(
                url,
                label=f"events page {page}",
                timings=timings,
                deadline=deadline,
                params=params,
                method="POST",
                body=body,
                permission=PERMISSION,
            )
            if cid:
                cids.append(cid)
            if not isinstance(data, dict) or not isinstance(data.get("entities"), list):
                raise ApiError(f"events page {page} has no entities list", correlation_id=cid)
            entities = data["entities"]
            if len(entities) > self.settings.page_size:
                raise ApiError(
                    f"events page {page} holds {len(entities)} events, more than the "
                    f"{self.settings.page_size} asked for",
                    correlation_id=cid,
                )
            out.extend(entities)
            next_uri = data.get("nextUri")
            if not next_uri or not entities:
                break
            url = self.api.follow(next_uri, f"nextUri of events page {page}", cid)
            if url in seen_urls:
                raise ApiError(f"the events' nextUri repeats itself at page {page}", correlation_id=cid)
            seen_urls.add(url)
            params = None  # the cursor URI carries them
        return out

    def _event(self, item: Any) -> dict[str, Any] | None:
        """One event as the console, audit log and JSON show it; ``None`` when it names no definition."""
        if not isinstance(item, dict):
            return None
        definition = item.get("eventDefinition")
        ident = definition.get("id") if isinstance(definition, dict) else None
        if not isinstance(ident, str) or not ident:
            return None
        ident = clean(ident, 100)
        at = parse_timestamp(item.get("dateCreated"))
        name = self.definitions.get(ident) or (
            clean(definition.get("name"), 200)
            if isinstance(definition, dict) and definition.get("name")
            else ident
        )

        def text(key: str, limit: int = 200) -> str | None:
            value = item.get(key)
            return (
                clean(value, limit)
                if isinstance(value, str | int | float) and not isinstance(value, bool)
                else None
            )

        conversation = item.get("conversation")
        return {
            "definition": ident,
            "name": name,
            "at": rfc3339(at) if at else None,
            "entity_id": text("entityId"),
            "entity": text("entityName"),
            "previous": text("previousValue"),
            "current": text("currentValue"),
            "error_code": text("errorCode", 100),
            "conversation": clean(conversation.get("id"), 100)
            if isinstance(conversation, dict) and isinstance(conversation.get("id"), str)
            else None,
        }

    def _component(self, now: datetime) -> tuple[Component, ...]:
        wanted = set(self.settings.definitions)
        if not wanted:
            return ()
        horizon = now - timedelta(seconds=self.settings.window)
        counted = [
            e
            for e in self.recent
            if e["definition"] in wanted
            and (parsed := parse_timestamp(e["at"])) is not None
            and parsed >= horizon
        ]
        status = Status.DEGRADED if len(counted) >= self.settings.min_events else Status.HEALTHY
        details: dict[str, Any] = {
            "definitions": sorted(wanted),
            "events_in_window": len(counted),
            "window_s": self.settings.window,
            "min_events": self.settings.min_events,
        }
        if counted:
            last = counted[-1]
            details["last"] = (
                f"{last['name']}: {last.get('entity') or last.get('entity_id') or ''} at {last['at']}"
            )
        return (
            Component(
                id=COMPONENT_ID,
                name=clean(self.settings.component_name, 100),
                status=status,
                last_modified=parse_timestamp(counted[-1]["at"]) if counted else None,
                source=NAME,
                details=details,
            ),
        )


# -- what this source declares about itself (read through the registry) ------------------------------------
def chosen(settings: SourceSettings) -> bool:
    """Polled when no sources are configured: never: it needs ``usage:events:view`` and definitions to watch, so it is asked for by name."""
    return False


def hosts(settings: SourceSettings) -> dict[str, str]:
    """The hosts it talks to, by role (``config show``, the TLS context, alert back-links)."""
    return {"api": settings.api_url, "login": settings.login_url}


def identity(settings: SourceSettings) -> dict[str, Any]:
    """What makes a target that uses it a different target (its saved state and history are keyed by it)."""
    return {}  # keyed by its name in the sources list (kept as it was: saved state stays with its target)


def demo(sim_url: str, org: bool) -> dict[str, Any] | None:
    """In the demo: trunks that drop count as the org's events."""
    return {"events.definitions": ["TELEPHONY-0010"]}


def history_flags(hosts: dict[str, str]) -> list[str]:
    return []
