"""``tui-health completion bash|zsh|tcsh``: a shell completion script, generated from the parser itself (every
flag, command and choice, never out of date)."""

from __future__ import annotations

import argparse

from tui_health.modes.base import Invocation

COMMAND = "completion"
HELP = "print a shell completion script (bash, zsh or tcsh) for tui-health"
COMMON = False


def arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("shell", choices=("bash", "zsh", "tcsh"))


def run(invocation: Invocation) -> int:
    import shtab

    print(shtab.complete(invocation.parser, shell=invocation.args.shell))
    return 0
