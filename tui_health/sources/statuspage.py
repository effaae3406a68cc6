"""The ``statuspage`` source: an Atlassian Statuspage ``/api/v2/summary.json`` (Genesys Cloud's public status page).

Status mapping: operational → healthy; degraded_performance → degraded; partial_outage → degraded (the original
kept in ``details.statuspage_status``); major_outage → down; under_maintenance → maintenance (never alerts);
anything else → unknown (audited). Entries with ``group: true`` are groups, not components: their children carry
the group's name. Unresolved incidents and scheduled maintenances are kept for the views.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from tui_health.genesys.regions import REGION_GROUPS, region_groups, region_of
from tui_health.genesys.transport import HttpCore, correlation_id, decode_json
from tui_health.genesys.wire import MAX_ID, parse_timestamp, validate_response
from tui_health.model.domain import Component, RequestTiming, SourceResult, Status, ValidationIssue
from tui_health.model.extras import PageStatus, SourceExtras
from tui_health.sources.base import BuildContext, SourceSettings, failed
from tui_health.sources.shared import SharedFetches
from tui_health.support.errors import ConfigError, NothingCheckedError, TuiHealthError
from tui_health.support.section import Section, split_list
from tui_health.support.text import clean, clean_data

STATUS_MAP = {
    "operational": Status.HEALTHY,
    "degraded_performance": Status.DEGRADED,
    "partial_outage": Status.DEGRADED,
    "major_outage": Status.DOWN,
    "under_maintenance": Status.MAINTENANCE,
}
OPEN_INCIDENT = {"investigating", "identified", "monitoring"}
OPEN_MAINTENANCE = {"scheduled", "in_progress", "verifying"}
MAX_INCIDENTS = 100
"""Open incidents and maintenances kept from one summary."""
MAX_INCIDENT_COMPONENTS = 50


class SpComponent(BaseModel):
    model_config = ConfigDict(extra="allow", defer_build=True)  # built when first used, not at import
    id: str
    name: str = ""
    status: Any = None
    updated_at: Any = None
    group: bool = False
    group_id: str | None = None
    components: list[str] | None = None
    description: str | None = None
    position: int | None = None


class SpIncident(BaseModel):
    model_config = ConfigDict(extra="allow", defer_build=True)  # built when first used, not at import
    id: str
    name: str = ""
    status: str = ""
    impact: str | None = None
    created_at: str | None = None
    updated_at: str | None = None
    scheduled_for: str | None = None
    scheduled_until: str | None = None
    shortlink: str | None = None
    components: list[dict[str, Any]] = []
    incident_updates: list[Any] = []  # newest first, as Statuspage lists them


class Summary(BaseModel):
    """``GET /api/v2/summary.json``."""

    model_config = ConfigDict(extra="allow", defer_build=True)  # built when first used, not at import
    components: list[Any]
    incidents: list[Any] = []
    scheduled_maintenances: list[Any] = []


def resolve_groups(requested: list[str], available: list[str]) -> list[str]:
    """The page's group names for what the person asked: exact, else the unique case-insensitive prefix.

    Raises:
        ConfigError: naming what did not match (or matched several) and listing the groups there are.
    """
    resolved: list[str] = []
    listing = ", ".join(available) if available else "none"
    for want in requested:
        folded = want.casefold()
        match = [g for g in available if g == want] or [g for g in available if g.casefold() == folded]
        if not match:
            match = [g for g in available if g.casefold().startswith(folded)]
        if len(match) == 1:
            resolved.append(match[0])
        elif not match:
            raise ConfigError(
                f"no status page group matches {want!r}; the groups are: {listing}",
                hint="use one of them (a unique prefix is enough) with --group or statuspage.groups",
            )
        else:
            raise ConfigError(
                f"status page group {want!r} is ambiguous: it matches {', '.join(match)}",
                hint="give more of the name",
            )
    return resolved


def parse_summary(
    data: Any,
    *,
    source: str = "statuspage",
    groups: list[str] | None = None,
    cid: str | None = None,
    region: str | None = None,
) -> tuple[list[Component], list[ValidationIssue], list[dict[str, Any]]]:
    """Leaf components (with their group's name), validation issues, and open incidents/maintenances.

    ``groups`` keeps exactly those groups. Without them, ``region`` (an AWS region name) keeps that region's
    group(s) plus the ungrouped components that serve every region, and only the incidents and maintenances of
    what is kept; a page whose groups name no region shows everything, saying so once as an issue.

    Raises:
        ConfigError: a requested group matches none (or several) of the page's groups.
        NothingCheckedError: the page lists no component at all.
    """
    summary = validate_response(Summary, data, "the status page summary", cid)
    issues: list[ValidationIssue] = []
    entries: list[SpComponent] = []
    for raw in summary.components:
        try:
            entries.append(SpComponent.model_validate(raw))
        except ValidationError:
            issues.append(ValidationIssue(None, "status page entry without an id was skipped", cid, source))
    group_names = {e.id: clean(e.name or e.id) for e in entries if e.group}
    parent: dict[str, str] = {}
    for entry in entries:
        if entry.group:
            for child in entry.components or []:
                parent[child] = entry.id
    available = sorted(set(group_names.values()))
    wanted = set(resolve_groups(groups, available)) if groups else set()
    everywhere = (
        False  # whether ungrouped components (they serve every region) are kept along with the groups
    )
    if not groups and region and available:
        wanted, everywhere = set(region_groups(region, available)), True
        if not wanted:
            known = region in REGION_GROUPS
            why = (
                f"no status page group is {region}'s (the groups are: {', '.join(available)})"
                if known
                else f"the status page group of {region} is not known (the groups are: {', '.join(available)})"
            )
            issues.append(
                ValidationIssue(None, f"{why}; showing every region — use --group to choose", cid, source)
            )
    components: list[Component] = []
    for entry in entries:
        if entry.group:
            continue
        group_id = entry.group_id or parent.get(entry.id)
        group = group_names.get(group_id) if group_id else None
        if wanted and group not in wanted and not (everywhere and group is None):
            continue
        ident = clean(entry.id, MAX_ID)
        raw_status = entry.status
        status = STATUS_MAP.get(raw_status) if isinstance(raw_status, str) else None
        if status is None:
            status = Status.UNKNOWN
            issues.append(
                ValidationIssue(ident, f"unknown status {clean(raw_status, 40)!r} for {ident}", cid, source)
            )
        modified = parse_timestamp(entry.updated_at)
        if entry.updated_at is not None and modified is None:
            issues.append(
                ValidationIssue(
                    ident, f"invalid updated_at {clean(entry.updated_at, 40)!r} for {ident}", cid, source
                )
            )
        details: dict[str, Any] = {"statuspage_status": clean_data(raw_status)}
        if entry.description:
            details["description"] = clean(entry.description)
        components.append(
            Component(
                id=ident,
                name=clean(entry.name) if entry.name.strip() else ident,
                status=status,
                last_modified=modified,
                source=source,
                raw_status=clean(raw_status, 60)
                if raw_status is not None and raw_status != "operational"
                else None,
                group=group,
                details=details,
            )
        )
    if not components:
        raise NothingCheckedError(
            "the status page lists no component" + (f" in {', '.join(sorted(wanted))}" if wanted else ""),
            hint="check statuspage.url and --group",
        )
    shown = {c.id for c in components} if wanted else None
    incidents = open_incidents(summary, cid, source, issues, shown)
    return with_incident(components, incidents), issues, incidents


def with_incident(components: list[Component], incidents: list[dict[str, Any]]) -> list[Component]:
    """Each component an open incident touches carries it (name, status, link, latest update) in its details,
    so the alert about the component can point at what Genesys says about it."""
    touching: dict[str, dict[str, Any]] = {}
    for item in incidents:
        if item.get("kind") != "incident":
            continue
        for ident in item.get("component_ids", ()):
            touching.setdefault(ident, item)
    out = []
    for component in components:
        found = touching.get(component.id)
        if found is None:
            out.append(component)
            continue
        summary = {k: found[k] for k in ("name", "status", "link", "latest_update") if found.get(k)}
        out.append(replace(component, details={**(component.details or {}), "incident": summary}))
    return out


def open_incidents(
    summary: Summary,
    cid: str | None,
    source: str,
    issues: list[ValidationIssue],
    shown: set[str] | None = None,
) -> list[dict[str, Any]]:
    """Open incidents and maintenances; with ``shown`` (the component ids in scope), only those touching one of
    them or naming no component at all (another region's incident never counts here)."""
    out: list[dict[str, Any]] = []
    for kind, items, open_states in (
        ("incident", summary.incidents, OPEN_INCIDENT),
        ("maintenance", summary.scheduled_maintenances, OPEN_MAINTENANCE),
    ):
        for raw in items:
            try:
                item = SpIncident.model_validate(raw)
            except ValidationError:
                issues.append(
                    ValidationIssue(None, f"status page {kind} without an id was skipped", cid, source)
                )
                continue
            if item.status not in open_states:
                continue
            touched = [c.get("id") for c in item.components if isinstance(c, dict)]
            if shown is not None and touched and not any(t in shown for t in touched):
                continue
            latest = next((u for u in item.incident_updates if isinstance(u, dict)), None)
            out.append(
                clean_data(
                    {
                        "kind": kind,
                        "id": item.id,
                        "name": item.name,
                        "status": item.status,
                        "impact": item.impact,
                        "started_at": item.created_at,
                        "updated_at": item.updated_at,
                        **(
                            {"scheduled_for": item.scheduled_for, "scheduled_until": item.scheduled_until}
                            if kind == "maintenance"
                            else {}
                        ),
                        "components": [
                            str(c.get("name", c.get("id", "")))
                            for c in item.components[:MAX_INCIDENT_COMPONENTS]
                            if isinstance(c, dict)
                        ],
                        "component_ids": [
                            str(c["id"])
                            for c in item.components[:MAX_INCIDENT_COMPONENTS]
                            if isinstance(c, dict) and c.get("id")
                        ],
                        "shortlink": item.shortlink,
                        "link": item.shortlink,
                        **(
                            {
                                "latest_update": {
                                    "status": latest.get("status"),
                                    "body": latest.get("body"),
                                    "at": latest.get("display_at") or latest.get("created_at"),
                                }
                            }
                            if latest
                            else {}
                        ),
                        "source": source,
                    }
                )
            )
            if len(out) >= MAX_INCIDENTS:
                return out
    return out


NAME = "statuspage"
NEEDS_CREDENTIALS = False
SECTION = "statuspage"
KINDS: tuple[str, ...] = ()
PERMISSION = None
PAGES_AT_ONCE = False
TEMPLATE = """\
[statuspage]
url = "https://status.mypurecloud.com"
# groups = ["Americas"]   # only these groups' components (default: the region's, plus every region's)
all_regions = false  # true: every region's components and incidents
"""


class StatuspageSettings(Section):
    """``[statuspage]``."""

    url: str = "https://status.mypurecloud.com"
    """Base URL of an Atlassian Statuspage; ``/api/v2/summary.json`` is appended."""
    groups: list[str] = Field(default_factory=list)
    """Keep only the components of these groups (empty: the region's groups, see ``all_regions``)."""
    all_regions: bool = False
    """Show every region's components and incidents instead of the configured region's."""

    _split = field_validator("groups", mode="before")(split_list)


Settings = StatuspageSettings


def build(ctx: BuildContext) -> StatuspageSource:
    page = ctx.settings.section(SECTION)
    region = None if page.all_regions else region_of(ctx.settings.domain)
    return StatuspageSource(ctx.core, page.url, page.groups, region=region, shared=ctx.shared)


class StatuspageSource:
    name = NAME

    def __init__(
        self,
        core: HttpCore,
        url: str,
        groups: list[str] | None = None,
        *,
        region: str | None = None,
        shared: SharedFetches | None = None,
    ) -> None:
        self.core = core
        self.shared = shared
        """Targets watching the same page share one download per poll (several targets only)."""
        base = url.rstrip("/")
        self.url = base if base.endswith("summary.json") else base + "/api/v2/summary.json"
        self.groups = groups or []
        self.region = region  # an AWS region name: its groups are shown (None: every region)

    async def _download(self, deadline: float | None, timings: list[RequestTiming]) -> tuple[Any, str | None]:
        response = await self.core.send(
            "GET",
            self.url,
            label="statuspage",
            timings=timings,
            deadline=deadline,
            what="the status page",
            headers={"Accept": "application/json"},
        )
        if not 200 <= response.status_code < 300:
            raise HttpCore.status_error(response, "the status page")
        return decode_json(response, "the status page"), correlation_id(response)

    async def fetch(self, deadline: float | None) -> SourceResult:
        timings: list[RequestTiming] = []
        try:
            if self.shared is not None:
                (data, cid), _ = await self.shared.get(self.url, lambda: self._download(deadline, timings))
            else:
                data, cid = await self._download(deadline, timings)
            components, issues, incidents = parse_summary(
                data, source=self.name, groups=self.groups, cid=cid, region=self.region
            )
            page = page_status(data)
        except TuiHealthError as exc:
            return failed(self.name, exc, timings)
        return SourceResult(
            self.name,
            True,
            tuple(components),
            correlation_ids=(cid,) if cid else (),
            issues=tuple(issues),
            timings=tuple(timings),
            extras=SourceExtras(incidents=tuple(incidents), page_status=page),
        )


def page_status(data: Any) -> PageStatus | None:
    """The page's own indicator (``none``/``minor``/``major``/``critical``) and description, for every region."""
    status = data.get("status") if isinstance(data, dict) else None
    if not isinstance(status, dict) or not isinstance(status.get("indicator"), str):
        return None
    return PageStatus(clean(status["indicator"], 20), clean(status.get("description") or "", 200))


# -- what this source declares about itself (read through the registry) ------------------------------------
def chosen(settings: SourceSettings) -> bool:
    """Polled when no sources are configured: the public page, whenever no health-details implementation is named."""
    return not settings.genesys.api_url


def hosts(settings: SourceSettings) -> dict[str, str]:
    """The hosts it talks to, by role (``config show``, the TLS context, alert back-links)."""
    return {"statuspage": settings.section(SECTION).url}


def identity(settings: SourceSettings) -> dict[str, Any]:
    """What makes a target that uses it a different target (its saved state and history are keyed by it)."""
    return {"statuspage": settings.section(SECTION).url, "groups": sorted(settings.section(SECTION).groups)}


def demo(sim_url: str, org: bool) -> dict[str, Any] | None:
    """In the demo: the simulator's status page."""
    return {"statuspage.url": sim_url}


def history_flags(hosts: dict[str, str]) -> list[str]:
    return ["--statuspage-url", hosts["statuspage"]] if hosts.get("statuspage") else []
