"""The ``integrations`` source: the org's integrations (data actions, CRM connectors, webhooks) and their state.

``GET /api/v2/integrations`` (paged; ``integrations:integration:view``). Shapes: platform-client-sdk-python
``build/PureCloudPlatformClientV2/models/integration.py`` (``intendedState`` ``ENABLED|DISABLED|DELETED|RESTORED``),
``integration_status_info.py`` (``reportedState.code`` ``ACTIVE|ACTIVATING|INACTIVE|DEACTIVATING|ERROR``, with
``detail`` — Genesys' own words — and ``lastUpdated``). One component per integration (kind ``integration``, id
``integration:<id>``):

- enabled (``ENABLED``, or ``RESTORED``) and ``ERROR``: down, with ``reportedState.detail`` shown — every flow that
  calls it is failing;
- enabled and still ``ACTIVATING``, ``DEACTIVATING`` or ``INACTIVE`` longer than ``integrations.stuck_after``
  (600 s, from ``lastUpdated``): degraded; shorter than that it is on its way and healthy;
- enabled and ``ACTIVE``: healthy; a state we do not know: unknown;
- ``DISABLED``: maintenance — switched off on purpose, it never pages; ``DELETED``: not watched.

There is no notification topic for integrations: the source is polled, at most every ``integrations.every``
seconds (their state changes rarely; between those polls it answers what it last read).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from pydantic import Field

from tui_health.genesys.client import ApiClient
from tui_health.genesys.listing import walk
from tui_health.genesys.wire import obj, parse_timestamp
from tui_health.model.domain import Component, RequestTiming, SourceResult, Status
from tui_health.model.extras import SourceExtras
from tui_health.sources import entities
from tui_health.sources.base import BuildContext, SourceSettings, failed
from tui_health.support.clock import Clock, SystemClock
from tui_health.support.errors import TuiHealthError
from tui_health.support.section import Section
from tui_health.support.text import clean
from tui_health.support.timespec import duration_text

NAME = "integrations"
NEEDS_CREDENTIALS = True
SECTION = "integrations"
KINDS = ("integration",)
PERMISSION = "integrations:integration:view"
PAGES_AT_ONCE = False
PATH = "/api/v2/integrations"
ENABLED = frozenset({"ENABLED", "RESTORED"})
SETTLING = frozenset({"ACTIVATING", "DEACTIVATING", "INACTIVE"})
MAX_INTEGRATIONS = 2_000
TEMPLATE = """\
[integrations]       # the integrations source (needs integrations:integration:view)
page_size = 100
stuck_after = 600    # seconds an enabled integration may stay ACTIVATING/DEACTIVATING/INACTIVE before it is degraded
every = 300          # seconds between listings (there is no notification topic; in between: the last answer)
"""


class IntegrationsSettings(Section):
    """``[integrations]``."""

    page_size: int = Field(100, ge=1, le=100)
    stuck_after: float = Field(600.0, ge=0, le=86_400)
    every: float = Field(300.0, ge=0, le=86_400)


Settings = IntegrationsSettings


def build(ctx: BuildContext) -> IntegrationsSource:
    assert ctx.tokens is not None
    return IntegrationsSource(
        ApiClient(ctx.budgeted, ctx.tokens, ctx.settings.api_url),
        ctx.settings.section(SECTION),
        clock=ctx.clock,
        max_pages=ctx.settings.poll.max_pages,
    )


def _text(value: Any, limit: int = 60) -> str:
    return clean(value, limit) if isinstance(value, str) else ""


class IntegrationsSource:
    name = NAME

    def __init__(
        self,
        api: ApiClient,
        settings: IntegrationsSettings,
        *,
        clock: Clock | None = None,
        max_pages: int = 200,
    ) -> None:
        self.api = api
        self.settings = settings
        self.clock = clock or SystemClock()
        self.max_pages = max_pages
        self.integrations: list[dict[str, Any]] = []
        self._listed_at: float | None = None
        self._last: SourceResult | None = None

    async def fetch(self, deadline: float | None) -> SourceResult:
        now = self.clock.monotonic()
        if (
            self._last is not None
            and self._listed_at is not None
            and now - self._listed_at < self.settings.every
        ):
            return replace(
                self._last, components=tuple(map(self.component, self.integrations))
            )  # times move on
        timings: list[RequestTiming] = []
        cids: list[str] = []
        try:
            listing = await walk(
                self.api,
                PATH,
                label="integrations",
                timings=timings,
                deadline=deadline,
                cids=cids,
                permission=PERMISSION,
                page_size=self.settings.page_size,
                max_pages=self.max_pages,
                max_entities=MAX_INTEGRATIONS,
            )
        except TuiHealthError as exc:
            return failed(self.name, exc, timings)
        firsts: dict[str, dict[str, Any]] = {}
        for item in listing.entities:
            if _text(item.get("intendedState")).upper() != "DELETED":
                firsts.setdefault(item["id"], item)
        self.integrations, self._listed_at = list(firsts.values()), now
        components = tuple(map(self.component, self.integrations))
        note = None if components else "no integrations in this org: nothing to watch here"
        self._last = SourceResult(
            name=self.name,
            ok=True,
            components=components,
            extras=SourceExtras(note=note),
            rate_limit=self.api.rate_limit(PATH),
            timings=tuple(timings),
            correlation_ids=tuple(cids),
        )
        return self._last

    def component(self, item: dict[str, Any]) -> Component:
        """One integration as a component."""
        intended = _text(item.get("intendedState")).upper()
        reported = obj(item, "reportedState")
        code = _text(reported.get("code")).upper()
        updated = parse_timestamp(reported.get("lastUpdated"))
        said = _text(obj(reported, "detail").get("message"), 300)
        details: dict[str, Any] = {"intended_state": intended or None, "reported_state": code or None}
        kind = obj(item, "integrationType").get("id")
        if isinstance(kind, str):
            details["type"] = clean(kind, 60)
        if said:
            details["genesys_says"] = said
        if intended == "DISABLED":
            status, details["reason"] = Status.MAINTENANCE, "disabled: never pages"
        elif intended not in ENABLED:
            status = Status.UNKNOWN
        elif code == "ERROR":
            status = Status.DOWN
        elif code == "ACTIVE":
            status = Status.HEALTHY
        elif code in SETTLING:
            waited = (self.clock.now() - updated).total_seconds() if updated else None
            stuck = waited is not None and waited > self.settings.stuck_after
            status = Status.DEGRADED if stuck else Status.HEALTHY
            if stuck and waited is not None:
                details["reason"] = f"enabled, but {code} for {duration_text(round(waited))}"
        else:
            status = Status.UNKNOWN
        iid = clean(item["id"], 200)
        return Component(
            id=f"integration:{iid}",
            name=_text(item.get("name"), 100) or iid,
            status=status,
            last_modified=updated,
            source=NAME,
            raw_status=code if status is Status.UNKNOWN and code else None,
            details=details,
            kind="integration",
        )


# -- what this source declares about itself (read through the registry) ------------------------------------
def chosen(settings: SourceSettings) -> bool:
    """Polled when no sources are configured: never (it needs a permission of its own): asked for by name."""
    return False


hosts, identity, history_flags = entities.hosts, entities.identity, entities.history_flags


def demo(sim_url: str, org: bool) -> dict[str, Any] | None:
    """In the demo when the scenario has an org, listed at every poll (the demo's changes are that fast)."""
    return {"integrations.every": 0} if org else None
