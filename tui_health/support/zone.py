"""One clock for every time a person reads: the console, its screens, replay and the history report show times in
one zone — ``local`` (the machine's) or ``utc`` — chosen by ``--tz`` (``display.tz``), toggled with ``z`` in the
console and named in its header. A time that stands alone on a screen carries the zone's name; machine formats
(JSON, audit lines, Nagios) are always UTC with ``Z``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Literal

ZoneName = Literal["local", "utc"]
ZONES: tuple[ZoneName, ...] = ("local", "utc")

_zone: list[ZoneName] = ["local"]  # one setting per process: the console and its screens follow it together


def set_zone(name: ZoneName) -> None:
    if name not in ZONES:
        raise ValueError(f"unknown time zone setting {name!r}: use local or utc")
    _zone[0] = name


def zone() -> ZoneName:
    return _zone[0]


def toggle() -> ZoneName:
    set_zone("utc" if zone() == "local" else "local")
    return zone()


def shown(moment: datetime) -> datetime:
    """``moment`` in the zone times are shown in (a naive time is taken as UTC)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC) if zone() == "utc" else moment.astimezone()


def label(moment: datetime | None = None) -> str:
    """The zone's name as people read it: ``UTC``, or the local abbreviation (``CET``) or offset (``+0100``)."""
    if zone() == "utc":
        return "UTC"
    local = shown(moment or datetime.now(UTC))
    return local.strftime("%Z") or local.strftime("%z")


def clock_time(moment: datetime | None, *, named: bool = False) -> str:
    """``14:03:07`` (``14:03:07 UTC`` when ``named``); ``—`` for none."""
    if moment is None:
        return "—"
    text = shown(moment).strftime("%H:%M:%S")
    return f"{text} {label(moment)}" if named else text


def date_time(moment: datetime | None, *, seconds: bool = False, named: bool = True) -> str:
    """``2026-12-02 14:03 UTC``; ``—`` for none."""
    if moment is None:
        return "—"
    text = shown(moment).strftime("%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M")
    return f"{text} {label(moment)}" if named else text
