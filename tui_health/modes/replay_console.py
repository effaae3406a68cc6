"""``--replay``: the console on the recorded history of the first target, at any poll (no polling, no alert)."""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Sequence
from typing import TYPE_CHECKING

from tui_health.modes.base import Invocation
from tui_health.modes.console import run_app

if TYPE_CHECKING:
    from tui_health.settings.config import Settings

TITLE = "--replay"
OWNS = ("since",)


def select(choice: argparse._MutuallyExclusiveGroup) -> None:
    choice.add_argument(
        "--replay", action="store_true", help="open the console on the recorded history instead of live polls"
    )


def arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--since",
        default=None,
        metavar="TIME",
        help="--replay: open at this moment (a duration ago like 3h, or an ISO time; default: the last poll)",
    )


def chosen(args: argparse.Namespace) -> bool:
    return bool(args.replay)


def check(args: argparse.Namespace) -> None:
    return None


def run(invocation: Invocation) -> int:
    settings = invocation.live_settings()
    args = invocation.args
    return asyncio.run(run_replay(settings, since=args.since, demo=args.demo, only=invocation.only))


async def run_replay(
    settings: Settings, *, since: str | None, demo: bool = False, only: Sequence[str] = ()
) -> int:
    """The console on the first target's recorded history, at ``since`` (else the last poll). ``demo``: a week
    of the simulator is recorded first (in the demo's own scratch directory)."""
    import os
    from datetime import UTC, datetime

    from tui_health.history.reader import HistoryReader
    from tui_health.history.replay import Replay, ReplayMonitor
    from tui_health.settings.target import one_target, targets_from
    from tui_health.support.errors import ConfigError
    from tui_health.support.timespec import require_moment
    from tui_health.tui.replay_app import ReplayApp

    target = one_target(targets_from(settings, dict(os.environ), only), "--replay")
    path = settings.history_path(target.key)
    now = datetime.now(UTC)
    moment = require_moment("--since", since, now) if since is not None else None
    if demo:
        from tui_health.simulator.recorded_week import record_history

        await asyncio.to_thread(record_history, path, end=now, target=target.name)
    reader = HistoryReader(path)
    replay = Replay(reader, region=target.name, interval=settings.poll.interval)
    if not len(replay):
        reader.close()
        raise ConfigError(
            f"the history at {path} holds no poll yet", hint="run the monitor for a while first"
        )
    monitor = ReplayMonitor(replay, replay.index_at(moment) if moment else len(replay) - 1)
    try:
        return await run_app(ReplayApp(monitor))
    finally:
        await monitor.close()
