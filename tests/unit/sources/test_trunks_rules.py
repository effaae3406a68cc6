"""The trunks source's rules, each pinned on its own: a trunk's verdict from its connection and its proxies' SIP
checks, when it last changed, what its topic merges, and which trunks are watched."""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

import pytest

from tests.unit.fake_api import context
from tui_health.model.domain import Component, Status
from tui_health.sources import entities, trunks
from tui_health.sources.trunks import (
    TrunksSettings,
    changed_at,
    component,
    failing_proxies,
    merge,
    params,
    watched,
)
from tui_health.support.clock import FakeClock


def option(address: Any, state: Any, at: str | None = None, error: Any = None) -> dict[str, Any]:
    found: dict[str, Any] = {"proxyAddress": address, "optionState": state}
    if at is not None:
        found["optionStateTime"] = at
    if error is not None:
        found["errorInfo"] = error
    return found


def register(address: Any, state: Any, at: str | None = None) -> dict[str, Any]:
    found: dict[str, Any] = {"proxyAddress": address, "registerState": state}
    if at is not None:
        found["registerStateTime"] = at
    return found


def trunk(connected: Any = True, **more: Any) -> dict[str, Any]:
    return {
        "id": "t1",
        "name": "Carrier A",
        "inService": True,
        "enabled": True,
        "connectedStatus": {"connected": connected},
        **more,
    }


# -- proxies ---------------------------------------------------------------------------------------------------
def test_the_failing_proxies_are_named_with_genesys_error_once_each():
    entity = {
        "optionsStatus": [
            option("10.0.0.1:5061", True),
            option("10.0.0.2:5061", False, error={"text": "408 Request Timeout"}),
            option("10.0.0.3:5061", False, error={"text": ""}),
            option("10.0.0.4:5061", False, error="503"),
            option("10.0.0.5:5061", "false"),  # not a state: not checked
            "not an entry",
        ],
        "registersStatus": [
            register("10.0.0.2:5061", False),  # failing already: named once
            register("10.0.0.6:5061", False),
            register(None, False),
        ],
    }
    assert failing_proxies(entity) == (
        ["10.0.0.2:5061 (408 Request Timeout)", "10.0.0.3:5061", "10.0.0.4:5061", "10.0.0.6:5061", "?"],
        6,
    )


def test_long_addresses_and_errors_are_cut_and_20_proxies_a_check_are_read():
    long_one = option("a" * 101, False, error={"text": "e" * 101})
    assert failing_proxies({"optionsStatus": [long_one]}) == ([f"{'a' * 99}… ({'e' * 99}…)"], 1)
    twenty_one = [option(f"10.0.0.{n}", True) for n in range(20)] + [option("10.0.0.99", False)]
    assert failing_proxies({"optionsStatus": twenty_one, "registersStatus": twenty_one}) == ([], 20)
    assert failing_proxies({"optionsStatus": {"proxyAddress": "x", "optionState": False}}) == ([], 0)


def test_an_entry_without_a_state_does_not_hide_the_proxies_after_it():
    entity = {"optionsStatus": ["not an entry", option("p1", None), option("p2", False)]}
    assert failing_proxies(entity) == (["p2"], 1)


def test_a_register_failing_after_its_option_answered_is_failing():
    entity = {"optionsStatus": [option("p1", True)], "registersStatus": [register("p1", False)]}
    assert failing_proxies(entity) == (["p1"], 1)


# -- a trunk ----------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("entity", "status"),
    [
        (trunk(True), Status.HEALTHY),
        (trunk(False), Status.DOWN),
        (trunk(None), Status.UNKNOWN),
        (trunk("true"), Status.UNKNOWN),
        ({**trunk(True), "connectedStatus": "up"}, Status.UNKNOWN),
        ({**trunk(False), "inService": False}, Status.MAINTENANCE),
        ({**trunk(False), "enabled": False}, Status.MAINTENANCE),
        ({**trunk(False), "inService": None, "enabled": "no"}, Status.DOWN),
        ({**trunk(True), "optionsStatus": [option("p1", False), option("p2", True)]}, Status.DEGRADED),
        ({**trunk(True), "optionsStatus": [option("p1", False), option("p2", False)]}, Status.DOWN),
        ({**trunk(None), "optionsStatus": [option("p1", False)]}, Status.DOWN),  # before connected flips
        ({**trunk(None), "optionsStatus": [option("p1", False), option("p2", True)]}, Status.DEGRADED),
        ({**trunk(None), "optionsStatus": [option("p1", True)]}, Status.UNKNOWN),
        ({**trunk(True), "optionsStatus": [option("p1", False)], "enabled": False}, Status.MAINTENANCE),
    ],
)
def test_a_trunks_verdict(entity, status):
    assert component(entity).status is status


def test_a_trunk_with_every_detail():
    entity = {
        **trunk(True),
        "trunkType": "T" * 41,
        "edge": {"id": "edge-1", "name": "n" * 101},
        "connectedStatus": {"connected": True, "connectedStateTime": "2025-06-01T10:00:00Z"},
        "optionsStatus": [option("p1", False, "2025-06-01T10:05:00Z"), option("p2", True)],
    }
    assert component(entity) == Component(
        id="trunk:t1",
        name="Carrier A",
        status=Status.DEGRADED,
        last_modified=datetime(2025, 6, 1, 10, 5, tzinfo=UTC),
        source="trunks",
        details={
            "connected": True,
            "in_service": True,
            "failing_proxies": ["p1"],
            "proxies_checked": 2,
            "trunk_type": "T" * 39 + "…",
            "edge": "n" * 99 + "…",
        },
        kind="trunk",
    )


def test_a_disabled_trunk_without_a_name_or_an_edge_name():
    entity = {"id": "t" * 201, "enabled": False, "edge": {"id": "edge-1"}, "trunkType": 3}
    assert component(entity) == Component(
        id="trunk:" + "t" * 199 + "…",
        name="t" * 99 + "…",
        status=Status.MAINTENANCE,
        source="trunks",
        details={"connected": None, "in_service": None, "enabled": False, "edge": "edge-1"},
        kind="trunk",
    )
    named = component({"id": "t1", "name": "n" * 101, "edge": {"name": 5, "id": 6}, "enabled": True})
    assert (named.name, named.details) == ("n" * 99 + "…", {"connected": None, "in_service": None})
    assert "edge" not in (component({**trunk(), "edge": "edge-1"}).details or {})


def test_connected_and_in_service_are_shown_only_as_genesys_booleans():
    entity = {**trunk("true"), "inService": "yes"}
    assert component(entity).details == {"connected": None, "in_service": None}


def test_a_trunk_changed_at_the_latest_time_genesys_gives():
    entity = {
        "connectedStatus": {"connectedStateTime": "2025-06-01T10:00:00Z"},
        "optionsStatus": [option("p1", True, "2025-06-01T10:02:00Z"), "x"],
        "registersStatus": [register("p1", True, "2025-06-01T10:01:00Z")],
    }
    assert changed_at(entity) == datetime(2025, 6, 1, 10, 2, tzinfo=UTC)
    entity["registersStatus"] = [register("p1", True, "2025-06-01T10:03:00Z")]
    assert changed_at(entity) == datetime(2025, 6, 1, 10, 3, tzinfo=UTC)
    assert changed_at({"connectedStatus": {"connectedStateTime": "2025-06-01T10:00:00Z"}}) == datetime(
        2025, 6, 1, 10, tzinfo=UTC
    )
    assert changed_at({"connectedStatus": "x", "optionsStatus": "x"}) is None
    late = [option("p", True, "2025-06-01T10:00:00Z")] * 20 + [option("p", True, "2025-06-01T11:00:00Z")]
    assert changed_at({"optionsStatus": late}) == datetime(2025, 6, 1, 10, tzinfo=UTC)  # the 21st is not read


# -- pushes ----------------------------------------------------------------------------------------------------
def test_a_push_merges_what_its_topic_carries_timed_by_the_body():
    before = {**trunk(True), "ipStatus": {"address": "10.0.0.1"}}
    body = {
        "id": "t1",
        "connectedStatus": {"connected": False, "connectedStateTime": "2025-06-01T10:00:00Z"},
        "optionsStatus": [option("p1", False, "2025-06-01T10:00:01Z")],
        "registersStatus": [],
        "ipStatus": {"address": "10.0.0.2"},
        "inService": False,  # not a field of the topic
        "name": "Renamed",
    }
    assert merge(before, body) == (
        {
            **before,
            "connectedStatus": body["connectedStatus"],
            "optionsStatus": body["optionsStatus"],
            "registersStatus": [],
            "ipStatus": {"address": "10.0.0.2"},
        },
        datetime(2025, 6, 1, 10, 0, 1, tzinfo=UTC),
    )
    assert merge(before, {"ipStatus": {"address": "10.0.0.3"}}) == (
        {**before, "ipStatus": {"address": "10.0.0.3"}},
        None,
    )
    assert merge(before, {"id": "t2", "connectedStatus": {"connected": False}}) is None
    assert merge(before, {"id": "t1", "inService": False}) is None


# -- which trunks ----------------------------------------------------------------------------------------------
def test_the_carrier_trunks_are_watched_unless_types_widen_it():
    default = TrunksSettings()
    assert default.types == ["EXTERNAL"]
    assert watched({"trunkType": "EXTERNAL"}, default)
    assert watched({"trunkType": "external"}, default)
    assert not watched({"trunkType": "PHONE"}, default)
    assert watched({"trunkType": 5}, default) and watched({}, default)  # no type said: kept
    assert not watched({"trunkType": "EXTERNAL", "state": "deleted"}, default)
    assert watched({"trunkType": "EXTERNAL", "state": "DELETED"}, default)
    wide = TrunksSettings(types=["EXTERNAL", "PHONE"])
    assert watched({"trunkType": "PHONE"}, wide) and not watched({"trunkType": "EDGE"}, wide)
    assert watched({"trunkType": "EXTERNAL"}, None) and not watched({"trunkType": "EDGE"}, SimpleNamespace())


def test_the_listing_is_filtered_by_type_when_one_type_is_watched():
    assert params(TrunksSettings()) == {"trunkType": "EXTERNAL"}
    assert params(TrunksSettings(types=["EDGE"])) == {"trunkType": "EDGE"}
    assert params(TrunksSettings(types=["EXTERNAL", "PHONE"])) == {}
    assert params(None) == {"trunkType": "EXTERNAL"}


def test_types_are_read_from_a_list_or_a_comma_separated_string():
    assert TrunksSettings(types="EXTERNAL,EDGE").types == ["EXTERNAL", "EDGE"]  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        TrunksSettings(types=[])
    with pytest.raises(ValueError):
        TrunksSettings(types=["SIP"])  # type: ignore[list-item]


def test_the_kind_trunks_declare():
    spec = trunks.SPEC
    assert (spec.name, spec.kind, spec.path, spec.permission, spec.section) == (
        "trunks",
        "trunk",
        "/api/v2/telephony/providers/edges/trunks",
        "telephony:plugin:all",
        "trunks",
    )
    assert spec.empty_note == "no carrier trunks in this org: nothing to watch here"
    assert (spec.component, spec.changed_at, spec.params, spec.keep) == (
        component,
        changed_at,
        params,
        watched,
    )
    (topic,) = spec.topics
    assert topic.topic("t1") == "v2.telephony.providers.edges.trunks.t1" and topic.merge is merge


def test_build_is_the_entity_sources_with_the_trunks_kind(tmp_path):
    clock = FakeClock()
    built = trunks.build(context(tmp_path, clock, **{"trunks.types": ["EDGE"]}))
    assert (built.spec, built.clock, built.settings) == (trunks.SPEC, clock, TrunksSettings(types=["EDGE"]))
    assert (trunks.chosen, trunks.hosts, trunks.identity, trunks.demo, trunks.history_flags) == (
        entities.chosen,
        entities.hosts,
        entities.identity,
        entities.demo,
        entities.history_flags,
    )
