"""``tui-health silence add|list|rm``: silences from the shell, for a collector or for the local state directory.

With ``--attach URL`` it asks the collector's API (``POST /silences``, bearer ``TUI_HEALTH_SERVE_TOKEN``; the
state from ``/state.json``): the silence takes effect at once. Without it, it leaves a request in the local state
directory that a running ``--headless`` takes at its next poll (or the next start); ``list`` reads what the
monitor saved, plus the requests still waiting. Every silence keeps who asked (``--by``, else the user) and why
(``--reason``, required to add one), and every change is audited by the monitor that applies it.
"""

from __future__ import annotations

import fnmatch
import json
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tui_health.support.errors import ConfigError, NetworkError
from tui_health.support.redact import scrub
from tui_health.support.text import clean
from tui_health.support.timespec import parse_duration


def run_silence(args: Any, path: Path, *, explicit: bool, flags: dict[str, Any], only: list[str]) -> int:
    who = clean(args.silence_by or os.environ.get("USER") or "someone", 60)
    if args.action == "add":
        if not args.silence_reason or not args.silence_reason.strip():
            raise ConfigError("a silence needs --reason: say why, for the person who finds it later")
        if bool(args.silence_component) == bool(args.silence_match):
            raise ConfigError("say what to silence: --component ID or --match PATTERN (one of them)")
        seconds = parse_duration(args.silence_duration or "", bare=60.0)
        if seconds is None or seconds > 30 * 86_400:
            raise ConfigError(
                f"--duration {args.silence_duration!r} is not a duration up to 30 days (2h, 90m, 1d)"
            )
    else:
        seconds = 0.0
    if args.silence_attach:
        return _remote(args, who, seconds)
    return _local(args, who, seconds, path, explicit=explicit, flags=flags, only=only)


# -- a collector's API ----------------------------------------------------------------------------------------
def _remote(args: Any, who: str, seconds: float) -> int:
    import httpx

    token = os.environ.get("TUI_HEALTH_SERVE_TOKEN")
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    base = args.silence_attach.rstrip("/")
    try:
        with httpx.Client(timeout=10, headers=headers) as client:
            answer = client.get(f"{base}/state.json")
            if answer.status_code != 200:
                raise NetworkError(
                    f"{base}/state.json answered HTTP {answer.status_code}", hint=_token_hint(answer)
                )
            targets = answer.json().get("targets") or []
            if args.action == "list":
                rows = [
                    {"target": t.get("region", ""), "component": cid, "until": until}
                    for t in targets
                    for cid, until in t.get("silences") or []
                ]
                _print_rows(rows, args.silence_format)
                return 0
            chosen = _choose(args, targets)
            for target, cid in chosen:
                body: dict[str, Any] = {"target": target, "component": cid, "by": who}
                if args.action == "rm":
                    body["lift"] = True
                else:
                    body |= {"seconds": seconds, "reason": args.silence_reason}
                reply = client.post(f"{base}/silences", json=body)
                message = _message(reply)
                if reply.status_code != 200:
                    raise NetworkError(
                        f"{target}/{cid}: the collector said {message}", hint=_token_hint(reply)
                    )
                print(scrub(f"{target}: {cid}: {message}"))
    except httpx.HTTPError as exc:
        raise NetworkError(f"could not talk to the collector at {base}: {clean(str(exc), 200)}") from None
    except ValueError:
        raise NetworkError(f"{base}/state.json is not the collector's JSON") from None
    return 0


def _choose(args: Any, targets: list[dict[str, Any]]) -> list[tuple[str, str]]:
    chosen = []
    for target in targets:
        name = target.get("region", "")
        only = getattr(args, "target", None)
        if only and name not in only:
            continue
        for component in target.get("components") or []:
            cid, label = component.get("id", ""), component.get("name", "")
            wanted = (
                cid == (args.silence_component or args.component_id)
                if (args.silence_component or args.component_id)
                else fnmatch.fnmatchcase(label, args.silence_match)
                or fnmatch.fnmatchcase(cid, args.silence_match)
            )
            if wanted:
                chosen.append((name, cid))
    if not chosen:
        what = args.silence_component or args.component_id or f"matching {args.silence_match!r}"
        raise ConfigError(f"the collector has no component {what}")
    return chosen


def _message(reply: Any) -> str:
    try:
        return clean(reply.json().get("message"), 200)
    except ValueError:
        return f"HTTP {reply.status_code}"


def _token_hint(reply: Any) -> str | None:
    return "set TUI_HEALTH_SERVE_TOKEN to the collector's token" if reply.status_code in (401, 403) else None


# -- the local state directory ----------------------------------------------------------------------------------
def _local(
    args: Any, who: str, seconds: float, path: Path, *, explicit: bool, flags: dict[str, Any], only: list[str]
) -> int:
    from tui_health.monitor import requests
    from tui_health.monitor.engine_state import EngineStateStore
    from tui_health.settings.config import load_settings
    from tui_health.settings.target import targets_from

    settings = load_settings(path=path, path_required=explicit, env=dict(os.environ), flags=flags)
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
                        {"target": target.name, "component": cid, "until": until, "note": notes.get(cid, "")}
                    )
                for _, request in requests.pending(settings.state_dir, target.key):
                    if not isinstance(request, str):
                        what = request.component or f"matching {request.match}"
                        rows.append(
                            {
                                "target": target.name,
                                "component": what,
                                "until": request.until().isoformat() if request.op == "add" else "",
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
        f"silence {what} for {args.silence_duration}"
        if args.action == "add"
        else f"lift the silence of {what}"
    )
    print(
        f"asked to {verb} on {len(targets)} target(s): a running tui-health takes it at its next poll "
        f"(state directory {settings.state_dir})"
    )
    return 0


def _print_rows(rows: list[dict[str, Any]], fmt: str) -> None:
    if fmt == "json":
        print(scrub(json.dumps(rows, indent=2)))
        return
    if not rows:
        print("no silences")
        return
    for row in rows:
        note = f"  {row['note']}" if row.get("note") else ""
        print(scrub(f"{row['target']}: {row['component']} until {row['until'] or '-'}{note}"))
