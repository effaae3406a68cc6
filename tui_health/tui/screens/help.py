"""The help screen: the keys of the screen it was opened from (the console's, or the audit viewer's)."""

from __future__ import annotations

from collections.abc import Sequence

from rich.table import Table
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from tui_health.tui.actions import help_rows


def help_table(rows: Sequence[tuple[str, str]] | None = None) -> Table:
    table = Table.grid(padding=(0, 3))
    table.add_column(style="bold cyan", no_wrap=True)
    table.add_column()
    for key, text in help_rows() if rows is None else rows:
        table.add_row(key, text)
    return table


class HelpScreen(ModalScreen[None]):
    BINDINGS = [
        Binding("escape,q,question_mark", "dismiss", "Close"),
        Binding("pageup", "page(-1)", "Page up", show=False),
        Binding("pagedown,space", "page(1)", "Page down", show=False),
        Binding("up,k", "line(-1)", "Up", show=False),
        Binding("down,j", "line(1)", "Down", show=False),
    ]

    def __init__(self, rows: Sequence[tuple[str, str]] | None = None, title: str = "Keys") -> None:
        """``rows``: (keys, what they do); the console's keys when not given."""
        super().__init__()
        self.rows = rows
        self.title_text = title

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help-box") as box:
            box.border_title = self.title_text
            box.border_subtitle = "PgUp/PgDn scroll · Esc closes"
            yield Static(help_table(self.rows))

    def action_page(self, direction: int) -> None:
        box = self.query_one("#help-box", VerticalScroll)
        box.scroll_page_down(animate=False) if direction > 0 else box.scroll_page_up(animate=False)

    def action_line(self, direction: int) -> None:
        box = self.query_one("#help-box", VerticalScroll)
        box.scroll_relative(y=direction, animate=False)

    async def action_dismiss(self, result: None = None) -> None:
        self.dismiss(result)
