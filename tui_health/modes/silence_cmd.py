"""``tui-health silence add|list|rm``: silences from the shell, for a collector or for the local state directory.

With ``--attach URL`` it asks the collector's API (``POST /silences``, bearer ``TUI_HEALTH_SERVE_TOKEN``; the
state from ``/state.json``): the silence takes effect at once. Without it, it leaves a request in the local state
directory that a running ``--headless`` takes at its next poll (or the next start); ``list`` reads what the
monitor saved, plus the requests still waiting. Every silence keeps who asked (``--by``, else the user) and why
(``--reason``, required to add one), and every change is audited by the monitor that applies it.
"""

from __future__ import annotations

import argparse
import asyncio
import fnmatch
import json
import os
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from tui_health.modes.base import Invocation
from tui_health.support import zone
from tui_health.support.clock import read_rfc3339, rfc3339
from tui_health.support.errors import ConfigError, NetworkError
from tui_health.support.redact import redact_url, scrub
from tui_health.support.text import clean

if TYPE_CHECKING:
    from tui_health.model.state import MonitorState
from tui_health.support.timespec import MAX_SILENCE, duration_text, parse_duration

COMMAND = "silence"
HELP = "silence components from the shell: add, list, rm (a collector's API or the state dir)"
COMMON = True


def arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("action", choices=("add", "list", "rm"))
    parser.add_argument(
        "component_id", nargs="?", metavar="ID", help="rm: the component whose silence is lifted"
    )
    parser.add_argument("--component", dest="silence_component", metavar="ID", help="add: this component")
    parser.add_argument(
        "--match",
        dest="silence_match",
        metavar="PATTERN",
        help="add or rm: components whose name or id match",
    )
    parser.add_argument(
        "--duration", dest="silence_duration", metavar="DURATION", help="add: how long (2h, 90m, 1d)"
    )
    parser.add_argument(
        "--reason", dest="silence_reason", metavar="TEXT", help="add: why (required; kept and audited)"
    )
    parser.add_argument("--by", dest="silence_by", metavar="NAME", help="who asks (default: the user)")
    parser.add_argument(
        "--attach",
        dest="silence_attach",
        metavar="URL",
        help="a collector (--serve): its API, with TUI_HEALTH_SERVE_TOKEN",
    )
    parser.add_argument(
        "--format",
        dest="silence_format",
        choices=("human", "json"),
        default="human",
        help="output (%(default)s)",
    )


def check(args: argparse.Namespace) -> None:
    if args.action == "rm" and not (args.component_id or args.silence_component or args.silence_match):
        raise ConfigError("silence rm needs the component: tui-health silence rm ID (or --match PATTERN)")


def run(invocation: Invocation) -> int:
    return run_silence(
        invocation.args,
        invocation.path,
        explicit=invocation.explicit,
        flags=invocation.flags,
        only=list(invocation.only),
    )


def run_silence(args: Any, path: Path, *, explicit: bool, flags: dict[str, Any], only: list[str]) -> int:
    who = clean(args.silence_by or os.environ.get("USER") or "someone", 60)
    if args.action == "add":
        if not args.silence_reason or not args.silence_reason.strip():
            raise ConfigError("a silence needs --reason: say why, for the person who finds it later")
        if bool(args.silence_component) == bool(args.silence_match):
            raise ConfigError("say what to silence: --component ID or --match PATTERN (one of them)")
        seconds = parse_duration(args.silence_duration or "", bare=60.0)
        if seconds is None or seconds > MAX_SILENCE:
            raise ConfigError(
                f"--duration {args.silence_duration!r} is not a duration up to 30 days (2h, 90m, 1d)"
            )
    else:
        seconds = 0.0
    if args.silence_attach:
        zone.set_zone(getattr(args, "tz", "local"))  # as an attached console: the flag (no config is read)
        return _remote(args, who, seconds)
    return _local(args, who, seconds, path, explicit=explicit, flags=flags, only=only)


# -- a collector's API ----------------------------------------------------------------------------------------
DEADLINE = 15.0
"""Seconds the whole exchange with a collector may take, every request and byte of it (``--deadline``): one
that drips or hangs ends in one line, never in a wait without end."""
MAX_STATE = 64 * 1024 * 1024
"""The largest ``/state.json`` read (as ``--attach``'s bound); a collector that sends more is cut off there."""
MAX_REPLY = 64 * 1024
"""The largest answer to one silence read (a JSON object with a message)."""
MAX_TARGETS = 200


class _Refused(Exception):
    """What the collector sent cannot be used (too large, not its JSON): one line, said as it is."""


def _remote(args: Any, who: str, seconds: float) -> int:
    deadline = getattr(args, "deadline", None) or DEADLINE
    where = redact_url(args.silence_attach.rstrip("/"))
    done: list[str] = []
    try:
        return asyncio.run(_exchange(args, who, seconds, deadline, done))
    except TimeoutError:
        so_far = f" ({len(done)} silence(s) changed before that)" if done else ""
        raise NetworkError(
            f"the collector at {where} did not finish answering within {duration_text(deadline)}{so_far}",
            hint="is it a tui-health collector (--serve), and is the network to it sound?",
        ) from None


async def _exchange(args: Any, who: str, seconds: float, deadline: float, done: list[str]) -> int:
    """The whole exchange with the collector, ended by ``deadline`` whatever it does (TimeoutError)."""
    import httpx

    token = os.environ.get("TUI_HEALTH_SERVE_TOKEN")
    headers = {"Accept-Encoding": "identity"}  # read as sent: no decompression to multiply what is bounded
    if token:
        headers["Authorization"] = f"Bearer {token}"
    base = args.silence_attach.rstrip("/")
    where = redact_url(base)
    try:
        async with (
            asyncio.timeout(deadline),
            httpx.AsyncClient(timeout=min(10.0, deadline), headers=headers) as client,
        ):
            status, body = await _fetch(client, "GET", f"{base}/state.json", MAX_STATE)
            if status != 200:
                raise NetworkError(f"{where}/state.json answered HTTP {status}", hint=_token_hint(status))
            states = _states(body)
            if args.action == "list":
                rows = [
                    {
                        "target": state.region,
                        "component": cid,
                        "until": until,
                        "note": state.silence_notes.get(cid, ""),
                    }
                    for state in states
                    for cid, until in state.silences
                ]
                _print_rows(rows, args.silence_format)
                return 0
            for target, cid in _choose(args, states):
                request: dict[str, Any] = {"target": target, "component": cid, "by": who}
                if args.action == "rm":
                    request["lift"] = True
                else:
                    request |= {"seconds": seconds, "reason": args.silence_reason}
                status, reply = await _fetch(client, "POST", f"{base}/silences", MAX_REPLY, json=request)
                message = _message(status, reply)
                if status != 200:
                    raise NetworkError(
                        f"{target}/{cid}: the collector said {message}", hint=_token_hint(status)
                    )
                _say(f"{target}: {cid}: {message}")
                done.append(cid)
    except httpx.HTTPError as exc:
        detail = f" ({clean(str(exc), 200)})" if str(exc) else ""
        raise NetworkError(
            f"could not talk to the collector at {where}: {exc.__class__.__name__}{detail}"
        ) from None
    except _Refused as exc:
        raise NetworkError(f"the collector at {where} {exc}") from None
    return 0


async def _fetch(client: Any, method: str, url: str, limit: int, **kwargs: Any) -> tuple[int, bytes]:
    """(status, body) with at most ``limit`` bytes of body read: streamed, and cut off past the bound."""
    async with client.stream(method, url, **kwargs) as response:
        body = bytearray()
        async for chunk in response.aiter_raw():
            body += chunk
            if len(body) > limit:
                raise _Refused(
                    f"sent more than {_size(limit)} for {method} {urlsplit(url).path}: not read further"
                )
        return response.status_code, bytes(body)


def _size(count: int) -> str:
    return f"{count // 2**20} MiB" if count >= 2**20 else f"{count // 2**10} KiB"


def _states(body: bytes) -> list[MonitorState]:
    """The collector's targets, validated as an attached console validates them (strings cleaned, sizes
    bounded, a wrong shape refused with one line)."""
    from tui_health.serve.codec import state_from_json

    try:
        document = json.loads(body)
        targets = document.get("targets") if isinstance(document, dict) else None
        if not isinstance(targets, list):
            raise ValueError("no targets list")
        return [state_from_json(target) for target in targets[:MAX_TARGETS]]
    except RecursionError:
        raise _Refused("sent JSON nested too deeply to be its state") from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise _Refused(f"did not send a tui-health state ({clean(str(exc), 200)})") from None


def _choose(args: Any, states: list[MonitorState]) -> list[tuple[str, str]]:
    chosen = []
    only = getattr(args, "target", None)
    wanted_id = args.silence_component or args.component_id
    for state in states:
        if only and state.region not in only:
            continue
        for component in state.components:
            wanted = (
                component.id == wanted_id
                if wanted_id
                else fnmatch.fnmatchcase(component.name, args.silence_match)
                or fnmatch.fnmatchcase(component.id, args.silence_match)
            )
            if wanted:
                chosen.append((state.region, component.id))
    if not chosen:
        what = wanted_id or f"matching {args.silence_match!r}"
        raise ConfigError(f"the collector has no component {what}")
    return chosen


def _message(status: int, reply: bytes) -> str:
    """The collector's ``message``, cleaned; its status when there is none."""
    try:
        answer = json.loads(reply)
    except (ValueError, RecursionError):
        answer = None
    message = answer.get("message") if isinstance(answer, dict) else None
    return clean(message, 200) if isinstance(message, str) and message else f"HTTP {status}"


def _token_hint(status: int) -> str | None:
    return "set TUI_HEALTH_SERVE_TOKEN to the collector's token" if status in (401, 403) else None


# -- the local state directory ----------------------------------------------------------------------------------
def _local(
    args: Any, who: str, seconds: float, path: Path, *, explicit: bool, flags: dict[str, Any], only: list[str]
) -> int:
    from tui_health.monitor import requests
    from tui_health.monitor.engine_state import EngineStateStore
    from tui_health.settings.config import load_settings
    from tui_health.settings.target import targets_from

    settings = load_settings(path=path, path_required=explicit, env=dict(os.environ), flags=flags)
    zone.set_zone(settings.display.tz)
    targets = targets_from(settings, dict(os.environ), only)
    if args.action == "list":
        rows: list[dict[str, Any]] = []
        store = EngineStateStore(settings.state_dir / "state.sqlite3")
        try:
            for target in targets:
                saved = store.load(target.key) or {}
                notes = saved.get("silence_notes") or {}
                for cid, until in sorted((saved.get("silences") or {}).items()):
                    rows.append(
                        {
                            "target": target.name,
                            "component": cid,
                            "until": read_rfc3339(until) or until,  # as saved when it is not a time
                            "note": notes.get(cid, ""),
                        }
                    )
                for _, request in requests.pending(settings.state_dir, target.key):
                    if not isinstance(request, str):
                        what = request.component or f"matching {request.match}"
                        rows.append(
                            {
                                "target": target.name,
                                "component": what,
                                "until": request.until() if request.op == "add" else None,
                                "note": f"waiting for the next poll: {request.op} by {request.by}"
                                + (f": {request.reason}" if request.reason else ""),
                            }
                        )
        finally:
            store.close()
        _print_rows(rows, args.silence_format)
        return 0
    request = requests.SilenceRequest(
        op=args.action,
        at=datetime.now(UTC),
        by=who,
        component=args.silence_component or args.component_id,
        match=args.silence_match,
        seconds=seconds,
        reason=clean(args.silence_reason or "", 200),
    )
    for target in targets:
        requests.write_request(settings.state_dir, target.key, request)
    what = request.component or f"components matching {request.match!r}"
    verb = (
        f"silence {what} for {duration_text(seconds)}"
        if args.action == "add"
        else f"lift the silence of {what}"
    )
    names = ", ".join(t.name for t in targets)
    _say(f"asked to {verb} on {names} (state directory {settings.state_dir})")
    _say(_who_takes_it(settings.state_dir, {t.key: t.name for t in targets}))
    return 0


def _who_takes_it(state_dir: Path, asked: dict[str, str]) -> str:
    """Whether the instance running on ``state_dir`` (its lock says which targets it watches) takes a request for
    ``asked`` (key → name), said so it is never taken for done when nobody will take it."""
    from tui_health.support.lock import holder

    running = holder(state_dir)
    if running is None:
        return "no tui-health runs on this state directory now: it is taken when one starts"
    if not running.targets or set(asked) & set(running.targets):
        taken = [name for key, name in asked.items() if key in running.targets] or list(asked.values())
        return f"the running tui-health (pid {running.pid}) takes it for {', '.join(taken)} at its next poll"
    return (
        f"warning: the running tui-health (pid {running.pid}) watches {', '.join(running.targets.values())}, "
        f"not {', '.join(asked.values())}: it will not take this request (give the same config or --target as "
        "it runs with)"
    )


def _say(line: str) -> None:
    """One line for the terminal: secrets masked, and no control character (escape sequences, bells, carriage
    returns) from what a collector or a file said."""
    print(clean(scrub(line), 2000))


def _print_rows(rows: list[dict[str, Any]], fmt: str) -> None:
    """``until`` as RFC 3339 UTC in JSON, and in the one clock (``--tz``, ``display.tz``) for a person."""
    if fmt == "json":
        inert = [
            {
                key: clean(scrub(_until(value, rfc3339) if key == "until" else str(value)), 1000)
                for key, value in row.items()
            }
            for row in rows
        ]
        print(json.dumps(inert, indent=2))
        return
    if not rows:
        _say("no silences")
        return
    for row in rows:
        note = f"  {row['note']}" if row.get("note") else ""
        _say(f"{row['target']}: {row['component']} until {_until(row['until'], zone.date_time) or '-'}{note}")


def _until(value: datetime | str | None, shown: Callable[[datetime], str]) -> str:
    return shown(value) if isinstance(value, datetime) else value or ""
