"""The history store: one SQLite file per target (WAL), what happened to every component and every alert.

Not a snapshot per poll: a row per poll (its outcome, duration, problems, per-source latency), and a component's
row only when what a view shows of it changed (``states``), so the state of every component at any moment is
the latest ``states`` row at or before that poll. Confirmed transitions, incidents as seen, audit events (silences
and alert deliveries among them) and the alerts themselves have their own tables.

Each poll is written in one transaction: ``kill -9`` mid-write loses at most the poll in flight, and SQLite's
WAL keeps the file consistent. Times are Unix seconds (UTC).
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tui_health.support.disk import create_private_file, make_private_dir
from tui_health.support.errors import TuiHealthError

SCHEMA_VERSION = 1

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS polls (
    id INTEGER PRIMARY KEY,
    at REAL NOT NULL,            -- when the poll was taken
    covers REAL NOT NULL,        -- seconds an answered poll's observation holds when no next poll follows
    ok INTEGER NOT NULL,         -- at least one source answered
    error TEXT,                  -- the failed sources' error kinds, "," separated (NULL: none failed)
    duration_ms REAL NOT NULL,
    problems INTEGER,            -- components down or degraded in the answer (NULL: no answer)
    components INTEGER NOT NULL,
    breached INTEGER NOT NULL,
    reasons TEXT NOT NULL,       -- JSON list
    sources TEXT NOT NULL,       -- JSON [{name, ok, ms, error_kind?, error?}]
    run TEXT NOT NULL,           -- the process that polled (a restart starts a new run)
    ended REAL                   -- when its outcome was known: its events and alerts are at or before it
);
CREATE INDEX IF NOT EXISTS polls_at ON polls(at);
CREATE TABLE IF NOT EXISTS states (
    poll INTEGER NOT NULL,
    component TEXT NOT NULL,
    gone INTEGER NOT NULL DEFAULT 0,  -- no longer reported
    name TEXT NOT NULL,
    status TEXT NOT NULL,        -- confirmed
    observed TEXT NOT NULL,
    since REAL NOT NULL,
    last_modified REAL,
    source TEXT NOT NULL,
    grp TEXT,
    flapping INTEGER NOT NULL,
    silenced_until REAL,
    caused_by TEXT,              -- JSON list or NULL
    critical INTEGER NOT NULL,
    raw_status TEXT
);
CREATE INDEX IF NOT EXISTS states_component ON states(component, poll);
CREATE INDEX IF NOT EXISTS states_poll ON states(poll);
CREATE TABLE IF NOT EXISTS transitions (
    at REAL NOT NULL,            -- when the new confirmed status began
    poll INTEGER NOT NULL,       -- the poll that recorded it
    component TEXT NOT NULL,
    name TEXT NOT NULL,
    from_status TEXT,            -- NULL: first seen
    to_status TEXT NOT NULL,     -- a status, or "gone"
    caused_by TEXT,
    flapping INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS transitions_component ON transitions(component, at);
CREATE INDEX IF NOT EXISTS transitions_at ON transitions(at);
CREATE TABLE IF NOT EXISTS events (
    at REAL NOT NULL,
    type TEXT NOT NULL,
    severity TEXT NOT NULL,
    components TEXT NOT NULL,    -- JSON list
    data TEXT NOT NULL           -- the audit event, as the audit log has it
);
CREATE INDEX IF NOT EXISTS events_at ON events(at);
CREATE TABLE IF NOT EXISTS incidents (
    at REAL NOT NULL,
    poll INTEGER NOT NULL,
    incident TEXT NOT NULL,
    change TEXT NOT NULL,        -- opened | updated | resolved
    data TEXT NOT NULL           -- JSON, as the status page source reports it
);
CREATE INDEX IF NOT EXISTS incidents_at ON incidents(at);
CREATE TABLE IF NOT EXISTS alerts (
    key TEXT NOT NULL,           -- the message's idempotency key
    sink TEXT NOT NULL,
    at REAL NOT NULL,
    components TEXT NOT NULL,    -- JSON list
    summary TEXT NOT NULL,
    PRIMARY KEY (key, sink)
);
CREATE INDEX IF NOT EXISTS alerts_at ON alerts(at);
CREATE TABLE IF NOT EXISTS deliveries (
    key TEXT NOT NULL,
    at REAL NOT NULL,
    outcome TEXT NOT NULL,       -- delivered | retrying | failed
    code TEXT,                   -- HTTP status or "no-response"
    sink_kind TEXT,
    message TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS deliveries_key ON deliveries(key);
CREATE INDEX IF NOT EXISTS deliveries_at ON deliveries(at);
"""

STATE_COLUMNS = (
    "poll, component, gone, name, status, observed, since, last_modified, source, grp, flapping, "
    "silenced_until, caused_by, critical, raw_status"
)


@dataclass(slots=True)
class PollRecord:
    """Everything one poll adds to the history (built on the event loop, written by the writer's thread)."""

    at: float
    covers: float
    ok: bool
    error: str | None
    duration_ms: float
    problems: int | None
    components: int
    breached: bool
    reasons: str
    sources: str
    run: str
    ended: float | None = None  # when the poll's outcome was known (after its events and alerts)
    states: list[tuple[Any, ...]] = field(default_factory=list)  # STATE_COLUMNS without ``poll``
    transitions: list[tuple[Any, ...]] = field(
        default_factory=list
    )  # (at, component, name, from, to, caused, flap)
    incidents: list[tuple[Any, ...]] = field(default_factory=list)  # (at, incident, change, data)


@dataclass(slots=True)
class Extras:
    """What arrives between polls: audit events, alerts enqueued, delivery attempts."""

    events: list[tuple[Any, ...]] = field(default_factory=list)  # (at, type, severity, components, data)
    alerts: list[tuple[Any, ...]] = field(default_factory=list)  # (key, sink, at, components, summary)
    deliveries: list[tuple[Any, ...]] = field(default_factory=list)  # (key, at, outcome, code, kind, message)

    def __bool__(self) -> bool:
        return bool(self.events or self.alerts or self.deliveries)


class HistoryError(TuiHealthError):
    """The history store cannot be opened or read (one line for the person)."""


def connect(path: Path, *, create: bool, about: str | None = None) -> sqlite3.Connection:
    """An open connection to the store at ``path`` (created 0600 with its schema when ``create``); ``about``
    (JSON: the target's name, hosts and sources) is kept in ``meta`` so ``tui-health history`` can say whose
    history a file holds."""
    try:
        if create:
            make_private_dir(path.parent)
            create_private_file(path)
        elif not path.is_file():
            raise HistoryError(f"no history at {path} yet (a monitor with history enabled writes it)")
        db = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=5.0)
        db.execute("PRAGMA journal_mode=WAL")
        # WAL + NORMAL: a process killed mid-write loses at most its open transaction and never corrupts the
        # file; only a power cut can lose the last committed polls
        db.execute("PRAGMA synchronous=NORMAL")
        if create:
            db.executescript(SCHEMA)
            if "ended" not in columns(db, "polls"):  # a store written before polls had it (NULL: not known)
                db.execute("ALTER TABLE polls ADD COLUMN ended REAL")
            db.execute("INSERT OR IGNORE INTO meta VALUES ('schema', ?)", (str(SCHEMA_VERSION),))
            if about is not None:
                db.execute("INSERT OR REPLACE INTO meta VALUES ('target', ?)", (about,))
        version = db.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()
    except (OSError, sqlite3.Error) as exc:
        raise HistoryError(f"cannot open the history store {path}: {exc}") from None
    if version is None or version[0] != str(SCHEMA_VERSION):
        db.close()
        found = version[0] if version else "none"
        raise HistoryError(f"the history store {path} has schema {found}; this build reads {SCHEMA_VERSION}")
    return db


def columns(db: sqlite3.Connection, table: str) -> set[str]:
    return {row[1] for row in db.execute(f"PRAGMA table_info({table})")}


def write_poll(db: sqlite3.Connection, record: PollRecord) -> int:
    """Write one poll in one transaction; returns its id. Raises sqlite3.Error (the writer reports it)."""
    with transaction(db):
        cursor = db.execute(
            "INSERT INTO polls (at, covers, ok, error, duration_ms, problems, components, breached, reasons, "
            "sources, run, ended) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                record.at,
                record.covers,
                int(record.ok),
                record.error,
                record.duration_ms,
                record.problems,
                record.components,
                int(record.breached),
                record.reasons,
                record.sources,
                record.run,
                record.ended,
            ),
        )
        poll = cursor.lastrowid
        assert poll is not None
        if record.states:
            db.executemany(
                f"INSERT INTO states ({STATE_COLUMNS}) VALUES ({', '.join('?' * 15)})",
                [(poll, *row) for row in record.states],
            )
        if record.transitions:
            db.executemany(
                "INSERT INTO transitions (at, poll, component, name, from_status, to_status, caused_by, flapping) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [(row[0], poll, *row[1:]) for row in record.transitions],
            )
        if record.incidents:
            db.executemany(
                "INSERT INTO incidents (at, poll, incident, change, data) VALUES (?, ?, ?, ?, ?)",
                [(row[0], poll, *row[1:]) for row in record.incidents],
            )
    return poll


def write_extras(db: sqlite3.Connection, extras: Extras) -> None:
    with transaction(db):
        db.executemany(
            "INSERT INTO events (at, type, severity, components, data) VALUES (?, ?, ?, ?, ?)", extras.events
        )
        db.executemany("INSERT OR IGNORE INTO alerts VALUES (?, ?, ?, ?, ?)", extras.alerts)
        db.executemany(
            "INSERT INTO deliveries (key, at, outcome, code, sink_kind, message) VALUES (?, ?, ?, ?, ?, ?)",
            extras.deliveries,
        )


def prune(db: sqlite3.Connection, before: float) -> int:
    """Forget what happened before ``before``, keeping each component's last state from then (so the state at
    any kept moment can still be rebuilt). Returns the number of polls removed."""
    with transaction(db):
        # the last poll before the horizon stays: what it observed reaches into the kept time
        first = db.execute("SELECT max(id) FROM polls WHERE at < ?", (before,)).fetchone()[0]
        if first is None:
            return 0
        # each component's latest state before the first kept poll moves to that poll
        db.execute(
            "UPDATE states SET poll = ? WHERE rowid IN ("
            "  SELECT max(rowid) FROM states WHERE poll < ? GROUP BY component)",
            (first, first),
        )
        db.execute("DELETE FROM states WHERE poll < ?", (first,))
        removed = db.execute("DELETE FROM polls WHERE id < ?", (first,)).rowcount
        # the transition that set each component's status before the horizon stays: availability needs it
        db.execute(
            "DELETE FROM transitions WHERE at < ? AND rowid NOT IN ("
            "  SELECT max(rowid) FROM transitions WHERE at < ? GROUP BY component)",
            (before, before),
        )
        for table in ("events", "incidents", "alerts", "deliveries"):
            db.execute(f"DELETE FROM {table} WHERE at < ?", (before,))
    return removed


class transaction:
    """``BEGIN IMMEDIATE`` … ``COMMIT``, rolled back when the body raises."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db

    def __enter__(self) -> sqlite3.Connection:
        self.db.execute("BEGIN IMMEDIATE")
        return self.db

    def __exit__(self, kind: object, exc: object, tb: object) -> None:
        if kind is None:
            self.db.execute("COMMIT")
        else:
            self.db.execute("ROLLBACK")
