"""doctor's verdicts as rules, without a simulator: the worst verdict, the report as a person and a program read
it, a source's answer as a check, and each maintenance window's when and what (windows far from today, so the
real clock the doctor reads cannot move them)."""

from __future__ import annotations

import asyncio
import json
from dataclasses import replace
from types import SimpleNamespace

import pytest

from tui_health.model.domain import Component, SourceResult, Status
from tui_health.model.extras import SourceExtras
from tui_health.modes.doctor import (
    FAIL,
    OK,
    WARN,
    Check,
    config_failed,
    source_check,
    window_checks,
    worst,
    write,
)
from tui_health.settings.config import MaintenanceSettings
from tui_health.support import zone
from tui_health.support.errors import ConfigError


@pytest.fixture(autouse=True)
def shown_in_utc():
    zone.set_zone("utc")


def test_the_worst_verdict_wins():
    assert worst([]) == OK
    assert worst([Check("", "a", OK, ""), Check("", "b", WARN, "")]) == WARN
    assert worst([Check("", "a", WARN, ""), Check("", "b", FAIL, ""), Check("", "c", OK, "")]) == FAIL


def test_the_report_marks_each_check_names_its_target_and_ends_with_the_verdict(capsys):
    write([Check("", "config", OK, "parsed"), Check("prod", "source health-api", WARN, "HTTP 429")], "human")
    assert capsys.readouterr().out.splitlines() == [
        "✓ config: parsed",
        "! [prod] source health-api: HTTP 429",
        "works, with warnings",
    ]
    write([Check("prod", "sink hook", FAIL, "not reachable")], "human")
    assert capsys.readouterr().out.splitlines() == [
        "✗ [prod] sink hook: not reachable",
        "something will not work",
    ]
    write([], "human")
    assert capsys.readouterr().out.splitlines() == ["all good"]


def test_the_json_report_has_the_verdict_and_every_check(capsys):
    write([Check("", "config", OK, "parsed"), Check("prod", "sink hook", FAIL, "down")], "json")
    out = capsys.readouterr().out
    assert json.loads(out) == {
        "verdict": "fail",
        "checks": [
            {"target": "", "check": "config", "verdict": "ok", "detail": "parsed"},
            {"target": "prod", "check": "sink hook", "verdict": "fail", "detail": "down"},
        ],
    }
    assert out.startswith('{\n  "verdict"')  # indented for a person too


def test_a_config_that_does_not_parse_is_the_first_finding_and_a_failure(capsys):
    assert config_failed(ConfigError("bad config"), "human") == 2
    assert capsys.readouterr().out.splitlines() == ["✗ config: bad config", "something will not work"]


# -- a source's answer ---------------------------------------------------------------------------------------------
class Source:
    def __init__(self, result: SourceResult | None) -> None:
        self.name = "health-api"
        self.result = result

    async def fetch(self, deadline: float) -> SourceResult:
        if self.result is None:
            await asyncio.Event().wait()  # never answers
        assert self.result is not None
        return self.result


FAILED = SourceResult(name="health-api", ok=False, error="HTTP 429 (rate limited)", error_kind="rate_limited")


async def check_of(result: SourceResult | None, deadline: float = 1e12) -> tuple[Check, tuple]:
    return await source_check("prod", Source(result), deadline)


async def test_a_rate_limited_source_is_a_warning_and_any_other_failure_a_failure():
    assert await check_of(FAILED) == (Check("prod", "source health-api", WARN, "HTTP 429 (rate limited)"), ())
    budget = replace(FAILED, error="over the request budget", error_kind="rate_budget")
    assert (await check_of(budget))[0].verdict == WARN
    auth = replace(FAILED, error=None, error_kind="auth")
    assert await check_of(auth) == (Check("prod", "source health-api", FAIL, "failed"), ())


async def test_a_source_that_does_not_answer_by_the_deadline_fails():
    check, found = await check_of(None, deadline=0.0)
    assert (
        check == Check("prod", "source health-api", FAIL, "no answer within the poll deadline")
        and found == ()
    )


async def test_an_answer_says_how_many_components_and_which_groups_it_kept():
    components = (
        Component("a", "Voice", Status.HEALTHY, group="EMEA"),
        Component("b", "Chat", Status.HEALTHY, group="Americas"),
        Component("c", "Chat", Status.HEALTHY, group="EMEA"),
        Component("d", "API", Status.HEALTHY),
    )
    answer = SourceResult(name="health-api", ok=True, components=components)
    assert await check_of(answer) == (
        Check("prod", "source health-api", OK, "4 component(s); groups kept: Americas, EMEA"),
        components,
    )
    plain = replace(answer, components=components[3:])
    assert (await check_of(plain))[0].detail == "1 component(s)"


async def test_a_source_with_a_note_says_the_note():
    answer = SourceResult(name="health-api", ok=True, extras=SourceExtras(note="no Edges in this org"))
    assert await check_of(answer) == (Check("prod", "source health-api", OK, "no Edges in this org"), ())


# -- maintenance windows -----------------------------------------------------------------------------------------------
def settings_with(*windows: dict) -> SimpleNamespace:
    return SimpleNamespace(maintenance=[MaintenanceSettings.model_validate(w) for w in windows])


COMPONENTS = [Component(f"c{n}", f"Queue {n}", Status.HEALTHY, kind="queue") for n in range(7)]


def test_each_window_says_when_it_is_and_what_it_covers():
    settings = settings_with(
        {"name": "past", "start": "2020-01-06T02:00", "duration": "2h", "ids": ["c0"]},
        {"name": "future", "start": "2099-01-06T02:00", "duration": "2h", "ids": ["c0", "c1"]},
        {"name": "always", "start": "2020-01-01T00:00", "duration": "1d", "every": "day", "kinds": ["queue"]},
        {"name": "typo", "start": "2099-01-06T02:00", "duration": "2h", "ids": ["nothing"]},
        {"name": "theirs", "start": "2099-01-06T02:00", "duration": "2h", "targets": ["lab"]},
    )
    checks = window_checks("prod", settings, COMPONENTS)  # type: ignore[arg-type]
    assert [c.check for c in checks] == [
        "maintenance past",
        "maintenance future",
        "maintenance always",
        "maintenance typo",
    ]
    past, future, always, typo = checks
    assert past == Check(
        "prod",
        "maintenance past",
        OK,
        "over (a one-off window that has ended); covers 1 of 7 component(s) now (Queue 0)",
    )
    assert future.detail == (
        "next 2099-01-06 02:00 UTC to 2099-01-06 04:00 UTC; covers 2 of 7 component(s) now (Queue 0, Queue 1)"
    )
    assert always.verdict == OK and always.detail.startswith("open now, until ")
    assert always.detail.endswith(
        "; covers 7 of 7 component(s) now (Queue 0, Queue 1, Queue 2, Queue 3, Queue 4, +2 more)"
    )
    assert typo == Check(
        "prod",
        "maintenance typo",
        WARN,
        "next 2099-01-06 02:00 UTC to 2099-01-06 04:00 UTC; covers none of the 7 component(s) the sources "
        "answered: check its ids, match and kinds",
    )


def test_a_window_covering_exactly_five_components_names_them_all():
    settings = settings_with(
        {"name": "five", "start": "2099-01-06T02:00", "duration": "2h", "ids": ["c0", "c1", "c2", "c3", "c4"]}
    )
    [check] = window_checks("prod", settings, COMPONENTS)  # type: ignore[arg-type]
    assert check.detail.endswith("(Queue 0, Queue 1, Queue 2, Queue 3, Queue 4)")
