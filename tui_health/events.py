"""Audit events that come straight from a snapshot: validation problems and failed sources."""

from __future__ import annotations

from tui_health.models import AuditEvent, EventType, Severity, Snapshot


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
