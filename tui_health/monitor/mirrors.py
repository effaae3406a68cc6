"""One outage, one row: a status page component that mirrors a health API component of the same target.

Genesys' status page lists the platform's services per region; the health API lists the same services for the
org. Watching both, one outage showed twice ("2 down"), counted twice against ``min_down`` and paged twice. A
status page component whose name is that of a health API component (and unique on the page as scoped) is
folded into it: one row, under the health API's id, with the worse of the two statuses — so a status page that
says down while the API says healthy is still seen — and the page's view (status, group, id, incident) in the
row's details. Names that appear in several groups of the page (``--all-regions``) are left as they are: which
region's would be the org's is not known.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import replace

from tui_health.model.domain import Component, worst
from tui_health.sources.health_api import NAME as HEALTH_API
from tui_health.sources.statuspage import NAME as STATUSPAGE


def fold_mirrors(components: Sequence[Component]) -> tuple[Component, ...]:
    on_page = Counter(c.name.casefold() for c in components if c.source == STATUSPAGE)
    if (
        not on_page
    ):  # no status page this poll (most polls of a big org): nothing to fold, nothing more to build
        return tuple(components)
    api = {c.name.casefold(): c for c in components if c.source == HEALTH_API}
    mirrors: dict[str, Component] = {}
    kept: list[Component] = []
    for component in components:
        key = component.name.casefold()
        if component.source == STATUSPAGE and key in api and on_page[key] == 1:
            mirrors[api[key].id] = component
        else:
            kept.append(component)
    if not mirrors:
        return tuple(components)
    return tuple(fold(c, mirrors[c.id]) if c.id in mirrors else c for c in kept)


def fold(own: Component, page: Component) -> Component:
    """``own`` (the health API's) with the status page's view of it folded in."""
    seen = {
        "status": page.raw_status or page.status.value,
        "id": page.id,
        **({"group": page.group} if page.group else {}),
    }
    details = {**(own.details or {}), "status_page": seen}
    incident = (page.details or {}).get("incident")
    if incident is not None and "incident" not in details:
        details["incident"] = incident
    status = worst([own.status, page.status])
    raw = own.raw_status
    if status is not own.status:  # the page says worse than the API: say where that comes from
        raw = f"status page: {page.raw_status or page.status.value}"
    return replace(own, status=status, raw_status=raw, details=details)
