"""Every Textual message of the app, in one place."""

from __future__ import annotations

from textual.message import Message

from tui_health.model.state import MonitorState


class StateUpdated(Message):
    """The store published a new state. A flood of them collapses to the latest."""

    def __init__(self, state: MonitorState) -> None:
        super().__init__()
        self.state = state

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, StateUpdated)
