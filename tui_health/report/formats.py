"""Renders a Report for ``--once``: a rich table, the JSON document, or one Nagios line with perfdata."""

from __future__ import annotations

import json
from datetime import UTC
from typing import IO, TYPE_CHECKING, Any

from tui_health.model.domain import EventType, Status
from tui_health.report.status import EXIT_LABEL, Report, worst_code
from tui_health.support import zone
from tui_health.support.clock import read_rfc3339, rfc3339
from tui_health.support.text import clean

if TYPE_CHECKING:  # rich is imported only when a table is printed: --once --format json stays lean
    from rich.text import Text

STATUS_STYLE = {
    "down": "bold white on red",
    "degraded": "bold black on yellow",
    "unknown": "bold magenta",
    "maintenance": "cyan",
    "healthy": "green",
}


_ENCODE = json.JSONEncoder(ensure_ascii=False, separators=(", ", ": ")).encode
"""Without ``indent`` the encoder runs in C: ``indent=2`` took ~630 ms at 50,000 components."""


def render_json(report: Report) -> str:
    """The document with one top-level key per line and one list item (a component, a source) per line:
    as readable and greppable as an indented document, encoded by the C encoder."""
    document = report.to_json()
    lines = []
    for index, (key, value) in enumerate(document.items()):
        comma = "," if index < len(document) - 1 else ""
        if isinstance(value, list) and value:
            items = ",\n".join(f"    {_ENCODE(item)}" for item in value)
            lines.append(f"  {_ENCODE(key)}: [\n{items}\n  ]{comma}")
        else:
            lines.append(f"  {_ENCODE(key)}: {_ENCODE(value)}{comma}")
    return "{\n" + "\n".join(lines) + "\n}"


def render_unknown_json(problem: str) -> str:
    """The ``--once --format json`` document when nothing could be checked: UNKNOWN, exit 3, and why."""
    from datetime import UTC, datetime

    document = {
        "generated_at": rfc3339(datetime.now(UTC)),
        "overall": "unknown",
        "exit_code": 3,
        "error": problem,
        "counts": {str(s): 0 for s in Status},
        "threshold": {"breached": False, "reasons": []},
        "components": [],
        "events": [],
        "sources": [],
    }
    return json.dumps(document, ensure_ascii=False, indent=2)


def render_nagios(report: Report) -> str:
    """The monitoring-plugins format: ``HEALTH CRITICAL - summary | perfdata`` on the first line, then one line
    per problem component (the plugin's long output, which Nagios and Icinga show as details).

    ``down`` and ``degraded`` carry the threshold as warn/crit ranges (``value;warn;crit;min;max``): a count
    above ``min_down - 1`` down (or ``min_degraded - 1`` degraded) breaches it, which is CRITICAL; any down or
    degraded component at all is WARNING. ``@``-free ranges mean "alert when above".
    """
    summary, perf, details = nagios_parts(report)
    tail = f" | {' '.join(perf)}" if perf else ""  # no perfdata of zeros when nothing was measured
    return "\n".join([f"HEALTH {EXIT_LABEL[report.exit_code]} - {summary}{tail}", *details])


def nagios_parts(report: Report) -> tuple[str, list[str], list[str]]:
    """The summary, the perfdata items and the long-output lines of the Nagios format."""
    counts = report.counts
    if not report.answered:
        errors = "; ".join(s.error or "no answer" for s in report.sources) or "no source configured"
        summary = errors
    else:
        summary = (
            ", ".join(f"{counts[s]} {s}" for s in ("down", "degraded", "unknown") if counts[s])
            or "all healthy"
        )
        summary += f" of {len(report.components)} components"
        if report.reasons:
            summary += "; " + "; ".join(report.reasons)
        open_incidents = sum(1 for i in report.incidents if i.get("kind") == "incident")
        if open_incidents:
            summary += f"; {open_incidents} open incident(s) on the status page"
        failed = [s.name for s in report.sources if not s.ok]
        if failed:
            summary += f"; source failed: {', '.join(failed)}"
    total = len(report.components)
    ranges = {"down": report.min_down - 1, "degraded": report.min_degraded - 1}
    perf = [f"components={total}"] if report.answered else []  # nothing measured: no counts of zero
    for name in ("healthy", "degraded", "down", "maintenance", "unknown") if report.answered else ():
        if name in ranges:
            perf.append(f"{name}={counts[name]};0;{max(0, ranges[name])};0;{total}")
        else:
            perf.append(f"{name}={counts[name]};;;0;{total}")
    perf.append(f"poll_time={report.total_ms / 1000:.3f}s;;;0")
    perf.append(f"token_time={report.token_ms / 1000:.3f}s;;;0")
    details = []
    for c in report.components:  # worst first
        if c.status in (Status.DOWN, Status.DEGRADED, Status.UNKNOWN):
            since = c.since.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%SZ")
            details.append(_nagios_text(f"{c.status.value.upper()}: {c.name} ({c.id}) since {since}"))
    return _nagios_text(summary), perf, details


def render_nagios_targets(reports: list[Report]) -> str:
    """Several targets in one plugin answer: the worst status, ``name: summary`` parts, ``'name.label'=value``
    perfdata, and each target's long output prefixed with its name."""
    parts = [(_nagios_text(r.name), *nagios_parts(r)) for r in reports]
    summary = "; ".join(f"{name}: {text}" for name, text, _, _ in parts)
    perf = " ".join(
        _perf_item(f"{r.name}.{item}")
        for r, (_, _, items, _) in zip(reports, parts, strict=True)
        for item in items
    )
    details = [f"{name}: {line}" for name, _, _, lines in parts for line in lines]
    label = EXIT_LABEL[worst_code(r.exit_code for r in reports)]
    return "\n".join([f"HEALTH {label} - {summary}" + (f" | {perf}" if perf else ""), *details])


def render_json_targets(reports: list[Report]) -> str:
    """Several targets in one document: the worst ``overall`` and ``exit_code``, and a ``targets`` list of the
    per-target documents (each as :func:`render_json` writes it, naming its ``target``)."""
    code = worst_code(r.exit_code for r in reports)
    documents = ",\n".join("\n".join("    " + line for line in render_json(r).splitlines()) for r in reports)
    return (
        f'{{\n  "overall": {_ENCODE(EXIT_LABEL[code].lower())},\n  "exit_code": {code},\n'
        f'  "targets": [\n{documents}\n  ]\n}}'
    )


def target_heading(report: Report) -> str:
    """``== EU Prod (eu-central-1, api.mypurecloud.de) ==``: a target's section in the table output."""
    target = report.target or {}
    where = ", ".join(v for v in (target.get("region"), target.get("host")) if v and v != report.name)
    return f"== {report.name}" + (f" ({where})" if where else "") + " =="


def _perf_item(item: str) -> str:
    """A perfdata ``label=value…`` item with its label as the monitoring-plugins guidelines want it: ``=`` is
    not allowed in it, ``'`` is doubled, and a label with spaces (or quotes) is quoted: ``'EU Prod.down'=3``."""
    label, _, value = item.rpartition("=")  # the value part never holds one
    label = _nagios_text(label).replace("=", "_")
    if any(ch.isspace() or ch == "'" for ch in label):
        label = "'" + label.replace("'", "''") + "'"
    return f"{label}={value}"


def _nagios_text(text: str) -> str:
    """Plugin output may not contain ``|`` outside the perfdata separator, nor a line break inside a line."""
    return clean(text.replace("|", "/"), 10_000)


def incident_text(incident: dict[str, Any]) -> Text:
    """One line per open incident or scheduled maintenance (status page)."""
    from rich.text import Text

    kind = incident.get("kind", "incident")
    when = incident.get("scheduled_for") if kind == "maintenance" else incident.get("started_at")
    line = Text()
    line.append(f"{kind}: ", style="bold yellow" if kind == "incident" else "cyan")
    line.append(f"{incident.get('name', '')} [{incident.get('status', '')}]")
    if when:
        moment = read_rfc3339(
            when
        )  # in the one clock, like every time in the table; as written if it is no time
        shown = zone.date_time(moment) if moment else clean(str(when), 40)
        line.append(f" since {shown}" if kind == "incident" else f" at {shown}", style="dim")
    if incident.get("components"):
        line.append(f" — {', '.join(incident['components'])}", style="dim")
    latest = incident.get("latest_update")
    if isinstance(latest, dict) and latest.get("body"):
        line.append(f" — latest: {latest['body']}", style="dim")
    if incident.get("link"):
        line.append(f" {incident['link']}", style="dim underline")
    return line


def render_table(report: Report, out: IO[str], *, show_all: bool = False) -> None:
    """A rich table, worst first: the components that are not healthy and a line counting the rest (``show_all``:
    every component). At 10,000 components the healthy rows are what made it slow and unreadable. API strings
    are wrapped in Text so they are never parsed as markup."""
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    console = Console(file=out, highlight=False, soft_wrap=False)
    counts = report.counts
    overall = report.overall
    head = Text()
    head.append(f" {overall.upper()} ", style=STATUS_STYLE.get(overall, "bold"))
    head.append(f"  {EXIT_LABEL[report.exit_code]}  ")
    head.append("  ".join(f"{n} {s}" for s, n in counts.items() if n))
    head.append(f"  ·  {zone.date_time(report.generated_at, seconds=True)}", style="dim")
    console.print(head)
    if report.reasons:
        console.print(Text("threshold breached: " + "; ".join(report.reasons), style="bold red"))
    show_group = any(c.group for c in report.components)
    show_source = len({c.source for c in report.components}) > 1
    table = Table(show_edge=False, pad_edge=False, header_style="bold")
    table.add_column("Status", no_wrap=True)
    table.add_column("Name", overflow="fold")
    if show_group:
        table.add_column("Group", overflow="fold")
    table.add_column("ID", style="dim", overflow="fold")
    table.add_column(f"Last modified ({zone.label()})", no_wrap=True)
    if show_source:
        table.add_column("Source", style="dim", no_wrap=True)
    listed = [c for c in report.components if show_all or c.status != "healthy"]
    for c in listed:
        status = str(c.status)
        marker = " ★" if c.critical else ""
        cells = [
            Text(status.upper() + marker, style=STATUS_STYLE.get(status, "")),
            Text(c.name),
            *([Text(c.group or "")] if show_group else []),
            Text(c.id),
            Text(zone.date_time(c.last_modified, named=False)),
            *([Text(c.source)] if show_source else []),
        ]
        table.add_row(*cells)
    if listed:
        console.print(table)
    healthy = len(report.components) - len(listed)
    if healthy:
        rest = "every component is healthy" if not listed else f"{healthy} more healthy"
        console.print(Text(f"{rest} ({len(report.components)} in all; --all lists them)", style="green"))
    for incident in report.incidents:
        console.print(incident_text(incident))
    for event in report.events:
        if event.event_type == EventType.SCHEMA_VALIDATION_ERROR:
            console.print(Text(f"schema: {event.message}", style="magenta"))
    console.print(
        Text(
            f"poll {report.total_ms:.0f} ms (token {report.token_ms:.0f} ms, {len(report.requests)} requests)",
            style="dim",
        )
    )
