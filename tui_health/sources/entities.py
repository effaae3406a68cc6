"""What the org's own telephony sources share (``edges``, ``trunks``): list every entity of a kind by polling,
keep it current with pushed changes in between.

A poll replaces what is known; a pushed body is merged over the entity the last poll listed, field by field, and
only for the fields the kind declares (``pushed_fields``) — a body cannot grow an entity or add one the poll never
listed (a new entity appears at the next poll, which also subscribes its topic). An org with none of the kind is
neither healthy nor failed: the source answers no component and says so in a note (shown once, never paged).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from typing import Any

from tui_health.genesys.client import ApiClient
from tui_health.genesys.listing import list_entities
from tui_health.model.domain import Component, RequestTiming, SourceResult
from tui_health.model.extras import SourceExtras
from tui_health.sources.base import failed
from tui_health.support.clock import Clock, SystemClock
from tui_health.support.errors import TuiHealthError

MAX_ENTITIES = 5000
"""Entities of one kind kept at most (a server claiming more fails the poll)."""


class EntitySource:
    """One kind of the org's entities, listed from ``path`` and pushed on ``{topic_prefix}.{id}``."""

    def __init__(
        self,
        *,
        name: str,
        kind: str,
        path: str,
        permission: str,
        topic_prefix: str,
        pushed_fields: frozenset[str],
        component: Callable[[dict[str, Any], datetime], Component],
        empty_note: str,
        api: ApiClient,
        clock: Clock | None = None,
        max_pages: int = 50,
        page_size: int = 100,
    ) -> None:
        self.name = name
        self.kind = kind
        self.path = path
        self.permission = permission
        self.topic_prefix = topic_prefix
        self.pushed_fields = pushed_fields
        self.component = component
        self.empty_note = empty_note
        self.api = api
        self.clock = clock or SystemClock()
        self.max_pages = max_pages
        self.page_size = page_size
        self.entities: dict[str, dict[str, Any]] = {}
        self._seen: dict[str, tuple[datetime, str]] = {}  # id → when and how (push, poll) we saw it change
        self._polled = False
        self._stale = True  # a gap in the channel: the next answer is a poll

    async def fetch(self, deadline: float | None) -> SourceResult:
        timings: list[RequestTiming] = []
        cids: list[str] = []
        try:
            listed = await list_entities(
                self.api,
                self.path,
                label=self.kind + "s",
                timings=timings,
                deadline=deadline,
                cids=cids,
                permission=self.permission,
                page_size=self.page_size,
                max_pages=self.max_pages,
                max_entities=MAX_ENTITIES,
            )
        except TuiHealthError as exc:
            return failed(self.name, exc, timings)
        now = self.clock.now()
        entities = {e["id"][:200]: e for e in listed}
        for eid, entity in entities.items():
            before = self.entities.get(eid)  # first sight is no change: nothing was noticed late or early
            if (
                before is not None
                and self.component(before, now).status != self.component(entity, now).status
            ):
                self._seen[eid] = (now, "poll")
        self.entities = entities
        self._seen = {k: v for k, v in self._seen.items() if k in entities}
        self._polled, self._stale = True, False
        result = self._result(pushed=False)
        return replace(result, timings=tuple(timings), correlation_ids=tuple(cids))

    def _result(self, *, pushed: bool) -> SourceResult:
        now = self.clock.now()
        components = tuple(
            self._with_notice(self.component(e, now), self._seen.get(eid)) for eid, e in self.entities.items()
        )
        note = None if components else self.empty_note
        return SourceResult(
            name=self.name,
            ok=True,
            components=components,
            extras=SourceExtras(note=note, pushed=pushed),
            rate_limit=self.api.rate_limit(self.path),
        )

    def _with_notice(self, component: Component, seen: tuple[datetime, str] | None) -> Component:
        """How long after it happened (the entity's own change time) its change was seen here, and how."""
        if seen is None or component.last_modified is None:
            return component
        lag = (seen[0] - component.last_modified).total_seconds()
        if lag < -5 or lag > 86_400:  # clocks a little apart are believed; a change from the future is not
            return component
        notice = {"noticed_after_s": round(max(0.0, lag), 2), "noticed_by": seen[1]}
        return replace(component, details={**(component.details or {}), **notice})

    # -- push ---------------------------------------------------------------------------------------------
    def topics(self) -> list[str]:
        return [f"{self.topic_prefix}.{eid}" for eid in self.entities]

    def apply(self, topic: str, body: dict[str, Any]) -> bool:
        eid = topic.removeprefix(self.topic_prefix + ".")
        entity = self.entities.get(eid)
        if entity is None or eid == topic:
            return False
        fields = {k: v for k, v in body.items() if k in self.pushed_fields}
        if not fields:
            return False
        merged = {**entity, **fields}
        now = self.clock.now()
        before, after = self.component(entity, now), self.component(merged, now)
        self.entities[eid] = merged
        if before.status == after.status:
            return before != after
        self._seen[eid] = (now, "push")
        return True

    def current(self) -> SourceResult | None:
        if not self._polled or self._stale:
            return None
        return self._result(pushed=True)

    def catch_up(self) -> None:
        self._stale = True
