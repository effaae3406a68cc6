"""What the components table shows: a status set, a preset, a search, critical-only. Pure Python (no Textual)."""

from __future__ import annotations

from dataclasses import dataclass, replace

from tui_health.model.domain import Status
from tui_health.model.state import ComponentView

#: key → the statuses it toggles (``4`` covers both maintenance and unknown)
STATUS_KEYS: dict[str, frozenset[Status]] = {
    "1": frozenset({Status.HEALTHY}),
    "2": frozenset({Status.DEGRADED}),
    "3": frozenset({Status.DOWN}),
    "4": frozenset({Status.MAINTENANCE, Status.UNKNOWN}),
}
PLATFORM = "platform"
"""The kind filter's name for components that have no kind (the platform's)."""
PRESETS: list[tuple[str, frozenset[Status]]] = [
    ("all", frozenset()),
    ("problems", frozenset({Status.DOWN, Status.DEGRADED})),
    ("down only", frozenset({Status.DOWN})),
]


@dataclass(frozen=True, slots=True)
class Filter:
    statuses: frozenset[Status] = frozenset()  # empty: every status
    search: str = ""
    critical_only: bool = False
    target: str | None = None  # one target's components only (several targets)
    kind: str | None = None  # one kind only (edge, trunk, queue; "platform" for the platform's components)

    def toggle(self, key: str) -> Filter:
        group = STATUS_KEYS[key]
        if group <= self.statuses:
            return replace(self, statuses=self.statuses - group)
        return replace(self, statuses=self.statuses | group)

    def clear(self) -> Filter:
        """``0``: every status again (search and critical-only are cleared by their own keys)."""
        return replace(self, statuses=frozenset())

    def next_preset(self) -> Filter:
        """``f``: all → problems → down only → all."""
        names = [statuses for _, statuses in PRESETS]
        index = names.index(self.statuses) if self.statuses in names else -1
        return replace(self, statuses=names[(index + 1) % len(names)])

    def matches(self, c: ComponentView) -> bool:
        # a change waiting out the flap interval counts under the status it is heading to as well: the problems
        # preset keeps a "→down?" row (a problem coming), as the sort puts it with the problems
        if self.statuses and c.status not in self.statuses and c.observed not in self.statuses:
            return False
        if self.target is not None and c.target != self.target:
            return False
        if self.kind is not None and (c.kind or PLATFORM) != self.kind:
            return False
        if self.critical_only and not c.critical:
            return False
        if self.search:
            needle = self.search.casefold()
            return (
                needle in c.name.casefold()
                or needle in c.id.casefold()
                or needle in (c.group or "").casefold()
                or needle in (c.kind or "")
            )
        return True

    def apply(self, components: tuple[ComponentView, ...]) -> list[ComponentView]:
        if self.is_default:  # every row: no call per row (0 at 100,000 components)
            return list(components)
        return [c for c in components if self.matches(c)]

    def next_target(self, targets: list[str]) -> Filter:
        """``t``: every target → the first → the next → … → every target again."""
        if not targets:
            return self
        if self.target not in targets:
            return replace(self, target=targets[0])
        index = targets.index(self.target) + 1
        return replace(self, target=targets[index] if index < len(targets) else None)

    def next_kind(self, kinds: list[str]) -> Filter:
        """``K``: every kind → the first → the next → … → every kind again."""
        if not kinds:
            return self
        if self.kind not in kinds:
            return replace(self, kind=kinds[0])
        index = kinds.index(self.kind) + 1
        return replace(self, kind=kinds[index] if index < len(kinds) else None)

    @property
    def is_default(self) -> bool:
        return (
            not self.statuses
            and not self.search
            and not self.critical_only
            and self.target is None
            and self.kind is None
        )

    def describe(self) -> str:
        """One line for the filter bar, always visible."""
        parts = []
        preset = next((name for name, statuses in PRESETS if statuses == self.statuses), None)
        if preset:
            parts.append(f"status: {preset}")
        else:
            parts.append("status: " + " + ".join(s.value for s in Status if s in self.statuses))
        if self.target is not None:
            parts.append(f"target: {self.target}")
        if self.kind is not None:
            parts.append(f"kind: {self.kind}")
        if self.critical_only:
            parts.append("critical only")
        if self.search:
            parts.append(f"search: {self.search!r}")
        return "  ·  ".join(parts)
