"""Sorting the components table by any column. Pure Python (no Textual).

The default is the table's natural order (worst status first, then name), which the rows already arrive in, so
it costs nothing; any other column sorts the filtered rows once per change of rows, filter or sort.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from tui_health.model.state import ComponentView, sort_key, urgency

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

SORTABLE: tuple[str, ...] = (
    "status",
    "target",
    "kind",
    "name",
    "id",
    "since",
    "avail",
    "modified",
    "flags",
    "cause",
)
"""The table's columns in order, each a sort key."""


def _keys(availability: Mapping[str, float | None]) -> dict[str, Callable[[ComponentView], Any]]:
    return {
        "status": sort_key,
        "target": lambda c: (c.target.casefold(), urgency(c), c.name.casefold()),
        # grouped by kind (platform components last), worst first within each
        "kind": lambda c: (c.kind is None, c.kind or "", urgency(c), c.name.casefold()),
        "name": lambda c: (c.name.casefold(), c.id),
        "id": lambda c: c.id,
        "since": lambda c: (-c.since.timestamp(), c.name.casefold()),  # shortest "For" first
        # lowest availability first; components without a figure last
        "avail": lambda c: (
            availability.get(c.id) is None,
            availability.get(c.id) or 0.0,
            c.name.casefold(),
        ),
        "modified": lambda c: (c.last_modified or _EPOCH, c.name.casefold()),
        "flags": lambda c: (not c.critical, not c.flapping, c.silenced_until is None, c.name.casefold()),
        "cause": lambda c: (not c.caused_by, ", ".join(c.caused_by), c.name.casefold()),
    }


@dataclass(frozen=True, slots=True)
class Sort:
    column: str = "status"
    reverse: bool = False

    @property
    def is_default(self) -> bool:
        return self.column == "status" and not self.reverse

    def step(self, direction: int, skip: tuple[str, ...] = ()) -> Sort:
        """``<`` / ``>``: the previous / next column shown (not those in ``skip``), ascending."""
        columns = [c for c in SORTABLE if c not in skip]
        index = columns.index(self.column) if self.column in columns else 0
        return Sort(columns[(index + direction) % len(columns)])

    def flipped(self) -> Sort:
        return replace(self, reverse=not self.reverse)

    def pick(self, column: str) -> Sort:
        """A click on a header: sort by it, or reverse when it is already the sort column."""
        return self.flipped() if column == self.column else Sort(column)

    def apply(
        self, rows: list[ComponentView], availability: Mapping[str, float | None]
    ) -> list[ComponentView]:
        if self.is_default:
            return rows
        key = _keys(availability)[self.column]
        if self.column == "avail":  # components without a figure stay last, whichever the direction
            known = [c for c in rows if availability.get(c.id) is not None]
            unknown = [c for c in rows if availability.get(c.id) is None]
            return sorted(known, key=key, reverse=self.reverse) + sorted(unknown, key=key)
        return sorted(rows, key=key, reverse=self.reverse)

    def describe(self) -> str:
        return f"sort: {self.column} {'▼' if self.reverse else '▲'}"
