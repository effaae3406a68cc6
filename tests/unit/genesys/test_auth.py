"""TokenProvider: early refresh by the injected clock, single flight, invalidation."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from pydantic import SecretStr

from tests.conftest import SECRET
from tui_health.genesys.auth import TokenProvider
from tui_health.genesys.transport import HttpCore
from tui_health.model.domain import RequestTiming
from tui_health.support.clock import FakeClock
from tui_health.support.errors import AuthError


async def provider(sim, clock: FakeClock, secret: str = SECRET) -> tuple[TokenProvider, httpx.AsyncClient]:
    http = httpx.AsyncClient()
    return TokenProvider(HttpCore(http), sim.url, "client", SecretStr(secret), clock=clock), http


@pytest.mark.parametrize(
    ("lifetime", "refresh_after"),
    [(86399, 86399 - 300), (3600, 3300), (600, 540), (60, 54)],
)
async def test_refreshes_five_minutes_or_a_tenth_of_the_lifetime_early(start_sim, lifetime, refresh_after):
    sim = start_sim("steady", token_lifetime=lifetime)
    clock = FakeClock()
    tokens, http = await provider(sim, clock)
    timings: list[RequestTiming] = []
    first = await tokens.token(timings)
    clock.advance(refresh_after - 0.5)
    assert await tokens.token(timings) == first
    assert tokens.requests == 1
    clock.advance(1)
    assert await tokens.token(timings) != first
    assert tokens.requests == 2
    assert [t.label for t in timings] == ["token", "token"]
    await http.aclose()


async def test_many_concurrent_callers_cause_one_request(start_sim):
    sim = start_sim("steady", latency_ms=50)
    tokens, http = await provider(sim, FakeClock())
    got = await asyncio.gather(*(tokens.token([]) for _ in range(25)))
    assert len(set(got)) == 1
    assert sim.state.counts["token"] == 1
    await http.aclose()


async def test_invalidate_only_forgets_the_current_token(start_sim):
    sim = start_sim("steady")
    tokens, http = await provider(sim, FakeClock())
    old = await tokens.token([])
    tokens.invalidate("some-older-token")
    assert await tokens.token([]) == old
    tokens.invalidate(old)
    assert await tokens.token([]) != old
    assert tokens.requests == 2
    await http.aclose()


async def test_the_request_is_genesys_client_credentials(start_sim):
    """Basic auth + form body on /oauth/token: the simulator accepts nothing else there."""
    sim = start_sim("steady", require_client={"id": "client", "secret": SECRET})
    tokens, http = await provider(sim, FakeClock())
    assert await tokens.token([])
    assert ("POST", "/oauth/token", 200) in sim.state.log
    wrong, http2 = await provider(sim, FakeClock(), secret="wrong")
    with pytest.raises(AuthError) as info:
        await wrong.token([])
    assert SECRET not in info.value.one_line() and "wrong" not in info.value.one_line()
    await http.aclose()
    await http2.aclose()
