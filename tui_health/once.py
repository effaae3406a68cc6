"""``--once``: one poll through the whole pipeline, one report, a monitoring exit code. No Textual here.

``--once`` is stateless: its first (only) poll is the engine's baseline, so what it reports is what it sees.
It delivers the alerts of its poll before exiting (``alerts.once_wait`` seconds at most) and waits for nothing
else — older messages in the outbox, for sinks configured or not, never hold it up. Each of its alerts that did
not arrive gets one line on stderr; they stay in the outbox for the next run or for ``--headless``.
"""

from __future__ import annotations

import io
import sys
from pathlib import Path
from typing import IO

from tui_health.config import Settings
from tui_health.models import EventType
from tui_health.output import render_json, render_nagios, render_table
from tui_health.redact import scrub
from tui_health.report import UNKNOWN, Report, report_of
from tui_health.runtime import open_monitor
from tui_health.signals import interruptible
from tui_health.text import clean

LIFECYCLE = (EventType.MONITOR_STARTED, EventType.MONITOR_STOPPED)


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
    async with (
        open_monitor(settings, config_path=config_path, stateless=True) as monitor,
        interruptible() as stop,
    ):
        await monitor.start()
        state = await monitor.poll_unless(stop)
        if state is None:
            await monitor.close()
            err.write(
                f"tui-health: interrupted ({stop.reason}) before the poll finished; nothing was checked\n"
            )
            return UNKNOWN
        await monitor.close(delivery_wait=settings.alerts.once_wait, own_only=True)
        events = [e for e in monitor.recent if e.event_type not in LIFECYCLE]
        undelivered = monitor.undelivered()
    rule = settings.thresholds
    report = report_of(state, events, min_down=rule.min_down, min_degraded=rule.min_degraded)
    write_report(report, fmt, out, err)
    for line in undelivered:  # one line per alert of this run that did not arrive (404, refused, bad host)
        err.write(f"tui-health: {clean(scrub(line), 1000)}\n")
    return report.exit_code


def write_report(report: Report, fmt: str, out: IO[str], err: IO[str]) -> None:
    """Print the report; whatever the format, no known secret is printed and stderr gets one line per failure."""
    if fmt == "json":
        out.write(scrub(render_json(report)) + "\n")
    elif fmt == "nagios":
        out.write(scrub(render_nagios(report)) + "\n")
    elif report.answered:
        table = io.StringIO()
        render_table(report, table)
        out.write(scrub(table.getvalue()))
    for source in report.sources:  # the one place a failed source is reported, whatever the format
        if not source.ok:
            err.write(f"tui-health: {source.name}: {clean(scrub(source.error or 'failed'), 1000)}\n")
