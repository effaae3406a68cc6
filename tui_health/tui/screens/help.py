"""The help screen: every key, what it does."""

from __future__ import annotations

from rich.table import Table
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

KEYS = [
    ("1 / 2 / 3 / 4", "toggle healthy / degraded / down / maintenance+unknown in the status filter"),
    ("0", "clear the status filter (show all)"),
    ("f", "cycle presets: all → problems → down only"),
    ("/", "search name or id as you type; Enter keeps it, Escape clears it"),
    ("c", "critical components only (toggle)"),
    ("Enter", "details of the selected component"),
    ("s", "silence the selected component (asks for a duration, default 1h)"),
    ("S", "list silences and lift them"),
    ("i", "status page incidents and scheduled maintenance"),
    ("p", "pause / resume polling"),
    ("r", "poll now"),
    ("?", "this help"),
    ("Ctrl+P", "command palette: the same actions by name"),
    ("q", "quit"),
]


def help_table() -> Table:
    table = Table.grid(padding=(0, 3))
    table.add_column(style="bold cyan", no_wrap=True)
    table.add_column()
    for key, text in KEYS:
        table.add_row(key, text)
    return table


class HelpScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,q,question_mark", "dismiss", "Close")]

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help-box") as box:
            box.border_title = "Keys"
            box.border_subtitle = "Esc closes"
            yield Static(help_table())

    async def action_dismiss(self, result: None = None) -> None:
        self.dismiss(result)
