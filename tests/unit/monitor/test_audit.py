"""AuditLog: fields in order, fsync'd batches, rotation, torn lines, tail, redaction."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from tui_health.model.domain import AuditEvent, Severity
from tui_health.monitor.audit import AuditLog
from tui_health.support.redact import Redactor, redact_url

T0 = datetime(2026, 3, 1, 8, 30, 0, 123000, tzinfo=UTC)


def ev(n: int, **kw) -> AuditEvent:
    return AuditEvent(
        timestamp=T0,
        event_type="component_health_change",
        component_ids=(f"c{n}",),
        status="down",
        latency_ms=12.5,
        message=f"event {n}",
        **kw,
    )


def test_lines_carry_the_seed_fields_first_in_order(tmp_path):
    log = AuditLog(tmp_path / "audit.jsonl")
    log.write(
        [
            ev(
                1,
                severity=Severity.CRITICAL,
                previous_status="healthy",
                poll_id="p1",
                source="health-api",
                correlation_id="cid-1",
            )
        ]
    )
    assert log.flush()
    line = (tmp_path / "audit.jsonl").read_text().splitlines()[0]
    data = json.loads(line)
    assert list(data)[:6] == ["timestamp", "event_type", "component_ids", "status", "latency_ms", "message"]
    assert data["timestamp"] == "2026-03-01T08:30:00.123Z"
    assert {"id", "severity", "previous_status", "poll_id", "source", "correlation_id"} <= set(data)


def test_tail_reads_back_the_last_events_across_rotation(tmp_path):
    log = AuditLog(tmp_path / "audit.jsonl", max_bytes=10_000, backups=3)
    for batch in range(40):
        log.write([ev(batch * 10 + i) for i in range(10)])
    assert log.flush()
    files = sorted(p.name for p in tmp_path.iterdir())
    assert files == ["audit.jsonl", "audit.jsonl.1", "audit.jsonl.2", "audit.jsonl.3"]
    assert all(p.stat().st_size <= 10_000 for p in tmp_path.iterdir())
    last = log.tail(25)
    assert [e.message for e in last] == [f"event {n}" for n in range(375, 400)]


def test_a_torn_last_line_is_skipped_and_never_glued_to_new_lines(tmp_path):
    path = tmp_path / "audit.jsonl"
    log = AuditLog(path)
    log.write([ev(1), ev(2)])
    assert log.flush()
    with open(path, "ab") as fh:  # a crash in the middle of a write
        fh.write(b'{"timestamp":"2026-03-01T08:30:00.123Z","event_type":"compo')
    assert [e.message for e in log.tail(10)] == ["event 1", "event 2"]
    log.write([ev(3)])
    assert [e.message for e in log.tail(10)] == ["event 1", "event 2", "event 3"]
    assert log.flush()
    lines = path.read_text().splitlines()
    assert json.loads(lines[0])["message"] == "event 1" and json.loads(lines[-1])["message"] == "event 3"


def test_secrets_never_reach_the_file(tmp_path):
    log = AuditLog(tmp_path / "audit.jsonl", redactor=Redactor(["hunter2-secret-value", "tok-abcdef"]))
    log.write(
        [
            AuditEvent(
                timestamp=T0,
                event_type="poll_failed",
                message="login said hunter2-secret-value is wrong; Authorization: Bearer abc.def.ghi123; "
                "hook tok-abcdef",
            )
        ]
    )
    assert log.flush()
    text = (tmp_path / "audit.jsonl").read_text()
    assert "hunter2-secret-value" not in text and "tok-abcdef" not in text and "abc.def.ghi123" not in text
    assert "***" in text


def test_listeners_see_each_line_as_written(tmp_path):
    log = AuditLog(tmp_path / "audit.jsonl")
    seen: list[str] = []
    log.listeners.append(lambda event, line: seen.append(line))
    log.write([ev(1), ev(2)])
    assert len(seen) == 2  # at once, whatever the disk does
    assert log.flush()
    assert seen == (tmp_path / "audit.jsonl").read_text().splitlines()  # the very lines the file holds


def test_a_disk_that_hangs_never_holds_the_writer_back(tmp_path, monkeypatch):
    """A write that blocks (a frozen disk) holds the audit log's thread, not the caller: write() returns at
    once, busy_for() says how long the disk has been stuck, and the lines arrive once it answers."""
    import threading

    log = AuditLog(tmp_path / "audit.jsonl")
    frozen, entered = threading.Event(), threading.Event()
    real = log._append

    def hanging(data: bytes) -> None:
        entered.set()
        frozen.wait(30)
        real(data)

    monkeypatch.setattr(log, "_append", hanging)
    log.write([ev(1)])
    assert entered.wait(10)
    log.write([ev(2)])  # returns although the disk hangs
    assert log.busy_for() > 0 and not log.flush(0.2)
    frozen.set()
    assert log.flush(10)
    assert [e.message for e in log.tail(5)] == ["event 1", "event 2"]


def test_redact_url_keeps_only_scheme_and_host():
    assert redact_url("https://hooks.slack.com/services/T000/B000/XXXX") == "https://hooks.slack.com/…"
    assert redact_url("https://user:pw@example.com:8443/x?token=1") == "https://example.com:8443/…"
    assert redact_url("https://example.com") == "https://example.com"


def test_dev_null_is_a_valid_audit_log():
    log = AuditLog(Path("/dev/null"), max_bytes=10_000)
    for n in range(50):
        log.write([ev(n)])  # no fsync error, no rotation of a device
    assert log.tail(5) == []
