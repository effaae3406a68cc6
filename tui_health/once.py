"""``--once``: one poll, one report, a monitoring exit code. Imports nothing from Textual."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import IO

from tui_health.clock import SystemClock
from tui_health.config import Settings
from tui_health.connection import connect
from tui_health.events import snapshot_events
from tui_health.monitor import Poller
from tui_health.output import render_json, render_nagios, render_table
from tui_health.report import Report, sort_components
from tui_health.thresholds import ThresholdRule


async def run_once(
    settings: Settings,
    *,
    config_path: Path,
    fmt: str = "table",
    out: IO[str] | None = None,
    err: IO[str] | None = None,
) -> int:
    """Poll once, print the report in ``fmt``, return the exit code."""
    out = out or sys.stdout
    err = err or sys.stderr
    clock = SystemClock()
    async with connect(settings, config_path=config_path, clock=clock) as conn:
        snapshot = await Poller(conn.sources, deadline=settings.poll.deadline, clock=clock).poll()
    rule = ThresholdRule.from_settings(settings.thresholds)
    statuses = {c.id: c.status for c in snapshot.components}
    names = {c.id: c.name for c in snapshot.components}
    report = Report(
        generated_at=snapshot.taken_at,
        components=sort_components(snapshot.components),
        critical=rule.critical,
        reasons=tuple(rule.reasons(statuses, names)) if snapshot.ok else (),
        events=tuple(snapshot_events(snapshot)),
        sources=snapshot.sources,
        total_ms=snapshot.total_ms,
        requests=tuple(snapshot.timings),
    )
    write_report(report, fmt, out, err)
    return report.exit_code


def write_report(report: Report, fmt: str, out: IO[str], err: IO[str]) -> None:
    if fmt == "json":
        out.write(render_json(report) + "\n")
    elif fmt == "nagios":
        out.write(render_nagios(report) + "\n")
    else:
        if report.answered:
            render_table(report, out)
    for source in report.sources:
        if not source.ok:
            err.write(f"tui-health: {source.name}: {source.error}\n")
