"""The Source protocol: one poll of one origin of component health, never raising."""

from __future__ import annotations

from typing import Protocol

from tui_health.errors import TuiHealthError
from tui_health.models import Component, RequestTiming, SourceResult


class Source(Protocol):
    """Fetches components; failures come back as a ``SourceResult`` with ``ok=False``."""

    name: str

    async def fetch(self, deadline: float | None) -> SourceResult:
        """One poll. ``deadline`` is a ``time.monotonic()`` value."""
        ...


def failed(
    name: str, exc: TuiHealthError, timings: list[RequestTiming], unmeasured: tuple[Component, ...] = ()
) -> SourceResult:
    """The result of a source whose poll failed, keeping what is known about the failure.

    ``unmeasured`` are components the source can name but could not measure: the views show them as
    *unknown* with the reason; the engine never sees them (a failure of ours is no change of theirs).
    """
    cids = tuple(t.correlation_id for t in timings if t.correlation_id)
    if exc.correlation_id and exc.correlation_id not in cids:
        cids += (exc.correlation_id,)
    return SourceResult(
        name=name,
        ok=False,
        error=exc.one_line(),
        error_kind=exc.kind,
        correlation_ids=cids,
        timings=tuple(timings),
        unmeasured=unmeasured,
        retry_at=exc.retry_at,
    )
