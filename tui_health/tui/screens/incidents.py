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


def incidents_renderable(incidents: tuple[dict[str, Any], ...], page: dict[str, str] | None = None) -> Group:
    blocks: list[Text] = []
    if page:  # the page's own indicator speaks for every region; what follows is the region's
        blocks.append(
            Text(f"Status page (every region): {page.get('description', '')} [{page.get('indicator', '')}]")
        )
        blocks.append(Text(""))
    if not incidents:
        blocks.append(Text("No open incidents or scheduled maintenances for this region.", style="dim"))
        return Group(*blocks)
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
        latest = item.get("latest_update")
        if isinstance(latest, dict) and latest.get("body"):
            update = Text(f"  latest ({latest.get('status', '')}, {stamp(latest.get('at'))}): ", style="dim")
            update.append(str(latest["body"]), style="")
            blocks.append(update)
        if item.get("shortlink"):
            blocks.append(Text(f"  {item['shortlink']}", style="underline"))
        blocks.append(Text(""))
    return Group(*blocks)


class IncidentsScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,q,i", "dismiss", "Close")]

    def __init__(self, incidents: tuple[dict[str, Any], ...], page: dict[str, str] | None = None) -> None:
        super().__init__()
        self.incidents = incidents
        self.page = page

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="incidents-box") as box:
            box.border_title = "Status page: incidents and maintenance"
            box.border_subtitle = "Esc closes"
            yield Static(incidents_renderable(self.incidents, self.page))

    async def action_dismiss(self, result: None = None) -> None:
        self.dismiss(result)
