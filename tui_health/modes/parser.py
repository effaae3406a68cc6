"""The parser every mode's flags are declared on: argparse, but a bad command line is one clear line (naming a
mistyped option) and exit 3 — the monitoring UNKNOWN — like every other error."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import NoReturn

from tui_health.report.status import UNKNOWN


class Parser(argparse.ArgumentParser):
    """argparse, but a bad command line is one clear line and exit 3 (UNKNOWN), like every other error."""

    problem = ""
    words: list[str] = []  # the command line being parsed, to name a mistyped option

    def error(self, message: str) -> NoReturn:
        typo = self.unknown_option(Parser.words)
        if typo:  # argparse would blame the next word ("invalid choice: 'json'"): name the option instead
            message = typo
        Parser.problem = f"{message} (see `{self.prog} --help`)"
        self.exit(UNKNOWN, f"tui-health: {Parser.problem}\n")

    def unknown_option(self, words: list[str]) -> str | None:
        """``unknown option --formt (did you mean --format?)`` for the first option no parser knows."""
        import difflib

        known = set(self._option_string_actions)
        for action in self._actions:
            if isinstance(action, argparse._SubParsersAction):
                for sub in action.choices.values():
                    known |= set(sub._option_string_actions)
        for word in words:
            if word == "--":
                break
            flag = word.split("=", 1)[0]
            if (
                flag.startswith("-")
                and len(flag) > 1
                and not flag[1:].lstrip("-")[:1].isdigit()
                and flag not in known
            ):
                close = difflib.get_close_matches(flag, sorted(known), n=1, cutoff=0.6)
                return f"unknown option {flag}" + (f" (did you mean {close[0]}?)" if close else "")
        return None


def once_format(argv: Sequence[str]) -> str | None:
    """The ``--once`` output format a command line asks for, read without the parser (which just refused it)."""
    if "--once" not in argv:
        return None
    for index, arg in enumerate(argv):
        if arg.startswith("--format="):
            return arg.split("=", 1)[1]
        if arg == "--format" and index + 1 < len(argv):
            return argv[index + 1]
    return "table"
