"""Audit events that come straight from a snapshot: validation problems, failed sources, low API headroom."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import replace

from tui_health.model.domain import LOW_HEADROOM, AuditEvent, Component, EventType, Severity, Snapshot
from tui_health.support.clock import rfc3339

MAX_AUDITED = 50
"""Operational events audited one by one per poll; beyond that, one line says how many more."""


def snapshot_events(snapshot: Snapshot) -> list[AuditEvent]:
    """``schema_validation_error`` per bad entity and ``poll_failed`` per source that did not answer."""
    events: list[AuditEvent] = []
    for issue in snapshot.issues:
        events.append(
            AuditEvent(
                timestamp=snapshot.taken_at,
                event_type=EventType.SCHEMA_VALIDATION_ERROR,
                component_ids=(issue.component_id,) if issue.component_id else (),
                status="unknown",
                message=issue.message,
                severity=Severity.WARNING,
                poll_id=snapshot.poll_id,
                source=issue.source,
                correlation_id=issue.correlation_id,
            )
        )
    for source in snapshot.sources:
        if not source.ok:
            events.append(
                AuditEvent(
                    timestamp=snapshot.taken_at,
                    event_type=EventType.POLL_FAILED,
                    status=source.error_kind,
                    latency_ms=round(sum(t.ms for t in source.timings), 3),
                    message=f"{source.name}: {source.error}",
                    severity=Severity.WARNING,
                    poll_id=snapshot.poll_id,
                    source=source.name,
                    correlation_id=source.correlation_ids[-1] if source.correlation_ids else None,
                )
            )
    return events


def headroom_events(snapshot: Snapshot, low: set[str]) -> list[AuditEvent]:
    """One ``rate_limit_low`` when a source's API says less than ``LOW_HEADROOM`` of its rate-limit window is
    left; ``low`` holds the sources that already said so (cleared once they are back above it)."""
    events = []
    for source in snapshot.sources:
        limit = source.rate_limit
        if limit is None:
            continue
        if limit.left >= LOW_HEADROOM:
            low.discard(source.name)
            continue
        if source.name in low:
            continue
        low.add(source.name)
        reset = f"; the window starts over at {rfc3339(limit.reset_at)}" if limit.reset_at else ""
        events.append(
            AuditEvent(
                timestamp=snapshot.taken_at,
                event_type=EventType.RATE_LIMIT_LOW,
                status="low",
                message=(
                    f"{source.name}: the API counts {limit.used} of {limit.allowed} requests allowed in its "
                    f"window ({limit.left:.0%} left){reset}; our own quota, not a Genesys problem"
                ),
                severity=Severity.WARNING,
                poll_id=snapshot.poll_id,
                source=source.name,
            )
        )
    return events


def org_events(snapshot: Snapshot) -> list[AuditEvent]:
    """One ``operational_event`` per new Operational Event of the org (at most MAX_AUDITED a poll, then one
    line saying how many more)."""
    out: list[AuditEvent] = []
    for source in snapshot.sources:
        new = source.extras.new_operational_events
        for event in new[:MAX_AUDITED]:
            what = event.get("entity") or event.get("entity_id") or ""
            change = (
                f" ({event['previous']} → {event['current']})"
                if event.get("previous") or event.get("current")
                else ""
            )
            code = f" [{event['error_code']}]" if event.get("error_code") else ""
            out.append(
                AuditEvent(
                    timestamp=snapshot.taken_at,
                    event_type=EventType.OPERATIONAL_EVENT,
                    status=event.get("definition"),
                    message=f"{event.get('definition')} {event.get('name')}: {what}{change}{code}".strip(),
                    severity=Severity.WARNING,
                    poll_id=snapshot.poll_id,
                    source=source.name,
                )
            )
        if len(new) > MAX_AUDITED:
            out.append(
                AuditEvent(
                    timestamp=snapshot.taken_at,
                    event_type=EventType.OPERATIONAL_EVENT,
                    message=f"{len(new) - MAX_AUDITED} more operational events this poll (see the console's o)",
                    severity=Severity.WARNING,
                    poll_id=snapshot.poll_id,
                    source=source.name,
                )
            )
    return out


def with_notes(events: list[AuditEvent], components: Mapping[str, Component]) -> dict[str, AuditEvent]:
    """The changes that say more, by event id: a change of the org's own entities with how soon it was seen
    (:func:`notice_of`), and a change to a problem whose component an open status page incident touches with the
    incident's name, status and link appended (receivers then point at what Genesys says about it)."""
    out = {}
    for event in events:
        if event.event_type != EventType.COMPONENT_HEALTH_CHANGE:
            continue
        component = components.get(event.component_ids[0]) if event.component_ids else None
        noticed = notice_of(component)
        if noticed:
            event = out[event.id] = replace(event, message=event.message + noticed)
        if event.status not in ("down", "degraded"):
            continue
        incident = (component.details or {}).get("incident") if component else None
        if not isinstance(incident, dict):
            continue
        link = incident.get("link") if isinstance(incident.get("link"), str) else None
        note = f" — status page: {incident.get('name')} [{incident.get('status')}]" + (
            f" {link}" if link else ""
        )
        out[event.id] = replace(event, message=event.message + note, link=link)
    return out


def notice_of(component: Component | None) -> str:
    """`` — seen 0.4 s after it happened (pushed)`` for a change of the org's own entities, else ``""``. A change
    Genesys gives no time for is not timed from an older one: a pushed one is said to be timed from the frame's
    arrival, a polled one is said to be seen by a poll."""
    details = (component.details or {}) if component else {}
    after, by = details.get("noticed_after_s"), details.get("noticed_by")
    if by not in ("push", "poll"):
        return ""
    if details.get("noticed_timed_by") == "arrival":
        if by == "push":
            return " — seen when pushed (the topic carries no time of the change: timed from the frame's arrival)"
        return " — seen by a poll (Genesys gives no time of the change)"
    if not isinstance(after, int | float):
        return ""
    return f" — seen {after:.2f} s after it happened ({'pushed' if by == 'push' else 'by a poll'})"


KEYED = (EventType.COMPONENT_HEALTH_CHANGE, EventType.THRESHOLD_BREACH, EventType.THRESHOLD_RESOLVED)
"""The events receivers are told about that two instances watching one target see alike."""


def with_key(event: AuditEvent, components: Mapping[str, Component], target_key: str) -> AuditEvent:
    """``event`` with its :attr:`AuditEvent.key`: a hash of the target, the kind, the components, the new status
    and the source's transition time (the latest ``lastModified`` of its components, or of every component for an
    event about none, such as a threshold resolved). Two instances of an HA
    pair see the same source times, so they derive the same key and receivers page once. A component whose
    source gives no transition time (the API probe) falls back to this instance's own time."""
    if event.event_type not in KEYED or event.key is not None:
        return event
    # an event about no component in particular (a threshold resolved) follows the latest change of all of them
    about = (
        [components.get(cid) for cid in event.component_ids] if event.component_ids else components.values()
    )
    times = [c.last_modified for c in about if c is not None and c.last_modified]
    when = rfc3339(max(times)) if times else rfc3339(event.timestamp)
    ident = "|".join(
        (target_key, event.event_type, ",".join(sorted(event.component_ids)), event.status or "", when)
    )
    return replace(event, key=hashlib.sha256(ident.encode()).hexdigest()[:32])


def note_events(snapshot: Snapshot, said: dict[str, str]) -> list[AuditEvent]:
    """One ``source_note`` when a source's note appears or changes ("no Edges in this org"); ``said`` holds the
    note each source last said (dropped once it has none, so it is said again if it comes back)."""
    events = []
    for source in snapshot.sources:
        if not source.ok:
            continue
        note = source.extras.note
        if not note:
            said.pop(source.name, None)
            continue
        if said.get(source.name) == note:
            continue
        said[source.name] = note
        events.append(
            AuditEvent(
                timestamp=snapshot.taken_at,
                event_type=EventType.SOURCE_NOTE,
                message=f"{source.name}: {note}",
                poll_id=snapshot.poll_id,
                source=source.name,
            )
        )
    return events
