"""Open incidents and scheduled maintenances from the status page."""

from __future__ import annotations

from typing import Any

from rich.console import Group
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from tui_health.genesys.wire import parse_timestamp
from tui_health.tui.format import short_datetime


def stamp(value: Any) -> str:
    """A status page timestamp in local time, or as written when it does not parse."""
    parsed = parse_timestamp(value)
    return short_datetime(parsed) if parsed else str(value or "—")


def incidents_renderable(incidents: tuple[dict[str, Any], ...]) -> Group:
    if not incidents:
        return Group(Text("No open incidents or scheduled maintenances on the status page.", style="dim"))
    blocks: list[Text] = []
    for item in incidents:
        kind = item.get("kind", "incident")
        head = Text()
        head.append(
            "INCIDENT " if kind == "incident" else "MAINTENANCE ",
            style="bold red" if kind == "incident" else "bold cyan",
        )
        head.append(str(item.get("name", "")), style="bold")
        head.append(f"  [{item.get('status', '')}]")
        if item.get("impact"):
            head.append(f"  impact {item['impact']}", style="dim")
        blocks.append(head)
        if kind == "maintenance":
            when = f"scheduled {stamp(item.get('scheduled_for'))} → {stamp(item.get('scheduled_until'))}"
        else:
            when = f"started {stamp(item.get('started_at'))}, updated {stamp(item.get('updated_at'))}"
        blocks.append(Text(f"  {when}", style="dim"))
        if item.get("components"):
            blocks.append(Text("  affects: " + ", ".join(item["components"])))
        if item.get("shortlink"):
            blocks.append(Text(f"  {item['shortlink']}", style="underline"))
        blocks.append(Text(""))
    return Group(*blocks)


class IncidentsScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,q,i", "dismiss", "Close")]

    def __init__(self, incidents: tuple[dict[str, Any], ...]) -> None:
        super().__init__()
        self.incidents = incidents

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="incidents-box") as box:
            box.border_title = "Status page: incidents and maintenance"
            box.border_subtitle = "Esc closes"
            yield Static(incidents_renderable(self.incidents))

    async def action_dismiss(self, result: None = None) -> None:
        self.dismiss(result)
