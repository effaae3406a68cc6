"""The Monitor owns one poll cycle: every source at once → one merged, validated Snapshot."""

from __future__ import annotations

import asyncio
import time
import uuid
from dataclasses import replace

from tui_health.clock import Clock, SystemClock
from tui_health.models import Component, Snapshot, SourceResult
from tui_health.sources.base import Source


def merge(results: list[SourceResult]) -> tuple[Component, ...]:
    """All components of all sources; an id seen in two sources is made unique by the source's name."""
    seen: set[str] = set()
    merged: list[Component] = []
    for result in results:
        for component in result.components:
            if component.id in seen:
                component = replace(component, id=f"{result.name}:{component.id}")
            seen.add(component.id)
            merged.append(component)
    return tuple(merged)


class Poller:
    """Fetches every source concurrently within one deadline and merges the answers."""

    def __init__(self, sources: list[Source], *, deadline: float, clock: Clock | None = None) -> None:
        self.sources = sources
        self.deadline = deadline
        self.clock = clock or SystemClock()

    async def poll(self) -> Snapshot:
        started = time.perf_counter()
        taken_at = self.clock.now()
        deadline = time.monotonic() + self.deadline
        results = list(await asyncio.gather(*(source.fetch(deadline) for source in self.sources)))
        return Snapshot(
            poll_id=str(uuid.uuid4()),
            taken_at=taken_at,
            components=merge(results),
            sources=tuple(results),
            total_ms=(time.perf_counter() - started) * 1000,
        )
