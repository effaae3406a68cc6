"""``--attach URL``: the console on a collector's live state (``--serve``): no credentials, no API quota here."""

from __future__ import annotations

import argparse
import asyncio
import os

from tui_health.modes.base import Invocation
from tui_health.modes.console import run_app
from tui_health.support import zone
from tui_health.support.errors import ConfigError
from tui_health.support.redact import SECRETS

TITLE = "--attach"
OWNS = ("read_only",)


def select(choice: argparse._MutuallyExclusiveGroup) -> None:
    choice.add_argument(
        "--attach",
        default=None,
        metavar="URL",
        help="open the console on a collector started with --serve (no credentials, no API quota here)",
    )


def arguments(parser: argparse.ArgumentParser) -> None:
    """No flag of its own."""


def chosen(args: argparse.Namespace) -> bool:
    return args.attach is not None


def check(args: argparse.Namespace) -> None:
    if args.demo:
        raise ConfigError("--attach watches a collector, not the demo", hint="drop --demo")


def run(invocation: Invocation) -> int:
    token = os.environ.get("TUI_HEALTH_SERVE_TOKEN")
    SECRETS.add(token)
    zone.set_zone(getattr(invocation.args, "tz", "local"))
    return asyncio.run(run_attach(invocation.args.attach, token))


async def run_attach(url: str, token: str | None) -> int:
    """The console on a collector's live state (``--attach URL``): nothing is polled here."""
    from tui_health.serve.attach import Attachment
    from tui_health.tui.app import HealthApp

    attachment = Attachment(url, token)
    try:
        targets = await attachment.open()
        return await run_app(HealthApp(targets, autopoll=False))
    finally:
        await attachment.close()
