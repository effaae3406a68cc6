"""The ``health-api`` source: ``/api/v2/health/details`` (the simulator and gateways that implement it).

A check that checked nothing is not OK: an answer without any component fails the source (``empty``), unless a
status filter explains it (nothing degraded is good news). With ``--ids``, an id the answer does not contain is
shown as ``unknown`` (never silently dropped), and when none of them is there the source fails.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from tui_health.genesys.client import HEALTH_PATH, ApiClient, HealthClient, HealthQuery
from tui_health.model.domain import Component, RequestTiming, SourceResult, Status, ValidationIssue
from tui_health.model.extras import SourceExtras
from tui_health.sources.base import BuildContext, SourceSettings, failed
from tui_health.support.errors import NothingCheckedError, TuiHealthError

NAME = "health-api"
NEEDS_CREDENTIALS = True
SECTION = None
Settings = None
TEMPLATE = ""
KINDS: tuple[str, ...] = ()
PERMISSION = None
PAGES_AT_ONCE = True
"""Page 1, then the rest ``poll.concurrency`` at a time."""


def build(ctx: BuildContext) -> HealthApiSource:
    poll = ctx.settings.poll
    assert ctx.tokens is not None
    query = HealthQuery(
        ids=tuple(poll.ids), status=tuple(poll.status), expand=poll.expand, page_size=poll.page_size
    )
    api = ApiClient(ctx.budgeted, ctx.tokens, ctx.settings.api_url)
    return HealthApiSource(HealthClient(api, query, concurrency=poll.concurrency, max_pages=poll.max_pages))


class HealthApiSource:
    name = NAME

    def __init__(self, client: HealthClient) -> None:
        self.client = client

    async def fetch(self, deadline: float | None) -> SourceResult:
        """One poll's result, with the API's latest count of our requests (rate-limit headroom)."""
        return replace(await self._fetch(deadline), rate_limit=self.client.api.rate_limit(HEALTH_PATH))

    async def _fetch(self, deadline: float | None) -> SourceResult:
        timings: list[RequestTiming] = []
        try:
            result = await self.client.fetch(timings, deadline)
            components, issues = self._checked(result.components)
        except TuiHealthError as exc:
            return failed(self.name, exc, timings)
        return SourceResult(
            name=self.name,
            ok=True,
            components=tuple(components),
            correlation_ids=tuple(result.correlation_ids),
            issues=tuple(result.issues) + tuple(issues),
            timings=tuple(timings),
            extras=SourceExtras(pages=result.pages),
        )

    def _checked(self, components: list[Component]) -> tuple[list[Component], list[ValidationIssue]]:
        query = self.client.query
        if query.status:  # a status filter may rightly match nothing, and absent ids are simply not in it
            return components, []
        if not query.ids:
            if not components:
                raise NothingCheckedError(
                    "the API listed no component", hint="check --api-url: is it the health-details API?"
                )
            return components, []
        found = {c.id for c in components}
        missing = [i for i in query.ids if i not in found]
        if len(missing) == len(query.ids):
            raise NothingCheckedError(
                f"none of the {len(query.ids)} id(s) asked for (--ids) is in the API's answer",
                hint="check the ids: `tui-health --once --format json` without --ids lists them",
            )
        issues = [
            ValidationIssue(i, f"{i} was asked for (--ids) but is not in the API's answer", None, self.name)
            for i in missing
        ]
        placeholders = [
            Component(
                id=i,
                name=i,
                status=Status.UNKNOWN,
                source=self.name,
                details={"note": "asked for with --ids, not in the API's answer"},
            )
            for i in missing
        ]
        return components + placeholders, issues


# -- what this source declares about itself (read through the registry) ------------------------------------
def chosen(settings: SourceSettings) -> bool:
    """Polled when no sources are configured: an explicit ``api_url`` means a health-details implementation (the simulator, a gateway)."""
    return bool(settings.genesys.api_url)


def hosts(settings: SourceSettings) -> dict[str, str]:
    """The hosts it talks to, by role (``config show``, the TLS context, alert back-links)."""
    return {"api": settings.api_url, "login": settings.login_url}


def identity(settings: SourceSettings) -> dict[str, Any]:
    """What makes a target that uses it a different target (its saved state and history are keyed by it)."""
    return {
        "api": settings.api_url,
        "ids": sorted(settings.poll.ids),
        "status": sorted(str(s) for s in settings.poll.status),
    }


def demo(sim_url: str, org: bool) -> dict[str, Any] | None:
    return {}


def history_flags(hosts: dict[str, str]) -> list[str]:
    """An implementation of the health-details contract is found by its API URL (and login host)."""
    api, login = hosts.get("api"), hosts.get("login")
    if not api:
        return []
    return ["--api-url", api, *(["--login-url", login] if login and login != api else [])]
