"""``tui-health history``: availability figures per component, or the window's timeline, as table, JSON, CSV or
Markdown. Every string printed comes from the store, which holds what servers sent: it is cleaned again here."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from tui_health.history.availability import Figures
from tui_health.history.reader import HistoryReader
from tui_health.support import zone
from tui_health.support.clock import rfc3339
from tui_health.support.text import clean

FIELDS = (
    "id",
    "name",
    "availability",
    "outages",
    "downtime_s",
    "mttr_s",
    "longest_s",
    "last_outage_at",
    "degraded_s",
    "observed_s",
)


@dataclass(frozen=True, slots=True)
class Window:
    since: datetime
    until: datetime
    target: str
    components: tuple[str, ...] = ()


def span(seconds: float | None) -> str:
    """``2h05m13s``, ``47s``, ``—`` for none: exact to the second, for reviews."""
    if seconds is None:
        return "—"
    s = round(seconds)
    days, s = divmod(s, 86400)
    hours, s = divmod(s, 3600)
    minutes, s = divmod(s, 60)
    parts = [f"{days}d"] if days else []
    if days or hours:
        parts.append(f"{hours:02d}h" if days else f"{hours}h")
    if days or hours or minutes:
        parts.append(f"{minutes:02d}m" if parts else f"{minutes}m")
    parts.append(f"{s:02d}s" if parts else f"{s}s")
    return "".join(parts)


def moment(ts: float | None) -> str | None:
    return rfc3339(datetime.fromtimestamp(ts, UTC)) if ts is not None else None


def figures_json(f: Figures) -> dict[str, Any]:
    return {
        "id": clean(f.id, 200),
        "name": clean(f.name),
        "availability": f.availability,
        "outages": f.outages,
        "downtime_s": f.downtime_s,
        "mttr_s": f.mttr_s,
        "longest_s": f.longest_s,
        "last_outage_at": moment(f.last_outage_at),
        "degraded_s": f.degraded_s,
        "observed_s": f.observed_s,
    }


def report_document(reader: HistoryReader, window: Window) -> dict[str, Any]:
    """The ``history --format json`` document (contract in the README)."""
    figures, observed = reader.report(
        window.since.timestamp(), window.until.timestamp(), list(window.components) or None
    )
    return {
        "since": rfc3339(window.since),
        "until": rfc3339(window.until),
        "target": window.target,
        "observed_s": round(observed, 3),
        "components": [figures_json(f) for f in figures],
    }


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{value:.3f}%"


def _rows(document: dict[str, Any]) -> list[list[str]]:
    return [
        [
            c["name"],
            c["id"],
            _percent(c["availability"]),
            str(c["outages"]),
            span(c["downtime_s"]),
            span(c["mttr_s"]),
            span(c["longest_s"]) if c["outages"] else "—",
            _shown(c["last_outage_at"]) if c["last_outage_at"] else "—",
            span(c["degraded_s"]),
            span(c["observed_s"]),
        ]
        for c in document["components"]
    ]


def headers() -> list[str]:
    return [
        "Component",
        "Id",
        "Avail",
        "Outages",
        "Down",
        "MTTR",
        "Longest",
        f"Last outage ({zone.label()})",
        "Degraded",
        "Observed",
    ]


def render_report(document: dict[str, Any], fmt: str) -> str:
    if fmt == "json":
        return json.dumps(document, indent=2, ensure_ascii=False)
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(FIELDS)
        for c in document["components"]:
            writer.writerow(["" if c[k] is None else c[k] for k in FIELDS])
        return out.getvalue().rstrip("\n")
    title = (
        f"Availability of {document['target']}, {_shown(document['since'])} to "
        f"{_shown(document['until'])} {zone.label()} (observed {span(document['observed_s'])})"
    )
    rows = _rows(document)
    if fmt == "markdown":
        lines = [f"### {title}", "", "| " + " | ".join(headers()) + " |", "|" + "---|" * len(headers())]
        lines += ["| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |" for row in rows]
        if not rows:
            lines.append("\n_No component was observed in this window._")
        return "\n".join(lines)
    return _table(title, headers(), rows, empty="no component was observed in this window")


def _table(title: str, headers: list[str], rows: list[list[str]], *, empty: str) -> str:
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(headers)]
    line = lambda cells: "  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip()  # noqa: E731
    out = [title, line(headers), line(["-" * w for w in widths])]
    out += [line(r) for r in rows] or [f"({empty})"]
    return "\n".join(out)


def timeline_document(reader: HistoryReader, window: Window) -> dict[str, Any]:
    """The window's transitions and alerts (with their deliveries) in time order."""
    since, until = window.since.timestamp(), window.until.timestamp()
    wanted = list(window.components) or None
    items: list[tuple[float, dict[str, Any]]] = []
    for t in reader.transitions(since, until, wanted):
        if t.from_status is None and t.to_status == "healthy":
            continue  # first seen healthy is where the record starts, not something that happened
        items.append(
            (
                t.at,
                {
                    "at": moment(t.at),
                    "kind": "transition",
                    "component": clean(t.component, 200),
                    "name": clean(t.name),
                    "from": t.from_status,
                    "to": t.to_status,
                    **({"caused_by": [clean(c, 200) for c in t.caused_by]} if t.caused_by else {}),
                    **({"flapping": True} if t.flapping else {}),
                },
            )
        )
    for a in reader.alerts(since, until):
        if wanted and not set(wanted) & set(a.components):
            continue
        items.append(
            (
                a.at,
                {
                    "at": moment(a.at),
                    "kind": "alert",
                    "components": [clean(c, 200) for c in a.components],
                    "sink": clean(a.sink, 100),
                    "outcome": a.outcome,
                    "summary": clean(a.summary),
                    "deliveries": [
                        {"at": moment(d.at), "outcome": d.outcome, "code": d.code} for d in a.deliveries
                    ],
                },
            )
        )
    items.sort(key=lambda item: item[0])
    return {
        "since": rfc3339(window.since),
        "until": rfc3339(window.until),
        "target": window.target,
        "timeline": [item for _, item in items],
    }


def _shown(stamp: str) -> str:
    """An RFC 3339 time of the document in the zone times are shown in (``--tz``), to the second, unnamed."""
    return zone.date_time(datetime.fromisoformat(stamp.replace("Z", "+00:00")), seconds=True, named=False)


def render_timeline(document: dict[str, Any], fmt: str) -> str:
    if fmt == "json":
        return json.dumps(document, indent=2, ensure_ascii=False)
    rows = []
    for item in document["timeline"]:
        when = _shown(item["at"])
        if item["kind"] == "transition":
            what = f"{item['from'] or 'first seen'} → {item['to']}"
            if item.get("caused_by"):
                what += f" (caused by {', '.join(item['caused_by'])})"
            if item.get("flapping"):
                what += " (flapping)"
            rows.append([when, "transition", item["name"], what])
        else:
            tries = len(item["deliveries"])
            rows.append(
                [
                    when,
                    "alert",
                    ", ".join(item["components"]) or "threshold",
                    f"to {item['sink']}: {item['outcome']} after {tries} attempt(s) — {item['summary']}",
                ]
            )
    headers = [f"When ({zone.label()})", "Kind", "Component", "What"]
    title = f"Timeline of {document['target']}, {_shown(document['since'])} to {_shown(document['until'])} {zone.label()}"
    if fmt == "csv":
        out = io.StringIO()
        csv.writer(out, lineterminator="\n").writerows([headers, *rows])
        return out.getvalue().rstrip("\n")
    if fmt == "markdown":
        lines = [f"### {title}", "", "| " + " | ".join(headers) + " |", "|---|---|---|---|"]
        lines += ["| " + " | ".join(c.replace("|", "\\|") for c in r) + " |" for r in rows]
        return "\n".join(lines)
    return _table(title, headers, rows, empty="nothing happened in this window")
