"""``tui-health outbox [list|requeue-failed|purge-failed|purge-orphaned]``: what waits for delivery, what a
receiver refused for good, and what belongs to sinks no longer configured — per target's outbox."""

from __future__ import annotations

import argparse
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from tui_health.modes.base import Invocation
from tui_health.support import zone

COMMAND = "outbox"
HELP = "list undelivered alerts; requeue or purge the failed ones"
COMMON = True


def arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "action",
        choices=("list", "requeue-failed", "purge-failed", "purge-orphaned"),
        nargs="?",
        default="list",
    )


def run(invocation: Invocation) -> int:
    return run_outbox(
        invocation.args.action,
        invocation.path,
        explicit=invocation.explicit,
        flags=invocation.flags,
        only=invocation.only,
    )


def run_outbox(action: str, path: Path, *, explicit: bool, flags: dict[str, Any], only: Sequence[str]) -> int:
    from tui_health.settings.config import load_settings
    from tui_health.settings.target import targets_from

    settings = load_settings(path=path, path_required=explicit, env=dict(os.environ), flags=flags)
    zone.set_zone(settings.display.tz)
    targets = targets_from(settings, dict(os.environ), only)
    if not settings.targets:  # the implicit target: the outbox as it always was
        return outbox_of(action, settings)
    for target in targets:  # each [[targets]] entry delivers from its own outbox
        print(f"== {target.name} ==")
        assert target.settings is not None
        outbox_of(action, target.settings)
    return 0


def outbox_of(action: str, settings: Any) -> int:
    from datetime import UTC, datetime

    from tui_health.alerts.outbox import Outbox

    location = settings.outbox_path
    if not location.exists():
        print(f"no outbox at {location}: nothing was ever queued")
        return 0
    outbox = Outbox(location)
    try:
        now = datetime.now(UTC).timestamp()
        if action == "requeue-failed":
            print(
                f"{outbox.requeue_failed(now)} failed alert(s) queued again; the next monitor start delivers them"
            )
            return 0
        if action == "purge-failed":
            print(f"{outbox.purge_failed()} failed alert(s) removed")
            return 0
        configured = [sink.sink_name for sink in settings.alerts.sinks]
        if action == "purge-orphaned":
            print(f"{outbox.purge_orphans(configured)} alert(s) for sinks no longer configured removed")
            return 0
        pending, failed = outbox.pending(), outbox.failed()
        orphans = outbox.orphans(configured)
        print(
            f"{location}: {len(pending)} pending, {len(failed)} failed"
            + (f", {orphans} for sinks no longer configured (purge-orphaned drops them)" if orphans else "")
        )
        for row in pending + failed:
            when = zone.date_time(datetime.fromtimestamp(row.next_at, UTC), seconds=True)
            error = f" — last error: {row.last_error}" if row.last_error else ""
            state = row.state if row.sink in configured else f"{row.state}, orphaned"
            print(
                f"  [{state}] {row.sink} #{row.id} attempts {row.attempts}, next {when}: {row.summary}{error}"
            )
    finally:
        outbox.close()
    return 0
