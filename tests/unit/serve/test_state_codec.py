"""The collector's state on the wire (serve/codec.py, derived from the model's dataclasses and the markers of
support/untrusted.py): what a console reads back is what the collector had, and what a hostile collector sends is
checked like anything from the network — each guarantee here breaks a test when it breaks."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tui_health.model.domain import AuditEvent, RateLimit, Severity, SourceResult, Status
from tui_health.model.extras import PageStatus, SourceExtras
from tui_health.model.latency import MAX_SERIES, LatencySummary
from tui_health.model.state import (
    MAX_COMPONENTS,
    MAX_EVENTS,
    BudgetView,
    ComponentView,
    ConnectionState,
    MonitorState,
)
from tui_health.serve.codec import state_bytes, state_from_json, state_to_json

AT = datetime(2026, 11, 26, 9, 0, 0, 250000, tzinfo=UTC)


def view(cid: str = "a", **changes: Any) -> ComponentView:
    base = ComponentView(cid, f"Component {cid}", Status.DOWN, Status.DOWN, AT, AT, "health-api")
    return ComponentView(**{**{f: getattr(base, f) for f in base.__dataclass_fields__}, **changes})


EVENT = AuditEvent(
    timestamp=AT,
    event_type="component_health_change",
    component_ids=("a",),
    status="down",
    latency_ms=12.5,
    message="a went down",
    id="e-1",
    severity=Severity.CRITICAL,
    previous_status="healthy",
    poll_id="p-1",
    source="health-api",
    correlation_id="c-1",
    caused_by=("b",),
    reasons=("r",),
    sink="webhook",
    key="k",
    name="Component a",
    since=AT,
    previous_since=AT,
    link="https://status/x",
)


def full_state() -> MonitorState:
    """A state with every field the wire carries set to something other than its default."""
    return MonitorState(
        region="emea",
        poll_count=7,
        components=(
            view(
                "a",
                observed=Status.HEALTHY,
                critical=True,
                flapping=True,
                silenced_until=AT + timedelta(hours=1),
                caused_by=("b",),
                group="EMEA (Frankfurt)",
                raw_status="major_outage",
                details={"load": 3, "nodes": ["x"], "ok": None},
                confirmed_at=AT,
                pending_since=AT,
                kind="edge",
                maintenance="carrier work",
            ),
            view("b", status=Status.MAINTENANCE, observed=Status.UNKNOWN, last_modified=None),
        ),
        breached=True,
        reasons=("1 down",),
        events=(EVENT,),
        latency=LatencySummary(7, 1.5, 2.5, 3.5, 2.0, 0.25, 4.0, (1.0, 2.0), (0, None, 3), 9.5),
        connection=ConnectionState("rate_limited", "health-api: HTTP 429", AT),
        last_poll_at=AT,
        last_ok_at=AT - timedelta(seconds=15),
        first_poll_at=AT - timedelta(days=1),
        next_poll_at=AT + timedelta(seconds=15),
        interval=30.0,
        paused=True,
        sources=(
            SourceResult(
                "statuspage",
                False,
                error="HTTP 503",
                error_kind="api",
                rate_limit=RateLimit(300, 12, AT, "/api/v2/health"),
                extras=SourceExtras(
                    incidents=({"id": "i1", "name": "Voice"},),
                    page_status=PageStatus("minor", "Partial outage"),
                    operational_events=({"name": "e1"},),
                ),
            ),
        ),
        incidents=({"id": "i1", "name": "Voice"},),
        outbox_pending=1,
        outbox_failed=2,
        alerts_held=3,
        storage_problem="disk full",
        budget=BudgetView(12, 300, 0.5),
        silences=(("a", AT + timedelta(hours=1)),),
        silence_notes={"a": "by alice: carrier work"},
        availability={"a": 99.5, "b": None},
    )


def wire(state: MonitorState) -> dict[str, Any]:
    """The document as a console receives it (bytes on the wire, then JSON)."""
    return json.loads(state_bytes(state))


def read(document: dict[str, Any]) -> MonitorState:
    return state_from_json(json.loads(json.dumps(document)))


def refused(document: Any) -> str:
    with pytest.raises(ValueError) as caught:
        state_from_json(document)
    return str(caught.value)


# -- what a console reads back is what the collector had


def test_every_field_on_the_wire_comes_back_as_it_was() -> None:
    state = full_state()
    assert read(wire(state)) == state
    assert state_to_json(state) == wire(state)
    assert read(wire(MonitorState())) == MonitorState()


# -- a wrong shape: the whole document is invalid, one line says where


@pytest.mark.parametrize(
    ("where", "value", "said"),
    [
        (("components", 1, "status"), ["down"], "components.1.status: not text"),
        (("components", 1, "name"), {"x": 1}, "components.1.name: not text"),
        (("components", 1, "details"), [1, 2], "components.1.details: not an object"),
        (("components", 1, "caused_by"), 7, "components.1.caused_by: input should be a valid list"),
        (("components",), 5, "components: input should be a valid list"),
        (("reasons",), {"a": 1}, "reasons: input should be a valid list"),
        (("events",), "many", "events: input should be a valid list"),
        (("interval",), "soon", "interval: input should be a valid number"),
        (("poll_count",), -1, "poll_count: input should be greater than or equal to 0"),
        (("sources", 0, "ok"), "perhaps", "sources.0.ok: input should be a valid boolean"),
        (("silences", 0), ["a", "2026-11-26T10:00:00Z", "x"], "silences.0: list should have at most 2 items"),
        (("silences", 0, 0), ["a"], "silences.0.0: not text"),
    ],
)
def test_a_value_of_the_wrong_shape_makes_the_document_invalid_and_one_line_says_where(
    where: tuple[Any, ...], value: Any, said: str
) -> None:
    document = wire(full_state())
    holder: Any = document
    for step in where[:-1]:
        holder = holder[step]
    holder[where[-1]] = value
    message = refused(document)
    assert message.startswith(f"not a valid tui-health state: {said}"), message
    assert "\n" not in message


def test_a_missing_field_the_model_requires_is_named() -> None:
    document = wire(full_state())
    del document["components"][1]["observed"]
    assert refused(document) == "not a valid tui-health state: components.1.observed: field required"
    assert refused([document]) == "not a tui-health state (not a JSON object)"


# -- every string cleaned of control characters and cut to its bound


def test_every_string_is_cleaned_and_cut_to_its_bound() -> None:
    document = wire(full_state())
    document["region"] = "\x1b]0;owned\x07emea"
    document["components"][0]["id"] = "a\x1b[2J" + "x" * 300
    document["components"][0]["name"] = "Voice\x1b[2J\x07\u202e" + "n" * 1000
    document["components"][0]["group"] = "EMEA\r\n(Frankfurt)"
    document["components"][0]["caused_by"] = ["b\x9b31m"]
    deep: Any = "bottom"
    for _ in range(20):
        deep = {"d": deep}
    document["components"][0]["details"] = {"k\x1b": "v\x1b[H", "deep": deep, "many": list(range(500))}
    document["sources"][0]["error"] = "\x1b[31mdown" + "e" * 2000
    document["sources"][0]["extras"]["incidents"] = [{"name": "\x1b]2;x\x07Voice"}]
    document["sources"][0]["extras"]["page_status"] = {"indicator": "minor\x07", "description": "d\x1b"}
    document["silence_notes"] = {"a\x1b": "by \x1b]0;eve\x07eve"}
    document["reasons"] = ["r" * 600]
    document["components"][0]["status"] = 5  # a number is taken as its text (here an unknown status)
    state = read(document)
    [first, _] = state.components
    assert state.region == "]0;ownedemea"
    assert first.id.startswith("a[2J") and len(first.id) == 200 and first.id.endswith("…")
    assert first.name.startswith("Voice[2J") and len(first.name) == 500
    assert first.group == "EMEA  (Frankfurt)" and first.caused_by == ("b31m",)
    assert first.details is not None and first.details["k"] == "v[H"
    assert "bottom" not in json.dumps(first.details) and len(first.details["many"]) < 100  # (clean_data)
    assert first.status is Status.UNKNOWN
    [source] = state.sources
    assert source.error is not None and source.error.startswith("[31mdown") and len(source.error) == 1000
    assert source.extras.incidents == ({"name": "]2;xVoice"},)
    assert source.extras.page_status == PageStatus("minor", "d")
    assert state.silence_notes == {"a": "by ]0;eveeve"}
    assert len(state.reasons[0]) == 500


# -- lists bounded


def test_more_components_than_the_bound_make_the_document_invalid() -> None:
    component = wire(full_state())["components"][1]
    at_bound = {"components": [component] * MAX_COMPONENTS}
    assert len(state_from_json(at_bound).components) == MAX_COMPONENTS
    message = refused({"components": [component] * (MAX_COMPONENTS + 1)})
    assert message.startswith(
        "not a valid tui-health state: components: list should have at most 100000 items"
    )


def test_events_and_latency_series_keep_their_newest_items() -> None:
    events = [
        AuditEvent(AT + timedelta(seconds=n), "poll_failed", message=f"#{n}", id=f"e-{n}").to_dict()
        for n in range(MAX_EVENTS + 100)
    ]
    document = wire(full_state())
    document["events"] = events
    document["latency"]["poll_series"] = list(range(MAX_SERIES + 10))
    document["latency"]["problem_series"] = [None] * 10 + [1] * MAX_SERIES
    state = read(document)
    assert [e.id for e in state.events] == [f"e-{n}" for n in range(100, MAX_EVENTS + 100)]
    assert state.latency is not None
    assert state.latency.poll_series == tuple(float(n) for n in range(10, MAX_SERIES + 10))
    assert state.latency.problem_series == (1,) * MAX_SERIES


# -- times and statuses read leniently


def test_a_time_that_does_not_parse_is_left_out() -> None:
    document = wire(full_state())
    for key in ("last_poll_at", "last_ok_at", "first_poll_at", "next_poll_at"):
        document[key] = "yesterday-ish"
    document["connection"]["until"] = 12
    document["components"][0]["last_modified"] = "2026-13-45T99:00:00Z"
    document["components"][0]["silenced_until"] = "9999-12-31T23:59:59-23:59"  # overflows in UTC
    document["components"][0]["confirmed_at"] = ["2026-11-26T09:00:00Z"]
    document["sources"][0]["rate_limit"]["reset_at"] = "soon"
    document["silences"] = [["a", "never"], ["b", "2026-11-26T10:00:00+01:00"]]
    before = datetime.now(UTC)
    document["components"][0]["since"] = "a while"
    state = read(document)
    after = datetime.now(UTC)
    assert (state.last_poll_at, state.last_ok_at, state.first_poll_at, state.next_poll_at) == (None,) * 4
    assert state.connection.until is None
    first = state.components[0]
    assert (first.last_modified, first.silenced_until, first.confirmed_at) == (None, None, None)
    assert before <= first.since <= after  # a component's status needs a start: when it was read
    assert state.sources[0].rate_limit is not None and state.sources[0].rate_limit.reset_at is None
    # a silence needs its end: one without is left out, the others kept (in UTC)
    assert state.silences == (("b", datetime(2026, 11, 26, 9, 0, tzinfo=UTC)),)


def test_an_unknown_status_is_unknown() -> None:
    document = wire(full_state())
    document["components"][0]["status"] = "on fire"
    document["components"][0]["observed"] = " DEGRADED "
    document["components"][1]["status"] = None
    state = read(document)
    assert state.components[0].status is Status.UNKNOWN
    assert state.components[0].observed is Status.DEGRADED
    assert state.components[1].status is Status.UNKNOWN


# -- one bad audit event is skipped, not the whole state


def test_an_audit_event_that_does_not_read_is_left_out_and_the_rest_kept() -> None:
    good = [AuditEvent(AT, "poll_failed", id=f"e-{n}").to_dict() for n in range(3)]
    document = wire(full_state())
    document["events"] = [
        good[0],
        {**good[1], "timestamp": "not a time"},
        {**good[1], "severity": "apocalyptic"},
        {"event_type": "poll_failed"},  # no timestamp
        7,
        {**good[1], "component_ids": "a"},
        good[2],
    ]
    state = read(document)
    assert [e.id for e in state.events] == ["e-0", "e-2"]
    assert state.components == full_state().components  # the state itself is kept


# -- a source carries only what an attached console shows


def test_a_source_carries_only_what_an_attached_console_shows() -> None:
    from tui_health.model.domain import Component, RequestTiming, ValidationIssue

    c = Component("a", "A", Status.DOWN)
    busy = SourceResult(
        "health-api", False, components=(c,), error="e", error_kind="api", correlation_ids=("cid",),
        issues=(ValidationIssue("a", "bad"),), timings=(RequestTiming("page 1", 5.0, 200),),
        extras=SourceExtras(
            page_status=PageStatus("none"), operational_events=(), new_operational_events=({"n": 1},),
            pages=3, note="no Edges in this org",
        ),
        unmeasured=(c,), retry_at=AT, rate_limit=RateLimit(1, 1, None),
    )  # fmt: skip
    state = MonitorState(
        components=(view("a", target="emea"),), sources=(busy,), replay="REPLAY 2026-11-02 08:04:00 UTC"
    )
    document = wire(state)
    [source] = document["sources"]
    assert set(source) == {"name", "ok", "error", "error_kind", "rate_limit", "extras"}
    assert set(source["extras"]) == {"page_status", "operational_events"}
    assert "target" not in document["components"][0] and "replay" not in document
    shown = SourceResult(
        "health-api", False, error="e", error_kind="api", rate_limit=RateLimit(1, 1, None),
        extras=SourceExtras(page_status=PageStatus("none"), operational_events=()),
    )  # fmt: skip
    assert read(document).sources == (shown,)
    # what a collector sends beyond that is ignored, never taken
    source["components"] = [{"id": "x", "name": "X", "status": "down"}]
    source["correlation_ids"] = ["\x1b[2J"]
    source["retry_at"] = "2026-11-26T10:00:00Z"
    source["timings"] = "many"
    source["extras"]["note"] = "\x1b]0;owned\x07"
    source["extras"]["pages"] = -5
    document["components"][0]["target"] = "elsewhere"
    document["replay"] = "REPLAY"
    back = read(document)
    assert back.sources == (shown,) and back.components[0].target == "" and back.replay == ""


# -- no NaN on the wire


def test_what_is_written_never_carries_nan_and_nan_read_is_invalid() -> None:
    nan = float("nan")
    state = MonitorState(
        availability={"a": nan, "b": float("inf"), "c": 99.0},
        latency=LatencySummary(1, 1.0, 1.0, 1.0, 1.0, 0.0, 1.0, (1.0, nan), (), 1.0),
    )

    def no_constants(name: str) -> None:
        raise AssertionError(f"{name} on the wire")

    for body in (state_bytes(state), json.dumps(state_to_json(state)).encode()):
        document = json.loads(body, parse_constant=no_constants)
    assert document["availability"] == {"a": None, "b": None, "c": 99.0}
    assert document["latency"]["poll_series"] == [1.0, None]
    assert read(wire(MonitorState(availability={"a": nan}))).availability == {"a": None}
    # NaN from a collector that writes it anyway (Python's json reads it): invalid, not taken as a number
    assert refused({"availability": {"a": nan}}).startswith("not a valid tui-health state: availability.a")
    assert "latency.p50" in refused({**document, "latency": {**document["latency"], "p50": nan}})
