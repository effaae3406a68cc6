"""The outbox as rules, with no dispatcher: what each call stores, counts and changes, and the held file a stop
writes and the next start reads (a torn or foreign line skipped, the file removed only once it is stored)."""

from __future__ import annotations

import json
import re
import sqlite3
from pathlib import Path

import pytest

from tui_health.alerts.outbox import Outbox, Row, damaged, held_path, held_places, keep_held, take_held
from tui_health.support.errors import ConfigError


@pytest.fixture
def outbox(tmp_path: Path):
    box = Outbox(tmp_path / "outbox.sqlite3")
    yield box
    box.close()


def test_a_message_is_stored_once_per_sink_and_key(outbox: Outbox):
    first = outbox.add("hook", "k1", {"text": "C1 is down"}, "C1 is down", 100.0)
    assert first is not None and outbox.id_of("hook", "k1") == first
    assert outbox.add("hook", "k1", {"text": "again"}, "again", 200.0) is None
    other = outbox.add("pager", "k1", {}, "", 100.0)
    assert other is not None and other != first
    assert outbox.id_of("hook", "k2") is None
    [row] = outbox.rows([first])
    assert row == Row(
        first, "hook", "k1", {"text": "C1 is down"}, "C1 is down", 0, 100.0, "pending", None, None
    )


def test_rows_are_read_in_the_order_they_were_stored_and_only_those_asked_for(outbox: Outbox):
    ids = [outbox.add("hook", f"k{n}", {}, f"alert {n}", 0.0) for n in range(3)]
    assert [row.key for row in outbox.rows({ids[2], ids[0]})] == ["k0", "k2"]
    assert outbox.rows([]) == []
    outbox.delivered(ids[0])
    assert [row.key for row in outbox.rows(ids)] == ["k1", "k2"]


def test_pending_counts_by_sink_and_by_row_and_an_empty_choice_counts_nothing(outbox: Outbox):
    a = outbox.add("hook", "k1", {}, "", 0.0)
    outbox.add("hook", "k2", {}, "", 0.0)
    c = outbox.add("pager", "k3", {}, "", 0.0)
    assert a is not None and c is not None
    outbox.fail(c, "HTTP 404")
    assert outbox.pending_count() == 2
    assert outbox.pending_count(sinks=["hook"]) == 2 and outbox.pending_count(sinks=["pager"]) == 0
    assert outbox.pending_count(sinks=[]) == 0 and outbox.pending_count(ids=[]) == 0
    assert outbox.pending_count(ids=[a, c]) == 1
    assert outbox.pending_count(sinks=["hook"], ids=[c]) == 0
    assert outbox.failed_count() == 1


def test_messages_for_sinks_no_longer_configured_are_orphans_pending_or_failed(outbox: Outbox):
    outbox.add("hook", "k1", {}, "", 0.0)
    gone = outbox.add("old", "k2", {}, "", 0.0)
    outbox.add("old", "k3", {}, "", 0.0)
    assert gone is not None
    outbox.fail(gone, "HTTP 410")
    assert outbox.orphans(["hook"]) == 2
    assert outbox.orphans(["hook", "old"]) == 0
    assert outbox.orphans([]) == 3  # no sink at all: every message
    assert outbox.purge_orphans(["hook", "old"]) == 0
    assert outbox.purge_orphans(["hook"]) == 2
    assert [row.sink for row in outbox.pending()] == ["hook"]
    assert outbox.purge_orphans([]) == 1 and outbox.pending() == []


def test_the_head_is_a_sinks_oldest_pending_message(outbox: Outbox):
    first = outbox.add("hook", "k1", {}, "", 0.0)
    outbox.add("pager", "k2", {}, "", 0.0)
    outbox.add("hook", "k3", {}, "", 0.0)
    assert first is not None
    assert outbox.head("hook").key == "k1"  # type: ignore[union-attr]
    outbox.fail(first, "HTTP 400")
    assert outbox.head("hook").key == "k3"  # type: ignore[union-attr]
    assert outbox.head("nobody") is None


def test_a_retry_counts_the_attempt_and_keeps_when_and_why(outbox: Outbox):
    row_id = outbox.add("hook", "k1", {}, "", 10.0)
    assert row_id is not None
    outbox.retry(row_id, 70.0, "HTTP 503")
    outbox.retry(row_id, 130.0, "HTTP 400", refused_since=100.0)
    [row] = outbox.pending()
    assert (row.attempts, row.next_at, row.last_error, row.refused_since, row.state) == (
        2,
        130.0,
        "HTTP 400",
        100.0,
        "pending",
    )


def test_a_failed_message_is_kept_until_requeued_or_purged(outbox: Outbox):
    row_id = outbox.add("hook", "k1", {}, "", 10.0)
    kept = outbox.add("hook", "k2", {}, "", 10.0)
    assert row_id is not None and kept is not None
    outbox.retry(row_id, 70.0, "HTTP 400", refused_since=10.0)
    outbox.fail(row_id, "HTTP 400 for good")
    [failed] = outbox.failed()
    assert (failed.state, failed.attempts, failed.last_error) == ("failed", 2, "HTTP 400 for good")
    assert outbox.requeue_failed(500.0) == 1
    [again, _] = outbox.pending()
    assert (again.key, again.attempts, again.next_at, again.refused_since) == ("k1", 0, 500.0, None)
    outbox.fail(row_id, "HTTP 400")
    assert outbox.purge_failed() == 1 and outbox.failed() == [] and len(outbox.pending()) == 1


def test_at_start_every_pending_message_is_due_and_a_failed_one_is_left(outbox: Outbox):
    a = outbox.add("hook", "k1", {}, "", 0.0)
    b = outbox.add("hook", "k2", {}, "", 0.0)
    assert a is not None and b is not None
    outbox.retry(a, 9000.0, "HTTP 503")
    outbox.fail(b, "HTTP 400")
    assert outbox.make_all_due(100.0) == 1
    assert [row.next_at for row in outbox.pending()] == [100.0]
    assert [row.next_at for row in outbox.failed()] == [0.0]


def test_an_outbox_written_before_refusals_were_timed_gains_the_column(tmp_path: Path):
    path = tmp_path / "outbox.sqlite3"
    old = sqlite3.connect(path)
    old.executescript(
        "CREATE TABLE outbox (id INTEGER PRIMARY KEY AUTOINCREMENT, sink TEXT NOT NULL, key TEXT NOT NULL, "
        "body TEXT NOT NULL, summary TEXT NOT NULL DEFAULT '', created REAL NOT NULL, "
        "attempts INTEGER NOT NULL DEFAULT 0, next_at REAL NOT NULL, state TEXT NOT NULL DEFAULT 'pending', "
        "last_error TEXT, UNIQUE (sink, key));"
        "INSERT INTO outbox (sink, key, body, created, next_at) VALUES ('hook', 'k-old', '{}', 1.0, 1.0);"
    )
    old.commit()
    old.close()
    box = Outbox(path)
    try:
        [row] = box.pending()
        assert (row.key, row.refused_since) == ("k-old", None)
        box.retry(row.id, 2.0, "HTTP 400", refused_since=1.5)
        assert box.pending()[0].refused_since == 1.5
    finally:
        box.close()


def test_only_a_damaged_file_is_called_damaged():
    assert damaged(sqlite3.DatabaseError("database disk image is malformed"))
    assert damaged(sqlite3.DatabaseError("file is not a database"))
    assert not damaged(sqlite3.OperationalError("database is locked"))
    assert not damaged(OSError("malformed"))


def test_a_damaged_file_is_moved_aside_and_a_fresh_one_started(tmp_path: Path):
    path = tmp_path / "outbox.sqlite3"
    box = Outbox(path)
    box.add("hook", "k1", {}, "", 0.0)
    aside = box.replace_damaged()
    try:
        assert re.fullmatch(r"outbox\.sqlite3\.damaged-\d{8}T\d{6}", aside.name) and aside.exists()
        assert box.pending() == [] and box.add("hook", "k1", {}, "", 0.0) is not None
    finally:
        box.close()


def test_a_damaged_files_log_and_shared_memory_go_aside_with_it_even_when_it_cannot_be_closed(tmp_path: Path):
    path = tmp_path / "outbox.sqlite3"
    box = Outbox(path)
    box.db.close()

    class Broken:
        """A connection whose close fails, leaving its -wal and -shm files behind."""

        def close(self) -> None:
            path.with_name("outbox.sqlite3-wal").write_bytes(b"log")
            path.with_name("outbox.sqlite3-shm").write_bytes(b"shm")
            raise sqlite3.ProgrammingError("cannot close")

    box.db = Broken()  # type: ignore[assignment]
    aside = box.replace_damaged()
    try:
        assert Path(f"{aside}-wal").read_bytes() == b"log" and Path(f"{aside}-shm").read_bytes() == b"shm"
    finally:
        box.close()


def test_an_outbox_that_cannot_be_opened_is_a_config_error_naming_it(tmp_path: Path):
    blocked = tmp_path / "a-file"
    blocked.write_text("not a directory")
    with pytest.raises(ConfigError, match="cannot open the alert outbox") as caught:
        Outbox(blocked / "outbox.sqlite3")
    assert caught.value.hint == "set alerts.outbox to a writable path"


def test_a_file_that_is_not_a_database_is_moved_aside_at_open(tmp_path: Path):
    path = tmp_path / "outbox.sqlite3"
    path.write_bytes(b"this is not a database, " * 200)
    box = Outbox(path)
    try:
        assert box.moved_aside is not None and box.moved_aside.read_bytes().startswith(b"this is not")
        assert box.pending() == []
    finally:
        box.close()


# -- the held file ---------------------------------------------------------------------------------------------
def test_the_held_file_lies_beside_the_outbox_and_then_in_each_other_place_once(tmp_path: Path):
    outbox = tmp_path / "state" / "outbox.sqlite3"
    assert held_path(outbox) == tmp_path / "state" / "outbox.sqlite3.held.jsonl"
    places = held_places(outbox, [tmp_path / "audit", tmp_path / "state", tmp_path / "audit"])
    assert places == [
        tmp_path / "state" / "outbox.sqlite3.held.jsonl",
        tmp_path / "audit" / "outbox.sqlite3.held.jsonl",
    ]


def item(n: int) -> dict:
    return {"sink": "hook", "key": f"k{n}", "body": {"n": n}, "summary": f"alert {n}", "at": float(n)}


def test_held_messages_are_appended_one_line_each_and_a_torn_line_is_ended_first(tmp_path: Path):
    path = tmp_path / "held.jsonl"
    keep_held(path, [item(1), item(2)])
    assert path.read_text().splitlines() == [json.dumps(item(n), separators=(",", ":")) for n in (1, 2)]
    assert path.stat().st_mode & 0o777 == 0o600
    with path.open("a") as torn:
        torn.write('{"sink":"ho')  # a stop that died mid-line
    keep_held(path, [item(3)])
    lines = path.read_text().splitlines()
    assert lines[-2] == '{"sink":"ho' and json.loads(lines[-1]) == item(3)


def test_the_next_start_stores_what_was_held_skipping_torn_and_foreign_lines_then_removes_the_file(
    outbox: Outbox, tmp_path: Path
):
    path = tmp_path / "held.jsonl"
    keep_held(path, [item(1)])
    with path.open("a") as more:
        more.write('{"sink":"ho\n["a list"]\n{"sink": "hook"}\n')  # torn, foreign, incomplete
    keep_held(path, [item(2), item(1)])  # the second k1 is the first again: stored once
    assert take_held(outbox, path) == 2
    assert not path.exists()
    assert [(row.key, row.body, row.summary, row.next_at) for row in outbox.pending()] == [
        ("k1", {"n": 1}, "alert 1", 1.0),
        ("k2", {"n": 2}, "alert 2", 2.0),
    ]
    assert take_held(outbox, path) is None  # nothing held: nothing to say
