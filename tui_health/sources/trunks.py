"""The ``trunks`` source: the org's carrier trunks, with their connection and SIP health.

``GET /api/v2/telephony/providers/edges/trunks?trunkType=EXTERNAL`` (paged), pushed on
``v2.telephony.providers.edges.trunks.{id}``; both need ``telephony:plugin:all``. Shapes: platform-client-sdk-go
``platformclientv2/trunk.go``, ``trunkconnectedstatus.go``, ``trunkmetricsoptions.go``,
``trunkmetricsregisters.go``, and the topic's ``trunkinstancetopictrunk.go`` (``{id, connectedStatus,
optionsStatus, registersStatus, ipStatus}`` — no ``inService``, ``enabled`` or ``name``, so a push never touches
those).

The listing also holds the org's PHONE and EDGE (tie) trunks; the carrier trunks (``EXTERNAL``) are what pages
somebody, so only they are watched unless ``trunks.types`` widens it.

- not ``inService`` (its trunk base is disabled) or not ``enabled`` (its Edge is out of service): maintenance — out
  of service on purpose, so its disconnection pages nobody;
- ``connectedStatus.connected`` false: down;
- SIP health per proxy (``optionsStatus[].optionState``: the OPTIONS pings; ``registersStatus[].registerState``:
  the REGISTERs): every proxy failing is down even before ``connected`` flips; some failing is degraded; the
  failing proxies are named with Genesys' error text;
- connected with every proxy answering: healthy; no connected state at all: unknown.

The time of a change is the latest of ``connectedStateTime``, ``optionStateTime`` and ``registerStateTime``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import Field, field_validator

from tui_health.genesys.wire import parse_timestamp
from tui_health.model.domain import Component, Status
from tui_health.sources import entities
from tui_health.sources.base import BuildContext
from tui_health.sources.entities import EntityKind, EntitySource, PushedTopic
from tui_health.support.section import Section, split_list
from tui_health.support.text import clean

NAME = "trunks"
NEEDS_CREDENTIALS = True
SECTION = "trunks"
KINDS = ("trunk",)
PAGES_AT_ONCE = False
TEMPLATE = """\
[trunks]             # the trunks source (needs telephony:plugin:all): disconnected = down, out of service = maintenance
page_size = 100
types = ["EXTERNAL"] # carrier trunks; add "PHONE" (WebRTC phone trunks) or "EDGE" (tie trunks) to watch those too
"""
PERMISSION = "telephony:plugin:all"
PATH = "/api/v2/telephony/providers/edges/trunks"
TOPIC = "v2.telephony.providers.edges.trunks.{id}"
PUSHED_FIELDS = ("connectedStatus", "optionsStatus", "registersStatus", "ipStatus")
SIP_CHECKS = (
    ("optionsStatus", "optionState", "optionStateTime"),
    ("registersStatus", "registerState", "registerStateTime"),
)
MAX_PROXIES = 20
TrunkType = Literal["EXTERNAL", "PHONE", "EDGE"]


class TrunksSettings(Section):
    """``[trunks]``."""

    page_size: int = Field(100, ge=1, le=100)
    types: list[TrunkType] = Field(
        default_factory=lambda: list[TrunkType](["EXTERNAL"]), min_length=1, max_length=3
    )
    """The trunk types watched: ``EXTERNAL`` (carrier trunks) by default; ``PHONE`` and ``EDGE`` widen it."""

    _split = field_validator("types", mode="before")(split_list)


Settings = TrunksSettings


def failing_proxies(entity: dict[str, Any]) -> tuple[list[str], int]:
    """The proxies whose SIP checks fail (``address (error)``), and how many proxies are checked."""
    failing: dict[str, str] = {}
    checked: set[str] = set()
    for key, state_key, _ in SIP_CHECKS:
        entries = entity.get(key)
        for entry in entries[:MAX_PROXIES] if isinstance(entries, list) else ():
            if not isinstance(entry, dict) or not isinstance(entry.get(state_key), bool):
                continue
            address = (
                clean(entry.get("proxyAddress"), 100) if isinstance(entry.get("proxyAddress"), str) else "?"
            )
            checked.add(address)
            if entry[state_key] is False and address not in failing:
                error = entry.get("errorInfo")
                text = error.get("text") if isinstance(error, dict) else None
                failing[address] = (
                    f"{address} ({clean(text, 100)})" if isinstance(text, str) and text else address
                )
    return list(failing.values()), len(checked)


def component(entity: dict[str, Any]) -> Component:
    """One trunk as a component."""
    connected_status = entity.get("connectedStatus")
    connected = connected_status.get("connected") if isinstance(connected_status, dict) else None
    in_service, enabled = entity.get("inService"), entity.get("enabled")
    failing, checked = failing_proxies(entity)
    if in_service is False or enabled is False:
        status = Status.MAINTENANCE
    elif connected is False or (checked and len(failing) == checked):
        status = Status.DOWN
    elif failing:
        status = Status.DEGRADED
    elif connected is True:
        status = Status.HEALTHY
    else:
        status = Status.UNKNOWN
    details: dict[str, Any] = {
        "connected": connected if isinstance(connected, bool) else None,
        "in_service": in_service if isinstance(in_service, bool) else None,
    }
    if enabled is False:
        details["enabled"] = False
    if failing:
        details["failing_proxies"] = failing
        details["proxies_checked"] = checked
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
        last_modified=changed_at(entity),
        source=NAME,
        details=details,
        kind="trunk",
    )


def changed_at(entity: dict[str, Any]) -> datetime | None:
    """The latest time Genesys gives for a change of the trunk's connection or of a proxy's SIP state."""
    times = []
    connected_status = entity.get("connectedStatus")
    if isinstance(connected_status, dict):
        times.append(parse_timestamp(connected_status.get("connectedStateTime")))
    for key, _, time_key in SIP_CHECKS:
        entries = entity.get(key)
        for entry in entries[:MAX_PROXIES] if isinstance(entries, list) else ():
            if isinstance(entry, dict):
                times.append(parse_timestamp(entry.get(time_key)))
    known = [t for t in times if t is not None]
    return max(known) if known else None


def merge(entity: dict[str, Any], body: dict[str, Any]) -> tuple[dict[str, Any], datetime | None] | None:
    """The fields ``TrunkInstanceTopicTrunk`` carries, over the polled trunk; the change's time from the body."""
    if "id" in body and body["id"] != entity.get("id"):
        return None
    taken = {k: body[k] for k in PUSHED_FIELDS if k in body}
    if not taken:
        return None
    return {**entity, **taken}, changed_at(taken)


def watched(entity: dict[str, Any], settings: Any) -> bool:
    """Of the types watched (the server's filter is not trusted), and not deleted."""
    types = getattr(settings, "types", ["EXTERNAL"])
    kind = entity.get("trunkType")
    return (not isinstance(kind, str) or kind.upper() in types) and entity.get("state") != "deleted"


def params(settings: Any) -> dict[str, Any]:
    """``trunkType`` when one type is watched (the API filters by one type at a time)."""
    types = getattr(settings, "types", ["EXTERNAL"])
    return {"trunkType": types[0]} if len(types) == 1 else {}


SPEC = EntityKind(
    name=NAME,
    kind="trunk",
    path=PATH,
    permission=PERMISSION,
    topics=(PushedTopic(TOPIC, merge),),
    component=component,
    changed_at=changed_at,
    empty_note="no carrier trunks in this org: nothing to watch here",
    section=SECTION,
    params=params,
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
