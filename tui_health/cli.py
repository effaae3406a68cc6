"""Command line: ``tui-health`` (TUI), ``--once``, ``--headless``, ``--demo``, ``simulate``, ``config``.

Only the TUI path imports Textual, and only when it runs.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import sys
from collections.abc import Sequence
from typing import Any, NoReturn

from tui_health import __version__
from tui_health.report.status import EXIT_LABEL, UNKNOWN
from tui_health.support import zone
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


class _Parser(argparse.ArgumentParser):
    """argparse, but a bad command line is one clear line and exit 3 (UNKNOWN), like every other error."""

    problem = ""
    words: list[str] = []  # the command line being parsed, to name a mistyped option

    def error(self, message: str) -> NoReturn:
        typo = self.unknown_option(_Parser.words)
        if typo:  # argparse would blame the next word ("invalid choice: 'json'"): name the option instead
            message = typo
        _Parser.problem = f"{message} (see `{self.prog} --help`)"
        self.exit(UNKNOWN, f"tui-health: {_Parser.problem}\n")

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


def _once_format(argv: Sequence[str]) -> str | None:
    """The ``--once`` output format a command line asks for, read without the parser (which just refused it)."""
    if "--once" not in argv:
        return None
    for index, arg in enumerate(argv):
        if arg.startswith("--format="):
            return arg.split("=", 1)[1]
        if arg == "--format" and index + 1 < len(argv):
            return argv[index + 1]
    return "table"


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="tui-health",
        description="On-call console for Genesys Cloud platform health.",
        epilog="Exit codes for --once: "
        + ", ".join(f"{code} {label}" for code, label in EXIT_LABEL.items())
        + ".",
    )
    parser.add_argument("--version", action="version", version=f"tui-health {__version__}")
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--once", action="store_true", help="poll once, print, exit with a monitoring code")
    mode.add_argument("--headless", action="store_true", help="run the poll loop as a service (JSON lines)")
    mode.add_argument(
        "--replay", action="store_true", help="open the console on the recorded history instead of live polls"
    )
    mode.add_argument(
        "--attach",
        default=None,
        metavar="URL",
        help="open the console on a collector started with --serve (no credentials, no API quota here)",
    )
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
        "--format", choices=("table", "json", "nagios"), default=None, help="--once output (table)"
    )
    parser.add_argument(
        "--all",
        dest="show_all",
        action="store_true",
        help="--once table: list healthy components too (default: the problems and a count of the rest)",
    )
    parser.add_argument(
        "--max-polls", type=int, default=None, metavar="N", help="--headless: stop after N polls"
    )
    parser.add_argument(
        "--duration", type=seconds, default=None, metavar="SECONDS", help="--headless: stop after this long"
    )
    parser.add_argument(
        "--read-only",
        action="store_true",
        help="watch beside another instance: write no audit lines or state, send no alerts, take no lock",
    )
    parser.add_argument(
        "--since",
        default=None,
        metavar="TIME",
        help="--replay: open at this moment (a duration ago like 3h, or an ISO time; default: the last poll)",
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
    hist = sub.add_parser("history", help="availability report or timeline from the history store")
    hist.add_argument(
        "--since", default="24h", metavar="TIME", help="a duration ago (24h, 7d) or ISO time (24h)"
    )
    hist.add_argument("--until", default="now", metavar="TIME", help="a duration ago or ISO time (now)")
    hist.add_argument(
        "--component", action="append", default=[], metavar="ID", help="only this component (repeatable)"
    )
    hist.add_argument(
        "--format",
        dest="history_format",
        choices=("table", "json", "csv", "markdown"),
        default="table",
        help="output format (table)",
    )
    hist.add_argument(
        "--timeline", action="store_true", help="the window's transitions and alerts instead of the figures"
    )
    hist.add_argument(
        "--demo",
        action="store_true",
        help="record a week of the built-in simulator first (as --demo --replay does) and report on it",
    )
    _common(hist)
    sim = sub.add_parser("simulate", help="run the Genesys Cloud simulator in the foreground")
    sim.add_argument("--host", default="127.0.0.1", help="address to listen on (%(default)s)")
    sim.add_argument(
        "--port", type=int, default=8080, metavar="P", help="port to listen on (%(default)s; 0: a free one)"
    )
    sim.add_argument("--components", type=int, default=None, metavar="N", help="number of components")
    sim.add_argument(
        "--scenario",
        dest="sim_scenario",
        default=None,
        metavar="NAME|FILE",
        help="scenario name or JSON file",
    )
    sim.add_argument(
        "--latency-ms", type=float, default=None, metavar="MS", help="latency added to every API request"
    )
    sim.add_argument(
        "--churn",
        type=float,
        default=None,
        metavar="SHARE",
        help="share of the components that change on every poll (0.01: 1 %%, one per page of 100)",
    )
    sim.add_argument(
        "--fault",
        action="append",
        dest="sim_faults",
        default=[],
        metavar="NAME[:ARG][@TARGET]",
        help="misbehave on purpose (repeatable): drip, hang, reset, page-count-lie, next-uri-loop, "
        "next-uri-foreign-host, deep-json, nan, bad-timestamp, escape-names, echo-secret, token-newline, "
        "duplicate-ids, retry-after, redirect, ...",
    )

    box = sub.add_parser("outbox", help="list undelivered alerts; requeue or purge the failed ones")
    box.add_argument(
        "action",
        choices=("list", "requeue-failed", "purge-failed", "purge-orphaned"),
        nargs="?",
        default="list",
    )
    _common(box)

    sil = sub.add_parser(
        "silence",
        help="silence components from the shell: add, list, rm (a collector's API or the state dir)",
    )
    sil.add_argument("action", choices=("add", "list", "rm"))
    sil.add_argument(
        "component_id", nargs="?", metavar="ID", help="rm: the component whose silence is lifted"
    )
    sil.add_argument("--component", dest="silence_component", metavar="ID", help="add: this component")
    sil.add_argument(
        "--match",
        dest="silence_match",
        metavar="PATTERN",
        help="add or rm: components whose name or id match",
    )
    sil.add_argument(
        "--duration", dest="silence_duration", metavar="DURATION", help="add: how long (2h, 90m, 1d)"
    )
    sil.add_argument(
        "--reason", dest="silence_reason", metavar="TEXT", help="add: why (required; kept and audited)"
    )
    sil.add_argument("--by", dest="silence_by", metavar="NAME", help="who asks (default: the user)")
    sil.add_argument(
        "--attach",
        dest="silence_attach",
        metavar="URL",
        help="a collector (--serve): its API, with TUI_HEALTH_SERVE_TOKEN",
    )
    sil.add_argument(
        "--format",
        dest="silence_format",
        choices=("human", "json"),
        default="human",
        help="output (%(default)s)",
    )
    _common(sil)

    doc = sub.add_parser(
        "doctor",
        help="check config, credentials, permissions, the state dir and every alert sink (exit 0 / 1 warn / 2 fail)",
    )
    doc.add_argument(
        "--format",
        dest="doctor_format",
        choices=("human", "json"),
        default="human",
        help="output (%(default)s)",
    )
    doc.add_argument(
        "--send-test-alert",
        action="store_true",
        help="send one marked test alert (and its resolve) through every sink, audited",
    )
    doc.add_argument("--demo", action="store_true", help="check the built-in simulator's set-up")
    _common(doc)

    comp = sub.add_parser(
        "completion", help="print a shell completion script (bash, zsh or tcsh) for tui-health"
    )
    comp.add_argument("shell", choices=("bash", "zsh", "tcsh"))
    sub.add_parser("manpage", help="print the manual page (roff): tui-health manpage | man -l -")
    cfg = sub.add_parser("config", help="show where the config lives, show it, or write a template")
    cfg.add_argument("action", choices=("path", "show", "init"))
    cfg.add_argument("--force", action="store_true", help="init: overwrite an existing file")
    _common(cfg)
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
    if args.command is None:
        if args.show_all and (not args.once or args.format not in (None, "table")):
            raise ConfigError(
                "--all goes with --once (table)", hint="JSON and Nagios always list every component"
            )
        if args.format is not None and not args.once:
            raise ConfigError("--format goes with --once", hint="add --once, or drop --format")
        for flag, value in (("--max-polls", args.max_polls), ("--duration", args.duration)):
            if value is not None and not args.headless:
                raise ConfigError(f"{flag} goes with --headless", hint=f"add --headless, or drop {flag}")
        if args.attach is not None and args.demo:
            raise ConfigError("--attach watches a collector, not the demo", hint="drop --demo")
        if args.serve is not None and (args.once or args.replay or args.attach):
            raise ConfigError(
                "--serve goes with --headless or the console", hint="a collector polls; drop --serve"
            )
        if args.metrics_listen is not None and (args.once or args.replay or args.attach):
            raise ConfigError(
                "--metrics-listen goes with --headless or the console",
                hint="a single poll or a replay has no scraper",
            )
        if args.since is not None and not args.replay:
            raise ConfigError("--since goes with --replay", hint="add --replay, or drop --since")
        if args.replay and args.read_only:
            raise ConfigError("--read-only goes with live modes", hint="replay never writes anything anyway")
        if (args.scenario or args.fault) and not args.demo:
            flag = "--scenario" if args.scenario else "--fault"
            raise ConfigError(f"{flag} goes with --demo", hint=f"add --demo, or drop {flag}")
    if args.max_polls is not None and args.max_polls < 1:
        raise ConfigError(f"--max-polls must be at least 1, got {args.max_polls}")
    if args.duration is not None and not (0 < args.duration < float("inf")):
        raise ConfigError(f"--duration must be a positive number of seconds, got {args.duration:g}")
    if args.command == "simulate":
        if not 0 <= args.port <= 65535:
            raise ConfigError(f"--port must be 0-65535, got {args.port}", hint="0 picks a free port")
        if args.components is not None and not 1 <= args.components <= 100_000:
            raise ConfigError(f"--components must be 1-100000, got {args.components}")
        if args.latency_ms is not None and not (0 <= args.latency_ms < float("inf")):
            raise ConfigError(f"--latency-ms must be a non-negative number, got {args.latency_ms:g}")
        if args.churn is not None and not 0 <= args.churn <= 1:
            raise ConfigError(f"--churn must be 0 to 1, got {args.churn:g}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    words = list(sys.argv[1:] if argv is None else argv)
    _Parser.words = words
    try:
        args = parser.parse_args(words)
    except SystemExit as stop:
        if stop.code == UNKNOWN and _Parser.problem:  # a plugin's reader still gets its answer on stdout
            from tui_health.modes.once import write_unknown

            write_unknown(_Parser.problem, _once_format(words), sys.stdout)
        raise
    try:
        check_modes(args)
        return _dispatch(args)
    except TuiHealthError as exc:
        if args.debug:
            raise
        line = clean(scrub(exc.one_line()), 1000)
        if args.once and args.command is None:  # a plugin's reader still gets its document on stdout
            from tui_health.modes.once import write_unknown

            write_unknown(line, args.format, sys.stdout)
        print(f"tui-health: {line}", file=sys.stderr)
        return UNKNOWN
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # `tui-health outbox list | head -1`: the reader has all it wanted
        from tui_health.support.signals import silence_stdout

        silence_stdout()
        return 0
    except Exception as exc:
        if args.debug:
            raise
        line = f"internal error: {exc.__class__.__name__}: {clean(scrub(str(exc)), 300)} (run with --debug for details)"
        if args.once and args.command is None:
            from tui_health.modes.once import write_unknown

            write_unknown(line, args.format, sys.stdout)
        print(f"tui-health: {line}", file=sys.stderr)
        return UNKNOWN


def _dispatch(args: argparse.Namespace) -> int:
    from tui_health.modes.demo import demo
    from tui_health.settings.config import config_path, load_settings

    path = config_path(getattr(args, "config", None))
    explicit = hasattr(args, "config") or bool(os.environ.get("TUI_HEALTH_CONFIG"))
    only = getattr(args, "target", [])
    if args.command == "manpage":
        from tui_health.modes.manpage import manpage

        print(manpage(build_parser()), end="")
        return 0
    if args.command == "completion":
        import shtab

        # generated from this very parser: every flag, subcommand and choice, never out of date
        print(shtab.complete(build_parser(), shell=args.shell))
        return 0
    if args.command == "simulate":
        from tui_health.modes.simulate import run_simulate

        return run_simulate(
            host=args.host,
            port=args.port,
            scenario=args.sim_scenario,
            faults=args.sim_faults,
            components=args.components,
            latency_ms=args.latency_ms,
            churn=args.churn,
        )
    if args.command == "config":
        from tui_health.modes.configure import run_config

        return run_config(
            args.action, path, explicit=explicit, flags=flags_from(args), force=args.force, only=only
        )
    if args.command == "silence":
        from tui_health.modes.silence_cmd import run_silence

        if args.action == "rm" and not (args.component_id or args.silence_component or args.silence_match):
            raise ConfigError("silence rm needs the component: tui-health silence rm ID (or --match PATTERN)")
        return run_silence(args, path, explicit=explicit, flags=flags_from(args), only=list(only))
    if args.command == "doctor":
        from tui_health.modes.doctor import config_failed, run_doctor

        flags, env = flags_from(args), dict(os.environ)
        for var in ("GENESYSCLOUD_OAUTHCLIENT_SECRET", "TUI_HEALTH_WEBHOOK_TOKEN", "TUI_HEALTH_SERVE_TOKEN"):
            SECRETS.add(env.get(var))
        scope = (
            demo(flags, env, scenario=None, faults=[], replay=False)
            if args.demo
            else contextlib.nullcontext()
        )
        with scope:
            try:
                settings = load_settings(path=path, path_required=explicit, env=env, flags=flags)
            except ConfigError as exc:
                return config_failed(exc, args.doctor_format)
            return asyncio.run(
                run_doctor(
                    settings,
                    config_path=path,
                    fmt=args.doctor_format,
                    send_test_alert=args.send_test_alert,
                    only=tuple(only),
                )
            )
    if args.command == "outbox":
        from tui_health.modes.outbox_cmd import run_outbox

        return run_outbox(args.action, path, explicit=explicit, flags=flags_from(args), only=only)
    if args.command == "history":
        from tui_health.modes.review import run_history

        flags = flags_from(args)
        with (
            demo(flags, dict(os.environ), scenario=None, faults=[], replay=True)
            if args.demo
            else contextlib.nullcontext()
        ):
            return run_history(
                path,
                explicit=explicit,
                flags=flags,
                since=args.since,
                until=args.until,
                components=args.component,
                timeline=args.timeline,
                fmt=args.history_format,
                only=only,
                record_demo=args.demo,
            )
    if args.command is None and args.attach is not None:
        from tui_health.modes.console import run_attach

        SECRETS.add(os.environ.get("TUI_HEALTH_SERVE_TOKEN"))
        zone.set_zone(getattr(args, "tz", "local"))
        return asyncio.run(run_attach(args.attach, os.environ.get("TUI_HEALTH_SERVE_TOKEN")))
    flags = flags_from(args)
    env = dict(os.environ)
    for var in ("GENESYSCLOUD_OAUTHCLIENT_SECRET", "TUI_HEALTH_WEBHOOK_TOKEN", "TUI_HEALTH_SERVE_TOKEN"):
        SECRETS.add(env.get(var))  # masked in every line, even when the settings themselves are wrong
    scope = (
        demo(flags, env, scenario=args.scenario, faults=args.fault, replay=args.replay)
        if args.demo
        else contextlib.nullcontext()
    )
    with scope:
        settings = load_settings(path=path, path_required=explicit, env=env, flags=flags)
        zone.set_zone(settings.display.tz)
        listen = serve = None
        if args.metrics_listen is not None or args.serve is not None:
            from tui_health.serve.http import parse_listen

            listen = parse_listen(args.metrics_listen, "--metrics-listen") if args.metrics_listen else None
            serve = parse_listen(args.serve, "--serve") if args.serve else None
        if args.headless or not (args.once or args.replay):
            from tui_health.serve.bounded import raise_fd_limit

            raise_fd_limit()  # a long-running monitor (and its collector) keeps descriptors in reserve
        if args.once:
            from tui_health.modes.once import run_once

            return asyncio.run(
                run_once(
                    settings, config_path=path, fmt=args.format or "table", only=only, show_all=args.show_all
                )
            )
        if args.headless:
            from tui_health.modes.headless import run_headless

            return asyncio.run(
                run_headless(
                    settings,
                    config_path=path,
                    max_polls=args.max_polls,
                    duration=args.duration,
                    read_only=args.read_only,
                    listen=listen,
                    serve=serve,
                    only=only,
                    # SIGHUP and POST /-/reload read the same layers again: file, environment, these flags
                    reread=lambda: load_settings(
                        path=path, path_required=explicit, env=dict(os.environ), flags=flags
                    ),
                )
            )
        if args.replay:
            from tui_health.modes.console import run_replay

            return asyncio.run(run_replay(settings, since=args.since, demo=args.demo, only=only))
        from tui_health.modes.console import run_tui

        return asyncio.run(
            run_tui(
                settings, config_path=path, read_only=args.read_only, listen=listen, serve=serve, only=only
            )
        )
