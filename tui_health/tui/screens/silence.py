"""Silencing: ask for a duration; list silences and lift them."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from tui_health.support.timespec import MAX_SILENCE, duration_text, parse_duration
from tui_health.tui.format import short_datetime


class SilenceScreen(ModalScreen[tuple[float, str] | None]):
    """Returns the silence's length in seconds and the reason typed after it, or None when cancelled."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, name: str) -> None:
        super().__init__()
        self.component_name = name

    def compose(self) -> ComposeResult:
        with Vertical(id="silence-box") as box:
            box.border_title = "Silence"
            yield Static(
                Text(
                    f"Silence {self.component_name} for how long, and why? "
                    "(e.g. 1h, or 2h carrier maintenance on trunk 3)"
                )
            )
            yield Input(value="1h", id="silence-duration")
            yield Static("", id="silence-error")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        first, _, reason = event.value.strip().partition(" ")
        seconds = parse_duration(first)
        if seconds is None or seconds > MAX_SILENCE:
            why = "longer than 30 days" if seconds else "not a duration"
            self.query_one("#silence-error", Static).update(
                Text(
                    f"{why}: {first!r} (a silence lasts 30 days at most; the reason goes after it)",
                    style="red",
                )
            )
            return
        self.dismiss((seconds, reason.strip()))

    def action_cancel(self) -> None:
        self.dismiss(None)


class SilencesScreen(ModalScreen[str | None]):
    """Lists silences — what, until when (in the console's one zone), who silenced it and why; Enter lifts the
    highlighted one (returns its id)."""

    BINDINGS = [Binding("escape", "cancel", "Close")]

    def __init__(
        self,
        silences: dict[str, tuple[str, datetime]],
        now: datetime,
        notes: Mapping[str, str] | None = None,
    ) -> None:
        """``notes``: component id → who silenced it and why (``by alice: carrier work``), as the state has them."""
        super().__init__()
        self.silences = silences
        self.now = now
        self.notes = notes or {}

    def compose(self) -> ComposeResult:
        with Vertical(id="silences-box") as box:
            box.border_title = "Silences"
            box.border_subtitle = "Enter lifts · Esc closes"
            if not self.silences:
                yield Static(Text("Nothing is silenced.", style="dim"))
            options = [
                Option(self.entry(cid, name, until), id=cid)
                for cid, (name, until) in sorted(self.silences.items(), key=lambda kv: kv[1][1])
            ]
            yield OptionList(*options, id="silences-list")

    def entry(self, cid: str, name: str, until: datetime) -> Text:
        """``Chat (chat)`` over ``until 2026-03-02 12:00 CET (2h left) · by alice: carrier work``."""
        left = max(0.0, (until - self.now).total_seconds())
        text = Text(f"{name} ({cid})\n", style="bold")
        text.append(
            f"  until {short_datetime(until)} ({duration_text(round(left / 60) * 60 if left >= 60 else left)} left)",
            style="",
        )
        note = self.notes.get(cid)
        text.append(f" · {note}" if note else " · who and why were not kept", style="" if note else "dim")
        return text

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def action_cancel(self) -> None:
        self.dismiss(None)
