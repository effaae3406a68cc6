"""Reading the history: reports, a component's timeline, the state at a past poll (replay), the console's memory.

A reader has its own connection (WAL lets it read while the writer writes) and never writes.
"""

from __future__ import annotations

import json
import sqlite3
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tui_health.history.availability import Figures, coverage, figures
from tui_health.history.store import STATE_COLUMNS, HistoryError, columns, connect
from tui_health.model.component_history import Alert, Delivery, Transition


@dataclass(frozen=True, slots=True)
class PollRow:
    id: int
    at: float
    covers: float
    ok: bool
    error: str | None
    duration_ms: float
    problems: int | None
    breached: bool
    reasons: tuple[str, ...]
    sources: tuple[dict[str, Any], ...]
    ended: float
    """When its outcome was known: the events and alerts it made are at or before it (a store written before
    this was kept: the end of its requests)."""


class HistoryReader:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.db = connect(path, create=False)
        try:
            kept = "ended" in columns(self.db, "polls")
        except sqlite3.Error as exc:
            self.db.close()
            raise HistoryError(f"cannot read the history store {path}: {exc}") from None
        self._kept_end = kept
        """Whether polls keep their end (a store no writer of this build has opened yet does not)."""

    def close(self) -> None:
        self.db.close()

    def _query(self, sql: str, params: tuple[Any, ...] = ()) -> list[Any]:
        try:
            return self.db.execute(sql, params).fetchall()
        except sqlite3.Error as exc:
            raise HistoryError(f"cannot read the history store {self.path}: {exc}") from None

    # -- polls ----------------------------------------------------------------------------------------
    def polls(self, *, upto: int | None = None, limit: int | None = None) -> list[PollRow]:
        """Polls in order: every one, or the latest ``limit`` up to poll id ``upto`` (default: the last)."""
        sql = (
            "SELECT id, at, covers, ok, error, duration_ms, problems, breached, reasons, sources, "
            f"{self._ended()} AS ended FROM polls WHERE id <= ? ORDER BY id"
        )
        params: tuple[Any, ...] = (upto if upto is not None else 2**62,)
        if limit is not None:
            sql = f"SELECT * FROM ({sql.replace('ORDER BY id', 'ORDER BY id DESC')} LIMIT ?) ORDER BY id"
            params += (limit,)
        return [
            PollRow(
                r[0],
                r[1],
                r[2],
                bool(r[3]),
                r[4],
                r[5],
                r[6],
                bool(r[7]),
                tuple(json.loads(r[8])),
                tuple(json.loads(r[9])),
                max(r[1], r[10]),
            )
            for r in self._query(sql, params)
        ]

    def poll_ids(self) -> list[tuple[int, float]]:
        """(id, at) of every poll, in order (replay steps through them)."""
        return [(r[0], r[1]) for r in self._query("SELECT id, at FROM polls ORDER BY id")]

    def last_ok_at(self, upto: int) -> float | None:
        """When the last poll up to poll id ``upto`` that got an answer was taken."""
        return self._query("SELECT max(at) FROM polls WHERE ok = 1 AND id <= ?", (upto,))[0][0]

    def _ended(self, table: str = "polls") -> str:
        """SQL for a poll's end: kept, or else the end of its requests."""
        fallback = f"{table}.at + {table}.duration_ms / 1000.0"
        return f"coalesce({table}.ended, {fallback})" if self._kept_end else fallback

    def poll_ended(self, poll: int) -> float | None:
        """When poll id ``poll``'s outcome was known (see :attr:`PollRow.ended`)."""
        rows = self._query(f"SELECT at, {self._ended()} FROM polls WHERE id = ?", (poll,))
        return max(rows[0][0], rows[0][1]) if rows else None

    def confirmations_at(self, poll: int) -> dict[str, float]:
        """When the confirmed status each component had at poll id ``poll`` was confirmed: the end of the poll
        that recorded the change to it. A status taken as it was when first seen (the baseline) has none."""
        rows = self._query(
            f"SELECT t.component, t.from_status, p.at, {self._ended('p')} "
            "FROM transitions t JOIN polls p ON p.id = t.poll WHERE t.rowid IN "
            "(SELECT max(rowid) FROM transitions WHERE poll <= ? GROUP BY component)",
            (poll,),
        )
        return {r[0]: max(r[2], r[3]) for r in rows if r[1] is not None}

    def transition_polls(self) -> list[int]:
        """The ids of the polls that recorded a transition, in order."""
        return [r[0] for r in self._query("SELECT DISTINCT poll FROM transitions ORDER BY poll")]

    def about(self) -> dict[str, Any]:
        """Whose history this is (name, hosts, sources), as the monitor that wrote it said; {} when unsaid."""
        rows = self._query("SELECT value FROM meta WHERE key = 'target'")
        try:
            about = json.loads(rows[0][0]) if rows else {}
        except ValueError:
            return {}
        return about if isinstance(about, dict) else {}

    def span(self) -> tuple[float, float] | None:
        row = self._query("SELECT min(at), max(at) FROM polls")[0]
        return (row[0], row[1]) if row[0] is not None else None

    # -- transitions and figures ----------------------------------------------------------------------
    def transitions(
        self, since: float, until: float, components: list[str] | None = None, *, before: bool = False
    ) -> list[Transition]:
        """Transitions in [since, until] in time order; ``before``: each component's last one before ``since``
        too (what its status was when the window opened)."""
        where = "at >= ? AND at <= ?"
        params: list[Any] = [since, until]
        if before:
            where = (
                "(at >= ? AND at <= ?) OR rowid IN (SELECT max(rowid) FROM transitions WHERE at < ? "
                "GROUP BY component)"
            )
            params.append(since)
        if components:
            where = f"({where}) AND component IN ({', '.join('?' * len(components))})"
            params += components
        rows = self._query(
            "SELECT at, component, name, from_status, to_status, caused_by, flapping FROM transitions "
            f"WHERE {where} ORDER BY at, rowid",
            tuple(params),
        )
        return [
            Transition(r[0], r[1], r[2], r[3], r[4], tuple(json.loads(r[5])) if r[5] else (), bool(r[6]))
            for r in rows
        ]

    def observations(self, since: float, until: float) -> list[tuple[float, float, bool]]:
        """``(at, covers, ok)`` of the polls that observed anything of [since, until] (the last one before it
        included: what it saw reaches into the window)."""
        rows = self._query(
            "SELECT at, covers, ok FROM polls WHERE at >= (SELECT coalesce(max(at), 0) FROM polls WHERE at < ?) "
            "AND at <= ? ORDER BY id",
            (since, until),
        )
        return [(r[0], r[1], bool(r[2])) for r in rows]

    def report(
        self, since: float, until: float, components: list[str] | None = None
    ) -> tuple[list[Figures], float]:
        """Per component figures over [since, until], worst availability first, and the observed seconds."""
        spans = coverage(self.observations(since, until), since, until)
        by_component: dict[str, list[tuple[float, str]]] = defaultdict(list)
        names: dict[str, str] = {}
        for t in self.transitions(since, until, components, before=True):
            by_component[t.component].append((t.at, t.to_status))
            names[t.component] = t.name
        out = [figures(cid, names[cid], steps, spans, until) for cid, steps in by_component.items()]
        out.sort(key=lambda f: (f.availability if f.availability is not None else 101.0, f.name.casefold()))
        return out, sum(b - a for a, b in spans)

    def availability(self, since: float, until: float) -> dict[str, float | None]:
        """Availability % per component over [since, until] (the console's Avail 24h column)."""
        figures_, _ = self.report(since, until)
        return {f.id: f.availability for f in figures_}

    # -- alerts ---------------------------------------------------------------------------------------
    def alerts(self, since: float, until: float, component: str | None = None) -> list[Alert]:
        """Alerts enqueued in [since, until] (about ``component`` when given) with their deliveries up to
        ``until`` (replay at a poll does not know of a delivery that came after it)."""
        rows = self._query(
            "SELECT key, sink, at, components, summary FROM alerts WHERE at >= ? AND at <= ? ORDER BY at",
            (since, until),
        )
        alerts = []
        for key, sink, at, comps, summary in rows:
            ids = tuple(json.loads(comps))
            if component is not None and component not in ids:
                continue
            deliveries = tuple(
                Delivery(r[0], r[1], r[2], r[3])
                for r in self._query(
                    "SELECT at, outcome, code, message FROM deliveries WHERE key = ? AND at <= ? ORDER BY at",
                    (key, until),
                )
            )
            alerts.append(Alert(at, key, sink, ids, summary, deliveries))
        return alerts

    # -- events ---------------------------------------------------------------------------------------
    def events(self, until: float, limit: int) -> list[dict[str, Any]]:
        """The last ``limit`` audit events at or before ``until``, oldest first (as the audit log has them)."""
        rows = self._query(
            "SELECT data FROM events WHERE at <= ? ORDER BY at DESC, rowid DESC LIMIT ?", (until, limit)
        )
        return [json.loads(r[0]) for r in reversed(rows)]

    # -- states ---------------------------------------------------------------------------------------
    def states_at(self, poll: int) -> list[tuple[Any, ...]]:
        """Each component's latest state at or before ``poll`` (``STATE_COLUMNS``), gone ones left out."""
        return [
            r
            for r in self._query(
                f"SELECT {STATE_COLUMNS} FROM states WHERE rowid IN "
                "(SELECT max(rowid) FROM states WHERE poll <= ? GROUP BY component)",
                (poll,),
            )
            if not r[2]
        ]

    def incidents_at(self, poll: int) -> list[dict[str, Any]]:
        """The incidents open at ``poll`` (their latest report)."""
        rows = self._query(
            "SELECT change, data FROM incidents WHERE rowid IN "
            "(SELECT max(rowid) FROM incidents WHERE poll <= ? GROUP BY incident)",
            (poll,),
        )
        return [json.loads(data) for change, data in rows if change != "resolved"]

    def resume_point(self) -> tuple[dict[str, tuple[str, float]], dict[str, str]]:
        """Each component's last confirmed status and when it began, and the open incidents' last update."""
        confirmed = {
            r[0]: (r[1], r[2])
            for r in self._query(
                "SELECT component, to_status, at FROM transitions WHERE rowid IN "
                "(SELECT max(rowid) FROM transitions GROUP BY component)"
            )
            if r[1] != "gone"
        }
        last = self._query("SELECT max(id) FROM polls")[0][0]
        incidents: dict[str, str] = {}
        if last is not None:
            for incident in self.incidents_at(last):
                ident = str(incident.get("id") or incident.get("name") or "")
                incidents[ident] = str(incident.get("updated_at") or incident.get("status") or "")
        return confirmed, incidents
