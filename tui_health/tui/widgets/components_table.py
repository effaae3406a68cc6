"""The components table, virtual: it holds the rows as data and draws only the lines on screen.

At 10,000 components a filter, a poll or the one-second tick costs what the ~40 visible rows cost, not what the
table holds: showing new rows is a list assignment, drawing is :meth:`render_line` for the lines Textual asks
for, and each drawn line is cached under everything it shows. Rows arrive sorted (worst first, then name); the
table keeps their order.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import ClassVar

from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import events
from textual.binding import Binding, BindingType
from textual.geometry import Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

from tui_health.model.state import ComponentView
from tui_health.tui.format import avail_text, duration, short_datetime, status_text

COLUMNS = [
    ("status", "Status"),
    ("target", "Target"),  # shown only when the rows come from several targets
    ("kind", "Kind"),  # shown only when some rows are the org's own (edge, trunk, queue, site, integration…)
    ("name", "Name"),
    ("id", "ID"),
    ("since", "For"),
    ("avail", "Avail 24h"),
    ("modified", "Last modified"),
    ("flags", "Flags"),
    ("cause", "Caused by"),
]
FIXED_WIDTHS = {"status": 10, "kind": 11, "since": 6, "avail": 9, "modified": 16, "flags": 14}
"""Columns whose content has a known width, or comes and goes ("→healthy?" must fit when it appears)."""
MAX_WIDTHS = {"name": 48, "id": 40, "target": 24}
"""Names and ids wider than this are cut with an ellipsis (the details screen shows them whole)."""
DROP_ORDER = ("cause", "modified", "id", "kind", "avail", "flags")
"""Columns given up, in this order, when the terminal is too narrow for all: Status, Name and For always stay,
and the flags fold into the Status cell once their own column goes."""
MIN_NAME = 16
"""The Name column is never cut narrower than this."""
FOLDED_STATUS = 17
"""The Status column's width with the flags folded in ("◆ DEGRADED →down?")."""
PADDING = 1
"""Blank cells either side of every cell."""
CACHE_LINES = 500
"""Drawn lines kept (a few KB each); the cache starts over beyond that. A screen holds ~50 and the "For" column
changes once a minute, so a larger cache only fills with lines no longer shown (2,000 held ~6 MB)."""

Row = tuple[Text, ...]
Signature = tuple[object, ...]


def signature(c: ComponentView, now: datetime, avail: float | None = None) -> Signature:
    """Everything a row shows, as plain values: equal signatures mean an unchanged row (cheap to compare)."""
    return (
        avail,
        c.status,
        c.target,
        c.kind,
        c.observed,
        c.name,
        c.group,
        c.id,
        table_duration((now - c.since).total_seconds()),
        c.last_modified,
        c.critical,
        c.flapping,
        c.silenced_until is not None,
        c.maintenance,
        c.caused_by,
    )


def table_duration(seconds: float) -> str:
    """Minutes are enough in the table (the header counts seconds), so cells change at most once a minute."""
    return "<1m" if seconds < 60 else duration(seconds)


def shown_name(c: ComponentView) -> str:
    return c.name if not c.group else f"{c.name} · {c.group}"


def flag_marks(c: ComponentView, *, short: bool = False) -> list[str]:
    """What the Flags column says (``short``: as folded into the Status cell on a narrow terminal)."""
    flags = []
    if c.critical:
        flags.append("★" if short else "★crit")
    if c.flapping:
        flags.append("~" if short else "~flap")
    if c.silenced_until:
        flags.append("m" if short else "muted")
    if c.maintenance:
        flags.append("⚒" if short else "⚒maint")
    if c.observed is not c.status:
        flags.append(f"→{c.observed.value}?")
    return flags


def row_cells(
    c: ComponentView, now: datetime, stale: bool = False, avail: float | None = None, *, folded: bool = False
) -> Row:
    """The cells of one component. API strings are wrapped in Text: shown as written, never parsed as markup.

    ``stale``: the data is old, and every cell is dimmed so it cannot pass for live data. ``folded``: the
    flags are shown in the Status cell (their column is not drawn).
    """
    flags = flag_marks(c)
    status = status_text(c.status)
    if folded and flags:
        status.append(" " + "".join(flag_marks(c, short=True)), style="bold yellow")
    cells = (
        status,
        Text(c.target, style="bold"),
        Text(c.kind or "", style="cyan"),
        Text(shown_name(c)),
        Text(c.id, style="dim"),
        Text(table_duration((now - c.since).total_seconds())),
        avail_text(avail),
        Text(short_datetime(c.last_modified, named=False)),
        Text(" ".join(flags), style="bold"),
        Text(", ".join(c.caused_by), style="italic"),
    )
    if stale:
        for cell in cells:
            cell.stylize("dim")
    return cells


def _width(text: str) -> int:
    return len(text) if text.isascii() else cell_len(text)


class ComponentsTable(ScrollView, can_focus=True):
    """Call :meth:`show` with the rows to display (sorted); the cursor is a row, ``Enter`` posts Selected."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "components-table--header",
        "components-table--cursor",
        "components-table--even-row",
    }
    DEFAULT_CSS = """
    ComponentsTable {
        background: $surface;
        color: $foreground;
        &:focus {
            background-tint: $foreground 5%;
            & > .components-table--cursor {
                background: $block-cursor-background;
                color: $block-cursor-foreground;
                text-style: $block-cursor-text-style;
            }
        }
        & > .components-table--header {
            text-style: bold;
            background: $panel;
            color: $foreground;
        }
        & > .components-table--even-row {
            background: $surface-lighten-1 50%;
        }
        &:dark > .components-table--even-row {
            background: $surface-darken-1 40%;
        }
        & > .components-table--cursor {
            background: $block-cursor-blurred-background;
            color: $block-cursor-blurred-foreground;
            text-style: $block-cursor-blurred-text-style;
        }
    }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up,k", "cursor_up", "Up", show=False),
        Binding("down,j", "cursor_down", "Down", show=False),
        Binding("pageup", "page_up", "Page up", show=False),
        Binding("pagedown", "page_down", "Page down", show=False),
        Binding("home,g", "first_row", "First row", show=False),
        Binding("end,G", "last_row", "Last row", show=False),
        Binding(
            "enter", "select", "Details", key_display="Enter"
        ),  # first in the footer: the table has focus
    ]

    class HeaderClicked(Message):
        """The person clicked a column's header (the app sorts by it)."""

        def __init__(self, column: str) -> None:
            super().__init__()
            self.column = column

    class Selected(Message):
        """The person chose a row (Enter, or a click on the row under the cursor)."""

        def __init__(self, component_id: str) -> None:
            super().__init__()
            self.component_id = component_id

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self._views: list[ComponentView] = []
        self._index: dict[str, int] | None = None  # id → row, built when first asked for
        self._now: datetime | None = None
        self._stale = False
        self._cursor = 0
        self._follow = False  # the cursor follows its component once the person has moved it
        # room for the label and its sort mark ("Avail 24h ▲")
        self._widths = {key: max(_width(label) + 2, FIXED_WIDTHS.get(key, 0)) for key, label in COLUMNS}
        self._lines: dict[tuple[object, ...], Strip] = {}
        self._drawn: dict[int, Signature] = {}  # row → what its line showed when last drawn
        self._availability: Mapping[str, float | None] = {}
        self._measured: list[ComponentView] = []  # rows whose widths were taken (held: see _measure)
        self._measured_ids: set[int] = set()
        self._most = 0  # the most rows shown at once (how many measured rows are worth holding)
        self._hidden: set[str] = {"target", "kind"}  # not drawn: Target with one target, Kind without kinds
        self._dropped: set[str] = set()  # columns given up for a narrow terminal (DROP_ORDER)
        self._name_cap: int | None = None  # the Name column's width when even the rest does not fit
        self._sort: tuple[str, bool] = ("status", False)  # the sort column and whether it is reversed

    # -- what is shown --------------------------------------------------------------------------------
    @property
    def row_count(self) -> int:
        return len(self._views)

    @property
    def cursor_row(self) -> int:
        return self._cursor

    @property
    def selected_view(self) -> ComponentView | None:
        if 0 <= self._cursor < len(self._views):
            return self._views[self._cursor]
        return None

    @property
    def selected_id(self) -> str | None:
        view = self.selected_view
        return view.id if view else None

    def row_id(self, row: int) -> str:
        return self._views[row].id

    def get_row_at(self, row: int) -> Row:
        """The cells of a row, as drawn (hidden columns left out)."""
        view = self._views[row]
        cells = row_cells(
            view, self._now or view.since, self._stale, self._availability.get(view.id), folded=self.folded
        )
        return tuple(
            cell for (key, _), cell in zip(COLUMNS, cells, strict=True) if key not in self._not_drawn
        )

    @property
    def folded(self) -> bool:
        """The flags are in the Status cell: their column was given up for a narrow terminal."""
        return "flags" in self._dropped

    @property
    def _not_drawn(self) -> set[str]:
        return self._hidden | self._dropped

    @property
    def shown_columns(self) -> list[str]:
        return [key for key, _ in COLUMNS if key not in self._not_drawn]

    def fit(self, width: int) -> None:
        """Give up columns (:data:`DROP_ORDER`) until the rest fit ``width`` cells; take them back when it grows."""
        dropped: set[str] = set()
        for key in (None, *DROP_ORDER):
            if key is not None:
                dropped.add(key)
            widths = dict(self._widths)
            if "flags" in dropped:
                widths["status"] = max(widths["status"], FOLDED_STATUS)
            need = sum(w + 2 * PADDING for k, w in widths.items() if k not in (self._hidden | dropped))
            if need <= width:
                break
        # still too wide with only Status, Name and For: names are cut (the details show them whole)
        cap = max(MIN_NAME, self._widths["name"] - (need - width)) if need > width and width > 0 else None
        if dropped != self._dropped or cap != self._name_cap:
            self._dropped, self._name_cap = dropped, cap
            self._lines.clear()
            self._drawn.clear()
            self.virtual_size = Size(self._total_width(), len(self._views) + 1)
            self.refresh()

    def on_resize(self, event: events.Resize) -> None:
        self.fit(event.size.width - 2)  # the vertical scrollbar

    def show(
        self,
        components: Sequence[ComponentView],
        now: datetime,
        *,
        stale: bool = False,
        availability: Mapping[str, float | None] | None = None,
        sort: tuple[str, bool] = ("status", False),
    ) -> int:
        """Show ``components`` (in the order given); returns how many rows differ from what was shown.

        Once the person has moved the cursor it stays on the same component across updates; until then it
        stays on the top (worst) row. New rows never scroll the worst rows out of view: while the table is
        scrolled to the top it stays there; only a person who scrolled away is followed.
        """
        if availability is not None and availability is not self._availability:
            self._availability = availability
            self._drawn.clear()
            self.refresh()
        if sort != self._sort:
            self._sort = sort
            self._lines.pop(("header", self.scrollable_content_region.width), None)
            self.refresh_line(0)
        selected = self.selected_id
        at_top = self.scroll_y == 0
        old = self._views
        same = len(old) == len(components) and all(a is b for a, b in zip(old, components, strict=True))
        changed = 0
        if not same:
            changed = abs(len(old) - len(components)) + sum(
                1 for a, b in zip(old, components, strict=False) if a is not b
            )
            self._views = list(components)
            self._index = None
            self._measure(components)
            self.virtual_size = Size(self._total_width(), len(self._views) + 1)
            if self._follow and selected is not None and selected in self._ids():
                self._cursor = self._ids()[selected]
            self._cursor = max(0, min(self._cursor, len(self._views) - 1))
            if self._follow and not at_top:
                self._scroll_to_cursor()
            elif at_top:
                self.scroll_to(y=0, animate=False, immediate=True)
        if stale != self._stale or now != self._now or not same:
            self._now, self._stale = now, stale
            self._refresh_changed(everything=not same)
        return changed

    def _ids(self) -> dict[str, int]:
        if self._index is None:
            self._index = {c.id: row for row, c in enumerate(self._views)}
        return self._index

    def _measure(self, components: Sequence[ComponentView]) -> None:
        """Widen the name and id columns to the widest shown so far (never narrower: filtering keeps the layout);
        show the target column once a row belongs to a named target. Rows measured before are not measured
        again (a filter key at 100,000 rows shows rows it has already seen): the views measured are held, so
        their ids cannot be reused, until they are many more than the most rows ever shown at once."""
        seen = self._measured_ids
        self._most = max(self._most, len(components))
        if len(self._measured) > 4 * max(self._most, 1000):
            self._measured, seen = [], set()
            self._measured_ids = seen
        components = [c for c in components if id(c) not in seen]
        if not components:
            return
        self._measured.extend(components)
        seen.update(id(c) for c in components)
        if "target" in self._hidden and any(c.target for c in components):
            self._hidden.discard("target")
            self._widths["target"] = min(
                MAX_WIDTHS["target"], max(self._widths["target"], *(_width(c.target) for c in components))
            )
            self._lines.clear()
        if "kind" in self._hidden and any(c.kind for c in components):
            self._hidden.discard("kind")
            self._lines.clear()
        widths = self._widths
        name = min(MAX_WIDTHS["name"], max((_width(shown_name(c)) for c in components), default=0))
        ident = min(MAX_WIDTHS["id"], max((_width(c.id) for c in components), default=0))
        if name > widths["name"] or ident > widths["id"]:
            widths["name"], widths["id"] = max(name, widths["name"]), max(ident, widths["id"])
            self._lines.clear()
            if self.size.width:
                self.fit(self.size.width - 2)

    def _width_of(self, key: str) -> int:
        if key == "status" and self.folded:
            return max(self._widths[key], FOLDED_STATUS)
        if key == "name" and self._name_cap is not None:
            return min(self._widths[key], self._name_cap)
        return self._widths[key]

    def _total_width(self) -> int:
        return sum(self._width_of(key) + 2 * PADDING for key in self.shown_columns if key != "cause") + (
            24 if "cause" in self.shown_columns else 0
        )

    def _refresh_changed(self, *, everything: bool) -> None:
        """Redraw the visible lines whose content changed (all of them when the rows changed)."""
        if everything:
            self._drawn.clear()
            self.refresh()
            return
        first = int(self.scroll_y)
        for row in range(first, min(len(self._views), first + self.size.height)):
            if self._drawn.get(row) != self._row_signature(row):
                self.refresh_line(row + 1)  # virtual line: the header is line 0

    def _row_signature(self, row: int) -> Signature:
        assert self._now is not None
        view = self._views[row]
        return (*signature(view, self._now, self._availability.get(view.id)), self._stale)

    # -- drawing --------------------------------------------------------------------------------------
    def redraw(self) -> None:
        """Draw every line again (the time zone changed: cached lines show the old one)."""
        self._lines.clear()
        self._drawn.clear()
        self.refresh()

    def notify_style_update(self) -> None:
        self._lines.clear()
        super().notify_style_update()

    def _on_focus(self, event: events.Focus) -> None:
        self._lines.clear()
        self.refresh()

    def _on_blur(self, event: events.Blur) -> None:
        self._lines.clear()
        self.refresh()

    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        width = self.scrollable_content_region.width
        base = self.rich_style
        if y == 0:
            strip = self._header()
        else:
            row = scroll_y + y - 1
            if row >= len(self._views) or self._now is None:
                return Strip.blank(width, base)
            strip = self._row(row)
        return strip.crop_extend(scroll_x, scroll_x + width, base)

    def _header(self) -> Strip:
        key = ("header", self.scrollable_content_region.width)
        if key not in self._lines:
            style = self.get_component_rich_style("components-table--header")
            column, reverse = self._sort
            mark = " ▼" if reverse else " ▲"
            cells = [
                Text(label + (mark if key_ == column and (key_ != "status" or reverse) else ""))
                for key_, label in COLUMNS
            ]
            self._lines[key] = self._line(cells, self.rich_style + style, None)
        return self._lines[key]

    def _row(self, row: int) -> Strip:
        sig = self._row_signature(row)
        self._drawn[row] = sig
        cursor = row == self._cursor
        even = row % 2 == 0
        key = (sig, cursor, even, self.scrollable_content_region.width)
        strip = self._lines.get(key)
        if strip is None:
            if len(self._lines) > CACHE_LINES:
                self._lines.clear()
            assert self._now is not None
            base = self.rich_style
            if not even:
                base += self.get_component_rich_style("components-table--even-row")
            post = self.get_component_rich_style("components-table--cursor") if cursor else None
            view = self._views[row]
            cells = row_cells(
                view, self._now, self._stale, self._availability.get(view.id), folded=self.folded
            )
            strip = self._lines[key] = self._line(list(cells), base, post)
        return strip

    def _line(self, cells: list[Text], base: Style, post: Style | None) -> Strip:
        """One line: each cell cut or padded to its column, the last column to the edge of the widget."""
        console = self.app.console
        segments: list[Segment] = []
        used = 0
        shown = self.shown_columns
        for (key, _), cell in zip(COLUMNS, cells, strict=True):
            if key not in shown:
                continue
            width = self._width_of(key)
            if key == shown[-1]:  # the last column drawn reaches the edge
                width = max(width, self.scrollable_content_region.width - used - 2 * PADDING)
            text = cell.copy()
            text.truncate(width, overflow="ellipsis", pad=True)
            text.pad(PADDING)
            segments.extend(text.render(console, end=""))
            used += width + 2 * PADDING
        segments = list(Segment.apply_style(segments, base, post))
        return Strip(segments, used)

    # -- the cursor -----------------------------------------------------------------------------------
    def move_cursor(self, *, row: int, scroll: bool = True) -> None:
        """Put the cursor on ``row`` (clamped), redraw the two lines, and bring it into view."""
        row = max(0, min(row, len(self._views) - 1))
        if row != self._cursor:
            self._follow = True
            previous, self._cursor = self._cursor, row
            for line in (previous, row):
                self.refresh_line(line + 1)
        if scroll:
            self._scroll_to_cursor()

    def _scroll_to_cursor(self) -> None:
        visible = max(1, self.scrollable_content_region.height - 1)
        top = int(self.scroll_y)
        if self._cursor < top:
            self.scroll_to(y=self._cursor, animate=False, immediate=True)
        elif self._cursor >= top + visible:
            self.scroll_to(y=self._cursor - visible + 1, animate=False, immediate=True)

    def action_cursor_up(self) -> None:
        self.move_cursor(row=self._cursor - 1)

    def action_cursor_down(self) -> None:
        self.move_cursor(row=self._cursor + 1)

    def action_page_up(self) -> None:
        self.move_cursor(row=self._cursor - max(1, self.scrollable_content_region.height - 1))

    def action_page_down(self) -> None:
        self.move_cursor(row=self._cursor + max(1, self.scrollable_content_region.height - 1))

    def action_first_row(self) -> None:
        self.move_cursor(row=0)

    def action_last_row(self) -> None:
        self.move_cursor(row=len(self._views) - 1)

    def action_select(self) -> None:
        if self.selected_id is not None:
            self.post_message(self.Selected(self.selected_id))

    def column_at(self, x: int) -> str | None:
        """The column under screen column ``x`` of the widget."""
        position = int(self.scroll_x) + x
        shown = self.shown_columns
        for key in shown:
            position -= self._width_of(key) + 2 * PADDING
            if position < 0:
                return key
        return shown[-1]

    def on_click(self, event: events.Click) -> None:
        if event.y < 1:
            column = self.column_at(event.x)
            if column is not None:
                self.post_message(self.HeaderClicked(column))
            return
        row = int(self.scroll_y) + event.y - 1
        if row >= len(self._views):
            return
        if row == self._cursor:
            self.action_select()
        else:
            self.move_cursor(row=row)
