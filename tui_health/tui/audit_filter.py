"""What the audit viewer shows: a search, an event type, a least severity, a component. Pure Python."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from tui_health.model.domain import AuditEvent, Severity

LEVELS: tuple[Severity | None, ...] = (None, Severity.WARNING, Severity.CRITICAL)
"""``l`` cycles: every event → warnings and worse → critical only."""
_RANK = {Severity.INFO: 0, Severity.WARNING: 1, Severity.CRITICAL: 2}


@dataclass(frozen=True, slots=True)
class AuditFilter:
    search: str = ""
    event_type: str | None = None
    severity: Severity | None = None  # the least severity shown
    component: str | None = None

    def matches(self, event: AuditEvent) -> bool:
        if self.event_type is not None and event.event_type != self.event_type:
            return False
        if self.severity is not None and _RANK.get(event.severity, 0) < _RANK[self.severity]:
            return False
        if self.component is not None and self.component not in event.component_ids:
            return False
        if self.search:
            needle = self.search.casefold()
            haystack = " ".join(
                (
                    event.event_type,
                    event.message,
                    *event.component_ids,
                    event.source or "",
                    event.status or "",
                )
            )
            return needle in haystack.casefold()
        return True

    def apply(self, events: Sequence[AuditEvent]) -> list[AuditEvent]:
        """Newest first: the viewer opens on what just happened."""
        return [e for e in reversed(events) if self.matches(e)]

    def next_type(self, events: Sequence[AuditEvent]) -> AuditFilter:
        """``t``: the next event type among those present (then every type again)."""
        types = sorted({e.event_type for e in events})
        if not types:
            return self
        if self.event_type not in types:
            return replace(self, event_type=types[0])
        index = types.index(self.event_type) + 1
        return replace(self, event_type=types[index] if index < len(types) else None)

    def next_level(self) -> AuditFilter:
        index = LEVELS.index(self.severity) if self.severity in LEVELS else 0
        return replace(self, severity=LEVELS[(index + 1) % len(LEVELS)])

    def describe(self) -> str:
        parts = [
            f"type: {self.event_type or 'all'}",
            f"severity: {self.severity.value + '+' if self.severity else 'all'}",
            f"component: {self.component or 'all'}",
        ]
        if self.search:
            parts.append(f"search: {self.search!r}")
        return "  ·  ".join(parts)
