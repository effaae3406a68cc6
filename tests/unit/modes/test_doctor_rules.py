"""doctor's verdicts as rules, without a simulator: the worst verdict, the report as a person and a program read
it, a source's answer as a check, and each maintenance window's when and what (windows far from today, so the
real clock the doctor reads cannot move them)."""

from __future__ import annotations

import asyncio
import errno
import json
import os
import socket
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest

from tests.conftest import sim_settings
from tui_health.model.domain import Component, SourceResult, Status
from tui_health.model.extras import SourceExtras
from tui_health.modes.doctor import (
    FAIL,
    OK,
    WARN,
    Check,
    config_failed,
    reach,
    run_doctor,
    source_check,
    state_dir,
    window_checks,
    worst,
    write,
)
from tui_health.settings.config import MaintenanceSettings, load_settings
from tui_health.support import zone
from tui_health.support.errors import ConfigError
from tui_health.support.lock import InstanceLock


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


# -- the state directory ---------------------------------------------------------------------------------------------
def test_a_free_state_directory_is_made_and_said_writable_with_its_lock_free(tmp_path):
    path = tmp_path / "deep" / "state"
    assert state_dir(SimpleNamespace(state_dir=path)) == [  # type: ignore[arg-type]
        Check("", "state directory", OK, f"{path} writable, lock free")
    ]
    assert path.is_dir() and not list(path.glob(".doctor-*"))  # its probe file is gone


def test_a_state_directory_in_use_names_the_running_pid_and_what_it_watches(tmp_path):
    lock = InstanceLock(tmp_path).acquire()
    try:
        [quiet] = state_dir(SimpleNamespace(state_dir=tmp_path))  # type: ignore[arg-type]
        lock.announce({"k1": "prod", "k2": "lab"})
        [watching] = state_dir(SimpleNamespace(state_dir=tmp_path))  # type: ignore[arg-type]
    finally:
        lock.release()
    assert quiet == Check(
        "",
        "state directory",
        OK,
        f"{tmp_path} writable; in use by the running tui-health (pid {os.getpid()})",
    )
    assert watching.detail == (
        f"{tmp_path} writable; in use by the running tui-health (pid {os.getpid()}, watching prod, lab)"
    )


# -- a receiver's host ------------------------------------------------------------------------------------------------
async def test_a_receiver_that_takes_a_connection_is_reachable_and_one_that_does_not_is_named():
    async def hang_up(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.close()

    server = await asyncio.start_server(hang_up, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        ok = await reach("prod", "hook", "hook (http://127.0.0.1/…)", f"http://127.0.0.1:{port}/in", 5.0)
    finally:
        server.close()
        await server.wait_closed()
    assert ok == Check("prod", "sink hook", OK, "hook (http://127.0.0.1/…): reachable")
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    free = closed.getsockname()[1]
    closed.close()  # nothing listens there now
    failed = await reach("prod", "hook", "hook", f"http://127.0.0.1:{free}/in", 5.0)
    assert failed.verdict == FAIL and failed.check == "sink hook"
    assert (
        failed.detail.startswith("hook: 127.0.0.1 not reachable (")
        and f"[Errno {errno.ECONNREFUSED}]" in failed.detail
    )


# -- against the simulator: the paging path and the credentials ------------------------------------------------------------
async def test_the_test_alert_is_a_marked_down_then_its_resolve_and_it_is_audited(
    start_sim, tmp_path, capsys
):
    sim = start_sim("steady")
    sink = {"type": "webhook", "url": f"{sim.url}/hooks/doc", "name": "doc"}
    settings = sim_settings(sim, tmp_path, **{"alerts.sinks": [sink]})
    code = await run_doctor(settings, config_path=tmp_path / "none.toml", fmt="json", send_test_alert=True)
    checks = {c["check"]: c for c in json.loads(capsys.readouterr().out)["checks"]}
    assert code == 0
    assert checks["test alert via doc"]["detail"] == "test alert and its resolve sent: HTTP 202, HTTP 202"
    assert checks["credentials"]["detail"] == "a token from 127.0.0.1"  # the login URL's host
    assert checks["organizations/me"]["detail"] == "answers: org Simulated Org"
    firing, resolved = [w["body"]["logs"][0] for w in sim.state.webhooks]
    assert (firing["component_ids"], firing["status"], firing["previous_status"], firing["severity"]) == (
        ["tui-health-doctor-test"],
        "down",
        "healthy",
        "critical",
    )
    assert firing["message"] == "TEST ALERT from tui-health doctor — the paging path works; no action needed"
    assert (resolved["status"], resolved["previous_status"], resolved["message"]) == (
        "healthy",
        "down",
        "TEST ALERT resolved (tui-health doctor)",
    )
    assert firing["source"] == resolved["source"] == "doctor"
    assert resolved["key"] == firing["key"] + "-resolved" and firing["key"].startswith("doctor-")
    [audited] = [json.loads(line) for line in (tmp_path / "audit.jsonl").read_text().splitlines()]
    assert (audited["event_type"], audited["status"], audited["severity"], audited["source"]) == (
        "test_alert",
        "delivered",
        "info",
        "doc",
    )
    assert audited["component_ids"] == ["tui-health-doctor-test"]
    assert audited["message"] == "test alert to doc (tui-health doctor): HTTP 202, HTTP 202"


async def test_a_test_alert_a_receiver_refused_is_audited_as_failed(start_sim, tmp_path, capsys):
    sim = start_sim("steady", webhook_failures=1)
    sink = {"type": "webhook", "url": f"{sim.url}/hooks/doc", "name": "doc"}
    settings = sim_settings(sim, tmp_path, **{"alerts.sinks": [sink]})
    assert (
        await run_doctor(settings, config_path=tmp_path / "none.toml", fmt="json", send_test_alert=True) == 2
    )
    capsys.readouterr()
    [audited] = [json.loads(line) for line in (tmp_path / "audit.jsonl").read_text().splitlines()]
    assert (audited["status"], audited["severity"]) == ("failed", "warning")
    assert audited["message"] == "test alert to doc (tui-health doctor): HTTP 500, HTTP 202"


async def test_the_report_lists_every_check_in_order_each_under_its_target(start_sim, tmp_path, capsys):
    sim = start_sim("steady")
    sink = {"type": "webhook", "url": f"{sim.url}/hooks/doc", "name": "doc"}
    config = tmp_path / "tui-health.toml"
    config.write_text("")
    settings = sim_settings(sim, tmp_path, **{"alerts.sinks": [sink]})
    assert await run_doctor(settings, config_path=config, fmt="json", send_test_alert=True) == 0
    checks = json.loads(capsys.readouterr().out)["checks"]
    name = settings.region_label
    assert [(c["target"], c["check"]) for c in checks] == [
        ("", "config"),
        ("", "state directory"),
        (name, "credentials"),
        (name, "organizations/me"),
        (name, "source health-api"),
        (name, "sink doc"),
        (name, "test alert via doc"),
    ]
    assert checks[0]["detail"] == f"parsed ({config})"
    assert checks[5]["detail"] == f"doc ({sim.url}/…): reachable"
    assert (
        await run_doctor(settings, config_path=tmp_path / "none.toml", fmt="human", send_test_alert=False)
        == 0
    )
    assert capsys.readouterr().out.splitlines()[0] == "✓ config: parsed (no file: defaults)"


async def test_no_sink_is_said_under_the_target(start_sim, tmp_path, capsys):
    sim = start_sim("steady")
    settings = sim_settings(sim, tmp_path)
    assert (
        await run_doctor(settings, config_path=tmp_path / "none.toml", fmt="json", send_test_alert=False) == 0
    )
    [said] = [c for c in json.loads(capsys.readouterr().out)["checks"] if c["check"] == "alert sinks"]
    assert said == {
        "target": settings.region_label,
        "check": "alert sinks",
        "verdict": "ok",
        "detail": "none configured: nothing pages anyone",
    }


def test_a_config_that_does_not_parse_is_reported_in_the_format_asked_for(capsys):
    assert config_failed(ConfigError("bad config"), "json") == 2
    assert json.loads(capsys.readouterr().out) == {
        "verdict": "fail",
        "checks": [{"target": "", "check": "config", "verdict": "fail", "detail": "bad config"}],
    }


def test_another_targets_window_is_skipped_and_the_others_still_listed():
    settings = settings_with(
        {"name": "theirs", "start": "2099-01-06T02:00", "duration": "2h", "targets": ["lab"]},
        {"name": "ours", "start": "2099-01-06T02:00", "duration": "2h", "ids": ["c0"], "targets": ["prod"]},
    )
    [ours] = window_checks("prod", settings, COMPONENTS)  # type: ignore[arg-type]
    assert ours.check == "maintenance ours" and ours.verdict == OK


def test_an_open_window_says_until_when():
    settings = settings_with(
        {"name": "always", "start": "2020-01-01T00:00", "duration": "1d", "every": "day"}
    )
    [check] = window_checks("prod", settings, COMPONENTS)  # type: ignore[arg-type]
    tomorrow = (datetime.now(UTC) + timedelta(days=1)).date()
    assert check.detail.startswith(f"open now, until {tomorrow} 00:00 UTC; ")


def test_a_window_covering_six_components_names_five_and_counts_the_sixth():
    six = ["c0", "c1", "c2", "c3", "c4", "c5"]
    settings = settings_with({"name": "six", "start": "2099-01-06T02:00", "duration": "2h", "ids": six})
    [check] = window_checks("prod", settings, COMPONENTS)  # type: ignore[arg-type]
    assert check.detail.endswith("(Queue 0, Queue 1, Queue 2, Queue 3, Queue 4, +1 more)")


async def test_an_organization_that_does_not_answer_fails_and_the_sources_are_still_checked(
    start_sim, tmp_path, capsys
):
    sim = start_sim("steady", faults=[{"kind": "error_json", "target": "probe", "every": 1}])
    settings = sim_settings(sim, tmp_path)
    assert (
        await run_doctor(settings, config_path=tmp_path / "none.toml", fmt="json", send_test_alert=False) == 2
    )
    checks = {c["check"]: c for c in json.loads(capsys.readouterr().out)["checks"]}
    assert checks["credentials"]["verdict"] == "ok"
    assert checks["organizations/me"]["verdict"] == "fail"
    assert checks["organizations/me"]["target"] == settings.region_label
    assert checks["organizations/me"]["detail"].startswith("the API answered HTTP 503")
    assert checks["source health-api"]["verdict"] == "ok"


async def test_missing_credentials_are_a_failed_connection_named_by_what_is_missing(
    start_sim, tmp_path, capsys
):
    sim = start_sim("steady")
    flags = {
        "genesys.api_url": sim.url,
        "genesys.login_url": sim.url,
        "audit.path": str(tmp_path / "audit.jsonl"),
    }
    settings = load_settings(path=tmp_path / "none.toml", env={}, flags=flags)
    assert (
        await run_doctor(settings, config_path=tmp_path / "none.toml", fmt="json", send_test_alert=False) == 2
    )
    checks = json.loads(capsys.readouterr().out)["checks"]
    assert [(c["target"], c["check"], c["verdict"]) for c in checks[2:]] == [
        (settings.region_label, "connection", "fail"),
        (settings.region_label, "alert sinks", "ok"),
    ]
    assert checks[2]["detail"].startswith("GENESYSCLOUD_OAUTHCLIENT_ID is not set")


def test_a_state_directory_that_cannot_be_made_is_a_failure_saying_why(tmp_path):
    taken = tmp_path / "a-file"
    taken.write_text("not a directory")
    assert state_dir(SimpleNamespace(state_dir=taken)) == [  # type: ignore[arg-type]
        Check("", "state directory", FAIL, f"{taken} is not writable: File exists")
    ]


def test_a_lock_taken_between_the_two_looks_is_an_instance_starting(tmp_path, monkeypatch):
    def taken(self):
        raise ConfigError("another tui-health (pid 1) is already using the state directory")

    monkeypatch.setattr(InstanceLock, "acquire", taken)
    assert state_dir(SimpleNamespace(state_dir=tmp_path)) == [  # type: ignore[arg-type]
        Check("", "state directory", OK, f"{tmp_path} writable; an instance is starting on it now")
    ]
