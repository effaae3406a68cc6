"""The ``trunks`` source: every trunk of the org with its connected and in-service state.

``GET /api/v2/telephony/providers/edges/trunks`` (paged), pushed on ``v2.telephony.providers.edges.trunks.{id}``;
both need ``telephony:plugin:all``. A trunk whose ``connectedStatus.connected`` is false is down; one that is not
``inService`` (or not ``enabled``) is in maintenance — out of service on purpose, so its being disconnected pages
nobody; connected and in service is healthy; no connected state at all is unknown. The time of the last change is
``connectedStatus.connectedStateTime``. An org without trunks says so (neither OK nor a failure).
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

NAME = "trunks"
NEEDS_CREDENTIALS = True
SECTION = "trunks"
PERMISSION = "telephony:plugin:all"
PATH = "/api/v2/telephony/providers/edges/trunks"
TOPIC_PREFIX = "v2.telephony.providers.edges.trunks"
PUSHED_FIELDS = frozenset({"connectedStatus", "inService", "enabled", "name", "state"})


class TrunksSettings(Section):
    """``[trunks]``."""

    page_size: int = Field(100, ge=1, le=100)


Settings = TrunksSettings


def component(entity: dict[str, Any]) -> Component:
    """One trunk as a component."""
    connected_status = entity.get("connectedStatus")
    connected = connected_status.get("connected") if isinstance(connected_status, dict) else None
    changed = (
        parse_timestamp(connected_status.get("connectedStateTime"))
        if isinstance(connected_status, dict)
        else None
    )
    in_service = entity.get("inService")
    enabled = entity.get("enabled")
    if in_service is False or enabled is False:
        status = Status.MAINTENANCE
    elif connected is True:
        status = Status.HEALTHY
    elif connected is False:
        status = Status.DOWN
    else:
        status = Status.UNKNOWN
    details: dict[str, Any] = {
        "connected": connected if isinstance(connected, bool) else None,
        "in_service": in_service if isinstance(in_service, bool) else None,
    }
    if enabled is False:
        details["enabled"] = False
    if isinstance(entity.get("trunkType"), str):
        details["trunk_type"] = clean(entity["trunkType"], 40)
    edge = entity.get("edge")
    if isinstance(edge, dict) and isinstance(edge.get("name") or edge.get("id"), str):
        details["edge"] = clean(edge.get("name") or edge.get("id"), 100)
    tid = clean(entity["id"], 200)
    return Component(
        id=f"trunk:{tid}",
        name=clean(entity.get("name") or tid, 100),
        status=status,
        last_modified=changed,
        source=NAME,
        details=details,
        kind="trunk",
    )


SPEC = EntityKind(
    name=NAME,
    kind="trunk",
    path=PATH,
    permission=PERMISSION,
    topic_prefix=TOPIC_PREFIX,
    pushed_fields=PUSHED_FIELDS,
    component=component,
    empty_note="no trunks in this org: nothing to watch here",
    section=SECTION,
)


def build(ctx: BuildContext) -> EntitySource:
    return entities.build(SPEC, ctx)


chosen, hosts, identity = entities.chosen, entities.hosts, entities.identity
"""What this source declares about itself (read through the registry): as every entity source."""
