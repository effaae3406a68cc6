"""The org's Operational Events (the ``operational-events`` source), newest first."""

from __future__ import annotations

from typing import Any

from rich.console import Group
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from tui_health.tui.screens.incidents import stamp


def org_events_renderable(events: list[dict[str, Any]]) -> Group:
    if not events:
        return Group(Text("No operational events of your org in the time looked at.", style="dim"))
    lines: list[Text] = []
    for event in reversed(events):  # newest first
        line = Text()
        line.append(f"{stamp(event.get('at'))}  ", style="dim")
        line.append(f"{event.get('definition', '')} ", style="bold yellow")
        line.append(str(event.get("name", "")), style="bold")
        what = event.get("entity") or event.get("entity_id")
        if what:
            line.append(f"  {what}")
        if event.get("previous") or event.get("current"):
            line.append(f"  {event.get('previous') or '—'} → {event.get('current') or '—'}")
        if event.get("error_code"):
            line.append(f"  [{event['error_code']}]", style="red")
        if event.get("conversation"):
            line.append(f"  conversation {event['conversation']}", style="dim")
        lines.append(line)
    return Group(*lines)


class OrgEventsScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,q,o", "dismiss", "Close")]

    def __init__(self, events: list[dict[str, Any]]) -> None:
        super().__init__()
        self.events = events

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="org-events-box") as box:
            box.border_title = "Operational events of your org"
            box.border_subtitle = "Esc closes"
            yield Static(org_events_renderable(self.events))

    async def action_dismiss(self, result: None = None) -> None:
        self.dismiss(result)
