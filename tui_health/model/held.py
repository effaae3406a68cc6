"""Why a component's pages are held now, read off what every view is given (:class:`ComponentView`): a silence, a
planned maintenance window, a dependency that is down (the root cause pages, not the cascade), or flapping. The
engine decides the holds (``engine/holds.py``); this names them for those outside it — the exporter's
``tui_health_component_held``, so Prometheus' rules page what tui-health would page and no more."""

from __future__ import annotations

from tui_health.model.state import ComponentView

REASONS = ("silence", "maintenance", "dependency", "flapping")
"""Every reason, in the order :func:`held_for` names them."""


def held_for(view: ComponentView) -> tuple[str, ...]:
    """The reasons ``view``'s pages are held (several may hold at once); ``()`` when nothing holds them."""
    if view.silenced_until is None and not view.maintenance and not view.caused_by and not view.flapping:
        return ()  # nearly every component, at every scrape: no tuple built for it
    reasons = (
        ("silence", view.silenced_until is not None),
        ("maintenance", bool(view.maintenance)),
        ("dependency", bool(view.caused_by)),
        ("flapping", view.flapping),
    )
    return tuple(name for name, holds in reasons if holds)
