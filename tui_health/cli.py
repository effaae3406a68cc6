"""Command line: the common flags, the settings' layers, and one loop over the modes.

What each mode takes and does is declared by its module (:mod:`tui_health.modes`): the parser is built from those
declarations, the flags a live mode owns are checked against the mode chosen, and the chosen mode runs. Only the
console imports Textual, and only when it runs.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from typing import Any

from tui_health import __version__, modes
from tui_health.modes.base import Invocation, seconds
from tui_health.modes.parser import Parser, once_format
from tui_health.report.status import EXIT_LABEL, UNKNOWN
from tui_health.support.errors import ConfigError, TuiHealthError
from tui_health.support.redact import SECRETS, scrub
from tui_health.support.text import clean

#: flag dest → dotted settings key
FLAG_KEYS = {
    "region": "genesys.region",
    "api_url": "genesys.api_url",
    "login_url": "genesys.login_url",
    "interval": "poll.interval",
    "timeout": "poll.timeout",
    "deadline": "poll.deadline",
    "status": "poll.status",
    "ids": "poll.ids",
    "expand": "poll.expand",
    "page_size": "poll.page_size",
    "concurrency": "poll.concurrency",
    "min_down": "thresholds.min_down",
    "min_degraded": "thresholds.min_degraded",
    "critical": "thresholds.critical",
    "flap_interval": "thresholds.flap_interval",
    "audit_log": "audit.path",
    "source": "poll.sources",
    "statuspage_url": "statuspage.url",
    "group": "statuspage.groups",
    "all_regions": "statuspage.all_regions",
    "tz": "display.tz",
    "bell": "display.bell",
}


def _common(parser: argparse.ArgumentParser) -> None:
    """Options shared by the main command and ``config show`` (defaults suppressed so layers merge)."""
    from tui_health.sources import Names

    s = argparse.SUPPRESS
    g = parser.add_argument_group("connection and polling")
    g.add_argument("--config", metavar="PATH", default=s, help="config file (env TUI_HEALTH_CONFIG)")
    g.add_argument(
        "--target",
        action="append",
        default=s,
        metavar="NAME",
        help="only this [[targets]] entry (repeatable; default: every target)",
    )
    g.add_argument("--region", default=s, help="AWS region (eu-central-1) or domain (mypurecloud.de)")
    g.add_argument("--api-url", default=s, metavar="URL", help="override https://api.<domain>")
    g.add_argument("--login-url", default=s, metavar="URL", help="override https://login.<domain>")
    g.add_argument(
        "--interval", type=seconds, default=s, metavar="SECONDS", help="seconds between polls (15)"
    )
    g.add_argument("--timeout", type=seconds, default=s, metavar="SECONDS", help="seconds per request (10)")
    g.add_argument(
        "--deadline", type=seconds, default=s, metavar="SECONDS", help="seconds per whole poll (60)"
    )
    g.add_argument("--status", default=s, metavar="LIST", help="only these statuses, e.g. degraded,down")
    g.add_argument("--ids", default=s, metavar="LIST", help="only these component ids")
    g.add_argument("--expand", action=argparse.BooleanOptionalAction, default=s, help="ask for details (yes)")
    g.add_argument("--page-size", type=int, default=s, metavar="N", help="entities per page (100)")
    g.add_argument("--concurrency", type=int, default=s, metavar="N", help="pages fetched at once (10)")
    g.add_argument(
        "--source",
        action="append",
        default=s,
        choices=Names(),  # checked here (a plug-in's name reads the plug-ins), offered by the shell completions
        metavar="NAME",
        help="%(choices)s (repeatable; default: chosen from what is set)",  # plug-ins' too, read only for --help
    )
    g.add_argument(
        "--statuspage-url", default=s, metavar="URL", help="status page (https://status.mypurecloud.com)"
    )
    g.add_argument(
        "--group",
        action="append",
        default=s,
        metavar="NAME",
        help="only this status page group's components (repeatable; default: the region's groups)",
    )
    g.add_argument(
        "--all-regions",
        action="store_true",
        default=s,
        help="every region's status page components and incidents, not only the region's",
    )
    t = parser.add_argument_group("thresholds and alerts")
    t.add_argument("--min-down", type=int, default=s, metavar="N", help="down components for a breach (1)")
    t.add_argument(
        "--min-degraded", type=int, default=s, metavar="N", help="degraded components for a breach (2)"
    )
    t.add_argument(
        "--critical", default=s, metavar="LIST", help="ids whose going down is a breach on its own"
    )
    t.add_argument(
        "--flap-interval",
        type=seconds,
        default=s,
        metavar="SECONDS",
        help="seconds a change must last to count (30)",
    )
    t.add_argument("--webhook", action="append", default=s, metavar="URL", help="webhook sink (repeatable)")
    t.add_argument("--no-alerts", action="store_true", default=s, help="deliver no alerts")
    t.add_argument("--audit-log", default=s, metavar="PATH", help="audit log file")
    t.add_argument("--no-history", action="store_true", default=s, help="keep no history this run")
    d = parser.add_argument_group("display")
    d.add_argument(
        "--tz",
        choices=("local", "utc"),
        default=s,
        help="show every time in local time or UTC (local; z toggles it in the console)",
    )
    d.add_argument(
        "--bell", action="store_true", default=s, help="ring the terminal bell when a component goes down"
    )


FLAG_NAMES = {"show_all": "--all"}
"""A flag's name where it is not its ``dest`` spelled with dashes."""
SECRET_VARS = ("GENESYSCLOUD_OAUTHCLIENT_SECRET", "TUI_HEALTH_WEBHOOK_TOKEN", "TUI_HEALTH_SERVE_TOKEN")


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(
        prog="tui-health",
        description="On-call console for Genesys Cloud platform health.",
        epilog="Exit codes for --once: "
        + ", ".join(f"{code} {label}" for code, label in EXIT_LABEL.items())
        + ".",
    )
    parser.add_argument("--version", action="version", version=f"tui-health {__version__}")
    choice = parser.add_mutually_exclusive_group()
    for mode in modes.LIVE:  # each its selector in the one group (--once | --headless | …), then their flags
        mode.select(choice)
    for mode in modes.LIVE:
        mode.arguments(parser)
    parser.add_argument("--demo", action="store_true", help="run against the built-in simulator")
    parser.add_argument("--scenario", default=None, help="simulator scenario for --demo (name or JSON file)")
    parser.add_argument(
        "--fault",
        action="append",
        default=[],
        metavar="NAME[:ARG][@TARGET]",
        help="--demo: make the simulator misbehave (repeatable; see `simulate --help`)",
    )
    parser.add_argument(
        "--read-only",
        action="store_true",
        help="watch beside another instance: write no audit lines or state, send no alerts, take no lock",
    )
    parser.add_argument(
        "--metrics-listen",
        default=None,
        metavar="HOST:PORT",
        help="--headless or the console: serve /metrics (Prometheus), /healthz and /status.json (host 127.0.0.1)",
    )
    parser.add_argument(
        "--serve",
        default=None,
        metavar="HOST:PORT",
        help="--headless or the console: also serve the live state to consoles started with --attach "
        "(host 127.0.0.1; silences from them need TUI_HEALTH_SERVE_TOKEN)",
    )
    parser.add_argument("--debug", action="store_true", help="show tracebacks")
    _common(parser)
    sub = parser.add_subparsers(dest="command")  # usage and help list every subcommand as it is added
    for command in modes.COMMANDS:
        own = sub.add_parser(command.COMMAND, help=command.HELP)
        command.arguments(own)
        if command.COMMON:
            _common(own)
    return parser


def flags_from(args: argparse.Namespace) -> dict[str, Any]:
    """Dotted settings keys for every flag given on the command line."""
    flags: dict[str, Any] = {
        key: getattr(args, dest) for dest, key in FLAG_KEYS.items() if hasattr(args, dest)
    }
    if getattr(args, "no_alerts", False):
        flags["alerts.enabled"] = False
    if getattr(args, "no_history", False):
        flags["history.enabled"] = False
    if getattr(args, "webhook", None):
        flags["alerts.sinks+"] = [{"type": "webhook", "url": url} for url in args.webhook]
    return flags


def check_modes(args: argparse.Namespace) -> None:
    """Flags that belong to a mode need that mode; counts and durations must make sense. Never a surprise
    console: a command line that asks for something else and is wrong is an error, not the TUI."""
    if args.command is not None:
        check = getattr(modes.command(args.command), "check", None)
        if check is not None:
            check(args)
        return
    live = modes.live(args)
    for dest, owners in modes.owners().items():
        if getattr(args, dest, None) not in (None, False) and live not in owners:
            flag = FLAG_NAMES.get(dest, "--" + dest.replace("_", "-"))
            first = owners[0].TITLE
            raise ConfigError(
                f"{flag} goes with {' or '.join(m.TITLE for m in owners)}",
                hint=f"add {first}, or drop {flag}" if first.startswith("--") else f"drop {flag}",
            )
    if (args.scenario or args.fault) and not args.demo:
        flag = "--scenario" if args.scenario else "--fault"
        raise ConfigError(f"{flag} goes with --demo", hint=f"add --demo, or drop {flag}")
    live.check(args)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    words = list(sys.argv[1:] if argv is None else argv)
    Parser.words = words
    try:
        args = parser.parse_args(words)
    except SystemExit as stop:
        if stop.code == UNKNOWN and Parser.problem:  # a plugin's reader still gets its answer on stdout
            from tui_health.modes.once import write_unknown

            write_unknown(Parser.problem, once_format(words), sys.stdout)
        raise
    try:
        check_modes(args)
        return _run(args, parser)
    except (TuiHealthError, Exception) as exc:
        if args.debug:
            raise
        if isinstance(exc, TuiHealthError):
            line = clean(scrub(exc.one_line()), 1000)
        else:
            line = f"internal error: {exc.__class__.__name__}: {clean(scrub(str(exc)), 300)} (run with --debug for details)"
        if args.once and args.command is None:  # a plugin's reader still gets its document on stdout
            from tui_health.modes.once import write_unknown

            write_unknown(line, args.format, sys.stdout)
        print(f"tui-health: {line}", file=sys.stderr)
        return UNKNOWN
    except KeyboardInterrupt:
        return 130


def _run(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    """The chosen command, or the chosen live mode (on the demo's simulator with ``--demo``)."""
    from tui_health.settings.config import config_path

    env = dict(os.environ)
    for var in SECRET_VARS:
        SECRETS.add(env.get(var))  # masked in every line, even when the settings themselves are wrong
    invocation = Invocation(
        args=args,
        path=config_path(getattr(args, "config", None)),
        explicit=hasattr(args, "config") or bool(os.environ.get("TUI_HEALTH_CONFIG")),
        only=list(getattr(args, "target", [])),
        flags=flags_from(args),
        env=env,
        parser=parser,
    )
    try:
        if args.command is not None:
            return modes.command(args.command).run(invocation)
        with invocation.demo(scenario=args.scenario, faults=args.fault, replay=args.replay):
            return modes.live(args).run(invocation)
    except BrokenPipeError:  # `tui-health outbox list | head -1`: the reader has all it wanted
        from tui_health.support.signals import silence_stdout

        silence_stdout()
        return 0
