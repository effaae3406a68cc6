"""``tui-health manpage``: the manual page, written in roff from the argparse parser itself (like the shell
completions), so it never disagrees with ``--help``. ``tui-health manpage | man -l -`` reads it."""

from __future__ import annotations

import argparse
from datetime import date

from tui_health import __version__
from tui_health.modes.base import Invocation
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


def said(parser: argparse.ArgumentParser, action: argparse.Action) -> str:
    """An option's help as ``--help`` prints it: ``%%`` as ``%``, ``%(default)s`` and the like expanded."""
    return parser._get_formatter()._expand_help(action) if action.help else ""


def item(parser: argparse.ArgumentParser, action: argparse.Action) -> list[str]:
    """One option (or positional argument) as a tagged paragraph: its flags and value, then its help; a choice
    of values is listed as ``a | b | c``."""
    values = [str(choice) for choice in action.choices or ()]
    choices = " | ".join(values)
    if action.option_strings:
        tag = ", ".join(f"\\fB{roff(o)}\\fR" for o in action.option_strings)
        if action.nargs != 0:
            metavar = action.metavar or ("{" + ",".join(values) + "}" if values else action.dest.upper())
            tag += f" \\fI{roff(str(metavar))}\\fR"
    else:
        tag = f"\\fI{roff(str(action.metavar or action.dest))}\\fR"
    text = said(parser, action)
    if choices and (not action.option_strings or not text):
        text = f"{text} ({choices})" if text else choices
    return [".TP", tag, roff(text)]


def options(parser: argparse.ArgumentParser) -> list[str]:
    lines: list[str] = []
    for group in parser._action_groups:
        shown = [a for a in group._group_actions if a.help != argparse.SUPPRESS and a.option_strings]
        if not shown:
            continue
        lines.append(f".SS {roff(group.title or 'options')}")
        for action in shown:
            lines += item(parser, action)
    return lines


def common(parser: argparse.ArgumentParser, action: argparse.Action) -> bool:
    """Whether a subcommand's option is one of the main command's (the same flags, value and help): it is
    described once, under OPTIONS."""
    main = parser._option_string_actions.get(action.option_strings[0]) if action.option_strings else None
    return main is not None and (main.option_strings, main.dest, main.help) == (
        action.option_strings,
        action.dest,
        action.help,
    )


def commands(parser: argparse.ArgumentParser) -> list[str]:
    """Every subcommand with its help, its arguments and its own options; the options it shares with the main
    command are named by their group."""
    lines: list[str] = []
    for action in parser._actions:
        if not isinstance(action, argparse._SubParsersAction):
            continue
        helps = {c.dest: c.help for c in action._choices_actions}
        for name, sub in action.choices.items():
            lines += [f".SS {roff(name)}", roff(helps.get(name) or "")]
            shown = [a for a in sub._actions if a.help != argparse.SUPPRESS]
            for argument in shown:
                if not common(parser, argument):
                    lines += item(sub, argument)
            groups = [
                g.title
                for g in sub._action_groups
                if g.title and any(common(parser, a) and a.dest != "help" for a in g._group_actions)
            ]
            if groups:
                lines += [".PP", roff(f"Also the options of {', '.join(groups)} (see OPTIONS).")]
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


COMMAND = "manpage"
HELP = "print the manual page (roff): tui-health manpage | man -l -"
COMMON = False


def arguments(parser: argparse.ArgumentParser) -> None:
    """No options: the page is the parser's own account of every mode and command."""


def run(invocation: Invocation) -> int:
    print(manpage(invocation.parser), end="")
    return 0


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
        *commands(parser),
    ]
    lines += exit_status()
    lines.append(".SH ENVIRONMENT")
    for names, meaning in ENVIRONMENT:
        lines += [".TP", f"\\fB{roff(names)}\\fR", roff(meaning)]
    lines += [".SH SEE ALSO", "The README (a section per mode, the configuration keys, the failure table)."]
    return "\n".join(lines) + "\n"
