"""``--demo``: the built-in simulator started in-process, and every mode pointed at it with demo credentials and
files of its own (it never restores or pollutes a real monitor's state)."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tui_health.support.timespec import duration_text

if TYPE_CHECKING:
    from tui_health.simulator.scenario import Fault, OrgChange, Scenario

DEMO_CLIENT = ("demo-client", "demo-secret")


@contextmanager
def demo(
    flags: dict[str, Any], env: dict[str, str], *, scenario: str | None, faults: list[str], replay: bool
) -> Iterator[None]:
    """While the block runs: the simulator serves ``scenario`` with ``faults``, and ``flags``/``env`` point at it
    (a scratch directory holds the audit log and the outbox; it is removed when the block ends, however it ends).
    ``replay``: no simulator — a recorded week is replayed from the same scratch directory."""
    if replay:
        with tempfile.TemporaryDirectory(prefix="tui-health-demo-") as scratch:
            own_files(flags, Path(scratch))
            flags["alerts.outbox"] = str(Path(scratch) / "outbox.sqlite3")
            flags.setdefault("audit.path", str(Path(scratch) / "audit.jsonl"))
            flags.setdefault("genesys.region", "eu-central-1")
            yield
        return
    from tui_health.simulator import SimulatorServer, load_scenario, with_faults
    from tui_health.sources import BUILTIN

    played = with_faults(load_scenario(scenario or "demo"), faults)
    with (
        SimulatorServer(played) as sim,
        tempfile.TemporaryDirectory(prefix="tui-health-demo-") as scratch,
        _playing_now(plan(played)),
    ):
        flags.setdefault("genesys.api_url", sim.url)
        flags.setdefault("genesys.login_url", sim.url)
        flags.setdefault("genesys.name", "demo (simulated us-east-1)")  # not "127.0.0.1:43787"
        # the simulator serves every built-in source; each says what it takes in the demo (the org's own ones
        # only when the scenario has an org)
        taking = {name: m.demo(sim.url, played.org is not None) for name, m in BUILTIN.items()}
        flags.setdefault("poll.sources", [name for name, given in taking.items() if given is not None])
        for given in taking.values():
            for key, value in (given or {}).items():
                flags.setdefault(key, value)
        flags.setdefault("audit.path", str(Path(scratch) / "audit.jsonl"))
        own_files(flags, Path(scratch))
        flags["alerts.outbox"] = str(Path(scratch) / "outbox.sqlite3")
        flags["alerts.sinks+"] = [
            *flags.get("alerts.sinks+", []),
            {"type": "webhook", "name": "demo-receiver", "url": f"{sim.url}/hooks/demo"},
        ]
        env["GENESYSCLOUD_OAUTHCLIENT_ID"], env["GENESYSCLOUD_OAUTHCLIENT_SECRET"] = DEMO_CLIENT
        yield


def own_files(flags: dict[str, Any], scratch: Path) -> None:
    """The demo's state, lock and history in its scratch directory, whatever the config file names (a demo
    beside a running service must neither take its lock nor write into its history)."""
    flags["state.dir"] = str(scratch)
    flags["history.dir"] = str(scratch / "history")


_PLAYING: list[str] = []
"""What the demo running in this process will do (its :func:`plan`), while it runs."""


def playing() -> str | None:
    """The line that says what the running demo's scenario will do (the console says it at start); ``None`` when
    no demo runs."""
    return _PLAYING[-1] if _PLAYING else None


@contextmanager
def _playing_now(line: str) -> Iterator[None]:
    _PLAYING.append(line)
    try:
        yield
    finally:
        _PLAYING.remove(line)


def plan(scenario: Scenario) -> str:
    """One line that says what ``scenario`` will do, made from it (its start, timeline, flaps, the org's changes,
    random changes and events), with its faults marked as scripted: ``demo: … at 20 s a trunk (trunk-1-1) drops,
    back at 1m25s; … (scripted faults: 429 on 2 in every 90 health API requests (from the 30th))``."""
    names = dict(scenario.ids())
    parts: list[str] = []
    start = _starting(scenario.initial, names)
    if start:
        parts.append(f"{start} from the start")
    timed: list[tuple[float, str]] = [
        (c.at, f"at {_at(c.at)} {names.get(c.id, c.id)} {_turns(c.status)}") for c in scenario.timeline
    ]
    timed += [
        (f.at, f"at {_at(f.at)} {names.get(f.id, f.id)} is {f.status} for {duration_text(f.duration)}")
        for f in scenario.flaps
    ]
    timed += _org_episodes(scenario.org_changes)
    parts += [text for _, text in sorted(timed, key=lambda item: item[0])]
    if scenario.random_changes is not None:
        rc = scenario.random_changes
        parts.append(
            f"a random change every {duration_text(rc.every_min)} to {duration_text(rc.every_max)} "
            f"for {duration_text(rc.until)}"
        )
    if scenario.churn:
        parts.append(f"{scenario.churn:.0%} of the components flip at every poll")
    if scenario.operational_events:
        during = sum(1 for e in scenario.operational_events if e.at >= 0)
        before = len(scenario.operational_events) - during
        parts.append(
            f"{_count(during, 'operational event')} of the org"
            + (f" ({before} from before the start)" if before else "")
        )
    faults = [_fault(f) for f in scenario.faults]
    if scenario.webhook_failures:
        faults.append(f"the demo receiver refuses the first {_count(scenario.webhook_failures, 'delivery')}")
    head = "demo" if scenario.name == "demo" else f"demo, scenario {scenario.name}"
    line = f"{head}: " + ("; ".join(parts) or "nothing changes")
    return line + (f" (scripted faults: {'; '.join(faults)})" if faults else "")


def _count(number: int, what: str) -> str:
    plural = what[:-1] + "ies" if what.endswith("y") else what + "s"
    return f"{number} {what if number == 1 else plural}"


def _at(seconds: float) -> str:
    return duration_text(seconds)


def _turns(status: str) -> str:
    return {
        "healthy": "recovers",
        "degraded": "degrades",
        "down": "goes down",
        "maintenance": "goes into maintenance",
    }.get(status, f"turns {status}")


def _starting(initial: dict[str, str], names: dict[str, str]) -> str:
    """``Voice (Telephony) down, ACD Routing and Web Messaging degraded``: what is not healthy at the start."""
    by_status: dict[str, list[str]] = {}
    for cid, status in initial.items():
        if status != "healthy":
            by_status.setdefault(status, []).append(names.get(cid, cid))
    said = []
    for status, who in by_status.items():
        listed = who[0] if len(who) == 1 else f"{', '.join(who[:-1])} and {who[-1]}"
        said.append(f"{listed} {'in maintenance' if status == 'maintenance' else status}")
    return ", ".join(said)


ORG_WORDS = {
    "edge": "an Edge",
    "trunk": "a trunk",
    "queue": "a queue",
    "site": "a site",
    "phone": "a phone",
    "integration": "an integration",
    "action": "a data action",
}
"""How the line names each kind of the org's entities (a kind not listed: ``a <kind>``)."""


def _org_episodes(changes: list[OrgChange]) -> list[tuple[float, str]]:
    """Each stretch of trouble of an Edge, trunk or queue: when it began, what it was, and when it was over (a
    queue: how many waited at most, and how many still wait at its last change when it never empties)."""
    out: list[tuple[float, str]] = []
    by_entity: dict[tuple[str, str], list[OrgChange]] = {}
    for change in sorted(changes, key=lambda c: c.at):
        by_entity.setdefault((change.kind, change.id), []).append(change)
    for (kind, cid), own in by_entity.items():
        who = f"{ORG_WORDS.get(kind, f'a {kind}')} ({cid})"
        wrong: dict[str, tuple[str, str]] = {}  # field → (what is wrong, how its end is said)
        waiting: dict[str, int] = {}  # media → waiting
        began: tuple[float, str, str] | None = None
        peak = 0
        for change in own:
            for field, value in change.fields().items():
                if field == "waiting" and isinstance(value, int):
                    waiting[change.media or "voice"] = value
                    continue
                said = _org_trouble(kind, field, value, change)
                if said is None:
                    wrong.pop(field, None)
                else:
                    wrong[field] = said
            total = sum(waiting.values())
            peak = max(peak, total)
            if total:
                wrong["waiting"] = ("fills", "empty again")
            else:
                wrong.pop("waiting", None)
            if wrong and began is None:
                what, ending = next(iter(wrong.values()))
                began = (change.at, what, ending)
                peak = total
            elif not wrong and began is not None:
                at, what, ending = began
                what += f" (up to {peak} waiting)" if what == "fills" else ""
                out.append((at, f"at {_at(at)} {who} {what}, {ending} at {_at(change.at)}"))
                began = None
        if began is not None:  # not over at its last change
            at, what, _ = began
            total = sum(waiting.values())
            if what == "fills":
                what += f" (up to {peak} waiting; {total} from {_at(own[-1].at)})"
            out.append((at, f"at {_at(at)} {who} {what}"))
    return out


def _org_trouble(kind: str, field: str, value: object, change: OrgChange) -> tuple[str, str] | None:
    """What a field's value says is wrong, and the word for it being over; ``None``: nothing wrong (or a figure
    that only describes, such as calls a minute)."""
    if field == "connected" and value is False:
        return "drops", "back"
    if field == "in_service" and value is False:
        return "goes out of service", "back"
    if field == "online" and value is False:
        return ("loses its phones" if kind == "site" else "goes offline"), "back"
    if field == "degraded" and value is True:
        return "is degraded", "back"
    if field == "state" and isinstance(value, str) and value != "ACTIVE":
        return f"fails ({value})" if value == "ERROR" else f"is {value}", "back"
    if field == "intended" and value == "DISABLED":
        return "is disabled", "back"
    if field == "error_pct" and isinstance(value, int | float) and value > 0:
        kind_of = f" ({change.error_type})" if change.error_type else ""
        return f"fails {value:g}% of its calls{kind_of}", "back"
    if field == "proxies_failing" and isinstance(value, int) and value > 0:
        return ("loses a SIP proxy" if value == 1 else f"loses {value} SIP proxies"), "back"
    if field == "update" and value in ("IN_PROGRESS", "FAILED"):
        return ("updates its software" if value == "IN_PROGRESS" else "fails a software update"), "done"
    if field == "status_code" and value not in (None, "ONLINE"):
        return f"reports {value}", "back"
    return None


TARGET_WORDS = {
    "health": "health API",
    "probe": "API probe",
    "token": "login",
    "statuspage": "status page",
    "events": "operational events",
}


def _fault(fault: Fault) -> str:
    """``429 on 2 in every 90 health API requests (from the 30th)``, counted as the simulator counts them."""
    what = "429" if fault.kind == "rate_limit" else fault.kind + (f" ({fault.arg})" if fault.arg else "")
    target = TARGET_WORDS.get(fault.target, fault.target)
    if fault.every:
        start = f" (from the {_nth(fault.start)})" if fault.start > 1 else ""
        return f"{what} on {fault.burst} in every {fault.every} {target} requests{start}"
    if fault.on:
        return f"{what} on {target} request(s) {', '.join(map(str, fault.on))}"
    return f"{what} on every {target} request"


def _nth(number: int) -> str:
    suffix = "th" if 10 <= number % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(number % 10, "th")
    return f"{number}{suffix}"
