"""The ``data-actions`` source: how the org's data actions fare — the IVR lookups that time out, the CRM calls
that fail.

``POST /api/v2/analytics/actions/aggregates/query`` (``integrations:action:view`` or ``bridge:actions:view``; no
paging) for the last ``data_actions.window`` (900 s), ``metrics: ["tTotalExecution"]``, grouped by ``actionId``
and ``errorType`` (and ``actionName``, for the names). Shapes: platform-client-sdk-python
``build/docs/ActionAggregationQuery.md``, ``ActionAggregateQueryResponse.md``, ``StatisticalSummary.md``; the
recorded answer of splunk/genesys_cloud_ta (``tests/vendor/genesyscloud_mock.json``). One component per action
(kind ``action``, id ``action:<id>``):

- an error share of at least ``data_actions.down_pct`` (50 %) is down; of at least ``data_actions.degraded_pct``
  (5 %) is degraded; a mean execution time over ``data_actions.slow_ms`` (5000) is degraded; the details name the
  error types with their counts;
- no executions in the window is "no traffic": healthy — never down, never unknown (an action nobody called is
  not broken); an action seen before and quiet now stays listed as such.

Which ``errorType`` values mean success, no SDK says: a group without an ``errorType``, an empty one, or ``NONE``
counts as success (the only hint found: third-party code that skips ``NONE``); every other value is an error.
Counts may come as integers or floats (``StatisticalSummary.count`` is an int; others are floats): both are read.
There is no notification topic: the source is polled at every poll (one request).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta
from typing import Any

from pydantic import Field, field_validator

from tui_health.genesys.client import ApiClient
from tui_health.genesys.wire import items, obj
from tui_health.model.domain import Component, RequestTiming, SourceResult, Status
from tui_health.model.extras import SourceExtras
from tui_health.sources import entities
from tui_health.sources.base import BuildContext, SourceSettings, failed
from tui_health.sources.queues import count_of
from tui_health.support.clock import Clock, SystemClock, rfc3339
from tui_health.support.errors import ApiError, TuiHealthError
from tui_health.support.section import Section, split_list
from tui_health.support.text import clean
from tui_health.support.timespec import duration_text

NAME = "data-actions"
NEEDS_CREDENTIALS = True
SECTION = "data_actions"
KINDS = ("action",)
PERMISSION = "integrations:action:view or bridge:actions:view"
PAGES_AT_ONCE = False
PATH = "/api/v2/analytics/actions/aggregates/query"
METRIC = "tTotalExecution"
SUCCESS = frozenset({"", "NONE"})
MAX_GROUPS = 20_000
MAX_ACTIONS = 2_000
TEMPLATE = """\
[data_actions]       # the data-actions source (needs integrations:action:view or bridge:actions:view)
window = 900         # seconds of executions each poll looks at
down_pct = 50        # this share of executions failing or more: down
degraded_pct = 5     # this share failing or more: degraded
slow_ms = 5000       # a mean execution time over this: degraded
# ids = ["<action id>"]   # only these actions (default: every action that runs)
"""


class DataActionsSettings(Section):
    """``[data_actions]``."""

    window: float = Field(900.0, gt=0, le=86_400)
    down_pct: float = Field(50.0, gt=0, le=100)
    degraded_pct: float = Field(5.0, gt=0, le=100)
    slow_ms: float = Field(5000.0, gt=0)
    ids: list[str] = Field(default_factory=list, max_length=MAX_ACTIONS)

    _split = field_validator("ids", mode="before")(split_list)


Settings = DataActionsSettings


def build(ctx: BuildContext) -> DataActionsSource:
    assert ctx.tokens is not None
    return DataActionsSource(
        ApiClient(ctx.budgeted, ctx.tokens, ctx.settings.api_url),
        ctx.settings.section(SECTION),
        clock=ctx.clock,
    )


class Figures:
    """One action's executions in the window: by error type (``""`` for success), count and time."""

    def __init__(self) -> None:
        self.by_type: dict[str, int] = defaultdict(int)
        self.sum_ms = 0.0
        self.max_ms = 0.0

    @property
    def total(self) -> int:
        return sum(self.by_type.values())

    @property
    def errors(self) -> int:
        return sum(n for kind, n in self.by_type.items() if kind not in SUCCESS)


def figures_of(results: Any) -> tuple[dict[str, Figures], dict[str, str]]:
    """Every action's figures of one answer, and the names its groups gave."""
    out: dict[str, Figures] = {}
    names: dict[str, str] = {}
    for item in results[:MAX_GROUPS] if isinstance(results, list) else ():
        group = obj(item, "group")
        aid = group.get("actionId")
        if not isinstance(aid, str) or not aid:
            continue
        aid = clean(aid, 200)
        if aid not in out and len(out) >= MAX_ACTIONS:
            continue
        kind = group.get("errorType")
        kind = clean(kind, 60).upper() if isinstance(kind, str) else ""
        if isinstance(group.get("actionName"), str):
            names[aid] = clean(group["actionName"], 100)
        figures = out.setdefault(aid, Figures())
        for entry in items(item, "data", 100):
            for metric in items(entry, "metrics", 20):
                if not isinstance(metric, dict) or metric.get("metric") != METRIC:
                    continue
                stats = metric.get("stats")
                count = count_of(stats)
                if count is None:
                    continue
                figures.by_type[kind] += count
                total, most = (
                    (stats.get("sum"), stats.get("max")) if isinstance(stats, dict) else (None, None)
                )
                if isinstance(total, int | float) and not isinstance(total, bool) and 0 <= total < 1e15:
                    figures.sum_ms += float(total)
                if isinstance(most, int | float) and not isinstance(most, bool) and 0 <= most < 1e12:
                    figures.max_ms = max(figures.max_ms, float(most))
    return out, names


class DataActionsSource:
    name = NAME

    def __init__(self, api: ApiClient, settings: DataActionsSettings, *, clock: Clock | None = None) -> None:
        self.api = api
        self.settings = settings
        self.clock = clock or SystemClock()
        self.known: dict[str, str] = {}  # actions seen so far → their names (quiet ones stay listed)

    async def fetch(self, deadline: float | None) -> SourceResult:
        timings: list[RequestTiming] = []
        now = self.clock.now()
        start = now - timedelta(seconds=self.settings.window)
        body = {
            "interval": f"{rfc3339(start)}/{rfc3339(now)}",
            "metrics": [METRIC],
            "groupBy": ["actionId", "actionName", "errorType"],
        }
        try:
            data, cid = await self.api.request_json(
                self.api.url(PATH),
                label="data action metrics",
                timings=timings,
                deadline=deadline,
                method="POST",
                body=body,
                permission=PERMISSION,
            )
            results = data.get("results", []) if isinstance(data, dict) else None
            if not isinstance(results, list):
                raise ApiError("the data action metrics have no results list", correlation_id=cid)
        except TuiHealthError as exc:
            return failed(self.name, exc, timings)
        figures, names = figures_of(results)
        wanted = set(self.settings.ids)
        for aid in figures:
            if not wanted or aid in wanted:
                self.known[aid] = names.get(aid) or self.known.get(aid) or aid
        for aid in wanted - set(self.known):
            self.known[aid] = aid
        if len(self.known) > MAX_ACTIONS:
            self.known = dict(list(self.known.items())[-MAX_ACTIONS:])
        components = tuple(self.component(aid, name, figures.get(aid)) for aid, name in self.known.items())
        note = None if components else f"no data action ran in the last {duration_text(self.settings.window)}"
        return SourceResult(
            name=self.name,
            ok=True,
            components=components,
            extras=SourceExtras(note=note),
            rate_limit=self.api.rate_limit(PATH),
            timings=tuple(timings),
            correlation_ids=(cid,) if cid else (),
        )

    def component(self, aid: str, name: str, figures: Figures | None) -> Component:
        settings = self.settings
        window = duration_text(settings.window)
        if figures is None or figures.total == 0:
            details: dict[str, Any] = {"executions": 0, "note": f"no traffic in the last {window}"}
            return Component(
                f"action:{aid}", name, Status.HEALTHY, source=NAME, details=details, kind="action"
            )
        share = 100.0 * figures.errors / figures.total
        mean = figures.sum_ms / figures.total
        if share >= settings.down_pct:
            status = Status.DOWN
        elif share >= settings.degraded_pct or mean > settings.slow_ms:
            status = Status.DEGRADED
        else:
            status = Status.HEALTHY
        kinds = sorted(
            ((k, n) for k, n in figures.by_type.items() if k not in SUCCESS and n), key=lambda kn: -kn[1]
        )
        details = {
            "executions": figures.total,
            "errors": figures.errors,
            "error_pct": round(share, 1),
            "mean_ms": round(mean),
            "max_ms": round(figures.max_ms),
            "window": window,
        }
        if kinds:
            details["error_types"] = ", ".join(f"{k} {n}" for k, n in kinds[:10])
        if mean > settings.slow_ms:
            details["reason"] = f"slow: {mean:.0f} ms on average > {settings.slow_ms:g} ms"
        return Component(f"action:{aid}", name, status, source=NAME, details=details, kind="action")


# -- what this source declares about itself (read through the registry) ------------------------------------
def chosen(settings: SourceSettings) -> bool:
    """Polled when no sources are configured: never (it needs a permission of its own): asked for by name."""
    return False


hosts, identity, history_flags = entities.hosts, entities.identity, entities.history_flags


def demo(sim_url: str, org: bool) -> dict[str, Any] | None:
    """In the demo when the scenario has an org, over a one-minute window (the demo's changes are that fast)."""
    return {"data_actions.window": 60} if org else None
