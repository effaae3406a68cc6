"""The ``statuspage`` source: an Atlassian Statuspage ``/api/v2/summary.json`` (Genesys Cloud's public status page).

Status mapping: operational → healthy; degraded_performance → degraded; partial_outage → degraded (the original
kept in ``details.statuspage_status``); major_outage → down; under_maintenance → maintenance (never alerts);
anything else → unknown (audited). Entries with ``group: true`` are groups, not components: their children carry
the group's name. Unresolved incidents and scheduled maintenances are kept for the views.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from tui_health.errors import TuiHealthError
from tui_health.models import Component, RequestTiming, SourceResult, Status, ValidationIssue
from tui_health.sources.base import failed
from tui_health.transport import HttpCore, correlation_id, decode_json
from tui_health.wire import parse_timestamp, validate_response

STATUS_MAP = {
    "operational": Status.HEALTHY,
    "degraded_performance": Status.DEGRADED,
    "partial_outage": Status.DEGRADED,
    "major_outage": Status.DOWN,
    "under_maintenance": Status.MAINTENANCE,
}
OPEN_INCIDENT = {"investigating", "identified", "monitoring"}
OPEN_MAINTENANCE = {"scheduled", "in_progress", "verifying"}


class SpComponent(BaseModel):
    model_config = ConfigDict(extra="allow")
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
    model_config = ConfigDict(extra="allow")
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


class Summary(BaseModel):
    """``GET /api/v2/summary.json``."""

    model_config = ConfigDict(extra="allow")
    components: list[Any]
    incidents: list[Any] = []
    scheduled_maintenances: list[Any] = []


def parse_summary(
    data: Any, *, source: str = "statuspage", groups: list[str] | None = None, cid: str | None = None
) -> tuple[list[Component], list[ValidationIssue], list[dict[str, Any]]]:
    """Leaf components (with their group's name), validation issues, and open incidents/maintenances."""
    summary = validate_response(Summary, data, "the status page summary", cid)
    issues: list[ValidationIssue] = []
    entries: list[SpComponent] = []
    for raw in summary.components:
        try:
            entries.append(SpComponent.model_validate(raw))
        except ValidationError:
            issues.append(ValidationIssue(None, "status page entry without an id was skipped", cid, source))
    group_names = {e.id: e.name for e in entries if e.group}
    parent: dict[str, str] = {}
    for entry in entries:
        if entry.group:
            for child in entry.components or []:
                parent[child] = entry.id
    wanted = {g.casefold() for g in groups or []}
    components: list[Component] = []
    for entry in entries:
        if entry.group:
            continue
        group_id = entry.group_id or parent.get(entry.id)
        group = group_names.get(group_id) if group_id else None
        if wanted and (group or "").casefold() not in wanted:
            continue
        raw_status = entry.status
        status = STATUS_MAP.get(raw_status) if isinstance(raw_status, str) else None
        if status is None:
            status = Status.UNKNOWN
            issues.append(
                ValidationIssue(
                    entry.id, f"unknown status {str(raw_status)[:40]!r} for {entry.id}", cid, source
                )
            )
        modified = parse_timestamp(entry.updated_at)
        if entry.updated_at is not None and modified is None:
            issues.append(
                ValidationIssue(
                    entry.id, f"invalid updated_at {str(entry.updated_at)[:40]!r} for {entry.id}", cid, source
                )
            )
        details: dict[str, Any] = {"statuspage_status": raw_status}
        if entry.description:
            details["description"] = entry.description
        components.append(
            Component(
                id=entry.id,
                name=entry.name or entry.id,
                status=status,
                last_modified=modified,
                source=source,
                raw_status=str(raw_status)
                if raw_status is not None and raw_status != "operational"
                else None,
                group=group,
                details=details,
            )
        )
    return components, issues, open_incidents(summary, cid, source, issues)


def open_incidents(
    summary: Summary, cid: str | None, source: str, issues: list[ValidationIssue]
) -> list[dict[str, Any]]:
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
            out.append(
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
                        str(c.get("name", c.get("id", ""))) for c in item.components if isinstance(c, dict)
                    ],
                    "shortlink": item.shortlink,
                    "source": source,
                }
            )
    return out


class StatuspageSource:
    name = "statuspage"

    def __init__(self, core: HttpCore, url: str, groups: list[str] | None = None) -> None:
        self.core = core
        base = url.rstrip("/")
        self.url = base if base.endswith("summary.json") else base + "/api/v2/summary.json"
        self.groups = groups or []

    async def fetch(self, deadline: float | None) -> SourceResult:
        timings: list[RequestTiming] = []
        try:
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
            cid = correlation_id(response)
            components, issues, incidents = parse_summary(
                decode_json(response, "the status page"), source=self.name, groups=self.groups, cid=cid
            )
        except TuiHealthError as exc:
            return failed(self.name, exc, timings)
        if self.groups and not components:
            issues.append(
                ValidationIssue(
                    None, f"no status page group matches {', '.join(self.groups)}", cid, self.name
                )
            )
        return SourceResult(
            self.name,
            True,
            tuple(components),
            correlation_ids=(cid,) if cid else (),
            issues=tuple(issues),
            timings=tuple(timings),
            extra={"incidents": incidents},
        )
