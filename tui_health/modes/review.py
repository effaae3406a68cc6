"""``tui-health history``: the availability report (or the timeline) of a target's recorded history."""

from __future__ import annotations

import argparse
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from tui_health.modes.base import Invocation
from tui_health.support import zone
from tui_health.support.errors import ConfigError

COMMAND = "history"
HELP = "availability report or timeline from the history store"
COMMON = True


def arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--since", default="24h", metavar="TIME", help="a duration ago (24h, 7d) or ISO time (24h)"
    )
    parser.add_argument("--until", default="now", metavar="TIME", help="a duration ago or ISO time (now)")
    parser.add_argument(
        "--component", action="append", default=[], metavar="ID", help="only this component (repeatable)"
    )
    parser.add_argument(
        "--format",
        dest="history_format",
        choices=("table", "json", "csv", "markdown"),
        default="table",
        help="output format (table)",
    )
    parser.add_argument(
        "--timeline", action="store_true", help="the window's transitions and alerts instead of the figures"
    )
    parser.add_argument(
        "--demo",
        action="store_true",
        help="record a week of the built-in simulator first (as --demo --replay does) and report on it",
    )


def run(invocation: Invocation) -> int:
    args = invocation.args
    with invocation.demo(replay=True):
        return run_history(
            invocation.path,
            explicit=invocation.explicit,
            flags=invocation.flags,
            since=args.since,
            until=args.until,
            components=args.component,
            timeline=args.timeline,
            fmt=args.history_format,
            only=invocation.only,
            record_demo=args.demo,
        )


def run_history(
    path: Path,
    *,
    explicit: bool,
    flags: dict[str, Any],
    since: str,
    until: str,
    components: Sequence[str],
    timeline: bool,
    fmt: str,
    only: Sequence[str],
    record_demo: bool = False,
) -> int:
    """The report (or ``timeline``) of the target's history over ``since``…``until``. ``record_demo``: a week
    of the simulator is recorded first, up to now, as ``--demo --replay`` records it (the README's example)."""
    from datetime import UTC, datetime

    from tui_health.history.reader import HistoryReader
    from tui_health.report.history import (
        Window,
        render_report,
        render_timeline,
        report_document,
        timeline_document,
    )
    from tui_health.settings.config import load_settings
    from tui_health.settings.target import one_target, targets_from
    from tui_health.support.timespec import require_moment

    settings = load_settings(path=path, path_required=explicit, env=dict(os.environ), flags=flags)
    zone.set_zone(settings.display.tz)
    now = datetime.now(UTC)
    start, end = (require_moment(flag, text, now) for flag, text in (("--since", since), ("--until", until)))
    if start >= end:
        raise ConfigError(f"--since ({start:%Y-%m-%d %H:%M}) must be before --until ({end:%Y-%m-%d %H:%M})")
    target = one_target(targets_from(settings, dict(os.environ), only), "history")
    location = settings.history_path(target.key)
    if record_demo:
        from tui_health.simulator.recorded_week import record_history

        record_history(location, end=now, target=target.name)
    if not location.is_file():
        raise no_history(target.name, location, [t.name for t in settings.targets])
    reader = HistoryReader(location)
    try:
        window = Window(start, end, target.name, tuple(components))
        if timeline:
            print(render_timeline(timeline_document(reader, window), fmt))
        else:
            print(render_report(report_document(reader, window), fmt))
    finally:
        reader.close()
    return 0


def no_history(name: str, location: Path, configured: list[str]) -> ConfigError:
    """No history for ``name``: the error names the histories that do exist and the flags that select them."""
    from tui_health.history.catalog import selection, stores

    others = stores(location.parent)
    if not others:
        return ConfigError(
            f"no history for {name} at {location} yet",
            hint="a monitor (the console, --headless or --once) with history enabled writes it",
        )
    listed = "; ".join(f"{s.name} → {selection(s, configured)}" for s in others)
    return ConfigError(f"no history for {name} at {location}", hint=f"histories recorded here: {listed}")
