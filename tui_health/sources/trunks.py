"""The ``trunks`` source: every trunk of the org with its connected and in-service state.

``GET /api/v2/telephony/providers/edges/trunks`` (paged), pushed on ``v2.telephony.providers.edges.trunks.{id}``;
both need ``telephony:plugin:all``. A trunk whose ``connectedStatus.connected`` is false is down; one that is not
``inService`` (or not ``enabled``) is in maintenance — out of service on purpose, so its being disconnected pages
nobody; connected and in service is healthy; no connected state at all is unknown. The time of the last change is
``connectedStatus.connectedStateTime``. An org without trunks says so (neither OK nor a failure).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import Field

from tui_health.genesys.client import ApiClient
from tui_health.genesys.wire import parse_timestamp
from tui_health.model.domain import Component, Status
from tui_health.sources.base import BuildContext, SourceSettings
from tui_health.sources.entities import EntitySource
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


def component(entity: dict[str, Any], now: datetime) -> Component:
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


def build(ctx: BuildContext) -> EntitySource:
    assert ctx.tokens is not None
    return EntitySource(
        name=NAME,
        kind="trunk",
        path=PATH,
        permission=PERMISSION,
        topic_prefix=TOPIC_PREFIX,
        pushed_fields=PUSHED_FIELDS,
        component=component,
        empty_note="no trunks in this org: nothing to watch here",
        api=ApiClient(ctx.budgeted, ctx.tokens, ctx.settings.api_url),
        clock=ctx.clock,
        max_pages=ctx.settings.poll.max_pages,
        page_size=ctx.settings.section(SECTION).page_size,
    )


# -- what this source declares about itself (read through the registry) ------------------------------------
def chosen(settings: SourceSettings) -> bool:
    """Polled when no sources are configured: never (it needs ``telephony:plugin:all``): asked for by name."""
    return False


def hosts(settings: SourceSettings) -> dict[str, str]:
    """The hosts it talks to, by role (``config show``, the TLS context, alert back-links)."""
    return {"api": settings.api_url, "login": settings.login_url}


def identity(settings: SourceSettings) -> dict[str, Any]:
    """What makes a target that uses it a different target (its saved state and history are keyed by it)."""
    return {"api": settings.api_url}
