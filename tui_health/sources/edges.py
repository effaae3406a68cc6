"""The ``edges`` source: every Edge of the org with its online status.

``GET /api/v2/telephony/providers/edges`` (paged), pushed on ``v2.telephony.providers.edges.{id}``; both need
``telephony:plugin:all``. An Edge ``OFFLINE`` is down; one the org took out of service (``statusCode`` other than
``ACTIVE``, e.g. ``INACTIVE`` or ``RMA``) is in maintenance; an ``onlineStatus`` we do not know is unknown. A
cloud-only org has no Edges: the source says "no Edges in this org" (neither OK nor a failure).
"""

from __future__ import annotations

from typing import Any

from pydantic import Field

from tui_health.genesys.wire import parse_timestamp
from tui_health.model.domain import Component, Status
from tui_health.sources import entities
from tui_health.sources.base import BuildContext
from tui_health.sources.entities import EntityKind, EntitySource
from tui_health.support.section import Section
from tui_health.support.text import clean

NAME = "edges"
NEEDS_CREDENTIALS = True
SECTION = "edges"
PERMISSION = "telephony:plugin:all"
PATH = "/api/v2/telephony/providers/edges"
TOPIC_PREFIX = "v2.telephony.providers.edges"
PUSHED_FIELDS = frozenset({"onlineStatus", "statusCode", "callDrainingState", "name", "dateModified"})
ONLINE = {"ONLINE": Status.HEALTHY, "OFFLINE": Status.DOWN}


class EdgesSettings(Section):
    """``[edges]``."""

    page_size: int = Field(100, ge=1, le=100)


Settings = EdgesSettings


def component(entity: dict[str, Any]) -> Component:
    """One Edge as a component."""
    online = clean(entity.get("onlineStatus"), 40) if isinstance(entity.get("onlineStatus"), str) else ""
    code = clean(entity.get("statusCode"), 40) if isinstance(entity.get("statusCode"), str) else ""
    status = ONLINE.get(online.upper(), Status.UNKNOWN)
    if code and code.upper() != "ACTIVE" and status is not Status.DOWN:
        status = Status.MAINTENANCE  # the org took it out of service (INACTIVE, RMA, …)
    details: dict[str, Any] = {"online_status": online or None, "status_code": code or None}
    for key, label in (("edgeDeploymentType", "deployment"), ("callDrainingState", "call_draining")):
        if isinstance(entity.get(key), str):
            details[label] = clean(entity[key], 40)
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


SPEC = EntityKind(
    name=NAME,
    kind="edge",
    path=PATH,
    permission=PERMISSION,
    topic_prefix=TOPIC_PREFIX,
    pushed_fields=PUSHED_FIELDS,
    component=component,
    empty_note="no Edges in this org (cloud-only telephony): nothing to watch here",
    section=SECTION,
)


def build(ctx: BuildContext) -> EntitySource:
    return entities.build(SPEC, ctx)


chosen, hosts, identity = entities.chosen, entities.hosts, entities.identity
"""What this source declares about itself (read through the registry): as every entity source."""
