"""Replay: the same console on the recorded history. ``[`` / ``]`` step one poll, ``{`` / ``}`` jump to the
previous / next transition, ``space`` plays at x60 (a poll 15 s apart every quarter second), ``:`` asks for a
time. Every view shows the moment: the table, filters and sort, details (with the timeline as of then),
sparklines and the audit pane. Nothing is polled, silenced or sent."""

from __future__ import annotations

from datetime import UTC

from textual.binding import Binding
from textual.timer import Timer

from tui_health.history.replay import ReplayMonitor
from tui_health.support.timespec import parse_moment
from tui_health.tui.app import HealthApp
from tui_health.tui.screens.goto import GotoScreen
from tui_health.tui.widgets.audit_pane import AuditPane

SPEED = 60.0
"""Replay speed: recorded seconds per real second while playing (x60)."""
LIVE_ONLY = ("silence", "silences", "pause", "poll_now", "requeue")


class ReplayApp(HealthApp):
    BINDINGS = [
        *HealthApp.BINDINGS,
        Binding("left_square_bracket", "step(-1)", "Back", key_display="["),
        Binding("right_square_bracket", "step(1)", "Forward", key_display="]"),
        Binding("left_curly_bracket", "jump(-1)", "Prev change", key_display="{"),
        Binding("right_curly_bracket", "jump(1)", "Next change", key_display="}"),
        Binding("space", "play", "Play x60", key_display="space"),
        Binding("colon", "goto", "Go to time", key_display=":"),
    ]

    def __init__(self, monitor: ReplayMonitor, *, speed: float = SPEED) -> None:
        super().__init__(monitor, autopoll=False, tick=0)
        self.replay = monitor
        self.speed = speed
        self._player: Timer | None = None

    async def on_mount(self) -> None:
        await super().on_mount()
        self.title = "tui-health replay"

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in LIVE_ONLY:
            return False  # nothing in the past can be silenced, paused, polled or requeued
        return super().check_action(action, parameters)

    def _moved(self) -> None:
        """The moment changed: the audit pane starts over from the events up to it, their days judged from it
        (the state's message that sets it comes later)."""
        pane = self.query_one(AuditPane)
        pane.now = self.now()
        pane.reset(self.replay.store.state.events[-60:])

    def action_step(self, polls: int) -> None:
        if self.replay.step(polls):
            self._moved()
        else:
            self.notify("the first recorded poll" if polls < 0 else "the last recorded poll", timeout=2)

    def action_jump(self, direction: int) -> None:
        if self.replay.jump(direction):
            self._moved()
        else:
            self.notify("no earlier transition" if direction < 0 else "no later transition", timeout=2)

    @property
    def playing(self) -> bool:
        return self._player is not None

    def action_play(self) -> None:
        if self._player is not None:
            self._player.stop()
            self._player = None
            self.notify("replay paused", timeout=2)
            return
        self.notify(f"playing at x{self.speed:g}", timeout=2)
        self._schedule()

    def _schedule(self) -> None:
        """The next poll after its recorded gap divided by the speed (a long gap nobody watched: 2 s at most)."""
        times, index = self.replay.replay.times, self.replay.index
        if index + 1 >= len(times):
            self._player = None
            self.notify("the last recorded poll", timeout=2)
            return
        gap = (times[index + 1] - times[index]) / self.speed
        self._player = self.set_timer(min(2.0, max(0.05, gap)), self._advance)

    def _advance(self) -> None:
        if self._player is None:
            return
        self.replay.step(1)
        self._moved()
        self._schedule()

    def action_goto(self) -> None:
        def done(text: str | None) -> None:
            if not text:
                return
            moment = parse_moment(text, self.now())
            if moment is None:
                self.notify(
                    f"{text!r} is not a time (try 2026-11-02 08:00, or 3h for three hours back)", timeout=4
                )
                return
            if self.replay.go_to(moment.astimezone(UTC)):
                self._moved()

        self.push_screen(GotoScreen(self.now()), done)
