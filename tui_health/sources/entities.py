"""What the org's own telephony sources share (``edges``, ``trunks``): list every entity of a kind by polling,
keep it current with pushed changes in between.

A poll replaces what is known. A pushed body is merged over the entity the last poll listed by its topic's own
``merge`` — only the fields that topic really carries (an Edge's topic has nothing but ``onlineStatus``; a
trunk's has its SIP states but no ``inService``) — and a body cannot add an entity the poll never listed (a new
entity appears at the next poll, which also subscribes its topics). An org with none of the kind is neither
healthy nor failed: the source answers no component and says so in a note (shown once, never paged).

How soon a change was seen is measured from the time the change happened, when Genesys says it (a trunk's
``connectedStateTime``, a proxy's ``optionStateTime``) — in the pushed body itself for a pushed change. A pushed
change whose body carries no time (an Edge's ``onlineStatus``) is timed from the frame's arrival, and says so; an
older polled time (an Edge's ``dateModified``) is never taken for the time of the change.

A listing that repeats an id moved while it was read: it is walked once more, and if the repeat stays, the worse
of the two is kept and said (never the last one silently).

A source module declares its :class:`EntityKind` and calls :func:`build`; ``chosen``, ``hosts`` and
``identity`` (what the registry reads of a source) are the same for every such source and live here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from tui_health.genesys.channel_api import Catalogue
from tui_health.genesys.client import ApiClient
from tui_health.genesys.listing import Listing, walk
from tui_health.model.domain import RANK, Component, RequestTiming, SourceResult, ValidationIssue
from tui_health.model.extras import SourceExtras
from tui_health.sources.base import BuildContext, SourceSettings, failed
from tui_health.support.clock import Clock, SystemClock
from tui_health.support.errors import TuiHealthError
from tui_health.support.text import clean

MAX_ENTITIES = 5000
"""Entities of one kind kept at most (a server claiming more fails the poll)."""

Merge = Callable[[dict[str, Any], dict[str, Any]], "tuple[dict[str, Any], datetime | None] | None"]
"""``merge(entity, body)`` → the entity with what the body really carries, and the change's time if the body
says it; ``None`` when the body carries nothing the topic is known for."""


@dataclass(frozen=True, slots=True)
class PushedTopic:
    """One notification topic of an entity: ``template`` with ``{id}``, and how its body merges."""

    template: str
    merge: Merge

    def topic(self, eid: str) -> str:
        return self.template.replace("{id}", eid)

    def entity_id(self, topic: str) -> str | None:
        head, _, tail = self.template.partition("{id}")
        if not topic.startswith(head) or not topic.endswith(tail) or len(topic) <= len(head) + len(tail):
            return None
        eid = topic[len(head) : len(topic) - len(tail)]
        return eid if "." not in eid else None


@dataclass(frozen=True, slots=True)
class EntityKind:
    """What one source module declares about the entities it watches."""

    name: str  # the source's name
    kind: str  # the components' kind (edge, trunk)
    path: str
    permission: str
    topics: tuple[PushedTopic, ...]
    component: Callable[[dict[str, Any]], Component]
    changed_at: Callable[[dict[str, Any]], datetime | None]
    """When the entity last changed its health, as Genesys says it (``None``: it does not say)."""
    empty_note: str
    section: str  # its settings section (page_size, and what ``params`` and ``keep`` read)
    params: Callable[[Any], dict[str, Any]] = lambda settings: {}
    """The listing's query parameters, from the source's settings section."""
    keep: Callable[[dict[str, Any], Any], bool] = lambda entity, settings: True
    """Whether a listed entity is watched (the server's filter is not trusted to have been applied)."""


def build(spec: EntityKind, ctx: BuildContext) -> EntitySource:
    assert ctx.tokens is not None
    return EntitySource(
        spec,
        ApiClient(ctx.budgeted, ctx.tokens, ctx.settings.api_url),
        clock=ctx.clock,
        max_pages=ctx.settings.poll.max_pages,
        settings=ctx.settings.section(spec.section),
    )


class EntitySource:
    """One kind of the org's entities, listed from ``spec.path`` and pushed on its topics."""

    def __init__(
        self,
        spec: EntityKind,
        api: ApiClient,
        *,
        clock: Clock | None = None,
        max_pages: int = 50,
        settings: Any = None,
    ) -> None:
        self.spec = spec
        self.name = spec.name
        self.api = api
        self.clock = clock or SystemClock()
        self.max_pages = max_pages
        self.settings = settings
        self.page_size = getattr(settings, "page_size", 100)
        self.entities: dict[str, dict[str, Any]] = {}
        self.components: dict[
            str, Component
        ] = {}  # what each entity is as a component (made once per change)
        self._seen: dict[
            str, tuple[datetime, str, datetime | None]
        ] = {}  # id → when, how, and the change's time
        self._issues: tuple[ValidationIssue, ...] = ()
        self._polled = False
        self._stale = True  # a gap in the channel: the next answer is a poll
        self._during: list[tuple[str, dict[str, Any]]] | None = None  # pushes heard while a poll lists

    async def fetch(self, deadline: float | None) -> SourceResult:
        spec = self.spec
        timings: list[RequestTiming] = []
        cids: list[str] = []
        self._during = []
        try:
            listing = await self._list(timings, deadline, cids)
            if listing.repeated:  # the collection moved while it was read: once more, from the start
                self._during = []
                listing = await self._list(timings, deadline, cids)
        except TuiHealthError as exc:
            return failed(self.name, exc, timings)
        finally:
            during, self._during = self._during or [], None
        now = self.clock.now()
        self.entities, self._issues = self._entities(listing, cids[-1] if cids else None)
        components = {eid: spec.component(e) for eid, e in self.entities.items()}
        for eid, component in components.items():
            before = self.components.get(eid)  # first sight is no change: nothing was noticed late or early
            if before is not None and before.status != component.status:
                self._seen[eid] = (now, "poll", spec.changed_at(self.entities[eid]))
        self.components = components
        self._seen = {k: v for k, v in self._seen.items() if k in components}
        for topic, body in during:  # a push that came while the listing was read may be newer than it
            self.apply(topic, body)
        self._polled, self._stale = True, False
        return replace(
            self._result(), timings=tuple(timings), correlation_ids=tuple(cids), issues=self._issues
        )

    async def _list(self, timings: list[RequestTiming], deadline: float | None, cids: list[str]) -> Listing:
        spec = self.spec
        return await walk(
            self.api,
            spec.path,
            label=spec.kind + "s",
            timings=timings,
            deadline=deadline,
            cids=cids,
            permission=spec.permission,
            params=spec.params(self.settings),
            page_size=self.page_size,
            max_pages=self.max_pages,
            max_entities=MAX_ENTITIES,
        )

    def _entities(
        self, listing: Listing, cid: str | None
    ) -> tuple[dict[str, dict[str, Any]], tuple[ValidationIssue, ...]]:
        """The watched entities by id; of a repeated id the worse, said as an issue."""
        out: dict[str, dict[str, Any]] = {}
        issues: list[ValidationIssue] = []
        for entity in listing.entities:
            if not self.spec.keep(entity, self.settings):
                continue
            eid = clean(entity["id"], 200)
            kept = out.get(eid)
            if kept is None:
                out[eid] = entity
                continue
            first, second = self.spec.component(kept), self.spec.component(entity)
            worse = entity if RANK[second.status] < RANK[first.status] else kept
            out[eid] = worse
            issues.append(
                ValidationIssue(
                    f"{self.spec.kind}:{eid}",
                    f"{self.spec.kind} {eid} was listed twice, as {first.status} and as {second.status}, in two "
                    f"walks (the listing moved while it was read): kept {self.spec.component(worse).status}",
                    cid,
                    self.name,
                )
            )
        if listing.short:
            issues.append(
                ValidationIssue(None, f"{listing.short}: the missing ones are not watched", cid, self.name)
            )
        return out, tuple(issues)

    def _result(self) -> SourceResult:
        components = tuple(self._with_notice(c, self._seen.get(eid)) for eid, c in self.components.items())
        return SourceResult(
            name=self.name,
            ok=True,
            components=components,
            extras=SourceExtras(note=None if components else self.spec.empty_note),
            rate_limit=self.api.rate_limit(self.spec.path),
        )

    @staticmethod
    def _with_notice(component: Component, seen: tuple[datetime, str, datetime | None] | None) -> Component:
        """How long after it happened (the change's own time) its change was seen here, and how; a change with
        no time of its own is timed from when it reached us (``noticed_timed_by``: ``arrival``)."""
        if seen is None:
            return component
        at, by, happened = seen
        if happened is None:
            notice: dict[str, Any] = {
                "noticed_after_s": None,
                "noticed_by": by,
                "noticed_timed_by": "arrival",
            }
        else:
            lag = (at - happened).total_seconds()
            if (
                lag < -5 or lag > 86_400
            ):  # clocks a little apart are believed; a change from the future is not
                return component
            notice = {"noticed_after_s": round(max(0.0, lag), 2), "noticed_by": by}
        return replace(component, details={**(component.details or {}), **notice})

    # -- push ---------------------------------------------------------------------------------------------
    def topics(self) -> list[str]:
        return [topic.topic(eid) for eid in self.entities for topic in self.spec.topics]

    def use_catalogue(self, catalogue: Catalogue) -> None:
        """Its topics need no parameter but the entity's id."""

    def apply(self, topic: str, body: dict[str, Any]) -> SourceResult | bool:
        if self._during is not None:
            self._during.append((topic, body))  # applied again over the listing when it is in
        for pushed in self.spec.topics:
            eid = pushed.entity_id(topic)
            if eid is not None and eid in self.entities:
                break
        else:
            return False
        merged = pushed.merge(self.entities[eid], body)
        if merged is None:
            return False
        self.entities[eid], happened = merged
        before, after = self.components[eid], self.spec.component(self.entities[eid])
        self.components[eid] = after
        if before == after:
            return False
        if before.status != after.status:
            self._seen[eid] = (self.clock.now(), "push", happened)
        return self._result() if self._polled and not self._stale else True

    def catch_up(self) -> None:
        self._stale = True


def merge_fields(fields: frozenset[str]) -> Merge:
    """A merge of the fields a topic carries, as they come (the body's id must be the entity's own)."""

    def merge(entity: dict[str, Any], body: dict[str, Any]) -> tuple[dict[str, Any], datetime | None] | None:
        if "id" in body and body["id"] != entity.get("id"):
            return None
        taken = {k: v for k, v in body.items() if k in fields}
        return ({**entity, **taken}, None) if taken else None

    return merge


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


def demo(sim_url: str, org: bool) -> dict[str, Any] | None:
    """In the demo when the scenario gives the org entities of its own."""
    return {} if org else None


def history_flags(hosts: dict[str, str]) -> list[str]:
    return []
