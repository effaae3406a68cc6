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

from tui_health.state import ComponentView
from tui_health.tui.format import duration, short_datetime, status_text

COLUMNS = [
    ("status", "Status"),
    ("target", "Target"),  # shown only when the rows come from several targets
    ("name", "Name"),
    ("id", "ID"),
    ("since", "For"),
    ("avail", "Avail 24h"),
    ("modified", "Last modified"),
    ("flags", "Flags"),
    ("cause", "Caused by"),
]
FIXED_WIDTHS = {"status": 10, "since": 6, "avail": 9, "modified": 16, "flags": 14}
"""Columns whose content has a known width, or comes and goes ("→healthy?" must fit when it appears)."""
MAX_WIDTHS = {"name": 48, "id": 40, "target": 24}
"""Names and ids wider than this are cut with an ellipsis (the details screen shows them whole)."""
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


def shown_name(c: ComponentView) -> str:
    return c.name if not c.group else f"{c.name} · {c.group}"


def avail_text(avail: float | None) -> Text:
    """``99.98%`` (two decimals hide nothing that matters in 24 h: 0.01 % is ~9 s), ``—`` without history."""
    if avail is None:
        return Text("—", style="dim")
    style = "green" if avail >= 99.9 else ("yellow" if avail >= 99.0 else "bold red")
    return Text("100%" if avail >= 100 else f"{avail:.2f}%", style=style)


def row_cells(c: ComponentView, now: datetime, stale: bool = False, avail: float | None = None) -> Row:
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
    cells = (
        status_text(c.status),
        Text(c.target, style="bold"),
        Text(shown_name(c)),
        Text(c.id, style="dim"),
        Text(table_duration((now - c.since).total_seconds())),
        avail_text(avail),
        Text(short_datetime(c.last_modified)),
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
        Binding("up", "cursor_up", "Up", show=False),
        Binding("down", "cursor_down", "Down", show=False),
        Binding("pageup", "page_up", "Page up", show=False),
        Binding("pagedown", "page_down", "Page down", show=False),
        Binding("home", "first_row", "First row", show=False),
        Binding("end", "last_row", "Last row", show=False),
        Binding("enter", "select", "Details", show=False),
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
        self._hidden: set[str] = {"target"}  # columns not drawn (the target column with a single target)
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
        cells = row_cells(view, self._now or view.since, self._stale, self._availability.get(view.id))
        return tuple(cell for (key, _), cell in zip(COLUMNS, cells, strict=True) if key not in self._hidden)

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
        show the target column once a row belongs to a named target."""
        if "target" in self._hidden and any(c.target for c in components):
            self._hidden.discard("target")
            self._widths["target"] = min(
                MAX_WIDTHS["target"], max(self._widths["target"], *(_width(c.target) for c in components))
            )
            self._lines.clear()
        widths = self._widths
        name = min(MAX_WIDTHS["name"], max((_width(shown_name(c)) for c in components), default=0))
        ident = min(MAX_WIDTHS["id"], max((_width(c.id) for c in components), default=0))
        if name > widths["name"] or ident > widths["id"]:
            widths["name"], widths["id"] = max(name, widths["name"]), max(ident, widths["id"])
            self._lines.clear()

    def _total_width(self) -> int:
        return (
            sum(w + 2 * PADDING for key, w in self._widths.items() if key not in ("cause", *self._hidden))
            + 24
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
            strip = self._lines[key] = self._line(
                list(row_cells(view, self._now, self._stale, self._availability.get(view.id))), base, post
            )
        return strip

    def _line(self, cells: list[Text], base: Style, post: Style | None) -> Strip:
        """One line: each cell cut or padded to its column, the last column to the edge of the widget."""
        console = self.app.console
        segments: list[Segment] = []
        used = 0
        last = len(COLUMNS) - 1
        for index, ((key, _), cell) in enumerate(zip(COLUMNS, cells, strict=True)):
            if key in self._hidden:
                continue
            width = self._widths[key]
            if index == last:
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
        for key, _ in COLUMNS:
            if key in self._hidden:
                continue
            position -= self._widths[key] + 2 * PADDING
            if position < 0:
                return key
        return COLUMNS[-1][0]

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
