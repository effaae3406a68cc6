"""What a mode declares about itself, and what it is handed to run.

Two kinds, both read by ``cli.py`` through the registry (:mod:`tui_health.modes`):

- a **command** (``tui-health doctor``, ``history``, ``silence`` …): a module with ``COMMAND`` (its word), ``HELP``,
  ``COMMON`` (whether it takes the common connection, threshold and display flags), ``arguments(parser)`` (its
  own flags, on its subparser) and ``run(invocation)``;
- a **live mode** (the console, ``--once``, ``--headless``, ``--replay``, ``--attach``): a module with ``TITLE``
  (how an error names it: ``--once``, ``the console``), ``OWNS`` (the flags only it, or it among others, takes),
  ``select(choice)`` (its selector in the one mutually exclusive group), ``arguments(parser)`` (its own flags on
  the main parser), ``chosen(args)``, ``check(args)`` and ``run(invocation)``. They choose among themselves in
  one place: the first in :data:`tui_health.modes.LIVE` whose ``chosen`` says so (the console last: the default).

A mode's module imports only what declaring itself needs; what running it needs is imported in ``run``, so that
``--once`` never pays for the console, nor ``simulate`` for a monitor.
"""

from __future__ import annotations

import argparse
import contextlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from tui_health.settings.config import Settings


@dataclass
class Invocation:
    """One command line, parsed: what every mode may ask for."""

    args: argparse.Namespace
    path: Path
    """The config file (``--config``, ``TUI_HEALTH_CONFIG``, or the default place)."""
    explicit: bool
    """The config file was named: it must exist."""
    only: list[str]
    """``--target`` names (empty: every target)."""
    flags: dict[str, Any]
    """Dotted settings keys for every flag given (``--demo`` adds its own while it runs)."""
    env: dict[str, str] = field(default_factory=dict)
    parser: argparse.ArgumentParser = field(default_factory=argparse.ArgumentParser)
    """The whole command line's parser (the man page and the completions are generated from it)."""

    def settings(self) -> Settings:
        """The settings: file, environment, then flags (each layer over the one before)."""
        from tui_health.settings.config import load_settings

        return load_settings(path=self.path, path_required=self.explicit, env=self.env, flags=self.flags)

    def reread(self) -> Settings:
        """The settings read again, with the environment as it is now (SIGHUP, ``POST /-/reload``)."""
        import os

        from tui_health.settings.config import load_settings

        return load_settings(
            path=self.path, path_required=self.explicit, env=dict(os.environ), flags=self.flags
        )

    def live_settings(self) -> Settings:
        """A live mode's settings, with the one clock shown set to them."""
        return live_settings(self)

    @contextlib.contextmanager
    def demo(
        self, *, scenario: str | None = None, faults: list[str] | None = None, replay: bool = False
    ) -> Iterator[None]:
        """With ``--demo``: the built-in simulator (or, ``replay``, a recorded week) while the block runs, and
        the flags pointed at it; without, nothing."""
        if not getattr(self.args, "demo", False):
            yield
            return
        from tui_health.modes.demo import demo

        with demo(self.flags, self.env, scenario=scenario, faults=faults or [], replay=replay):
            yield


class Command(Protocol):
    """A subcommand's module."""

    @property
    def COMMAND(self) -> str: ...

    @property
    def HELP(self) -> str: ...

    @property
    def COMMON(self) -> bool: ...

    def arguments(self, parser: argparse.ArgumentParser) -> None: ...

    def run(self, invocation: Invocation) -> int: ...


class LiveMode(Protocol):
    """A live mode's module."""

    @property
    def TITLE(self) -> str: ...

    @property
    def OWNS(self) -> tuple[str, ...]: ...

    def select(self, choice: argparse._MutuallyExclusiveGroup) -> None:
        """Its selector (``--once``) in the one mutually exclusive group of live modes."""
        ...

    def arguments(self, parser: argparse.ArgumentParser) -> None:
        """Its own flags, on the main parser."""
        ...

    def chosen(self, args: argparse.Namespace) -> bool: ...

    def check(self, args: argparse.Namespace) -> None: ...

    def run(self, invocation: Invocation) -> int: ...


def live_settings(invocation: Invocation) -> Settings:
    """A live mode's settings, with the one clock shown set to them."""
    from tui_health.support import zone

    settings = invocation.settings()
    zone.set_zone(settings.display.tz)
    return settings


def endpoints(args: argparse.Namespace) -> tuple[tuple[str, int] | None, tuple[str, int] | None]:
    """Where ``--metrics-listen`` and ``--serve`` serve (host, port), each ``None`` when not asked for."""
    if args.metrics_listen is None and args.serve is None:
        return None, None
    from tui_health.serve.http import parse_listen

    listen = parse_listen(args.metrics_listen, "--metrics-listen") if args.metrics_listen else None
    serve = parse_listen(args.serve, "--serve") if args.serve else None
    return listen, serve


def seconds(text: str) -> float:
    """An argparse type for intervals and timeouts: seconds (``15``, ``2.5``) or a duration (``5s``, ``2m``)."""
    from tui_health.support.timespec import parse_duration

    try:
        return float(text)
    except ValueError:
        parsed = parse_duration(text, bare=1.0)
        if parsed is None:
            raise argparse.ArgumentTypeError(
                f"{text!r} is not a number of seconds or a duration like 30s or 2m"
            ) from None
        return parsed
