"""The ``edges`` source: every Edge of the org with its online status.

``GET /api/v2/telephony/providers/edges?showCloudMedia=false`` (paged), pushed on
``v2.telephony.providers.edges.{id}`` (``EdgeChangeTopicEdge``: ``{id, onlineStatus}``, nothing else) and
``v2.telephony.providers.edges.{id}.softwareupdate`` (``EdgeSoftwareUpdateTopicDomainEdgeSoftwareUpdate``:
``{id, status, downloadStartTime, executeStartTime, executeStopTime}``); all need ``telephony:plugin:all``.
Shapes: platform-client-sdk-go ``platformclientv2/edge.go``, ``domainedgesoftwareupdatedto.go``,
``edgechangetopicedge.go``, ``edgesoftwareupdatetopicdomainedgesoftwareupdate.go``; enums from
platform-client-sdk-python ``build/PureCloudPlatformClientV2/models/edge.py``.

Genesys' own cloud media Edges (``edgeDeploymentType`` ``CDM``, named ``cloud-media-i-…``) are listed unless
``showCloudMedia=false`` is sent; Genesys scales them up and down, and they never page a customer: they are not
asked for, and one listed anyway is not watched. A deleted Edge (``state`` ``deleted``) is not watched either.

- ``onlineStatus`` ``ONLINE`` is healthy, ``OFFLINE`` is down, anything else unknown;
- taken out of service by the org (``statusCode`` ``INACTIVE``, ``RMA``, ``UNPAIRING``, ``UNPAIRED``), or not yet
  in service (``NEW``, ``AWAITING_…``, ``FINGERPRINT_VERIFIED``, ``INITIALIZING``): maintenance, online or not;
- a software update in progress (``softwareStatus.status`` ``INIT`` or ``IN_PROGRESS``) holds its reboot as
  maintenance; one that ``FAILED`` (or hit an ``EXCEPTION``) leaves an online Edge degraded, the reason shown.

Genesys gives no time for an Edge's change of state (``dateModified`` is when its configuration changed): a change
seen by a poll is not timed, and a pushed one is timed from the frame's arrival.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import Field

from tui_health.genesys.wire import parse_timestamp
from tui_health.model.domain import Component, Status
from tui_health.sources import entities
from tui_health.sources.base import BuildContext
from tui_health.sources.entities import EntityKind, EntitySource, PushedTopic, merge_fields
from tui_health.support.section import Section
from tui_health.support.text import clean

NAME = "edges"
NEEDS_CREDENTIALS = True
SECTION = "edges"
KINDS = ("edge",)
PAGES_AT_ONCE = False
TEMPLATE = """\
[edges]              # the edges source (needs telephony:plugin:all): the org's Edges (not Genesys' cloud media ones)
page_size = 100
"""
PERMISSION = "telephony:plugin:all"
PATH = "/api/v2/telephony/providers/edges"
TOPIC = "v2.telephony.providers.edges.{id}"
UPDATE_TOPIC = "v2.telephony.providers.edges.{id}.softwareupdate"
ONLINE = {"ONLINE": Status.HEALTHY, "OFFLINE": Status.DOWN}
OUT_OF_SERVICE = frozenset({"INACTIVE", "RMA", "UNPAIRING", "UNPAIRED"})
NOT_YET = frozenset(
    {
        "NEW",
        "AWAITING_CONNECTION",
        "AWAITING_FINGERPRINT",
        "AWAITING_FINGERPRINT_VERIFICATION",
        "FINGERPRINT_VERIFIED",
        "AWAITING_BOOTSTRAP",
        "INITIALIZING",
    }
)
UPDATING = frozenset({"INIT", "IN_PROGRESS"})
UPDATE_FAILED = frozenset({"FAILED", "EXCEPTION"})
CLOUD_MEDIA = "CDM"
UPDATE_FIELDS = ("status", "downloadStartTime", "executeStartTime", "executeStopTime")


class EdgesSettings(Section):
    """``[edges]``."""

    page_size: int = Field(100, ge=1, le=100)


Settings = EdgesSettings


def _text(entity: dict[str, Any], key: str, limit: int = 40) -> str:
    value = entity.get(key)
    return clean(value, limit) if isinstance(value, str) else ""


def component(entity: dict[str, Any]) -> Component:
    """One Edge as a component."""
    online, code = _text(entity, "onlineStatus"), _text(entity, "statusCode")
    software = entity.get("softwareStatus")
    update = _text(software, "status") if isinstance(software, dict) else ""
    status = ONLINE.get(online.upper(), Status.UNKNOWN)
    details: dict[str, Any] = {"online_status": online or None, "status_code": code or None}
    if code.upper() in OUT_OF_SERVICE:
        status, details["reason"] = Status.MAINTENANCE, f"out of service ({code})"
    elif code.upper() in NOT_YET:
        status, details["reason"] = Status.MAINTENANCE, f"not in service yet ({code})"
    elif update.upper() in UPDATING:
        status, details["reason"] = Status.MAINTENANCE, f"software update {update}"
    elif update.upper() in UPDATE_FAILED and status is Status.HEALTHY:
        status, details["reason"] = Status.DEGRADED, f"software update {update}"
    if update:
        details["software_update"] = update
    for key, label in (("edgeDeploymentType", "deployment"), ("callDrainingState", "call_draining")):
        if _text(entity, key):
            details[label] = _text(entity, key)
    site = entity.get("site")
    if isinstance(site, dict) and isinstance(site.get("name"), str):
        details["site"] = clean(site["name"], 100)
    eid = clean(entity["id"], 200)
    return Component(
        id=f"edge:{eid}",
        name=clean(entity.get("name") or eid, 100),
        status=status,
        last_modified=parse_timestamp(entity.get("dateModified")),
        source=NAME,
        raw_status=online if status is Status.UNKNOWN and online else None,
        details=details,
        kind="edge",
    )


def changed_at(entity: dict[str, Any]) -> datetime | None:
    """Genesys says nothing of when an Edge's state changed (``dateModified`` is its configuration's)."""
    return None


def merge_update(
    entity: dict[str, Any], body: dict[str, Any]
) -> tuple[dict[str, Any], datetime | None] | None:
    """A software update's progress, into the Edge's ``softwareStatus`` (the rest of it kept)."""
    if "id" in body and body["id"] != entity.get("id"):
        return None
    taken = {k: body[k] for k in UPDATE_FIELDS if k in body}
    if not taken:
        return None
    before = entity.get("softwareStatus")
    return {**entity, "softwareStatus": {**(before if isinstance(before, dict) else {}), **taken}}, None


def watched(entity: dict[str, Any], settings: Any) -> bool:
    """Not Genesys' own cloud media Edges, not deleted ones."""
    return (
        _text(entity, "edgeDeploymentType").upper() != CLOUD_MEDIA
        and _text(entity, "state").lower() != "deleted"
    )


SPEC = EntityKind(
    name=NAME,
    kind="edge",
    path=PATH,
    permission=PERMISSION,
    topics=(
        PushedTopic(TOPIC, merge_fields(frozenset({"onlineStatus"}))),
        PushedTopic(UPDATE_TOPIC, merge_update),
    ),
    component=component,
    changed_at=changed_at,
    empty_note="no Edges in this org (cloud-only telephony): nothing to watch here",
    section=SECTION,
    params=lambda settings: {"showCloudMedia": "false"},
    keep=watched,
)


def build(ctx: BuildContext) -> EntitySource:
    return entities.build(SPEC, ctx)


chosen, hosts, identity, demo, history_flags = (
    entities.chosen,
    entities.hosts,
    entities.identity,
    entities.demo,
    entities.history_flags,
)
"""What this source declares about itself (read through the registry): as every entity source."""
