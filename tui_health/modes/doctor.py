"""``tui-health doctor``: prove the set-up before the night it is needed.

Checks, per target: the config parsed; the state directory is writable and its lock free (or held by a running
instance: its pid is named, which is fine); the credentials get a token; ``organizations/me`` answers; every
enabled source answers with something (a 403 names the permission it lacks, a status page names the groups it
kept); every alert sink's host takes a connection (TCP, and TLS for https). ``--send-test-alert`` sends one
clearly marked test alert through every sink and resolves it where the receiver has resolves, and audits each
(``test_alert``): the paging path proven end to end.

Every verdict is ``ok``, ``warn`` or ``fail``; the exit code is 0 (all ok), 1 (warnings) or 2 (a failure).
Every line goes through the redactor: no token, client secret or webhook token is ever printed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import ssl
import tempfile
import time
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tui_health.model.domain import AuditEvent, Component, EventType, RequestTiming, Severity
from tui_health.modes.base import Invocation
from tui_health.settings.config import Settings
from tui_health.settings.target import Target
from tui_health.support.errors import TuiHealthError
from tui_health.support.redact import scrub
from tui_health.support.text import clean
from tui_health.support.urls import hostname, origin_of
from tui_health.support.zone import date_time

OK, WARN, FAIL = "ok", "warn", "fail"
MARK = {OK: "✓", WARN: "!", FAIL: "✗"}
EXIT = {OK: 0, WARN: 1, FAIL: 2}
TEST_COMPONENT = "tui-health-doctor-test"


@dataclass(frozen=True, slots=True)
class Check:
    target: str
    check: str
    verdict: str
    detail: str


COMMAND = "doctor"
HELP = "check config, credentials, permissions, the state dir and every alert sink (exit 0 / 1 warn / 2 fail)"
COMMON = True


def arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--format",
        dest="doctor_format",
        choices=("human", "json"),
        default="human",
        help="output (%(default)s)",
    )
    parser.add_argument(
        "--send-test-alert",
        action="store_true",
        help="send one marked test alert (and its resolve) through every sink, audited",
    )
    parser.add_argument("--demo", action="store_true", help="check the built-in simulator's set-up")


def run(invocation: Invocation) -> int:
    from tui_health.support.errors import ConfigError

    args = invocation.args
    with invocation.demo():
        try:
            settings = invocation.settings()
        except ConfigError as exc:
            return config_failed(exc, args.doctor_format)
        return asyncio.run(
            run_doctor(
                settings,
                config_path=invocation.path,
                fmt=args.doctor_format,
                send_test_alert=args.send_test_alert,
                only=tuple(invocation.only),
            )
        )


def worst(checks: list[Check]) -> str:
    verdicts = {c.verdict for c in checks}
    return FAIL if FAIL in verdicts else WARN if WARN in verdicts else OK


async def run_doctor(
    settings: Settings, *, config_path: Path, fmt: str, send_test_alert: bool, only: tuple[str, ...] = ()
) -> int:
    from tui_health.settings.target import targets_from
    from tui_health.support import zone

    zone.set_zone(settings.display.tz)
    checks = [
        Check("", "config", OK, f"parsed ({config_path if config_path.exists() else 'no file: defaults'})")
    ]
    checks += state_dir(settings)
    for target in targets_from(settings, dict(os.environ), only):
        assert target.settings is not None
        checks += await target_checks(target.name, target.settings, config_path)
        checks += await sink_checks(target, send_test_alert)
    write(checks, fmt)
    return EXIT[worst(checks)]


def write(checks: list[Check], fmt: str) -> None:
    if fmt == "json":
        document = {"verdict": worst(checks), "checks": [asdict(c) for c in checks]}
        print(scrub(json.dumps(document, indent=2)))
        return
    for c in checks:
        where = f"[{c.target}] " if c.target else ""
        print(scrub(f"{MARK[c.verdict]} {where}{c.check}: {c.detail}"))
    verdict = worst(checks)
    print({OK: "all good", WARN: "works, with warnings", FAIL: "something will not work"}[verdict])


# -- the state directory ----------------------------------------------------------------------------------
def state_dir(settings: Settings) -> list[Check]:
    from tui_health.support.lock import InstanceLock, holder

    path = settings.state_dir
    try:
        path.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path, prefix=".doctor-"):
            pass
    except OSError as exc:
        return [Check("", "state directory", FAIL, f"{path} is not writable: {exc.strerror or exc}")]
    running = holder(path)
    if running is not None:  # a running instance: what a service should have (nothing to stop)
        watches = f", watching {', '.join(running.targets.values())}" if running.targets else ""
        return [
            Check(
                "",
                "state directory",
                OK,
                f"{path} writable; in use by the running tui-health (pid {running.pid}{watches})",
            )
        ]
    lock = InstanceLock(path)
    try:
        lock.acquire()
    except TuiHealthError:  # taken between the two looks: an instance starting now
        return [Check("", "state directory", OK, f"{path} writable; an instance is starting on it now")]
    lock.release()
    return [Check("", "state directory", OK, f"{path} writable, lock free")]


# -- talking to Genesys -----------------------------------------------------------------------------------
async def target_checks(name: str, settings: Settings, config_path: Path) -> list[Check]:
    from tui_health.genesys.client import ApiClient
    from tui_health.monitor.core import connect

    checks: list[Check] = []
    deadline = time.monotonic() + settings.poll.deadline
    try:
        async with connect(settings, config_path=config_path) as conn:
            if conn.tokens is not None:
                timings: list[RequestTiming] = []
                try:
                    await conn.tokens.token(timings, deadline)
                    checks.append(
                        Check(name, "credentials", OK, f"a token from {origin_of(settings.login_url)[1]}")
                    )
                except TuiHealthError as exc:
                    return [*checks, Check(name, "credentials", FAIL, exc.one_line())]
                api = ApiClient(conn.budgeted or conn.core, conn.tokens, settings.api_url)
                try:
                    data, _ = await api.request_json(
                        api.url("/api/v2/organizations/me"),
                        label="organizations/me",
                        timings=[],
                        deadline=deadline,
                    )
                    org = clean(data.get("name"), 100) if isinstance(data, dict) and data.get("name") else "?"
                    checks.append(Check(name, "organizations/me", OK, f"answers: org {org}"))
                except TuiHealthError as exc:
                    checks.append(Check(name, "organizations/me", FAIL, exc.one_line()))
            components: list[Component] = []
            for source in conn.sources:
                check, found = await source_check(name, source, deadline)
                checks.append(check)
                components += found
            checks += window_checks(name, settings, components)
    except TuiHealthError as exc:  # missing credentials, a bad URL: what the monitor would fail on at start
        checks.append(Check(name, "connection", FAIL, exc.one_line()))
    return checks


async def source_check(name: str, source: Any, deadline: float) -> tuple[Check, tuple[Component, ...]]:
    """A source's answer as a check, and the components it named (for the maintenance windows)."""
    label = f"source {source.name}"
    try:
        async with asyncio.timeout(max(0.1, deadline - time.monotonic())):
            result = await source.fetch(deadline)
    except TimeoutError:
        return Check(name, label, FAIL, "no answer within the poll deadline"), ()
    if not result.ok:
        verdict = WARN if result.error_kind in ("rate_limited", "rate_budget") else FAIL
        return Check(name, label, verdict, result.error or "failed"), ()
    count = len(result.components)
    if result.extras.note:
        return Check(name, label, OK, result.extras.note), result.components
    detail = f"{count} component(s)"
    groups = sorted({c.group for c in result.components if c.group})
    if groups:  # a source that groups its components (the status page, by region) says which it kept
        detail += f"; groups kept: {', '.join(groups)}"
    return Check(name, label, OK, detail), result.components


def window_checks(name: str, settings: Settings, components: list[Component]) -> list[Check]:
    """Each ``[[maintenance]]`` window of this target: when it is (open now, or next) and what it covers now. A
    window that covers nothing of what the sources answered holds nothing: a warning."""
    checks = []
    now = datetime.now(UTC)
    for window in (m.window() for m in settings.maintenance):
        if window.targets and name not in window.targets:
            continue
        covered = [c for c in components if window.covers(name, c)]
        span = window.next(now)
        if span is None:
            when = "over (a one-off window that has ended)"
        elif span[0] <= now:
            when = f"open now, until {date_time(span[1])}"
        else:
            when = f"next {date_time(span[0])} to {date_time(span[1])}"
        shown = ", ".join(c.name for c in covered[:5]) + (
            f", +{len(covered) - 5} more" if len(covered) > 5 else ""
        )
        what = (
            f"covers {len(covered)} of {len(components)} component(s) now ({shown})"
            if covered
            else (
                f"covers none of the {len(components)} component(s) the sources answered: check its ids, match and kinds"
            )
        )
        checks.append(Check(name, f"maintenance {window.name}", OK if covered else WARN, f"{when}; {what}"))
    return checks


# -- the paging path ----------------------------------------------------------------------------------------
async def sink_checks(target: Target, send: bool) -> list[Check]:
    from tui_health.alerts.sinks import describe
    from tui_health.monitor.runtime import alert_target_of, sinks_for

    name, settings = target.name, target.settings
    assert settings is not None
    alerts = settings.alerts
    if not alerts.enabled or not alerts.sinks:
        verdict = WARN if send else OK
        return [Check(name, "alert sinks", verdict, "none configured: nothing pages anyone")]
    sinks = sinks_for(settings, alert_target_of(target))
    checks = [await reach(name, sink.name, describe(sink), sink.url, settings.poll.timeout) for sink in sinks]
    if send:
        checks += await send_test(name, settings, sinks)
    return checks


async def reach(name: str, sink: str, shown: str, url: str, timeout: float) -> Check:
    """Whether the receiver's host takes a connection (and a TLS handshake for https); nothing is sent."""
    scheme, host, port = origin_of(url)
    context = ssl.create_default_context() if scheme == "https" else None
    try:
        _, writer = await asyncio.wait_for(
            asyncio.open_connection(host, port, ssl=context, server_hostname=host if context else None),
            timeout,
        )
    except (OSError, TimeoutError, ssl.SSLError) as exc:
        why = "timed out" if isinstance(exc, TimeoutError) else clean(str(exc) or type(exc).__name__, 200)
        return Check(name, f"sink {sink}", FAIL, f"{shown}: {hostname(url)} not reachable ({why})")
    writer.close()
    return Check(name, f"sink {sink}", OK, f"{shown}: reachable")


async def send_test(name: str, settings: Settings, sinks: list[Any]) -> list[Check]:
    """One test alert through every sink, then its resolve; each outcome audited as ``test_alert``."""
    import httpx

    from tui_health.monitor.audit import AuditLog
    from tui_health.support.disk import StorageHealth

    now = datetime.now(UTC)
    text = "TEST ALERT from tui-health doctor — the paging path works; no action needed"
    firing = AuditEvent(
        timestamp=now,
        event_type=EventType.COMPONENT_HEALTH_CHANGE,
        component_ids=(TEST_COMPONENT,),
        status="down",
        previous_status="healthy",
        message=text,
        severity=Severity.CRITICAL,
        source="doctor",
        key=f"doctor-{now.timestamp():.0f}",
    )
    resolved = AuditEvent(
        timestamp=now,
        event_type=EventType.COMPONENT_HEALTH_CHANGE,
        component_ids=(TEST_COMPONENT,),
        status="healthy",
        previous_status="down",
        message="TEST ALERT resolved (tui-health doctor)",
        source="doctor",
        key=f"doctor-{now.timestamp():.0f}-resolved",
    )
    checks: list[Check] = []
    audited: list[AuditEvent] = []
    async with httpx.AsyncClient(timeout=settings.poll.timeout) as client:
        for sink in sinks:
            outcomes: list[int | str] = []
            for event in (firing, resolved):
                for message in sink.messages([event], now):
                    url, headers, body = sink.request(message.body, message.key)
                    try:
                        answer = await client.post(url, headers=headers, json=body)
                        outcomes.append(answer.status_code)
                    except httpx.HTTPError as exc:
                        outcomes.append(clean(f"{type(exc).__name__}: {exc}", 200))
            ok = bool(outcomes) and all(isinstance(o, int) and 200 <= o < 300 for o in outcomes)
            said = ", ".join(f"HTTP {o}" if isinstance(o, int) else o for o in outcomes) or "nothing to send"
            detail = f"test alert and its resolve sent: {said}"
            checks.append(Check(name, f"test alert via {sink.name}", OK if ok else FAIL, detail))
            audited.append(
                AuditEvent(
                    timestamp=datetime.now(UTC),
                    event_type=EventType.TEST_ALERT,
                    component_ids=(TEST_COMPONENT,),
                    status="delivered" if ok else "failed",
                    message=f"test alert to {sink.name} (tui-health doctor): {said}",
                    severity=Severity.INFO if ok else Severity.WARNING,
                    source=sink.name,
                )
            )
    audit = AuditLog(
        settings.audit.resolved_path,
        max_bytes=settings.audit.max_bytes,
        backups=settings.audit.backups,
        storage=StorageHealth(),
    )
    audit.write(audited)
    await asyncio.to_thread(audit.close, 5.0)
    return checks


def config_failed(error: TuiHealthError, fmt: str) -> int:
    """The config did not parse: that is the doctor's first finding, not a crash (exit 2)."""
    write([Check("", "config", FAIL, error.one_line())], fmt)
    return EXIT[FAIL]
