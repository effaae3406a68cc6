"""``tui-health manpage``: the manual page, written in roff from the argparse parser itself (like the shell
completions), so it never disagrees with ``--help``. ``tui-health manpage | man -l -`` reads it."""

from __future__ import annotations

import argparse
from datetime import date

from tui_health import __version__
from tui_health.report.status import EXIT_LABEL, EXIT_RULE, SEVERITY, exit_meanings

ENVIRONMENT = (
    (
        "GENESYSCLOUD_OAUTHCLIENT_ID, GENESYSCLOUD_OAUTHCLIENT_SECRET",
        "the OAuth client (client credentials).",
    ),
    ("GENESYSCLOUD_REGION, GENESYSCLOUD_API_REGION", "the org's region, or its API base URL."),
    ("TUI_HEALTH_CONFIG", "the config file (default: the user's config directory)."),
    ("TUI_HEALTH_WEBHOOK_TOKEN", "the bearer token webhook sinks send."),
    (
        "TUI_HEALTH_SERVE_TOKEN",
        "the token a collector (--serve) asks of those who read its state or silence.",
    ),
    (
        "STATE_DIRECTORY, CONFIGURATION_DIRECTORY, LOGS_DIRECTORY",
        "set by systemd: used instead of the user's.",
    ),
)


def roff(text: str) -> str:
    """Text as roff: backslashes and hyphens escaped, a leading dot or quote kept literal."""
    text = text.replace("\\", "\\e").replace("-", "\\-")
    return "\\&" + text if text[:1] in (".", "'") else text


def options(parser: argparse.ArgumentParser) -> list[str]:
    lines: list[str] = []
    for group in parser._action_groups:
        shown = [a for a in group._group_actions if a.help != argparse.SUPPRESS and a.option_strings]
        if not shown:
            continue
        lines.append(f".SS {roff(group.title or 'options')}")
        for action in shown:
            flags = ", ".join(f"\\fB{roff(o)}\\fR" for o in action.option_strings)
            if action.nargs != 0:
                metavar = action.metavar or (
                    "{" + ",".join(map(str, action.choices)) + "}" if action.choices else action.dest.upper()
                )
                flags += f" \\fI{roff(str(metavar))}\\fR"
            lines += [".TP", flags, roff(action.help or "")]
    return lines


def exit_status() -> list[str]:
    """EXIT STATUS: the program's own rule (``report/status.py``), clause by clause, and how several targets'
    codes combine."""
    checked = ", then ".join(dict.fromkeys(EXIT_LABEL[clause.code] for clause in EXIT_RULE))
    lines = [
        ".SH EXIT STATUS",
        roff(f"--once exits with a monitoring-plugins code (checked in this order: {checked}):"),
    ]
    for code, meaning in exit_meanings().items():
        lines += [".TP", f"\\fB{code}\\fR {EXIT_LABEL[code]}", roff(meaning[:1].upper() + meaning[1:] + ".")]
    order = ", then ".join(EXIT_LABEL[code] for code in reversed(SEVERITY))
    lines += [".PP", roff(f"With several targets, the worst of their codes: {order}.")]
    return lines


def manpage(parser: argparse.ArgumentParser) -> str:
    lines = [
        f'.TH TUI-HEALTH 1 "{date.today():%Y-%m-%d}" "tui-health {__version__}" "User Commands"',
        ".SH NAME",
        f"tui\\-health \\- {roff(parser.description or '')}",
        ".SH SYNOPSIS",
        ".B tui-health".replace("-", "\\-"),
        "[\\fIoptions\\fR] [\\fB\\-\\-once\\fR | \\fB\\-\\-headless\\fR | \\fB\\-\\-replay\\fR | \\fB\\-\\-attach\\fR \\fIURL\\fR]",
        ".br",
        ".B tui\\-health",
        "\\fIcommand\\fR [\\fIoptions\\fR]",
        ".SH DESCRIPTION",
        roff(
            "An on-call console for Genesys Cloud platform health: the live console by default, one snapshot "
            "with --once, the poll loop as a service with --headless; --demo runs any of them on a built-in "
            "simulator."
        ),
        ".SH OPTIONS",
        *options(parser),
        ".SH COMMANDS",
    ]
    for action in parser._subparsers._group_actions if parser._subparsers else ():
        if isinstance(action, argparse._SubParsersAction):
            helps = {c.dest: c.help for c in action._choices_actions}
            for name, sub in action.choices.items():
                lines += [f".SS {roff(name)}", roff(helps.get(name) or "")]
                positionals = [a for a in sub._actions if not a.option_strings and a.choices]
                for positional in positionals:
                    lines.append(".br")
                    lines.append(roff(f"{positional.dest}: {' | '.join(map(str, positional.choices))}"))
                shared = set(parser._option_string_actions)  # the common options, listed once above
                own = [
                    a
                    for a in sub._actions
                    if a.option_strings and a.help != argparse.SUPPRESS and not set(a.option_strings) & shared
                ]
                for a in own:
                    if a.dest in ("help",):
                        continue
                    lines += [
                        ".TP",
                        ", ".join(f"\\fB{roff(o)}\\fR" for o in a.option_strings),
                        roff(a.help or ""),
                    ]
    lines += exit_status()
    lines.append(".SH ENVIRONMENT")
    for names, meaning in ENVIRONMENT:
        lines += [".TP", f"\\fB{roff(names)}\\fR", roff(meaning)]
    lines += [".SH SEE ALSO", "The README (a section per mode, the configuration keys, the failure table)."]
    return "\n".join(lines) + "\n"
