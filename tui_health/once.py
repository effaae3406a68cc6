"""``--once``: one poll through the whole pipeline, one report, a monitoring exit code. No Textual here.

``--once`` is stateless: its first (only) poll is the engine's baseline, so what it reports is what it sees.
It delivers the alerts of its poll before exiting (``alerts.once_wait`` seconds at most); the rest stays in the
outbox for the next run or for ``--headless``.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import IO

from tui_health.config import Settings
from tui_health.output import render_json, render_nagios, render_table
from tui_health.report import Report, report_of
from tui_health.runtime import open_monitor

LIFECYCLE = ("monitor_started", "monitor_stopped")


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
    async with open_monitor(settings, config_path=config_path, stateless=True) as monitor:
        await monitor.start()
        state = await monitor.poll()
        await monitor.close(delivery_wait=settings.alerts.once_wait)
        events = [e for e in monitor.recent if e.event_type not in LIFECYCLE]
    report = report_of(state, events)
    write_report(report, fmt, out, err)
    return report.exit_code


def write_report(report: Report, fmt: str, out: IO[str], err: IO[str]) -> None:
    if fmt == "json":
        out.write(render_json(report) + "\n")
    elif fmt == "nagios":
        out.write(render_nagios(report) + "\n")
    elif report.answered:
        render_table(report, out)
    for source in report.sources:  # the one place a failed source is reported, whatever the format
        if not source.ok:
            err.write(f"tui-health: {source.name}: {source.error}\n")
