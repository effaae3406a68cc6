"""The header: where, how bad, how fresh. Stale data is never mistaken for fresh."""

from __future__ import annotations

from datetime import datetime

from rich.text import Text
from textual.widgets import Static

from tui_health.models import Status
from tui_health.store import MonitorState
from tui_health.tui.format import STATUS_LOOK, clock_time, duration

CONNECTION = {
    "ok": ("● connected", "green"),
    "starting": ("○ connecting…", "dim"),
    "retrying": ("↻ retrying", "yellow"),
    "rate_limited": ("⏳ rate-limited", "yellow"),
    "auth_failed": ("✖ auth failed", "bold red"),
    "error": ("✖ poll failed", "bold red"),
}


def header_text(state: MonitorState, now: datetime) -> Text:
    text = Text(no_wrap=True, overflow="ellipsis")
    overall = state.overall
    label, style = STATUS_LOOK[overall]
    if state.components:
        text.append(f" {label} ", style=style)
    else:
        text.append(" NO DATA ", style="reverse")
    if state.breached:
        text.append(" ⚠ BREACHED ", style="bold white on red")
    text.append(f"  {state.region or 'Genesys Cloud'}", style="bold")
    counts = state.counts()
    parts = [
        f"{counts[s]} {s.value}"
        for s in (Status.DOWN, Status.DEGRADED, Status.UNKNOWN, Status.MAINTENANCE, Status.HEALTHY)
        if counts[s]
    ]
    text.append("   " + " · ".join(parts))
    if state.breached:
        text.append("   " + "; ".join(state.reasons), style="red")
    text.append("\n")
    if state.last_poll_at:
        age = (now - state.last_poll_at).total_seconds()
        text.append(f" polled {clock_time(state.last_poll_at)} ({duration(age)} ago)")
    else:
        text.append(" not polled yet")
    if state.paused:
        text.append("   ⏸ PAUSED (p resumes)", style="bold yellow")
    elif state.next_poll_at:
        left = (state.next_poll_at - now).total_seconds()
        text.append(f"   next in {duration(left)}" if left > 0 else "   polling…")
    label, style = CONNECTION.get(state.connection.kind, ("?", ""))
    text.append("   ")
    text.append(label, style=style)
    if state.connection.kind not in ("ok", "starting") and state.connection.message:
        text.append(f": {state.connection.message}", style=style)
    if state.last_ok_at:
        data_age = (now - state.last_ok_at).total_seconds()
        if data_age > 2 * state.interval:
            text.append(f"   DATA {duration(data_age)} OLD (stale)", style="bold reverse yellow")
    elif state.last_poll_at:
        text.append("   NO VALID DATA", style="bold reverse red")
    incidents = sum(1 for i in state.incidents if i.get("kind") == "incident")
    maintenance = len(state.incidents) - incidents
    if incidents or maintenance:
        text.append(
            f"   ⚑ {incidents} incident(s), {maintenance} maintenance (i)",
            style="bold yellow" if incidents else "cyan",
        )
    if state.outbox_pending:
        text.append(f"   {state.outbox_pending} alert(s) pending", style="yellow")
    return text


class StatusHeader(Static):
    def __init__(self) -> None:
        super().__init__(id="status-header")
        self.state: MonitorState | None = None

    def show(self, state: MonitorState, now: datetime) -> None:
        self.state = state
        self.update(header_text(state, now))
