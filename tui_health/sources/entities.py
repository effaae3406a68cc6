"""What the org's own telephony sources share (``edges``, ``trunks``): list every entity of a kind by polling,
keep it current with pushed changes in between.

A poll replaces what is known; a pushed body is merged over the entity the last poll listed, field by field, and
only for the fields the kind declares (``pushed_fields``) — a body cannot grow an entity or add one the poll never
listed (a new entity appears at the next poll, which also subscribes its topic). An org with none of the kind is
neither healthy nor failed: the source answers no component and says so in a note (shown once, never paged).

A source module declares its :class:`EntityKind` and calls :func:`build`; ``chosen``, ``hosts`` and
``identity`` (what the registry reads of a source) are the same for every such source and live here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from tui_health.genesys.client import ApiClient
from tui_health.genesys.listing import list_entities
from tui_health.model.domain import Component, RequestTiming, SourceResult
from tui_health.model.extras import SourceExtras
from tui_health.sources.base import BuildContext, SourceSettings, failed
from tui_health.support.clock import Clock, SystemClock
from tui_health.support.errors import TuiHealthError

MAX_ENTITIES = 5000
"""Entities of one kind kept at most (a server claiming more fails the poll)."""


@dataclass(frozen=True, slots=True)
class EntityKind:
    """What one source module declares about the entities it watches."""

    name: str  # the source's name
    kind: str  # the components' kind (edge, trunk)
    path: str
    permission: str
    topic_prefix: str
    pushed_fields: frozenset[str]
    component: Callable[[dict[str, Any]], Component]
    empty_note: str
    section: str  # its settings section (page_size)


def build(spec: EntityKind, ctx: BuildContext) -> EntitySource:
    assert ctx.tokens is not None
    return EntitySource(
        spec,
        ApiClient(ctx.budgeted, ctx.tokens, ctx.settings.api_url),
        clock=ctx.clock,
        max_pages=ctx.settings.poll.max_pages,
        page_size=ctx.settings.section(spec.section).page_size,
    )


class EntitySource:
    """One kind of the org's entities, listed from ``spec.path`` and pushed on ``{spec.topic_prefix}.{id}``."""

    def __init__(
        self,
        spec: EntityKind,
        api: ApiClient,
        *,
        clock: Clock | None = None,
        max_pages: int = 50,
        page_size: int = 100,
    ) -> None:
        self.spec = spec
        self.name = spec.name
        self.api = api
        self.clock = clock or SystemClock()
        self.max_pages = max_pages
        self.page_size = page_size
        self.entities: dict[str, dict[str, Any]] = {}
        self.components: dict[
            str, Component
        ] = {}  # what each entity is as a component (made once per change)
        self._seen: dict[str, tuple[datetime, str]] = {}  # id → when and how (push, poll) we saw it change
        self._polled = False
        self._stale = True  # a gap in the channel: the next answer is a poll

    async def fetch(self, deadline: float | None) -> SourceResult:
        spec = self.spec
        timings: list[RequestTiming] = []
        cids: list[str] = []
        try:
            listed = await list_entities(
                self.api,
                spec.path,
                label=spec.kind + "s",
                timings=timings,
                deadline=deadline,
                cids=cids,
                permission=spec.permission,
                page_size=self.page_size,
                max_pages=self.max_pages,
                max_entities=MAX_ENTITIES,
            )
        except TuiHealthError as exc:
            return failed(self.name, exc, timings)
        now = self.clock.now()
        self.entities = {e["id"][:200]: e for e in listed}
        components = {eid: spec.component(e) for eid, e in self.entities.items()}
        for eid, component in components.items():
            before = self.components.get(eid)  # first sight is no change: nothing was noticed late or early
            if before is not None and before.status != component.status:
                self._seen[eid] = (now, "poll")
        self.components = components
        self._seen = {k: v for k, v in self._seen.items() if k in components}
        self._polled, self._stale = True, False
        return replace(self._result(), timings=tuple(timings), correlation_ids=tuple(cids))

    def _result(self) -> SourceResult:
        components = tuple(self._with_notice(c, self._seen.get(eid)) for eid, c in self.components.items())
        return SourceResult(
            name=self.name,
            ok=True,
            components=components,
            extras=SourceExtras(note=None if components else self.spec.empty_note),
            rate_limit=self.api.rate_limit(self.spec.path),
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
        return [f"{self.spec.topic_prefix}.{eid}" for eid in self.entities]

    def apply(self, topic: str, body: dict[str, Any]) -> bool:
        eid = topic.removeprefix(self.spec.topic_prefix + ".")
        entity = self.entities.get(eid)
        if entity is None or eid == topic:
            return False
        fields = {k: v for k, v in body.items() if k in self.spec.pushed_fields}
        if not fields:
            return False
        self.entities[eid] = merged = {**entity, **fields}
        before, after = self.components[eid], self.spec.component(merged)
        self.components[eid] = after
        if before.status == after.status:
            return before != after
        self._seen[eid] = (self.clock.now(), "push")
        return True

    def current(self) -> SourceResult | None:
        if not self._polled or self._stale:
            return None
        return self._result()

    def catch_up(self) -> None:
        self._stale = True


# -- what every such source declares about itself (read through the registry) ------------------------------
def chosen(settings: SourceSettings) -> bool:
    """Polled when no sources are configured: never (it needs permissions of its own): asked for by name."""
    return False


def hosts(settings: SourceSettings) -> dict[str, str]:
    """The hosts it talks to, by role (``config show``, the TLS context, alert back-links)."""
    return {"api": settings.api_url, "login": settings.login_url}


def identity(settings: SourceSettings) -> dict[str, Any]:
    """What makes a target that uses it a different target (its saved state and history are keyed by it)."""
    return {"api": settings.api_url}
