"""The components table, updated incrementally: rows keyed by id, only changed cells touched."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from rich.text import Text
from textual.binding import Binding
from textual.coordinate import Coordinate
from textual.widgets import DataTable

from tui_health.state import ComponentView
from tui_health.tui.format import STATUS_LOOK, duration, short_datetime, status_text

COLUMNS = [
    ("status", "Status"),
    ("name", "Name"),
    ("id", "ID"),
    ("since", "For"),
    ("modified", "Last modified"),
    ("flags", "Flags"),
    ("cause", "Caused by"),
]
_RANK = {label: status.rank for status, (label, _) in STATUS_LOOK.items()}
MANY_GONE = 32
"""Above this many rows leaving at once (and an eighth of the table), the table is rebuilt, not pruned."""
FIXED_WIDTHS = {"flags": 14}
"""Columns whose content comes and goes get a fixed width: measured from the first rows, "Flags" was five
characters wide and cut "→healthy?" short later (widths are not re-measured on updates, which would also make
the layout depend on timing)."""

Row = tuple[Text, ...]
Signature = tuple[object, ...]


def signature(c: ComponentView, now: datetime) -> Signature:
    """Everything a row shows, as plain values: equal signatures mean an unchanged row (cheap to compare)."""
    return (
        c.status,
        c.observed,
        c.name,
        c.group,
        c.id,
        table_duration((now - c.since).total_seconds()),
        c.last_modified,
        c.critical,
        c.flapping,
        c.silenced_until is not None,
        c.caused_by,
    )


def table_duration(seconds: float) -> str:
    """Minutes are enough in the table (the header counts seconds), so cells change at most once a minute."""
    return "<1m" if seconds < 60 else duration(seconds)


def row_cells(c: ComponentView, now: datetime, stale: bool = False) -> Row:
    """The cells of one component. API strings are wrapped in Text: shown as written, never parsed as markup.

    ``stale``: the data is old, and every cell is dimmed so it cannot pass for live data.
    """
    flags = []
    if c.critical:
        flags.append("★crit")
    if c.flapping:
        flags.append("~flap")
    if c.silenced_until:
        flags.append("muted")
    if c.observed is not c.status:
        flags.append(f"→{c.observed.value}?")
    name = c.name if not c.group else f"{c.name} · {c.group}"
    cells = (
        status_text(c.status),
        Text(name),
        Text(c.id, style="dim"),
        Text(table_duration((now - c.since).total_seconds())),
        Text(short_datetime(c.last_modified)),
        Text(" ".join(flags), style="bold"),
        Text(", ".join(c.caused_by), style="italic"),
    )
    if stale:
        for cell in cells:
            cell.stylize("dim")
    return cells


def sort_key(values: tuple[Text, Text, Text]) -> tuple[int, str, str]:
    status, name, ident = values
    return (_RANK.get(status.plain, 9), name.plain.casefold(), ident.plain)


class ComponentsTable(DataTable[Text]):
    """Call :meth:`show` with the rows to display; it diffs against what is on screen."""

    BINDINGS = [
        Binding("home", "first_row", "First row", show=False),
        Binding("end", "last_row", "Last row", show=False),
    ]

    def __init__(self, **kwargs: object) -> None:
        super().__init__(cursor_type="row", zebra_stripes=True, **kwargs)  # type: ignore[arg-type]
        self._rows: dict[str, Row] = {}
        self._signatures: dict[str, Signature] = {}
        self._follow = False  # the cursor follows its component once the person has moved it
        self._cursor_after_update = 0

    def on_mount(self) -> None:
        for key, label in COLUMNS:
            self.add_column(label, key=key, width=FIXED_WIDTHS.get(key))

    @property
    def selected_id(self) -> str | None:
        if not self._rows or self.cursor_row < 0 or self.cursor_row >= self.row_count:
            return None
        row_key, _ = self.coordinate_to_cell_key(Coordinate(self.cursor_row, 0))
        return str(row_key.value)

    def action_first_row(self) -> None:
        self.move_cursor(row=0)

    def action_last_row(self) -> None:
        self.move_cursor(row=max(0, self.row_count - 1))

    def show(self, components: Sequence[ComponentView], now: datetime, *, stale: bool = False) -> int:
        """Make the table show ``components``; returns how many cells changed.

        Removes gone rows, updates only changed cells, adds new rows, and sorts (worst first, then name) only
        when a row came or went or a status or name changed. Once the person has moved the cursor it stays on
        the same component across updates; until then it stays on the top (worst) row. A re-sort never scrolls
        the worst rows out of view: while the table is scrolled to the top it stays there, even when the
        selected component moves below the fold; only a person who scrolled away is followed.
        """
        if self.cursor_row != self._cursor_after_update:
            self._follow = True
        at_top = self.scroll_y == 0
        selected = self.selected_id
        wanted = {c.id: c for c in components}
        changed = 0
        reorder = False
        with self.app.batch_update():
            gone = [cid for cid in self._rows if cid not in wanted]
            if len(gone) > max(MANY_GONE, len(self._rows) // 8):
                # DataTable.remove_row rebuilds its row indexes on every call, so removing thousands one by
                # one is quadratic (a filter to "down only" at 5,000 rows took 9 s): start over instead
                changed += len(self._rows)
                self.clear()
                self._rows.clear()
                self._signatures.clear()
            else:
                for cid in gone:
                    self.remove_row(cid)
                    del self._rows[cid], self._signatures[cid]
                    changed += 1
            for cid, component in wanted.items():
                sig = (*signature(component, now), stale)
                if self._signatures.get(cid) == sig:
                    continue
                self._signatures[cid] = sig
                cells = row_cells(component, now, stale)
                old = self._rows.get(cid)
                self._rows[cid] = cells
                if old is None:
                    self.add_row(*cells, key=cid)
                    changed += len(cells)
                    reorder = True
                    continue
                for index, ((key, _), new, before) in enumerate(zip(COLUMNS, cells, old, strict=True)):
                    if new != before:
                        self.update_cell(cid, key, new)
                        changed += 1
                        reorder = reorder or index < 2
            if reorder:
                self.sort("status", "name", "id", key=sort_key)
            if self._follow and selected in wanted:
                self.move_cursor(row=self.get_row_index(selected), animate=False, scroll=not at_top)
            if at_top:
                self.scroll_to(y=0, animate=False)
        self._cursor_after_update = self.cursor_row
        return changed
