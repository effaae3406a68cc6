"""What a source tells beside its components, typed: the views, the report and the codec read these fields and
never a source's raw keys. Each field belongs to the source that fills it (named in its comment); an attached
console is sent what it shows (the incidents and ``o`` screens), the rest is :data:`Local`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import Field

from tui_health.support.untrusted import Data, Local, Newest, Text

Incident = dict[str, Any]
"""An open incident or scheduled maintenance (``kind``, ``id``, ``name``, ``status``, ``link``, …), cleaned by the
status page source."""
OrgEvent = dict[str, Any]
"""One of the org's operational events (``at``, ``definition``, ``name``, ``entity``, …), cleaned by its source."""


@dataclass(frozen=True, slots=True)
class PageStatus:
    """The status page's own indicator (``none``/``minor``/``major``/``critical``) and description: it speaks
    for every region, so it is shown beside the components, never counted."""

    indicator: Annotated[str, Text(60)]
    description: Annotated[str, Text(500)] = ""

    def as_dict(self) -> dict[str, str]:
        return {"indicator": self.indicator, "description": self.description}


@dataclass(frozen=True, slots=True)
class SourceExtras:
    # statuspage: incidents and maintenances touching the target
    incidents: Annotated[tuple[Annotated[Incident, Data()], ...], Field(max_length=200)] = ()
    page_status: PageStatus | None = None  # statuspage
    # operational-events: the recent ones, oldest first
    # (None: this source does not watch them; empty: it does, and none happened)
    operational_events: Annotated[tuple[Annotated[OrgEvent, Data()], ...] | None, Newest(200)] = None
    new_operational_events: Local[tuple[OrgEvent, ...]] = ()  # operational-events: first seen in this poll
    pages: Local[int | None] = None  # health-api: pages walked
    # edges, trunks, queues: why there is no component ("no Edges in this org")
    note: Local[str | None] = None
    org: Local[str | None] = None  # api-probe: the org's name (alerts name the org they are about)


NO_EXTRAS = SourceExtras()
