"""Asking every source at once within one deadline, and merging their answers into one snapshot."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable
from dataclasses import replace

from tui_health.model.domain import Component, Snapshot, SourceResult
from tui_health.model.state import ConnectionState, SourceOutcome, connection_verdict
from tui_health.monitor.mirrors import fold_mirrors
from tui_health.sources.base import Source, failed
from tui_health.support.clock import Clock, SystemClock
from tui_health.support.errors import NetworkError
from tui_health.support.redact import scrub
from tui_health.support.timespec import duration_text


def merge(results: list[SourceResult]) -> tuple[Component, ...]:
    """All components of the sources that answered; an id seen in two sources is made unique by the source's name,
    and a status page component that mirrors a health API one is folded into it (:mod:`tui_health.monitor.mirrors`)."""
    seen: set[str] = set()
    merged: list[Component] = []
    for result in results:
        if not result.ok:
            continue
        for component in result.components:
            if component.id in seen:
                component = replace(component, id=f"{result.name}:{component.id}")
            seen.add(component.id)
            merged.append(component)
    return fold_mirrors(merged)


class Poller:
    """Fetches every source concurrently within one deadline and merges the answers.

    The deadline bounds each source as a whole (token, every page, every retry and wait, every body byte): a
    source still busy when it passes is cancelled and reported as failed, whatever the server is doing. Error
    texts are scrubbed of every known secret, so none a server echoes reaches a view, a log or a receiver.
    """

    def __init__(self, sources: list[Source], *, deadline: float, clock: Clock | None = None) -> None:
        self.sources = sources
        self.deadline = deadline
        self.clock = clock or SystemClock()

    async def _bounded(self, source: Source, deadline: float) -> SourceResult:
        try:
            async with asyncio.timeout(max(0.0, deadline - time.monotonic())):
                result = await source.fetch(deadline)
        except TimeoutError:
            return failed(
                source.name,
                NetworkError(
                    f"the poll deadline of {duration_text(self.deadline)} passed before {source.name} finished",
                    hint="the server is too slow or stalls mid-answer; raise poll.deadline if it is just slow",
                    reached=True,
                ),
                [],
            )
        if result.ok and not result.issues:
            return result
        return replace(
            result,
            error=scrub(result.error) if result.error else None,
            issues=tuple(replace(i, message=scrub(i.message)) for i in result.issues),
        )

    async def poll(
        self,
        answered: Callable[[SourceResult, list[str]], None] | None = None,
        *,
        only: frozenset[str] | None = None,
    ) -> Snapshot:
        """Every source at once; ``answered`` is called as each one finishes while others are still busy (with
        the names of those), so a view can show what came back without waiting for a hanging source.

        ``only``: just these sources (those a gap in the notification channel left behind)."""
        started = self.clock.monotonic()
        taken_at = self.clock.now()
        deadline = time.monotonic() + self.deadline
        sources = self.sources if only is None else [s for s in self.sources if s.name in only]
        tasks = [asyncio.ensure_future(self._bounded(source, deadline)) for source in sources]
        try:
            if answered is not None and len(tasks) > 1:
                for finished in asyncio.as_completed(tasks):
                    result = await finished
                    busy = [s.name for s, t in zip(sources, tasks, strict=True) if not t.done()]
                    if busy:
                        answered(result, busy)
            results = list(await asyncio.gather(*tasks))
        finally:
            for task in tasks:
                task.cancel()
        return Snapshot(
            poll_id=str(uuid.uuid4()),
            taken_at=taken_at,
            components=merge(results),
            sources=tuple(results),
            total_ms=(self.clock.monotonic() - started) * 1000,
        )


def merged_into(whole: Snapshot, part: Snapshot) -> Snapshot:
    """``whole`` with the sources ``part`` answered replaced by those answers (pushed observations)."""
    fresh = {s.name: s for s in part.sources}
    sources = tuple(fresh.pop(s.name, s) for s in whole.sources) + tuple(fresh.values())
    return replace(
        whole, poll_id=part.poll_id, taken_at=part.taken_at, sources=sources, components=merge(list(sources))
    )


def connection_of(snapshot: Snapshot | None) -> ConnectionState:
    """The header's connection verdict for a poll's answers (none yet: waiting for the first)."""
    if snapshot is None:
        return connection_verdict(None)
    return connection_verdict(
        [SourceOutcome(s.name, s.ok, s.error_kind, s.error, s.retry_at) for s in snapshot.sources]
    )
