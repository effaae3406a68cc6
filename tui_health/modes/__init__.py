"""The modes, each one module that declares itself (:mod:`tui_health.modes.base`): this is their registry.

A new command is its module and its line in :data:`COMMANDS`; a new live mode, its module and its place in
:data:`LIVE` (the first whose ``chosen`` says so runs; the console, last, is the default). ``cli.py`` reads only
this: the parser is built from what the modes declare, the flags a live mode owns are checked against the one
chosen, and the chosen one runs.
"""

from __future__ import annotations

import argparse

from tui_health.modes import (
    attached_console,
    completion,
    configure,
    console,
    doctor,
    headless,
    manpage,
    once,
    outbox_cmd,
    replay_console,
    review,
    silence_cmd,
    simulate,
)
from tui_health.modes.base import Command, LiveMode

COMMANDS: tuple[Command, ...] = (
    review,
    simulate,
    outbox_cmd,
    silence_cmd,
    doctor,
    completion,
    manpage,
    configure,
)
"""The subcommands, in the order ``--help`` lists them."""
LIVE: tuple[LiveMode, ...] = (once, headless, replay_console, attached_console, console)
"""The live modes, in the order they are chosen: the console last, when no other is asked for."""


def command(name: str) -> Command:
    """The subcommand called ``name`` (the parser admits no other)."""
    return next(c for c in COMMANDS if name == c.COMMAND)


def live(args: argparse.Namespace) -> LiveMode:
    """The live mode the command line asks for."""
    return next(mode for mode in LIVE if mode.chosen(args))


def owners() -> dict[str, list[LiveMode]]:
    """Each flag a live mode owns (its ``dest``) → the modes that take it, in :data:`LIVE`'s order."""
    found: dict[str, list[LiveMode]] = {}
    for mode in LIVE:
        for dest in mode.OWNS:
            found.setdefault(dest, []).append(mode)
    return found
