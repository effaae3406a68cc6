"""The header: where, how bad, how fresh. Stale data is never mistaken for fresh."""

from __future__ import annotations

from datetime import datetime

from rich.text import Text
from textual.widgets import Static

from tui_health.model.domain import LOW_HEADROOM, Status
from tui_health.model.state import MonitorState
from tui_health.support.redact import redact_url
from tui_health.tui.format import STATUS_LOOK, clock_time, duration, short_datetime

CONNECTION = {
    "ok": ("● connected", "green"),
    "waiting": ("◐ partly answered", "yellow"),  # some sources answered, others still busy (shown already)
    "starting": ("○ connecting…", "dim"),
    "retrying": ("↻ retrying", "yellow"),
    "rate_limited": ("⏳ rate-limited", "yellow"),
    "rate_budget": ("⏳ request budget used up", "yellow"),
    "auth_failed": ("✖ auth failed", "bold red"),
    "empty": ("✖ nothing matched", "bold red"),
    "error": ("✖ poll failed", "bold red"),
    "collector_lost": ("✖ collector lost", "bold red"),  # an attached console: nothing polls here to fail
}
COLLECTOR_WIDTH = 40
"""An attached console's collector URL is cut to this many characters in the header."""
ERROR_WIDTH = 64
"""Error text in the header is cut to this many characters: it never pushes the rest off an 80-column line
(the audit pane and the details have it in full)."""


def stale_for(state: MonitorState, now: datetime) -> float | None:
    """Seconds the data has been stale (older than two intervals), or ``None`` while it is fresh.

    With no good answer at all, the data is stale once two intervals have passed since the first poll.
    """
    if state.paused:
        return None
    since = state.last_ok_at or state.first_poll_at
    if since is None:
        return None
    age = (now - since).total_seconds()
    return age if age > 2 * state.interval else None


NARROW = 110
"""Below this many columns the header says the same in fewer words: counts and incidents first, the target
after them (it is the part that may be cut)."""
SHORT_NAMES = {
    Status.DOWN: "down",
    Status.DEGRADED: "degr",
    Status.UNKNOWN: "unkn",
    Status.MAINTENANCE: "maint",
    Status.HEALTHY: "ok",
}


def incidents_text(state: MonitorState, *, narrow: bool = False) -> Text | None:
    incidents = sum(1 for i in state.incidents if i.get("kind") == "incident")
    maintenance = len(state.incidents) - incidents
    if not (incidents or maintenance):
        return None
    words = (
        f"⚑{incidents} inc {maintenance} maint (i)"
        if narrow
        else f"⚑ {incidents} incident(s), {maintenance} maintenance (i)"
    )
    return Text(words, style="bold yellow" if incidents else "cyan")


def header_text(state: MonitorState, now: datetime, width: int = 200, collector: str | None = None) -> Text:
    """Two lines: how bad (status, breach, counts, pending changes, incidents) and how fresh (poll, connection,
    API headroom, alerts). ``width``: the terminal's; below :data:`NARROW` the words are shorter. ``collector``:
    the collector an attached console shows (first on the second line, redacted: it is not this console's own
    monitor)."""
    narrow = width < NARROW
    text = Text(no_wrap=True, overflow="ellipsis")
    if state.replay:  # first of all: a recorded moment must never pass for now
        moment = short_datetime(state.last_poll_at, seconds=True)
        label = state.replay.replace("REPLAY", f"REPLAY {moment}", 1)
        text.append(f" {label} ", style="bold white on blue")
        text.append(" ")
    stale = stale_for(state, now)
    if stale is not None:  # first, before anything else: stale data must never pass for live data
        text.append(f" STALE {duration(stale)} ", style="bold black on yellow")
        text.append(" ")
    overall = state.overall
    label, style = STATUS_LOOK[overall]
    if state.components:
        text.append(f" {label} ", style=style)
    else:
        text.append(" NO DATA ", style="reverse")
    if state.breached:
        text.append(" ⚠ BREACHED " if not narrow else " ⚠ BREACH ", style="bold white on red")
    if not narrow:
        text.append(f"  {state.region or 'Genesys Cloud'}", style="bold")
    counts = state.counts()
    parts = [
        f"{counts[s]} {SHORT_NAMES[s] if narrow else s.value}"
        for s in (Status.DOWN, Status.DEGRADED, Status.UNKNOWN, Status.MAINTENANCE, Status.HEALTHY)
        if counts[s]
    ]
    text.append(("  " if narrow else "   ") + (" · " if not narrow else " ").join(parts))
    pending = state.pending()
    if pending:
        text.append(f"  →{pending} pending" if narrow else f"   → {pending} pending", style="bold yellow")
    incidents = incidents_text(state, narrow=narrow)
    if narrow:
        if incidents is not None:
            text.append("  ")
            text.append_text(incidents)
        text.append(f"  {state.region or 'Genesys Cloud'}", style="bold")
    if state.breached and not narrow:
        text.append("   " + "; ".join(state.reasons), style="red")
    text.append("\n")
    gap = "   "
    if collector:  # first: this console shows a collector's state, it is not the monitor itself
        text.append(f" ⇄ {shorten(redact_url(collector), COLLECTOR_WIDTH)}", style="bold cyan")
        text.append("  attached:" if not narrow else " ", style="cyan")
        if narrow:
            gap = "  "  # the same in fewer cells, so the connection stays on an 80-column line
    if state.last_poll_at:
        age = (now - state.last_poll_at).total_seconds()
        ago = f"{duration(age)} ago"
        text.append(f" polled {clock_time(state.last_poll_at, named=True)} ({ago})")
    else:
        text.append(" not polled yet")
    if state.paused:
        text.append(f"{gap}⏸ PAUSED (p resumes)", style="bold yellow")
    elif state.next_poll_at:
        left = (state.next_poll_at - now).total_seconds()
        next_in = "next" if collector and narrow else "next in"
        text.append(f"{gap}{next_in} {duration(left)}" if left > 0 else f"{gap}polling…")
    label, style = CONNECTION.get(state.connection.kind, ("?", ""))
    text.append(gap)
    text.append(label, style=style)
    if state.connection.until and state.connection.until > now:
        text.append(f" until {clock_time(state.connection.until)}", style=style)
    if state.connection.kind not in ("ok", "starting") and state.connection.message:
        text.append(f": {shorten(state.connection.message)}", style=style)
    tightest = api_headroom(state)
    if tightest is not None:
        headroom, bucket = tightest
        low = headroom < LOW_HEADROOM
        where = f" ({bucket.removeprefix('/api/v2/')})" if bucket else ""
        text.append(f"   API {headroom:.0%} left{where}", style="bold yellow" if low else "dim")
    if state.budget and state.budget.waited_s > 0:
        text.append(
            f"   ⏳ request budget full ({state.budget.limit}/min): the last poll waited "
            f"{duration(state.budget.waited_s)}",
            style="yellow",
        )
    if state.storage_problem:
        text.append(f"   ⚠ {shorten(state.storage_problem)}", style="bold reverse red")
    if state.last_poll_at and not state.last_ok_at:
        text.append("   NO VALID DATA", style="bold reverse red")
    if incidents is not None and not narrow:
        text.append("   ")
        text.append_text(incidents)
    if state.outbox_pending:
        text.append(f"   {state.outbox_pending} alert(s) pending", style="yellow")
    if state.outbox_failed:
        text.append(f"   {state.outbox_failed} alert(s) refused (A requeues)", style="bold red")
    if state.alerts_held:
        text.append(
            f"   {state.alerts_held} alert(s) held in memory: the outbox cannot take them", style="bold red"
        )
    return text


MAX_TARGET_LINES = 8
"""Targets listed one per line in the header; more are summed up in one last line."""


def target_lines(states: list[MonitorState], now: datetime) -> Text:
    """One line per target: its worst status and counts, its connection, how fresh its data is."""
    text = Text(no_wrap=True, overflow="ellipsis")
    width = max(len(s.region) for s in states)
    shown = states if len(states) <= MAX_TARGET_LINES else states[: MAX_TARGET_LINES - 1]
    for state in shown:
        text.append("\n")
        text.append(f" {state.region:<{width}} ", style="bold")
        stale = stale_for(state, now)
        if stale is not None:
            text.append(f" STALE {duration(stale)} ", style="bold black on yellow")
        label, style = STATUS_LOOK[state.overall] if state.components else ("NO DATA", "reverse")
        text.append(f" {label} ", style=style)
        counts = state.counts()
        problems = [
            f"{counts[s]} {s.value}" for s in (Status.DOWN, Status.DEGRADED, Status.UNKNOWN) if counts[s]
        ]
        if problems:
            text.append(f"  {' · '.join(problems)}")
        elif state.components:
            text.append(f"  all {len(state.components)} fine")
        else:  # never "all 0 fine": nothing answered, nothing is known to be fine
            text.append("  no answer yet" if state.last_ok_at is None else "  no components", style="bold")
        if state.breached:
            text.append("  ⚠ breached", style="bold red")
        label, style = CONNECTION.get(state.connection.kind, ("?", ""))
        text.append("   ")
        text.append(label, style=style)
        if state.last_poll_at:
            text.append(f"   polled {clock_time(state.last_poll_at)}", style="dim")
    if len(states) > len(shown):
        rest = states[len(shown) :]
        bad = sum(1 for s in rest if s.overall in (Status.DOWN, Status.DEGRADED))
        text.append(
            f"\n … {len(rest)} more target(s), {bad} with problems (t filters by target)", style="dim"
        )
    return text


def shorten(message: str, width: int = ERROR_WIDTH) -> str:
    return message if len(message) <= width else message[: width - 1] + "…"


class StatusHeader(Static):
    def __init__(self) -> None:
        super().__init__(id="status-header")
        self.state: MonitorState | None = None

    def show(
        self,
        state: MonitorState,
        now: datetime,
        targets: list[MonitorState] | None = None,
        collector: str | None = None,
    ) -> None:
        """``targets``: the states of each target when there are several (a line each under the summary);
        ``collector``: the collector this console is attached to."""
        self.state = state
        text = header_text(state, now, self.size.width or 200, collector)
        if targets and len(targets) > 1:
            text.append_text(target_lines(targets, now))
            self.styles.height = 2 + min(len(targets), MAX_TARGET_LINES)
        self.update(text)


def api_headroom(state: MonitorState) -> tuple[float, str] | None:
    """The smallest share of its rate-limit window the API says we have left, over the endpoint families it
    counted (each source's own), and which family that is."""
    shares = [(s.rate_limit.left, s.rate_limit.bucket) for s in state.sources if s.rate_limit is not None]
    return min(shares) if shares else None
