"""Details of one component: its fields, its ``details`` map, its recent transitions."""

from __future__ import annotations

import json
from datetime import datetime

from rich.console import Console, ConsoleOptions, RenderResult
from rich.measure import Measurement
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.markup import escape
from textual.screen import ModalScreen
from textual.widgets import Static

from tui_health.history.timeline import coarser
from tui_health.model.component_history import ComponentTimeline
from tui_health.model.domain import AuditEvent
from tui_health.model.state import ComponentView
from tui_health.support import zone
from tui_health.tui.format import avail_text, clock_time, duration, short_datetime, status_text
from tui_health.tui.widgets.audit_pane import event_line

STRIP_STYLE = {
    "healthy": "green",
    "degraded": "dark_orange",
    "down": "bold red",
    "maintenance": "cyan",
    "unknown": "magenta",
}


def strip_text(cells: tuple[str | None, ...]) -> Text:
    """One character per slot: a coloured block for the worst status seen, a dot where nobody was watching."""
    text = Text()
    for status in cells:
        if status is None:
            text.append("·", style="dim")
        else:
            text.append("█" if status != "healthy" else "▆", style=STRIP_STYLE.get(status, "magenta"))
    return text


class StripView:
    """A status strip over its axis (``24 h ago … now``), drawn at the width it is given: when that is narrower
    than the strip, coarser (each cell the worst of several), so it always ends at now and is never cut."""

    def __init__(self, cells: tuple[str | None, ...], ago: str) -> None:
        self.cells = cells
        self.ago = ago

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        return Measurement(min(len(self.cells), len(self.ago) + 4), len(self.cells))

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        cells = coarser(self.cells, options.max_width)
        width = len(cells)
        yield strip_text(cells)
        yield Text(
            self.ago.ljust(width - 3) + "now" if width >= len(self.ago) + 4 else "now".rjust(width),
            style="dim",
        )


def _when(ts: float) -> str:
    return short_datetime(datetime.fromtimestamp(ts).astimezone(), named=False)


def timeline_rows(grid: Table, timeline: ComponentTimeline) -> None:
    """The status strips, the transitions with how long each status held, the alerts and their outcome."""
    grid.add_row(
        "Last 24 h", StripView(timeline.day, "24 h ago")
    )  # its figure: the Avail 24h row (the table's)
    grid.add_row("Last 7 days", StripView(timeline.week, "7 d ago"))
    grid.add_row("", Text.assemble(avail_text(timeline.availability_week), " available over the 7 days"))
    legend = Text.assemble(
        *[(f"█ {name}  ", style) for name, style in STRIP_STYLE.items()], ("·", "dim"), " not watched"
    )
    grid.add_row("", legend)
    grid.add_row("", "")
    stays = [s for s in timeline.stays if s.previous is not None or s.status != "healthy"]
    if stays:  # first seen healthy is where the record starts, not a transition
        lines = []
        for stay in stays[:20]:
            line = Text(f"{_when(stay.at)}  ")
            line.append(f"{stay.previous or 'first seen'} → ", style="dim")
            line.append(stay.status, style=STRIP_STYLE.get(stay.status, ""))
            line.append(f"  for {duration(stay.seconds)}")
            if stay.caused_by:
                line.append(f"  caused by {', '.join(stay.caused_by)}", style="italic")
            if stay.flapping:
                line.append("  flapping", style="bold")
            lines.append(line)
        grid.add_row(f"Transitions ({zone.label()})", Text("\n").join(lines))
    else:
        grid.add_row("Transitions", Text("none recorded in the last 7 days", style="dim"))
    if timeline.alerts:
        lines = []
        for alert in timeline.alerts[:15]:
            style = {"delivered": "green", "failed": "bold red", "retrying": "yellow"}.get(
                alert.outcome, "dim"
            )
            line = Text(f"{_when(alert.at)}  {alert.sink}  ")
            line.append(alert.outcome, style=style)
            line.append(f" ({len(alert.deliveries)} attempt(s))  ", style="dim")
            line.append(alert.summary)
            lines.append(line)
        grid.add_row(f"Alerts sent ({zone.label()})", Text("\n").join(lines))
    else:
        grid.add_row("Alerts sent", Text("none in the last 7 days", style="dim"))
    grid.add_row("", "")


def details_renderable(
    c: ComponentView,
    events: list[AuditEvent],
    now: datetime,
    timeline: ComponentTimeline | None = None,
    availability: float | None = None,
) -> Table:
    """``availability``: the component's Avail 24h as the table shows it (the state's figure)."""
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold", no_wrap=True)
    grid.add_column()
    grid.add_row("Status", status_text(c.status))
    if c.observed is not c.status and c.pending_since is None:
        grid.add_row("Latest poll", Text(f"{c.observed.value} (not confirmed yet)"))
    grid.add_row("Name", Text(c.name))
    grid.add_row("ID", Text(c.id))
    if c.group:
        grid.add_row("Group", Text(c.group))
    grid.add_row("Source", Text(c.source))
    grid.add_row("In this status", Text(duration((now - c.since).total_seconds())))
    grid.add_row(
        "Avail 24h",
        Text.assemble(
            avail_text(availability),
            ("  (as in the table)", "dim") if availability is not None else ("  (no history of it)", "dim"),
        ),
    )
    grid.add_row("Source time", Text(f"{short_datetime(c.last_modified)}  (the source's lastModified)"))
    grid.add_row("First observed", Text(f"{short_datetime(c.since)}  (the first poll that saw it)"))
    confirmed = (
        f"{short_datetime(c.confirmed_at)}  (after the flap interval; alerts go from here)"
        if c.confirmed_at
        else "when first seen: taken as it was (the baseline, no flap interval)"
    )
    grid.add_row("Confirmed", Text(confirmed))
    if c.pending_since is not None and c.observed is not c.status:
        grid.add_row(
            "Pending",
            Text(
                f"→ {c.observed.value}, first observed {short_datetime(c.pending_since)}", style="bold yellow"
            ),
        )
    if c.raw_status:
        grid.add_row("API said", Text(c.raw_status))
    marks = [m for m, on in (("critical", c.critical), ("flapping", c.flapping)) if on]
    if c.silenced_until:
        marks.append(f"silenced until {short_datetime(c.silenced_until)}")
    grid.add_row("Flags", Text(", ".join(marks) or "—"))
    if c.caused_by:
        grid.add_row("Caused by", Text(", ".join(c.caused_by)))
    grid.add_row("", "")
    if c.details:
        pairs = [Text(f"{key}: {json.dumps(value, ensure_ascii=False)}") for key, value in c.details.items()]
        grid.add_row("Details", Text("\n").join(pairs))
    else:
        grid.add_row("Details", Text("—"))
    grid.add_row("", "")
    if timeline is not None:
        timeline_rows(grid, timeline)
    history = [e for e in events if c.id in e.component_ids][-15:]
    if history:
        lines = Text("\n").join(event_line(e, now) for e in history)
    else:
        lines = Text("no transitions seen yet", style="dim")
    grid.add_row("Recent events", lines)
    grid.add_row("", Text(f"as of {clock_time(now, named=True)}", style="dim"))
    return grid


class DetailsScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,enter,q", "dismiss", "Close")]

    def __init__(
        self,
        component: ComponentView,
        events: list[AuditEvent],
        now: datetime,
        timeline: ComponentTimeline | None = None,
        availability: float | None = None,
    ) -> None:
        super().__init__()
        self.component = component
        self.events = events
        self.now = now
        self.timeline = timeline
        self.availability = availability

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="details-box") as box:
            box.border_title = escape(self.component.name)
            box.border_subtitle = "Esc closes"
            yield Static(
                details_renderable(self.component, self.events, self.now, self.timeline, self.availability)
            )

    async def action_dismiss(self, result: None = None) -> None:
        self.dismiss(result)
