"""Latency panel: poll latency sparkline with p50/p95/p99 and error rate; non-healthy count per poll (a poll
that got no answer is a gap there, not zero problems)."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Static

from tui_health.model.latency import LatencySummary
from tui_health.tui.widgets.spark import GapSparkline


class LatencyPanel(Vertical):
    def compose(self) -> ComposeResult:
        yield Static(id="latency-title", classes="panel-title")
        yield GapSparkline(id="poll-spark", classes="spark", style="green")
        yield Static(id="problems-title", classes="panel-title")
        yield GapSparkline(id="problem-spark", classes="spark", style="yellow")

    def show(self, summary: LatencySummary | None) -> None:
        if summary is None or not summary.polls:
            self.query_one("#latency-title", Static).update(Text("poll latency: waiting for the first poll"))
            return
        title = Text()
        title.append("poll latency ", style="bold")
        title.append(
            f"p50 {summary.p50:.0f} · p95 {summary.p95:.0f} · p99 {summary.p99:.0f} ms · "
            f"errors {summary.error_rate:.0%} · {summary.polls_per_minute:.1f}/min"
        )
        self.query_one("#latency-title", Static).update(title)
        self.query_one("#poll-spark", GapSparkline).values = summary.poll_series
        problems = Text()
        problems.append("non-healthy per poll ", style="bold")
        answered = [v for v in summary.problem_series if v is not None]
        last = summary.problem_series[-1] if summary.problem_series else None
        problems.append(
            f"now {'—' if last is None else last} · max {max(answered, default=0)} · "
            f"request p95 {summary.request_p95:.0f} ms"
        )
        self.query_one("#problems-title", Static).update(problems)
        self.query_one("#problem-spark", GapSparkline).values = summary.problem_series
