"""The ``api-probe`` source: one authenticated Platform API GET per poll, reported as one component.

What it measures is the Platform API as seen from here, so it only says *down* or *degraded* on evidence that the
API itself is at fault:

- healthy: a 2xx within ``slow_ms``; degraded: a 2xx slower than that;
- down: 5xx, or the API host accepted the connection and then stalled or dropped it;
- unknown (the source fails, with the reason, and nothing pages): the probe could not measure — the login host
  or our own DNS/network failed, the connection could not be made, the request budget is used up, or the API
  rate-limited *our* client (429: our quota, not their outage);
- a 401/403 or a rejected client is our credentials: an auth error, shown as such.
"""

from __future__ import annotations

import time
from dataclasses import replace
from typing import Any

import httpx
from pydantic import Field

from tui_health.genesys.client import ApiClient
from tui_health.genesys.transport import correlation_id, decode_json
from tui_health.model.domain import Component, RequestTiming, SourceResult, Status
from tui_health.model.extras import NO_EXTRAS, SourceExtras
from tui_health.sources.base import BuildContext, SourceSettings, failed
from tui_health.support.errors import AuthError, ConfigError, NetworkError, RateLimitedError, TuiHealthError
from tui_health.support.section import Section
from tui_health.support.text import clean

PROBE_ID = "platform-api-probe"
NAME = "api-probe"
NEEDS_CREDENTIALS = True
SECTION = "probe"
KINDS: tuple[str, ...] = ()
PERMISSION = None
"""``organizations/me`` needs none (the client still needs one role); another ``probe.path`` may."""
PAGES_AT_ONCE = False
TEMPLATE = """\
[probe]
path = "/api/v2/organizations/me"
slow_ms = 1500       # slower than this counts as degraded
"""


class ProbeSettings(Section):
    """``[probe]``."""

    path: str = "/api/v2/organizations/me"
    """A cheap authenticated Platform API GET, made once per poll."""
    slow_ms: float = Field(1500.0, gt=0)
    """Above this the Platform API counts as degraded."""


Settings = ProbeSettings


def build(ctx: BuildContext) -> ApiProbeSource:
    assert ctx.tokens is not None
    once = ctx.budgeted.derived(max_attempts=1)  # one attempt per poll: the probe reports what it sees
    probe = ctx.settings.section(SECTION)
    return ApiProbeSource(
        ApiClient(once, ctx.tokens, ctx.settings.api_url),
        probe.path,
        slow_ms=probe.slow_ms,
        region=ctx.settings.region_label,
    )


class ApiProbeSource:
    name = NAME

    def __init__(self, api: ApiClient, path: str, *, slow_ms: float, region: str) -> None:
        self.api = api
        self.path = path
        self.slow_ms = slow_ms
        self.component_name = f"Platform API ({region})"

    async def fetch(self, deadline: float | None) -> SourceResult:
        """One poll's result, with the API's latest count of our requests (rate-limit headroom)."""
        return replace(await self._fetch(deadline), rate_limit=self.api.rate_limit(self.path))

    async def _fetch(self, deadline: float | None) -> SourceResult:
        timings: list[RequestTiming] = []
        url = self.api.url(self.path)
        started = time.perf_counter()
        details: dict[str, Any] = {"endpoint": self.path, "slow_ms": self.slow_ms}
        cid: str | None = None
        try:
            await self.api.tokens.token(
                timings, deadline
            )  # the login host first: its failure is not the API's
        except AuthError as exc:
            return failed(self.name, exc, timings)
        except TuiHealthError as exc:
            return self._unmeasured(exc, timings, details, "no token from the login host: ")
        try:
            response = await self.api.request(url, label="probe", timings=timings, deadline=deadline)
        except (AuthError, ConfigError) as exc:
            return failed(self.name, exc, timings)
        except NetworkError as exc:
            if not exc.reached:
                return self._unmeasured(exc, timings, details)
            status, note = Status.DOWN, exc.message
        except RateLimitedError as exc:
            return self._unmeasured(exc, timings, details)
        except TuiHealthError as exc:
            code = getattr(exc, "status_code", None)
            if code is None or code < 500:  # our budget, or an answer we could not read
                return self._unmeasured(exc, timings, details)
            status, note, cid = Status.DOWN, exc.message, exc.correlation_id
        else:
            cid = correlation_id(response)
            code = response.status_code
            probe_ms = next((t.ms for t in reversed(timings) if t.label == "probe"), 0.0)
            details["http_status"] = code
            details["latency_ms"] = round(probe_ms, 1)
            if 200 <= code < 300:
                org = org_name(response)
                if org:
                    details["org"] = org  # alerts name the org they are about
                status = Status.HEALTHY if probe_ms <= self.slow_ms else Status.DEGRADED
                note = (
                    "answered"
                    if status is Status.HEALTHY
                    else f"slow: {probe_ms:.0f} ms > {self.slow_ms:g} ms"
                )
            elif code >= 500:
                status, note = Status.DOWN, f"HTTP {code}"
            else:
                status, note = Status.UNKNOWN, f"unexpected HTTP {code}"
        details["note"] = note
        details["elapsed_ms"] = round((time.perf_counter() - started) * 1000, 1)
        component = Component(
            id=PROBE_ID, name=self.component_name, status=status, source=self.name, details=details
        )
        org = details.get("org")
        return SourceResult(
            self.name,
            True,
            (component,),
            correlation_ids=(cid,) if cid else (),
            timings=tuple(timings),
            extras=SourceExtras(org=org) if isinstance(org, str) else NO_EXTRAS,
        )

    def _unmeasured(
        self, exc: TuiHealthError, timings: list[RequestTiming], details: dict[str, Any], prefix: str = ""
    ) -> SourceResult:
        """The probe could not measure: the source fails, and its component shows *unknown* with the reason."""
        details["note"] = f"not measured: {prefix}{exc.message}"
        component = Component(
            id=PROBE_ID, name=self.component_name, status=Status.UNKNOWN, source=self.name, details=details
        )
        return failed(self.name, exc, timings, unmeasured=(component,))


def org_name(response: httpx.Response) -> str | None:
    """The org's ``name`` from an ``organizations/me`` answer (any other probe path simply has none)."""
    try:
        data = decode_json(response, "the API (probe)")
    except TuiHealthError:
        return None
    name = data.get("name") if isinstance(data, dict) else None
    return clean(name, 100) if isinstance(name, str) and clean(name, 100).strip() else None


# -- what this source declares about itself (read through the registry) ------------------------------------
def chosen(settings: SourceSettings) -> bool:
    """Polled when no sources are configured: beside the status page, when credentials are there to measure the org's own API."""
    return not settings.genesys.api_url and settings.has_credentials


def hosts(settings: SourceSettings) -> dict[str, str]:
    """The hosts it talks to, by role (``config show``, the TLS context, alert back-links)."""
    return {"api": settings.api_url, "login": settings.login_url}


def identity(settings: SourceSettings) -> dict[str, Any]:
    """What makes a target that uses it a different target (its saved state and history are keyed by it)."""
    return {"api": settings.api_url}


def demo(sim_url: str, org: bool) -> dict[str, Any] | None:
    return {}


def history_flags(hosts: dict[str, str]) -> list[str]:
    return []
