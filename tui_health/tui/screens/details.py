"""Details of one component: its fields, its ``details`` map, its recent transitions."""

from __future__ import annotations

import json
from datetime import datetime

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.markup import escape
from textual.screen import ModalScreen
from textual.widgets import Static

from tui_health.models import AuditEvent
from tui_health.state import ComponentView
from tui_health.tui.format import clock_time, duration, short_datetime, status_text
from tui_health.tui.widgets.audit_pane import event_line


def details_renderable(c: ComponentView, events: list[AuditEvent], now: datetime) -> Table:
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold", no_wrap=True)
    grid.add_column()
    grid.add_row("Status", status_text(c.status))
    if c.observed is not c.status:
        grid.add_row("Latest poll", Text(f"{c.observed.value} (not confirmed yet)"))
    grid.add_row("Name", Text(c.name))
    grid.add_row("ID", Text(c.id))
    if c.group:
        grid.add_row("Group", Text(c.group))
    grid.add_row("Source", Text(c.source))
    grid.add_row(
        "In this status",
        Text(f"{duration((now - c.since).total_seconds())} (since {short_datetime(c.since)})"),
    )
    grid.add_row("Last modified", Text(short_datetime(c.last_modified)))
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
    history = [e for e in events if c.id in e.component_ids][-15:]
    if history:
        lines = Text("\n").join(event_line(e) for e in history)
    else:
        lines = Text("no transitions seen yet", style="dim")
    grid.add_row("Recent events", lines)
    grid.add_row("", Text(f"as of {clock_time(now)}", style="dim"))
    return grid


class DetailsScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,enter,q", "dismiss", "Close")]

    def __init__(self, component: ComponentView, events: list[AuditEvent], now: datetime) -> None:
        super().__init__()
        self.component = component
        self.events = events
        self.now = now

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="details-box") as box:
            box.border_title = escape(self.component.name)
            box.border_subtitle = "Esc closes"
            yield Static(details_renderable(self.component, self.events, self.now))

    async def action_dismiss(self, result: None = None) -> None:
        self.dismiss(result)
