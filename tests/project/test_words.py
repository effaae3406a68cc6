"""Words that match the program (issue #33, item 7): what the man page, the README, `--help`, completions and
the template say is made from, or checked against, what the program does."""

from __future__ import annotations

import json
import re
import tomllib
from datetime import UTC, datetime
from typing import Any, get_args, get_origin

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import BaseModel

from tests.conftest import run_cli, sim_settings
from tests.paths import ROOT
from tui_health.engine.threshold import ThresholdRule
from tui_health.model.domain import EventType, SourceResult, Status
from tui_health.model.state import ComponentView
from tui_health.monitor.runtime import open_monitor
from tui_health.report.status import EXIT_LABEL, Report, exit_clause
from tui_health.support.clock import FakeClock
from tui_health.support.timespec import duration_text, parse_duration


# -- durations as people read them ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("seconds", "text"),
    [(7200, "2h"), (5400, "1h30m"), (90, "1m30s"), (60, "1m"), (604_800, "7d"), (90_061, "1d1h1m1s"),
     (15, "15 s"), (2.5, "2.5 s"), (7200.4, "2h")],
)  # fmt: skip
def test_a_duration_reads_as_it_is_typed(seconds: float, text: str) -> None:
    assert duration_text(seconds) == text


@given(st.integers(min_value=1, max_value=400 * 86_400))
def test_a_duration_shown_reads_back_as_the_same_duration(seconds: int) -> None:
    assert parse_duration(duration_text(seconds)) == seconds


def test_a_silence_asked_from_the_shell_says_its_duration_as_a_duration(tmp_path) -> None:
    """`--duration 120` (bare minutes) is said as 2h, not as the digits typed nor as 7200 s."""
    config = f'[state]\ndir = "{tmp_path / "state"}"\n'
    asked = run_cli(
        "silence", "add", "--component", "x", "--duration", "120", "--reason", "r",
        env={"GENESYSCLOUD_REGION": "eu-central-1"}, extra_config=config,
    )  # fmt: skip
    assert asked.returncode == 0, asked.stderr
    assert "asked to silence x for 2h on eu-central-1" in asked.stdout


async def test_a_reload_and_a_maintenance_window_say_their_durations_as_durations(
    start_sim, tmp_path
) -> None:
    from tui_health.settings.config import MaintenanceSettings

    sim = start_sim("steady")
    clock = FakeClock(datetime(2026, 12, 6, 2, 5, tzinfo=UTC))
    window = MaintenanceSettings.model_validate({"name": "db", "start": "2026-12-06T02:00", "duration": 5400})
    settings = sim_settings(sim, tmp_path).model_copy(update={"maintenance": [window]})
    async with open_monitor(settings, config_path=tmp_path / "none.toml", clock=clock) as monitor:
        await monitor.start()
        await monitor.poll()
        started = [e.message for e in monitor.recent if e.event_type == EventType.MAINTENANCE_STARTED]
        assert started and "for 1h30m" in started[-1], started
        monitor.reconfigure(sim_settings(sim, tmp_path, **{"poll.interval": 7200}))
        [reloaded] = [e.message for e in monitor.recent if e.event_type == EventType.CONFIG_RELOADED]
        assert "interval 15 s → 2h" in reloaded, reloaded
        await monitor.close()


# -- exit codes: the program's rule, the man page and the README --------------------------------------------------
def unroff(text: str) -> str:
    return text.replace("\\-", "-").replace("\\&", "").replace("\\e", "\\")


def manpage_section(page: str, title: str) -> list[str]:
    lines = page.splitlines()
    start = lines.index(f".SH {title}")
    end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith(".SH ")), len(lines))
    return lines[start + 1 : end]


def readme_table(heading: str) -> list[list[str]]:
    """The first table under ``heading``, as rows of cells (the header row and the rule left out)."""
    lines = (ROOT / "README.md").read_text().splitlines()
    at = lines.index(heading)
    start = next(i for i in range(at, len(lines)) if lines[i].startswith("|"))
    rows = []
    for line in lines[start + 2 :]:
        if not line.startswith("|"):
            break
        rows.append([cell.strip() for cell in line.strip().strip("|").split(" | ")])
    return rows


def once_report(
    statuses: dict[str, Status], rule: ThresholdRule, sources: tuple[bool, ...] = (True,)
) -> Report:
    """A ``--once`` report of these confirmed statuses, breached as the engine's own rule says."""
    now = datetime(2026, 12, 2, 9, tzinfo=UTC)
    views = tuple(
        ComponentView(
            id=cid, name=cid, status=s, observed=s, since=now, last_modified=now, source="health-api"
        )
        for cid, s in statuses.items()
    )
    return Report(
        generated_at=now,
        components=views if any(sources) else (),
        reasons=tuple(rule.reasons(statuses)) if any(sources) else (),
        events=(),
        sources=tuple(SourceResult(name=f"source-{i}", ok=ok) for i, ok in enumerate(sources)),
        total_ms=1.0,
        requests=(),
        min_down=rule.min_down,
        min_degraded=rule.min_degraded,
    )


H, DG, DN, M = Status.HEALTHY, Status.DEGRADED, Status.DOWN, Status.MAINTENANCE
EXIT_CASES = {  # the code DESIGN.md's contract gives each
    "a breached degraded threshold": (once_report({"a": DG, "b": DG, "c": H}, ThresholdRule()), 2),
    "a down component, no threshold breached": (once_report({"a": DN, "b": H}, ThresholdRule(min_down=2)), 1),
    "a critical component down": (
        once_report({"a": DN}, ThresholdRule(min_down=5, critical=frozenset("a"))),
        2,
    ),
    "one degraded": (once_report({"a": DG, "b": H}, ThresholdRule()), 1),
    "healthy and in maintenance": (once_report({"a": H, "b": M}, ThresholdRule()), 0),
    "healthy, one of two sources failed": (once_report({"a": H}, ThresholdRule(), (True, False)), 1),
    "no source answered": (once_report({"a": H}, ThresholdRule(), (False,)), 3),
}


@pytest.mark.parametrize("case", EXIT_CASES)
def test_the_exit_status_the_man_page_and_the_readme_give_is_the_one_the_program_exits_with(
    case: str,
) -> None:
    report, code = EXIT_CASES[case]
    assert report.exit_code == code
    said = exit_clause(report).says.lower()
    section = manpage_section(run_cli("manpage").stdout, "EXIT STATUS")
    entries = {
        int(unroff(section[i + 1]).split("\\fR")[0].removeprefix("\\fB")): unroff(section[i + 2]).lower()
        for i, line in enumerate(section)
        if line == ".TP"
    }
    assert sorted(entries) == sorted(EXIT_LABEL)
    assert said in entries[code], (case, entries[code])
    rows = {
        int(cell.split()[0]): (cell.split()[1], meaning.replace("`", "").lower())
        for cell, meaning in readme_table("### Exit codes (`--once`, monitoring-plugins convention)")
    }
    assert {c: label for c, (label, _) in rows.items()} == EXIT_LABEL
    assert said in rows[code][1], (case, rows[code][1])


# -- the man page: every subcommand with its own options, help as --help prints it ------------------------------
def test_the_man_page_lists_every_subcommand_with_its_own_options_as_help_says_them() -> None:
    import argparse

    from tui_health.cli import build_parser

    parser = build_parser()
    page = run_cli("manpage").stdout
    assert "%%" not in page and "%(" not in page
    commands = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    listed = unroff(page)
    for name, sub in commands.choices.items():
        start = listed.index(f"\n.SS {name}\n")
        end = min(i for i in (listed.find("\n.SS ", start + 1), listed.find("\n.SH ", start + 1)) if i > 0)
        section = listed[start:end]
        for action in sub._actions:
            if action.help == argparse.SUPPRESS:
                continue
            said = sub._get_formatter()._expand_help(action) if action.help else ""
            main = (
                parser._option_string_actions.get(action.option_strings[0]) if action.option_strings else None
            )
            if main is not None and main.dest == action.dest and main.help == action.help:
                assert said in listed, (name, action.option_strings)  # the common option, in OPTIONS
                continue
            for flag in action.option_strings:
                assert f"\\fB{flag}\\fR" in section, (name, flag)
            if action.choices and not action.option_strings:
                assert " | ".join(map(str, action.choices)) in section, (name, action.dest)
            elif action.choices and action.metavar is None:
                assert "{" + ",".join(map(str, action.choices)) + "}" in section, (name, action.dest)
            assert said in section, (name, action.dest, said)


# -- --help names every subcommand ---------------------------------------------------------------------------------
def test_help_usage_names_every_subcommand_the_parser_has() -> None:
    import argparse

    from tui_health.cli import build_parser

    commands = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    shown = run_cli("--help", env={"COLUMNS": "200"}).stdout
    usage = " ".join(shown.split("\n\n", 1)[0].split())
    assert usage.startswith("usage: tui-health ")
    listed = re.search(r"\{([a-z,-]+)\} \.\.\.$", usage)
    assert listed is not None, usage
    assert listed.group(1).split(",") == list(commands.choices)


# -- completion of --source values ------------------------------------------------------------------------------
def test_bash_completes_source_names_from_the_registry(tmp_path) -> None:
    import shutil
    import subprocess

    from tui_health.sources import BUILTIN as SOURCES

    if shutil.which("bash") is None:
        pytest.skip("no bash here")
    script = run_cli("completion", "bash")
    assert script.returncode == 0, script.stderr
    (tmp_path / "tui-health.bash").write_text(script.stdout)
    probe = (
        f"source {tmp_path / 'tui-health.bash'}\n"
        'complete_words() { COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _shtab_tui_health; echo "${COMPREPLY[*]}"; }\n'
        "complete_words tui-health --source ''\n"
        "complete_words tui-health --once --source st\n"
        "complete_words tui-health history --source ''\n"
    )
    done = subprocess.run(["bash", "-c", probe], capture_output=True, text=True, timeout=30)
    every, started, history = (sorted(line.split()) for line in done.stdout.splitlines())
    assert every == sorted(SOURCES) == history, done.stderr
    assert started == sorted(name for name in SOURCES if name.startswith("st"))


# -- the config template: every key of the settings model ------------------------------------------------------
COMMENTED_SETTING = re.compile(r"^# ?((\[\[?[^\]]+\]\]?( +#.*)?)|([A-Za-z_][\w-]*|\"[^\"]*\") *=.*)$")
"""A commented-out line of the template that is a setting (``# key = value``) or a table (``# [[targets]]``);
prose comments are neither."""


def live(template: str) -> str:
    """The template with every commented-out setting and table made live."""
    return "\n".join(
        match.group(1) if (match := COMMENTED_SETTING.match(line)) else line for line in template.splitlines()
    )


def sections_of(annotation: Any) -> list[type[BaseModel]]:
    """The settings sections a field's type holds (several for a union such as the sinks)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    return [m for arg in get_args(annotation) for m in sections_of(arg)]


def unwritten(model: type[BaseModel], data: Any, where: str = "") -> list[str]:
    """The keys of ``model`` (walked into its sections, lists and tables of sections) that ``data`` lacks."""
    gone = []
    for name, field in model.model_fields.items():
        key = f"{where}{name}"
        if not isinstance(data, dict) or name not in data:
            gone.append(key)
            continue
        value, origin = data[name], get_origin(field.annotation)
        inner = sections_of(field.annotation)
        if not inner:
            continue
        if origin in (list, dict):
            entries = value if origin is list else list(value.values())
            for section in inner:
                kind = get_args(section.model_fields["type"].annotation) if len(inner) > 1 else ()
                mine = [e for e in entries if not kind or e.get("type") in kind]
                merged = {k: v for entry in mine for k, v in entry.items()}
                gone += unwritten(section, merged, f"{key}[{'='.join(('type', *kind)) if kind else ''}].")
        else:
            gone += unwritten(inner[0], value, f"{key}.")
    return gone


def test_the_config_template_writes_every_key_of_the_settings_model(tmp_path) -> None:
    """Every section and key of the settings model — sections, [[maintenance]] and [[targets]] entries, the
    queue thresholds' table, every registered sink type — is in `config init`'s template, set to its default
    or commented out; made live, the commented ones still make valid settings."""
    from tui_health.alerts.sinks import BUILTIN
    from tui_health.settings.config import Settings, load_settings, template

    written = live(template())
    data = tomllib.loads(written)
    assert unwritten(Settings, data) == []
    assert {sink["type"] for sink in data["alerts"]["sinks"]} == set(BUILTIN)
    (tmp_path / "config.toml").write_text(written)
    settings = load_settings(path=tmp_path / "config.toml", path_required=True, env={})
    assert len(settings.alerts.sinks) == len(BUILTIN) and settings.maintenance and settings.targets


# -- the README's history example, as the command it names prints it -----------------------------------------
MOMENT = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}")


def test_the_readmes_history_example_is_what_its_commands_print() -> None:
    """Each `$ tui-health …` of the worked example runs, and prints what the README shows under it — its
    header line, its columns and the rows shown — with the dates of the week it recorded (ending now)."""
    import shlex

    text = (ROOT / "README.md").read_text()
    section = text[text.index("### `tui-health history`") : text.index("### Replay")]
    block = section[section.index("A worked example") :].split("```\n", 2)[1]
    examples = [part.splitlines() for part in block.split("$ ")[1:]]
    assert len(examples) == 2
    for command, *shown in examples:
        shown = shown[: len(shown) - (shown[-1] == "")]
        words = shlex.split(command)
        assert words[0] == "tui-health"
        done = run_cli(*words[1:])
        assert done.returncode == 0, (command, done.stderr)
        printed = done.stdout.splitlines()
        assert [MOMENT.sub("<when>", line) for line in printed[: len(shown)]] == [
            MOMENT.sub("<when>", line) for line in shown
        ], command


# -- the demo's files ---------------------------------------------------------------------------------------------
def test_the_demo_keeps_its_files_to_itself_whatever_the_config_names(tmp_path) -> None:
    """Any `--demo` (and `history --demo`) records, locks and saves in its scratch directory, never in the state
    or history directory the config file names (a service's, perhaps)."""
    config = f'[state]\ndir = "{tmp_path / "state"}"\n[history]\ndir = "{tmp_path / "history"}"\n'
    for command in (("--demo", "--once", "--format", "json"), ("history", "--demo", "--since", "1d")):
        done = run_cli(*command, extra_config=config)
        assert done.returncode in (0, 1, 2), done.stderr
        assert not (tmp_path / "state").exists() and not (tmp_path / "history").exists(), command


# -- the failure table's SIGHUP row --------------------------------------------------------------------------------
def test_the_failure_tables_sighup_row_says_headless_reloads() -> None:
    """What --headless does on SIGHUP (tests/e2e/test_operator_kit.py sends it: the config is read again, audited as
    config_reloaded or config_rejected, and the process goes on) is what the failure table says."""
    [(_, _, seen)] = [row for row in readme_table("## Failure behaviour") if row[0] == "SIGHUP"]
    headless = seen.split(";")[0]
    assert "--headless" in headless and "stops" not in headless, seen
    for kind in (EventType.CONFIG_RELOADED, EventType.CONFIG_REJECTED):
        assert f"`{kind.value}`" in seen, (kind, seen)


# -- one clock in every human view -------------------------------------------------------------------------------
RFC3339 = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")
KOLKATA = {"TZ": "Asia/Kolkata"}  # +05:30 all year: local time that is never UTC


@pytest.mark.parametrize(("flags", "zone_name"), [((), "IST"), (("--tz", "utc"), "UTC")])
def test_silence_list_shows_until_in_the_one_clock_and_json_in_utc(tmp_path, flags, zone_name) -> None:
    from zoneinfo import ZoneInfo

    from tui_health.support.clock import read_rfc3339

    config = f'[state]\ndir = "{tmp_path / "state"}"\n'
    asked = run_cli(
        "silence", "add", "--component", "voice", "--duration", "2h", "--reason", "carrier", extra_config=config
    )  # fmt: skip
    assert asked.returncode == 0, asked.stderr
    shown = run_cli("silence", "list", *flags, env=KOLKATA, extra_config=config)
    document = run_cli("silence", "list", "--format", "json", env=KOLKATA, extra_config=config)
    [row] = json.loads(document.stdout)
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z", row["until"]), row  # machine: UTC
    until = read_rfc3339(row["until"])
    assert until is not None
    clock = ZoneInfo("UTC" if zone_name == "UTC" else "Asia/Kolkata")
    [line] = [line for line in shown.stdout.splitlines() if "voice" in line]
    assert f"voice until {until.astimezone(clock):%Y-%m-%d %H:%M} {zone_name}" in line, line
    assert not RFC3339.search(line), line


@pytest.mark.parametrize(("flags", "zone_name"), [((), "IST"), (("--tz", "utc"), "UTC")])
def test_the_once_table_shows_every_time_in_the_clock_its_columns_name(flags, zone_name) -> None:
    done = run_cli("--demo", "--once", *flags, env={**KOLKATA, "COLUMNS": "400"})
    assert done.returncode in (1, 2), done.stderr
    lines = done.stdout.splitlines()
    assert f"Last modified ({zone_name})" in done.stdout
    assert not [line for line in lines if RFC3339.search(line)], done.stdout
    assert re.search(rf"·\s+\d{{4}}-\d{{2}}-\d{{2}} \d{{2}}:\d{{2}}:\d{{2}} {zone_name}$", lines[0]), lines[0]
    incidents = [line for line in lines if line.startswith(("incident:", "maintenance:"))]
    assert incidents
    for line in incidents:
        assert re.search(rf" (since|at) \d{{4}}-\d{{2}}-\d{{2}} \d{{2}}:\d{{2}} {zone_name}\b", line), line
