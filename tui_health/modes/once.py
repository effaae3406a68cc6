"""``--once``: one poll through the whole pipeline, one report, a monitoring exit code. No Textual here.

``--once`` is stateless: its first (only) poll is the engine's baseline, so what it reports is what it sees.
It delivers the alerts of its poll before exiting (``alerts.once_wait`` seconds at most) and waits for nothing
else — older messages in the outbox, for sinks configured or not, never hold it up. Each of its alerts that did
not arrive gets one line on stderr; they stay in the outbox for the next run or for ``--headless``.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import IO, TYPE_CHECKING

from tui_health.model.domain import EventType
from tui_health.modes.base import Invocation
from tui_health.report.formats import (
    render_json,
    render_json_targets,
    render_nagios,
    render_nagios_targets,
    render_table,
    render_unknown_json,
    target_heading,
)
from tui_health.report.status import UNKNOWN, Report, worst_code
from tui_health.support.errors import ConfigError
from tui_health.support.redact import scrub
from tui_health.support.text import clean

if TYPE_CHECKING:
    from tui_health.settings.config import Settings

LIFECYCLE = (EventType.MONITOR_STARTED, EventType.MONITOR_STOPPED)

TITLE = "--once"
OWNS = ("format", "show_all", "read_only")


def select(choice: argparse._MutuallyExclusiveGroup) -> None:
    choice.add_argument("--once", action="store_true", help="poll once, print, exit with a monitoring code")


def arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--format", choices=("table", "json", "nagios"), default=None, help="--once output (table)"
    )
    parser.add_argument(
        "--all",
        dest="show_all",
        action="store_true",
        help="--once table: list healthy components too (default: the problems and a count of the rest)",
    )


def chosen(args: argparse.Namespace) -> bool:
    return bool(args.once)


def check(args: argparse.Namespace) -> None:
    if args.show_all and args.format not in (None, "table"):
        raise ConfigError(
            "--all goes with --once (table)", hint="JSON and Nagios always list every component"
        )


def run(invocation: Invocation) -> int:
    args = invocation.args
    settings = invocation.live_settings()
    return asyncio.run(
        run_once(
            settings,
            config_path=invocation.path,
            fmt=args.format or "table",
            only=invocation.only,
            show_all=args.show_all,
        )
    )


async def run_once(
    settings: Settings,
    *,
    config_path: Path,
    fmt: str = "table",
    out: IO[str] | None = None,
    err: IO[str] | None = None,
    only: Sequence[str] = (),
    show_all: bool = False,
) -> int:
    """Poll every target once (at the same time), print the report in ``fmt``, return the worst exit code.
    ``show_all``: the table lists healthy components too (by default: the problems and a count of the rest)."""
    from tui_health.monitor.runtime import open_monitors
    from tui_health.support.signals import interruptible

    out = out or sys.stdout
    err = err or sys.stderr
    async with (
        open_monitors(settings, config_path=config_path, stateless=True, only=only) as monitors,
        interruptible() as stop,
    ):
        for monitor in monitors:
            await monitor.start()
        states = await asyncio.gather(*(monitor.poll_unless(stop) for monitor in monitors))
        wait = 0.0 if stop.is_set() else settings.alerts.once_wait
        await asyncio.gather(
            *(m.close(delivery_wait=wait, own_only=True, deliver_held=True) for m in monitors)
        )
        if any(state is None for state in states):
            problem = f"interrupted ({stop.reason}) before the poll finished; nothing was checked"
            write_unknown(problem, fmt, out)
            err.write(f"tui-health: {problem}\n")
            return UNKNOWN
        reports = []
        undelivered: list[str] = []
        for monitor, state in zip(monitors, states, strict=True):
            assert state is not None
            events = [e for e in monitor.recent if e.event_type not in LIFECYCLE]
            reports.append(monitor.report(state, events))
            undelivered += await monitor.undelivered()
    if len(reports) == 1:
        write_report(reports[0], fmt, out, err, show_all=show_all)
    else:
        write_reports(reports, fmt, out, err, show_all=show_all)
    for line in undelivered:  # one line per alert of this run that did not arrive (404, refused, bad host)
        err.write(f"tui-health: {clean(scrub(line), 1000)}\n")
    return worst_code(r.exit_code for r in reports)


def write_reports(
    reports: list[Report], fmt: str, out: IO[str], err: IO[str], *, show_all: bool = False
) -> None:
    """Several targets: a ``targets`` list of the per-target documents (JSON), or each report under its name."""
    if fmt == "json":
        out.write(scrub(render_json_targets(reports)) + "\n")
    elif fmt == "nagios":
        out.write(scrub(render_nagios_targets(reports)) + "\n")
    else:
        for report in reports:
            out.write(scrub(target_heading(report)) + "\n")
            write_report(report, fmt, out, err, show_all=show_all)
        return
    for report in reports:
        for source in report.sources:
            if not source.ok:
                err.write(
                    f"tui-health: {report.name}: {source.name}: {clean(scrub(source.error or 'failed'), 1000)}\n"
                )


def write_unknown(problem: str, fmt: str | None, out: IO[str]) -> None:
    """Nothing could be checked: JSON and Nagios readers still get a document (exit 3, UNKNOWN) on stdout,
    saying why; the table format leaves stdout empty (the person reads stderr)."""
    if fmt == "json":
        out.write(render_unknown_json(clean(scrub(problem), 1000)) + "\n")
    elif fmt == "nagios":
        out.write(f"HEALTH UNKNOWN - {clean(scrub(problem), 1000).replace('|', '/')}\n")


def write_report(report: Report, fmt: str, out: IO[str], err: IO[str], *, show_all: bool = False) -> None:
    """Print the report; whatever the format, no known secret is printed and stderr gets one line per failure."""
    if fmt == "json":
        out.write(scrub(render_json(report)) + "\n")
    elif fmt == "nagios":
        out.write(scrub(render_nagios(report)) + "\n")
    elif report.answered:
        table = io.StringIO()
        render_table(report, table, show_all=show_all)
        out.write(scrub(table.getvalue()))
    for source in report.sources:  # the one place a failed source is reported, whatever the format
        if not source.ok:
            err.write(f"tui-health: {source.name}: {clean(scrub(source.error or 'failed'), 1000)}\n")
