"""Durations and moments as people type them: ``90s``, ``30m``, ``2h30m``, ``7d``; ISO 8601 times."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_PARTS = re.compile(r"((\d+)w)?((\d+)d)?((\d+)h)?((\d+)m)?((\d+)s)?")


MAX_SILENCE = 30 * 86_400
"""The longest a silence lasts, however it is made (the console, ``silence add``, a request file, the collector):
30 days — longer is forgetting, not silencing."""


def parse_duration(text: str, bare: float = 60.0) -> float | None:
    """Seconds in ``90s``, ``30m``, ``1h``, ``2h30m``, ``7d``, ``2w``; a bare number counts ``bare`` seconds
    each (minutes unless told); ``None`` when it makes no sense."""
    text = text.strip().lower().replace(" ", "")
    if not text:
        return None
    if text.isdigit():
        return int(text) * bare if int(text) > 0 else None
    parts = _PARTS.fullmatch(text)
    if not parts or not any(parts.groups()):
        return None
    total = sum(
        int(parts.group(i + 1)) * _UNITS[u]
        for i, u in ((1, "w"), (3, "d"), (5, "h"), (7, "m"), (9, "s"))
        if parts.group(i + 1)
    )
    return float(total) if total > 0 else None


def duration_text(seconds: float) -> str:
    """A duration as people read (and type) it: ``2h``, ``1h30m``, ``7d``, ``1m30s`` (to the second); under a
    minute ``15 s``, ``2.5 s``, as every other short wait is said. The one way human text says a duration
    (machine fields stay numbers); it reads back with :func:`parse_duration`."""
    if seconds < 60:
        return f"{max(0.0, seconds):.3g} s"
    left = round(seconds)
    parts = []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        count, left = divmod(left, size)
        if count:
            parts.append(f"{count}{unit}")
    return "".join(parts)


def parse_moment(text: str, now: datetime) -> datetime | None:
    """A moment: a duration ago (``24h``, ``7d``), ``now``, or an ISO 8601 date/time (UTC unless it says);
    ``None`` when it is neither."""
    text = text.strip()
    if text.lower() == "now":
        return now
    ago = parse_duration(text, bare=0) if not text.isdigit() else None
    if ago is not None:
        return now - timedelta(seconds=ago)
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def require_moment(flag: str, text: str, now: datetime) -> datetime:
    """:func:`parse_moment`, or a ConfigError that names the flag and shows what works."""
    from tui_health.support.errors import ConfigError

    moment = parse_moment(text, now)
    if moment is None:
        raise ConfigError(
            f"{flag} {text!r} is neither a duration nor a time", hint="try 24h, 7d, or 2026-11-20T08:00Z"
        )
    return moment
