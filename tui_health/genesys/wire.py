"""Wire formats of the health-details API, validated: a bad page fails the poll, a bad entity does not."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError

from tui_health.model.domain import Component, Status, ValidationIssue
from tui_health.support.errors import ApiError
from tui_health.support.text import clean, clean_data

Model = TypeVar("Model", bound=BaseModel)
MIN_YEAR, MAX_YEAR = 1970, 9998
"""Timestamps outside these years are refused as implausible (and some cannot be converted at all)."""
MAX_ID = 200
"""The longest component id kept (longer ones are cut, and the entity reported)."""


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
    """ISO 8601 / RFC 3339 (``Z``, offsets, milliseconds) as UTC; naive times are taken as UTC.

    ``None`` when unparseable or outside what can be shown in UTC (``0001-01-01T00:00:00+14:00`` and
    ``9999-12-31T23:59:59-14:00`` overflow when converted, so they are refused here, not at render time).
    """
    if not isinstance(value, str) or not value.strip() or len(value) > 64:
        return None
    try:
        parsed = datetime.fromisoformat(value.strip().replace("z", "Z"))
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=UTC)
        utc = parsed.astimezone(UTC)
    except (ValueError, OverflowError):
        return None
    if not MIN_YEAR <= utc.year <= MAX_YEAR:
        return None
    return utc


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
    if not isinstance(ident, str) or not clean(ident).strip():
        return None, [ValidationIssue(None, "entity without an id was skipped", cid, source)]
    issues: list[ValidationIssue] = []
    ident = clean(ident, MAX_ID)
    name = raw.get("name")
    name = clean(name) if isinstance(name, str) else ""
    if not name.strip():
        name = ident
    raw_status = raw.get("status")
    status = Status.parse(raw_status)
    if status is None:
        status = Status.UNKNOWN
        issues.append(
            ValidationIssue(ident, f"unknown status {clean(raw_status, 40)!r} for {ident}", cid, source)
        )
    raw_ts = raw.get("lastModified")
    last_modified = parse_timestamp(raw_ts)
    if raw_ts is not None and last_modified is None:
        issues.append(
            ValidationIssue(ident, f"invalid lastModified {clean(raw_ts, 40)!r} for {ident}", cid, source)
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
        else (clean(raw_status, 60) if raw_status is not None else None),
        details=clean_data(details) if details is not None else None,
    ), issues


_Entry = tuple[tuple[Any, Any, Any, Any], Component]  # (name, status, lastModified, details as sent), parsed


class EntityParser:
    """:func:`parse_entity` for whole pages, remembering last poll's clean results.

    Most components do not change between polls. A page equal to the same page last poll (compared in C) gets
    last poll's Components back; otherwise each entity that sends the same id, name, status, timestamp and
    details as last time gets its Component back, and only the rest are cleaned and parsed again. Only entities
    that parsed without issues are remembered (issues are reported every poll, with the page's correlation id),
    and only the latest poll is kept, so the memory follows the org, not its history.
    """

    def __init__(self, source: str) -> None:
        self.source = source
        self._known: dict[str, _Entry] = {}
        self._seen: dict[str, _Entry] = {}
        self._pages: dict[int, tuple[list[Any], list[Component], dict[str, _Entry]]] = {}
        self._pages_seen: dict[int, tuple[list[Any], list[Component], dict[str, _Entry]]] = {}

    def parse_page(
        self, number: int, entities: list[Any], cid: str | None
    ) -> tuple[list[Component], list[ValidationIssue]]:
        """The page's components in order, and what was wrong with its entities."""
        page = self._pages.get(number)
        if page is not None and page[0] == entities:
            self._pages_seen[number] = page
            self._seen.update(page[2])
            return page[1], []
        if page is not None:
            patched = self._patch(number, entities, cid, page)
            if patched is not None:
                return patched, []
        components: list[Component] = []
        issues: list[ValidationIssue] = []
        entries: dict[str, _Entry] = {}
        for raw in entities:
            component, found = self._parse(raw, cid, entries)
            issues.extend(found)
            if component is not None:
                components.append(component)
        if not issues and len(entries) == len(entities):
            self._pages_seen[number] = (entities, components, entries)
        return components, issues

    def _patch(
        self,
        number: int,
        entities: list[Any],
        cid: str | None,
        page: tuple[list[Any], list[Component], dict[str, _Entry]],
    ) -> list[Component] | None:
        """Last poll's page with only the entities that differ (compared in place, in C) parsed again: the
        usual poll, where a few components of a page changed. ``None`` (parse it all) when the page's length
        changed, most of it changed, or a changed entity has anything wrong (the full parse says what)."""
        before, known_components, known_entries = page
        if len(entities) != len(before):
            return None
        changed = [i for i, (now, then) in enumerate(zip(entities, before, strict=True)) if now != then]
        if len(changed) * 4 > len(entities):
            return None
        components, entries = list(known_components), dict(known_entries)
        for index in changed:
            entries.pop(before[index]["id"], None)
        for index in changed:
            raw = entities[index]
            ident = raw.get("id") if isinstance(raw, dict) else None
            if not isinstance(ident, str) or ident in entries:
                return None
            component, issues = parse_entity(raw, cid, self.source)
            if component is None or issues:
                return None
            sent = (raw.get("name"), raw.get("status"), raw.get("lastModified"), raw.get("details"))
            entries[ident] = (sent, component)
            components[index] = component
        self._seen.update(entries)
        self._pages_seen[number] = (entities, components, entries)
        return components

    def _parse(
        self, raw: Any, cid: str | None, entries: dict[str, _Entry]
    ) -> tuple[Component | None, list[ValidationIssue]]:
        ident = raw.get("id") if isinstance(raw, dict) else None
        if isinstance(ident, str):
            sent = (raw.get("name"), raw.get("status"), raw.get("lastModified"), raw.get("details"))
            known = self._known.get(ident)
            if known is not None and known[0] == sent:
                self._seen[ident] = entries[ident] = known
                return known[1], []
        component, issues = parse_entity(raw, cid, self.source)
        if component is not None and not issues and isinstance(ident, str):
            self._seen[ident] = entries[ident] = (sent, component)
        return component, issues

    def end_poll(self) -> None:
        """Forget the ids and pages this poll did not send."""
        self._known, self._seen = self._seen, {}
        self._pages, self._pages_seen = self._pages_seen, {}


def obj(value: Any, key: str) -> dict[str, Any]:
    """``value[key]`` when ``value`` is an object and that is one too; else an empty object (an answer that is
    not shaped as documented reads as one that says nothing)."""
    found = value.get(key) if isinstance(value, dict) else None
    return found if isinstance(found, dict) else {}


def items(value: Any, key: str, limit: int) -> list[Any]:
    """``value[key]`` when it is a list (at most its first ``limit`` items); else an empty list."""
    found = value.get(key) if isinstance(value, dict) else None
    return found[:limit] if isinstance(found, list) else []
