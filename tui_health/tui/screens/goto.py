"""Replay's ``g``: ask for a moment (an ISO time, or a duration back from the moment shown)."""

from __future__ import annotations

from datetime import UTC, datetime

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Static


class GotoScreen(ModalScreen[str | None]):
    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, shown: datetime) -> None:
        super().__init__()
        self.shown = shown

    def compose(self) -> ComposeResult:
        with Vertical(id="goto-box") as box:
            box.border_title = "Go to a moment"
            yield Static(
                f"Showing {self.shown.astimezone(UTC):%Y-%m-%d %H:%M:%S} UTC. Type a time "
                "(2026-11-02 08:00, UTC unless it says) or how far back (90m, 3h, 2d)."
            )
            yield Input(placeholder="2026-11-02 08:00", id="goto-input")

    def on_mount(self) -> None:
        self.query_one(Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.dismiss(event.value.strip() or None)

    def action_cancel(self) -> None:
        self.dismiss(None)
