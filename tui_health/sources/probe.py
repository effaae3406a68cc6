"""The ``api-probe`` source: one authenticated Platform API GET per poll, reported as one component.

Healthy when it answers 2xx within ``slow_ms``; degraded when slower or rate-limited (429); down on 5xx,
timeouts and connection failures. A 401/403 or a rejected client is *our* problem, not an outage: the source
fails with an auth error (shown as such in the header, ``--once`` and the audit log) instead of reporting down.
"""

from __future__ import annotations

import time
from typing import Any

from tui_health.client import ApiClient
from tui_health.errors import AuthError, ConfigError, NetworkError, TuiHealthError
from tui_health.models import Component, RequestTiming, SourceResult, Status
from tui_health.sources.base import failed
from tui_health.transport import correlation_id

PROBE_ID = "platform-api-probe"


class ApiProbeSource:
    name = "api-probe"

    def __init__(self, api: ApiClient, path: str, *, slow_ms: float, region: str) -> None:
        self.api = api
        self.path = path
        self.slow_ms = slow_ms
        self.component_name = f"Platform API ({region})"

    async def fetch(self, deadline: float | None) -> SourceResult:
        timings: list[RequestTiming] = []
        url = self.api.url(self.path)
        started = time.perf_counter()
        details: dict[str, Any] = {"endpoint": self.path, "slow_ms": self.slow_ms}
        cid: str | None = None
        try:
            response = await self.api.get(url, label="probe", timings=timings, deadline=deadline)
        except (AuthError, ConfigError) as exc:
            return failed(self.name, exc, timings)
        except NetworkError as exc:
            status, note = Status.DOWN, exc.message
        except TuiHealthError as exc:  # 429 or 5xx after the core's attempts
            code = getattr(exc, "status_code", None)
            status = Status.DEGRADED if code == 429 else Status.DOWN
            note = exc.message
            cid = exc.correlation_id
        else:
            cid = correlation_id(response)
            code = response.status_code
            probe_ms = next((t.ms for t in reversed(timings) if t.label == "probe"), 0.0)
            details["http_status"] = code
            details["latency_ms"] = round(probe_ms, 1)
            if 200 <= code < 300:
                status = Status.HEALTHY if probe_ms <= self.slow_ms else Status.DEGRADED
                note = (
                    "answered"
                    if status is Status.HEALTHY
                    else f"slow: {probe_ms:.0f} ms > {self.slow_ms:g} ms"
                )
            elif code == 429:
                status, note = Status.DEGRADED, "rate-limited (429)"
            elif code >= 500:
                status, note = Status.DOWN, f"HTTP {code}"
            else:
                status, note = Status.UNKNOWN, f"unexpected HTTP {code}"
        details["note"] = note
        details["elapsed_ms"] = round((time.perf_counter() - started) * 1000, 1)
        component = Component(
            id=PROBE_ID, name=self.component_name, status=status, source=self.name, details=details
        )
        return SourceResult(
            self.name, True, (component,), correlation_ids=(cid,) if cid else (), timings=tuple(timings)
        )
