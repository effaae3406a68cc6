"""Wire formats of the health-details API, validated: a bad page fails the poll, a bad entity does not."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError

from tui_health.errors import ApiError
from tui_health.models import Component, Status, ValidationIssue

Model = TypeVar("Model", bound=BaseModel)


def first_problem(exc: ValidationError) -> str:
    """``where: what`` for the first thing pydantic found wrong."""
    err = exc.errors()[0]
    loc = ".".join(str(p) for p in err["loc"]) or "body"
    return f"{loc}: {err['msg'].lower()}"


def validate_response(model: type[Model], data: Any, what: str, cid: str | None) -> Model:
    """Validate a decoded response; a mismatch fails the poll with an error naming what and where."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise ApiError(f"{what} has an unexpected shape ({first_problem(exc)})", correlation_id=cid) from None


class HealthPage(BaseModel):
    """One page of ``GET /api/v2/health/details`` (the Genesys paging envelope)."""

    model_config = ConfigDict(extra="allow")
    entities: list[Any]
    pageSize: int | None = None
    pageNumber: int | None = None
    total: int | None = None
    pageCount: int | None = None
    nextUri: str | None = None

    @classmethod
    def parse(cls, data: Any, number: int, cid: str | None) -> HealthPage:
        """Validate a decoded page; the error names the page and what was wrong."""
        return validate_response(cls, data, f"page {number} of health details", cid)


def parse_timestamp(value: Any) -> datetime | None:
    """ISO 8601 / RFC 3339 (``Z``, offsets, milliseconds); naive times are taken as UTC. ``None`` if bad."""
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        parsed = datetime.fromisoformat(value.strip().replace("z", "Z"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def parse_entity(raw: Any, cid: str | None, source: str) -> tuple[Component | None, list[ValidationIssue]]:
    """Turn one entity into a Component, keeping it whenever it has an id.

    An unknown status becomes ``unknown``, an unparseable ``lastModified`` becomes empty; each is reported
    as a ValidationIssue (audited as ``schema_validation_error``).
    """
    if not isinstance(raw, dict):
        return None, [ValidationIssue(None, f"entity is a {type(raw).__name__}, not an object", cid, source)]
    ident = raw.get("id")
    if isinstance(ident, int) and not isinstance(ident, bool):
        ident = str(ident)
    if not isinstance(ident, str) or not ident.strip():
        return None, [ValidationIssue(None, "entity without an id was skipped", cid, source)]
    issues: list[ValidationIssue] = []
    name = raw.get("name")
    if not isinstance(name, str) or not name:
        name = ident
    raw_status = raw.get("status")
    status = Status.parse(raw_status)
    if status is None:
        status = Status.UNKNOWN
        issues.append(
            ValidationIssue(ident, f"unknown status {str(raw_status)[:40]!r} for {ident}", cid, source)
        )
    raw_ts = raw.get("lastModified")
    last_modified = parse_timestamp(raw_ts)
    if raw_ts is not None and last_modified is None:
        issues.append(
            ValidationIssue(ident, f"invalid lastModified {str(raw_ts)[:40]!r} for {ident}", cid, source)
        )
    details = raw.get("details")
    if details is not None and not isinstance(details, dict):
        issues.append(ValidationIssue(ident, f"details of {ident} is not an object", cid, source))
        details = None
    return Component(
        id=ident,
        name=name,
        status=status,
        last_modified=last_modified,
        source=source,
        raw_status=None
        if isinstance(raw_status, str) and raw_status == str(status)
        else (str(raw_status) if raw_status is not None else None),
        details=details,
    ), issues
