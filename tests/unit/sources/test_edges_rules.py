"""The edges source's rules, each pinned on its own: an Edge's verdict from its online status, its status code and
its software update; which Edges are watched; what its two topics merge."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from tests.unit.fake_api import context
from tui_health.model.domain import Component, Status
from tui_health.sources import edges, entities
from tui_health.sources.edges import EdgesSettings, component, merge_update, watched
from tui_health.support.clock import FakeClock


def edge(online: Any = "ONLINE", code: Any = "ACTIVE", update: Any = None, **more: Any) -> dict[str, Any]:
    found: dict[str, Any] = {"id": "e1", "name": "Edge 1", "onlineStatus": online, "statusCode": code, **more}
    if update is not None:
        found["softwareStatus"] = {"status": update, "downloadStartTime": "2025-06-01T10:00:00Z"}
    return found


@pytest.mark.parametrize(
    ("online", "status"),
    [
        ("ONLINE", Status.HEALTHY),
        ("online", Status.HEALTHY),
        ("OFFLINE", Status.DOWN),
        ("offline", Status.DOWN),
    ],
)
def test_an_edges_online_status_is_its_health(online, status):
    assert component(edge(online)).status is status


def test_an_edge_with_every_detail():
    found = component(
        edge(
            dateModified="2025-06-01T10:00:00Z",
            edgeDeploymentType="HARDWARE",
            callDrainingState="NONE",
            site={"id": "s1", "name": "s" * 101},
        )
    )
    assert found == Component(
        id="edge:e1",
        name="Edge 1",
        status=Status.HEALTHY,
        last_modified=datetime(2025, 6, 1, 10, tzinfo=UTC),
        source="edges",
        details={
            "online_status": "ONLINE",
            "status_code": "ACTIVE",
            "deployment": "HARDWARE",
            "call_draining": "NONE",
            "site": "s" * 99 + "…",
        },
        kind="edge",
    )


def test_an_edge_in_an_unknown_state_says_it_raw_and_one_without_says_nothing():
    odd = component({"id": "e" * 201, "onlineStatus": "w" * 41, "site": {"name": 5}, "callDrainingState": ""})
    assert odd == Component(
        id="edge:" + "e" * 199 + "…",
        name="e" * 99 + "…",
        status=Status.UNKNOWN,
        source="edges",
        raw_status="w" * 39 + "…",
        details={"online_status": "w" * 39 + "…", "status_code": None},
        kind="edge",
    )
    bare = component({"id": "e1", "name": "n" * 101, "onlineStatus": 1, "statusCode": 2, "site": "s"})
    assert (bare.name, bare.raw_status, bare.details) == (
        "n" * 99 + "…",
        None,
        {"online_status": None, "status_code": None},
    )


@pytest.mark.parametrize("code", ["INACTIVE", "RMA", "UNPAIRING", "unpaired"])
def test_an_edge_taken_out_of_service_is_in_maintenance_online_or_not(code):
    for online in ("ONLINE", "OFFLINE"):
        found = component(edge(online, code, update="FAILED"))
        assert (found.status, (found.details or {})["reason"]) == (
            Status.MAINTENANCE,
            f"out of service ({code})",
        )


@pytest.mark.parametrize(
    "code",
    [
        "NEW",
        "AWAITING_CONNECTION",
        "AWAITING_FINGERPRINT",
        "AWAITING_FINGERPRINT_VERIFICATION",
        "FINGERPRINT_VERIFIED",
        "AWAITING_BOOTSTRAP",
        "initializing",
    ],
)
def test_an_edge_not_in_service_yet_is_in_maintenance(code):
    found = component(edge("OFFLINE", code, update="IN_PROGRESS"))
    assert (found.status, (found.details or {})["reason"]) == (
        Status.MAINTENANCE,
        f"not in service yet ({code})",
    )


@pytest.mark.parametrize("update", ["INIT", "IN_PROGRESS", "in_progress"])
def test_a_software_update_in_progress_holds_its_reboot_as_maintenance(update):
    found = component(edge("OFFLINE", update=update))
    assert (found.status, found.details) == (
        Status.MAINTENANCE,
        {
            "online_status": "OFFLINE",
            "status_code": "ACTIVE",
            "reason": f"software update {update}",
            "software_update": update,
        },
    )


@pytest.mark.parametrize("update", ["FAILED", "EXCEPTION", "failed"])
def test_a_failed_update_degrades_an_online_edge_only(update):
    found = component(edge("ONLINE", update=update))
    assert (found.status, (found.details or {})["reason"]) == (Status.DEGRADED, f"software update {update}")
    offline = component(edge("OFFLINE", update=update))
    assert offline.status is Status.DOWN and "reason" not in (offline.details or {})
    unknown = component(edge("BOOTING", update=update))
    assert unknown.status is Status.UNKNOWN and "reason" not in (unknown.details or {})


def test_a_finished_update_is_only_said():
    found = component(edge(update="SUCCEEDED"))
    assert (found.status, found.details) == (
        Status.HEALTHY,
        {"online_status": "ONLINE", "status_code": "ACTIVE", "software_update": "SUCCEEDED"},
    )
    assert component({**edge(), "softwareStatus": "FAILED"}).status is Status.HEALTHY


def test_an_edge_says_nothing_of_when_its_state_changed():
    assert edges.changed_at(edge(dateModified="2025-06-01T10:00:00Z")) is None


def test_genesys_cloud_media_and_deleted_edges_are_not_watched():
    assert watched(edge(), None)
    assert watched(edge(edgeDeploymentType="HARDWARE", state="active"), None)
    assert not watched(edge(edgeDeploymentType="CDM"), None)
    assert not watched(edge(edgeDeploymentType="cdm"), None)
    assert not watched(edge(state="deleted"), None)
    assert not watched(edge(state="DELETED"), None)


def test_an_update_merges_into_the_software_status_it_had():
    before = edge(update="INIT")
    body = {"id": "e1", "status": "IN_PROGRESS", "executeStartTime": "2025-06-01T10:05:00Z", "other": 1}
    assert merge_update(before, body) == (
        {
            **before,
            "softwareStatus": {
                "status": "IN_PROGRESS",
                "downloadStartTime": "2025-06-01T10:00:00Z",
                "executeStartTime": "2025-06-01T10:05:00Z",
            },
        },
        None,
    )
    assert merge_update(edge(), {"executeStopTime": "t", "downloadStartTime": "d"}) == (
        {**edge(), "softwareStatus": {"executeStopTime": "t", "downloadStartTime": "d"}},
        None,
    )
    assert merge_update({**edge(), "softwareStatus": "x"}, {"status": "INIT"})[1] is None  # type: ignore[index]
    assert merge_update({**edge(), "softwareStatus": "x"}, {"status": "INIT"})[0]["softwareStatus"] == {  # type: ignore[index]
        "status": "INIT"
    }
    assert merge_update(edge(), {"id": "e2", "status": "INIT"}) is None
    assert merge_update(edge(), {"id": "e1", "other": 1}) is None


def test_the_kind_edges_declare():
    spec = edges.SPEC
    assert (spec.name, spec.kind, spec.path, spec.permission, spec.section) == (
        "edges",
        "edge",
        "/api/v2/telephony/providers/edges",
        "telephony:plugin:all",
        "edges",
    )
    assert spec.empty_note == "no Edges in this org (cloud-only telephony): nothing to watch here"
    assert spec.params(EdgesSettings()) == {"showCloudMedia": "false"}
    assert spec.component is component and spec.changed_at is edges.changed_at and spec.keep is watched
    status, update = spec.topics
    assert (status.topic("e1"), update.topic("e1")) == (
        "v2.telephony.providers.edges.e1",
        "v2.telephony.providers.edges.e1.softwareupdate",
    )
    assert status.merge(edge(), {"onlineStatus": "OFFLINE", "statusCode": "RMA"}) == (
        {**edge(), "onlineStatus": "OFFLINE"},
        None,
    )
    assert update.merge is merge_update


def test_build_is_the_entity_sources_with_the_edges_kind(tmp_path):
    clock = FakeClock()
    built = edges.build(context(tmp_path, clock, **{"edges.page_size": 30}))
    assert (built.spec, built.clock, built.settings) == (edges.SPEC, clock, EdgesSettings(page_size=30))
    assert (edges.chosen, edges.hosts, edges.identity, edges.demo, edges.history_flags) == (
        entities.chosen,
        entities.hosts,
        entities.identity,
        entities.demo,
        entities.history_flags,
    )
