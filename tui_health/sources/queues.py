"""The ``queues`` source: how many wait in each watched queue, and how many agents are on it.

Which queues: ``queues.ids`` and ``queues.names`` (shell-style patterns on the queue's name), at most
``queues.max_queues`` (200) of them. Names come from ``GET /api/v2/routing/queues`` (``routing:queue:view``,
listed again every ``queues.list_every`` seconds); the figures from ``POST
/api/v2/analytics/queues/observations/query`` (``analytics:queueObservation:view``), 100 queues per query.

Genesys answers that query with several groups per queue, in no fixed order (platform-client-sdk-go
``queueobservationdatacontainer.go``; splunk/genesys_cloud_ta ``tests/vendor/genesyscloud_mock.json``): one
``{queueId}`` group with the agent metrics (``oOnQueueUsers`` once per routing-status qualifier) and one
``{queueId, mediaType}`` group per media type with the interaction metrics (``oWaiting``, ``oInteracting``). A
queue's figures combine them all: its agents from the agent group, its waiting summed over the media groups (kept
per media type in the details). The topic ``v2.analytics.queues.{id}.observations`` pushes one group per frame
(``StatEventQueueTopicStatsNotification``: ``{group, data: [{interval, metrics: [{metric, qualifier, stats}]}]}``):
a frame updates its own group only, and the queue is judged on its merged figures.

A queue is *down* while anyone waits and fewer than ``min_on_queue`` agents are on it (callers wait with nobody to
answer), *degraded* while more than ``max_waiting`` wait; both can be set per queue (``[queues.thresholds]``,
keyed by queue id or name pattern). A queue the query says nothing about is unknown; one whose agent group is
missing is judged on its waiting only (never down: the agents were not counted). Watching nothing is an error: a
selection that matches no queue fails the source instead of saying OK.
"""

from __future__ import annotations

import fnmatch
from dataclasses import replace
from typing import Any

from pydantic import Field, field_validator

from tui_health.genesys.client import ApiClient
from tui_health.genesys.listing import list_entities
from tui_health.model.domain import Component, RequestTiming, SourceResult, Status
from tui_health.model.extras import SourceExtras
from tui_health.sources import entities
from tui_health.sources.base import BuildContext, SourceSettings, failed
from tui_health.support.clock import Clock, SystemClock
from tui_health.support.errors import ApiError, ConfigError, NothingCheckedError, TuiHealthError
from tui_health.support.section import Section, split_list
from tui_health.support.text import clean

NAME = "queues"
NEEDS_CREDENTIALS = True
SECTION = "queues"
KINDS = ("queue",)
PAGES_AT_ONCE = False
TEMPLATE = """\
[queues]             # the queues source (routing:queue:view, analytics:queueObservation:view)
# ids = ["<queue id>"]
# names = ["Support*"]   # shell-style patterns on queue names (at most max_queues queues)
max_queues = 200
max_waiting = 10     # more waiting than this: degraded
min_on_queue = 1     # anyone waiting and fewer agents on queue than this: down
list_every = 300     # seconds the queue names are kept before they are listed again
# [queues.thresholds."Sales*"]   # per queue (id or name pattern)
# max_waiting = 3
# min_on_queue = 2
"""
LIST_PATH = "/api/v2/routing/queues"
LIST_PERMISSION = "routing:queue:view"
QUERY_PATH = "/api/v2/analytics/queues/observations/query"
QUERY_PERMISSION = "analytics:queueObservation:view"
PERMISSION = QUERY_PERMISSION
"""What its notification topic needs (the permission a refused subscription names)."""
TOPIC = "v2.analytics.queues.{id}.observations"
METRICS = ("oWaiting", "oInteracting", "oOnQueueUsers")
PER_QUERY = 100
MAX_QUEUES = 200
MAX_GROUPS = 20
"""Groups read per queue at most (Genesys answers one for the agents and one per media type: 6 or 7)."""
MAX_COUNT = 1_000_000
AGENTS = ""
"""The key of a queue's agent group (the group without a ``mediaType``)."""


class QueueThreshold(Section):
    max_waiting: int | None = Field(None, ge=0)
    min_on_queue: int | None = Field(None, ge=0)


class QueuesSettings(Section):
    """``[queues]``."""

    ids: list[str] = Field(default_factory=list, max_length=MAX_QUEUES)
    names: list[str] = Field(default_factory=list, max_length=MAX_QUEUES)
    """Shell-style patterns on queue names (``Support*``)."""
    max_queues: int = Field(MAX_QUEUES, ge=1, le=MAX_QUEUES)
    max_waiting: int = Field(10, ge=0)
    """A queue with more waiting than this is degraded."""
    min_on_queue: int = Field(1, ge=0)
    """A queue where anyone waits and fewer agents than this are on queue is down."""
    thresholds: dict[str, QueueThreshold] = Field(default_factory=dict, max_length=MAX_QUEUES)
    """Per queue (id or name pattern): its own ``max_waiting`` / ``min_on_queue``."""
    list_every: float = Field(300.0, ge=0, le=86_400)
    """Seconds the queue list (names) is kept before it is listed again."""

    _split = field_validator("ids", "names", mode="before")(split_list)


Settings = QueuesSettings


def build(ctx: BuildContext) -> QueuesSource:
    assert ctx.tokens is not None
    settings = ctx.settings.section(SECTION)
    if not settings.ids and not settings.names:
        raise ConfigError(
            "the queues source needs queues.ids or queues.names: the queues to watch",
            hint='e.g. [queues] names = ["Support*", "Sales"]',
        )
    return QueuesSource(
        ApiClient(ctx.budgeted, ctx.tokens, ctx.settings.api_url),
        settings,
        clock=ctx.clock,
        max_pages=ctx.settings.poll.max_pages,
    )


class QueuesSource:
    name = NAME

    def __init__(
        self, api: ApiClient, settings: QueuesSettings, *, clock: Clock | None = None, max_pages: int = 50
    ) -> None:
        self.api = api
        self.settings = settings
        self.clock = clock or SystemClock()
        self.max_pages = max_pages
        self.queues: dict[str, str] = {}  # watched id → name
        self.figures: dict[
            str, dict[str, dict[str, int]]
        ] = {}  # id → group (media type, AGENTS) → metric → count
        self._listed_at: float | None = None
        self._polled = False
        self._stale = True
        self._during: list[tuple[str, dict[str, Any]]] | None = None  # pushes heard while a poll asks
        self.truncated = 0

    # -- a poll -------------------------------------------------------------------------------------------
    async def fetch(self, deadline: float | None) -> SourceResult:
        timings: list[RequestTiming] = []
        cids: list[str] = []
        self._during = []
        try:
            now = self.clock.monotonic()
            if self._listed_at is None or now - self._listed_at >= self.settings.list_every:
                self.queues = await self._select(timings, deadline, cids)
                self._listed_at = now
            figures: dict[str, dict[str, dict[str, int]]] = {}
            ids = list(self.queues)
            for start in range(0, len(ids), PER_QUERY):
                figures.update(await self._observe(ids[start : start + PER_QUERY], timings, deadline, cids))
        except TuiHealthError as exc:
            return failed(self.name, exc, timings)
        finally:
            during, self._during = self._during or [], None
        self.figures = figures
        for topic, body in during:  # a group pushed while the query was out may be newer than its answer
            self.apply(topic, body)
        self._polled, self._stale = True, False
        return replace(self._result(), timings=tuple(timings), correlation_ids=tuple(cids))

    async def _select(
        self, timings: list[RequestTiming], deadline: float | None, cids: list[str]
    ) -> dict[str, str]:
        listed = await list_entities(
            self.api,
            LIST_PATH,
            label="queues",
            timings=timings,
            deadline=deadline,
            cids=cids,
            permission=LIST_PERMISSION,
            max_pages=self.max_pages,
        )
        names = {clean(q["id"], 200): clean(q.get("name") or q["id"], 100) for q in listed}
        wanted = dict.fromkeys(i for i in self.settings.ids if i in names)
        for qid, name in names.items():
            if any(fnmatch.fnmatchcase(name, pattern) for pattern in self.settings.names):
                wanted[qid] = None
        if not wanted:
            raise NothingCheckedError(
                "no queue of the org matches queues.ids or queues.names",
                hint="`tui-health --once --source queues` lists nothing to watch; check the ids and patterns",
            )
        chosen = list(wanted)[: self.settings.max_queues]
        self.truncated = len(wanted) - len(chosen)
        return {qid: names[qid] for qid in chosen}

    async def _observe(
        self, ids: list[str], timings: list[RequestTiming], deadline: float | None, cids: list[str]
    ) -> dict[str, dict[str, dict[str, int]]]:
        body = {
            "filter": {
                "type": "or",
                "predicates": [
                    {"type": "dimension", "dimension": "queueId", "operator": "matches", "value": qid}
                    for qid in ids
                ],
            },
            "metrics": list(METRICS),
        }
        data, cid = await self.api.request_json(
            self.api.url(QUERY_PATH),
            label="queue observations",
            timings=timings,
            deadline=deadline,
            method="POST",
            body=body,
            permission=QUERY_PERMISSION,
        )
        if cid:
            cids.append(cid)
        results = data.get("results") if isinstance(data, dict) else None
        if not isinstance(results, list):
            raise ApiError("the queue observations have no results list", correlation_id=cid)
        return groups_of(results[: MAX_GROUPS * len(ids)], set(ids))

    def _result(self) -> SourceResult:
        components = tuple(self._component(qid, name) for qid, name in self.queues.items())
        note = (
            f"{self.truncated} more matching queue(s) not watched (queues.max_queues)"
            if self.truncated
            else None
        )
        return SourceResult(
            name=self.name,
            ok=True,
            components=components,
            extras=SourceExtras(note=note),
            rate_limit=self.api.rate_limit(QUERY_PATH),
        )

    def threshold(self, qid: str, name: str) -> tuple[int, int]:
        """``(max_waiting, min_on_queue)`` of a queue: its own (by id, then by name pattern), else the defaults."""
        own = self.settings.thresholds.get(qid) or next(
            (t for key, t in self.settings.thresholds.items() if fnmatch.fnmatchcase(name, key)), None
        )
        max_waiting = own.max_waiting if own and own.max_waiting is not None else self.settings.max_waiting
        min_on = own.min_on_queue if own and own.min_on_queue is not None else self.settings.min_on_queue
        return max_waiting, min_on

    def _component(self, qid: str, name: str) -> Component:
        groups = self.figures.get(qid)
        max_waiting, min_on = self.threshold(qid, name)
        if not groups:
            return Component(
                id=f"queue:{qid}",
                name=name,
                status=Status.UNKNOWN,
                source=NAME,
                details={"note": "the observation query said nothing of this queue"},
                kind="queue",
            )
        by_media = {media: g.get("oWaiting", 0) for media, g in sorted(groups.items()) if media != AGENTS}
        waiting = sum(by_media.values())
        agents = groups.get(AGENTS)
        on_queue = agents.get("oOnQueueUsers", 0) if agents is not None else None
        if on_queue is not None and waiting > 0 and on_queue < min_on:
            status = Status.DOWN
        elif waiting > max_waiting:
            status = Status.DEGRADED
        else:
            status = Status.HEALTHY
        details: dict[str, Any] = {
            "waiting": waiting,
            "waiting_by_media": ", ".join(f"{media} {n}" for media, n in by_media.items() if n) or None,
            "interacting": sum(g.get("oInteracting", 0) for m, g in groups.items() if m != AGENTS),
            "on_queue": on_queue,
            "max_waiting": max_waiting,
            "min_on_queue": min_on,
        }
        if agents is None:
            details["note"] = "no agent figures in the answer: judged on the waiting only"
        return Component(
            id=f"queue:{qid}", name=name, status=status, source=NAME, details=details, kind="queue"
        )

    # -- push ---------------------------------------------------------------------------------------------
    def topics(self) -> list[str]:
        return [TOPIC.format(id=qid) for qid in self.queues]

    def apply(self, topic: str, body: dict[str, Any]) -> SourceResult | bool:
        """One pushed group (``StatEventQueueTopicStatsNotification``): it is that group's whole state now (a
        metric it leaves out, like a routing status nobody is in, counts 0); the queue's other groups stay as
        polled."""
        if self._during is not None:
            self._during.append((topic, body))  # applied again over the answer when it is in
        qid = topic.removeprefix("v2.analytics.queues.").removesuffix(".observations")
        if qid not in self.queues or topic != TOPIC.format(id=qid):
            return False
        found = group_key(body.get("group"), {qid})
        data = body.get("data")
        latest = data[-1] if isinstance(data, list) and data else None  # observations are instant: the latest
        if found is None or not isinstance(latest, dict) or not isinstance(latest.get("metrics"), list):
            return False
        before = self._component(qid, self.queues[qid])
        self.figures.setdefault(qid, {})[found[1]] = figures_of(latest["metrics"])
        if self._component(qid, self.queues[qid]) == before:
            return False
        return self._result() if self._polled and not self._stale else True

    def use_catalogue(self, catalogue: Any) -> None:
        """Its topic needs no parameter but the queue's id."""

    def catch_up(self) -> None:
        self._stale = True


def count_of(stats: Any) -> int | None:
    """A stat's ``count``: an int in the query's ``StatisticalSummary``, a float in the topic's free map of floats
    (``StatEventQueueTopicMetricStats.stats``); which one Genesys really sends in each is not documented, so both
    are taken. Negative, fractional-beyond-rounding, or absurd counts are not believed."""
    count = stats.get("count") if isinstance(stats, dict) else None
    if isinstance(count, bool) or not isinstance(count, int | float):
        return None
    if isinstance(count, float):
        if count != count or abs(count - round(count)) > 1e-6:  # NaN, or not a count at all
            return None
        count = round(count)
    return count if 0 <= count <= MAX_COUNT else None


def figures_of(data: Any) -> dict[str, int]:
    """``{metric: count}`` of one group's metrics (counts of one metric's qualifiers are summed)."""
    out: dict[str, int] = {}
    for entry in data[:100] if isinstance(data, list) else ():
        if not isinstance(entry, dict) or entry.get("metric") not in METRICS:
            continue
        count = count_of(entry.get("stats"))
        if count is not None:
            out[entry["metric"]] = min(MAX_COUNT, out.get(entry["metric"], 0) + count)
    return out


def group_key(group: Any, ids: set[str]) -> tuple[str, str] | None:
    """``(queue id, media type or AGENTS)`` of a result's ``group``, for a queue asked about."""
    qid = group.get("queueId") if isinstance(group, dict) else None
    if not isinstance(qid, str) or qid not in ids:
        return None
    media = group.get("mediaType")
    return qid, (clean(media, 40).lower() if isinstance(media, str) and media else AGENTS)


def groups_of(results: list[Any], ids: set[str]) -> dict[str, dict[str, dict[str, int]]]:
    """Every queue's groups of one observation answer, in whatever order they came."""
    out: dict[str, dict[str, dict[str, int]]] = {}
    for item in results:
        found = group_key(item.get("group"), ids) if isinstance(item, dict) else None
        if found is None:
            continue
        qid, key = found
        groups = out.setdefault(qid, {})
        if key in groups or len(groups) < MAX_GROUPS:
            groups[key] = {**groups.get(key, {}), **figures_of(item.get("data"))}
    return out


# -- what this source declares about itself (read through the registry) ------------------------------------
def chosen(settings: SourceSettings) -> bool:
    """Polled when no sources are configured: never (it needs queues to watch): asked for by name."""
    return False


hosts, identity, history_flags = entities.hosts, entities.identity, entities.history_flags
"""The hosts it talks to, what keys its target, its history flags: as every source of the org's own entities."""


def demo(sim_url: str, org: bool) -> dict[str, Any] | None:
    """In the demo when the scenario has queues: every one of them."""
    return {"queues.names": ["*"]} if org else None
