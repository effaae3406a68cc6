"""The ``health-api`` source: ``/api/v2/health/details`` (the simulator and gateways that implement it)."""

from __future__ import annotations

from tui_health.client import HealthClient
from tui_health.errors import TuiHealthError
from tui_health.models import RequestTiming, SourceResult
from tui_health.sources.base import failed


class HealthApiSource:
    name = "health-api"

    def __init__(self, client: HealthClient) -> None:
        self.client = client

    async def fetch(self, deadline: float | None) -> SourceResult:
        timings: list[RequestTiming] = []
        try:
            result = await self.client.fetch(timings, deadline)
        except TuiHealthError as exc:
            return failed(self.name, exc, timings)
        return SourceResult(
            name=self.name,
            ok=True,
            components=tuple(result.components),
            correlation_ids=tuple(result.correlation_ids),
            issues=tuple(result.issues),
            timings=tuple(timings),
            extra={"pages": result.pages},
        )
