"""The auth/client core against the simulator over real HTTP."""

from __future__ import annotations

import time
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.conftest import RecordingSleep, sim_settings
from tui_health.model.domain import RequestTiming, Status
from tui_health.monitor.core import connect
from tui_health.support.errors import ApiError, AuthError, RateLimitedError


async def fetch(sim, tmp_path, sleeps: RecordingSleep | None = None, **flags):
    settings = sim_settings(sim, tmp_path, **flags)
    async with connect(settings, config_path=tmp_path / "none.toml", sleep=sleeps) as conn:
        timings: list[RequestTiming] = []
        result = await conn.sources[0].client.fetch(timings, None)  # type: ignore[attr-defined]
        return result, timings, conn


def health_queries(sim) -> list[dict[str, list[str]]]:
    return [
        parse_qs(urlsplit(path).query)
        for method, path, _ in sim.state.log
        if urlsplit(path).path == "/api/v2/health/details"
    ]


async def test_walks_every_page_in_order_without_duplicates(start_sim, tmp_path):
    sim = start_sim("steady", components=237)
    result, timings, _ = await fetch(sim, tmp_path, **{"poll.page_size": 25})
    assert [c.id for c in result.components] == [cid for cid, _ in sim.state.components]
    assert result.pages == 10
    assert [t.label for t in timings if t.label.startswith("page")].count("page 1") == 1
    assert sorted(int(q["pageNumber"][0]) for q in health_queries(sim)) == list(range(1, 11))
    assert len(result.correlation_ids) == 10


async def test_filters_are_sent_comma_separated(start_sim, tmp_path):
    sim = start_sim("outage")
    result, _, _ = await fetch(
        sim, tmp_path, **{"poll.status": "degraded,down", "poll.ids": "acd-routing,chat,voice-telephony"}
    )
    query = health_queries(sim)[0]
    assert query["status"] == ["degraded,down"]
    assert query["ids"] == ["acd-routing,chat,voice-telephony"]
    assert query["expand"] == ["details"]
    assert {c.id: c.status for c in result.components} == {
        "voice-telephony": Status.DOWN,
        "acd-routing": Status.DEGRADED,
    }


async def test_next_uri_only_pages_are_walked_in_sequence(start_sim, tmp_path):
    sim = start_sim("steady", components=60, paging="next_only")
    result, _, _ = await fetch(sim, tmp_path, **{"poll.page_size": 25})
    assert len(result.components) == 60
    assert [int(q["pageNumber"][0]) for q in health_queries(sim)] == [1, 2, 3]


async def test_rate_limit_revoked_token_and_html_503_still_return_everything(start_sim, tmp_path, sleeps):
    """The 'done when' scenario: Retry-After honoured, exactly one new token after the 401, 503 HTML retried."""
    sim = start_sim("chaos")
    result, timings, conn = await fetch(
        sim, tmp_path, sleeps, **{"poll.page_size": 25, "poll.concurrency": 1}
    )
    assert len(result.components) == 250
    assert len({c.id for c in result.components}) == 250
    assert sim.state.counts["token"] == 2  # the first token, and exactly one after the revocation
    assert conn.tokens is not None and conn.tokens.requests == 2
    assert sleeps.waits.count(1.0) >= 2  # two 429s with Retry-After: 1 were waited out as told
    codes = [t.status_code for t in timings]
    assert 429 in codes and 401 in codes and 503 in codes


async def test_single_flight_token_and_one_refresh_after_concurrent_401s(start_sim, tmp_path):
    # the token expires right after page 1: pages 2-17, sent at once with it, are all refused with 401
    sim = start_sim("steady", components=200, faults=[{"kind": "expire-token", "on": [1]}])
    result, timings, _ = await fetch(sim, tmp_path, **{"poll.page_size": 10, "poll.concurrency": 16})
    assert [t.status_code for t in timings].count(401) >= 16  # sixteen concurrent 401s (or more) ...
    assert sim.state.counts["token"] == 2  # ... and exactly one new token for all of them
    assert len(result.components) == 200


async def test_bad_entities_are_kept_and_reported(start_sim, tmp_path):
    sim = start_sim("bad-entities")
    result, _, _ = await fetch(sim, tmp_path)
    by_id = {c.id: c for c in result.components}
    assert len(by_id) == 10
    assert by_id["chat"].status is Status.UNKNOWN and by_id["chat"].raw_status == "purple"
    assert by_id["email-routing"].last_modified is None and by_id["email-routing"].status is Status.HEALTHY
    messages = sorted(i.message for i in result.issues)
    assert any("unknown status 'purple'" in m for m in messages)
    assert any("invalid lastModified" in m for m in messages)
    assert all(i.correlation_id for i in result.issues)


@pytest.mark.parametrize(
    ("kind", "error", "text"),
    [
        ("malformed", ApiError, "malformed JSON"),
        ("html", ApiError, "HTML instead of JSON"),
        ("forbidden", AuthError, "403"),
        ("error_json", ApiError, "HTTP 503"),
    ],
)
async def test_bad_pages_fail_the_poll_with_a_correlation_id(start_sim, tmp_path, sleeps, kind, error, text):
    sim = start_sim("steady", faults=[{"kind": kind, "every": 1}])
    with pytest.raises(error) as info:
        await fetch(sim, tmp_path, sleeps)
    assert text in info.value.one_line()
    assert info.value.correlation_id
    if kind == "forbidden":
        assert "roles" in info.value.one_line()
    if kind == "error_json":
        assert len(sleeps.waits) == 4  # five attempts, four waits


async def test_rate_limit_gives_up_after_max_attempts(start_sim, tmp_path, sleeps):
    sim = start_sim("steady", faults=[{"kind": "rate_limit", "every": 1, "retry_after": 2}])
    with pytest.raises(RateLimitedError) as info:
        await fetch(sim, tmp_path, sleeps)
    assert sleeps.waits == [2.0, 2.0, 2.0, 2.0]
    assert "HTTP 429" in info.value.one_line() and "after 5 attempts" in info.value.one_line()


async def test_deadline_refuses_a_wait_it_cannot_afford(start_sim, tmp_path, sleeps):
    sim = start_sim("steady", faults=[{"kind": "rate_limit", "every": 1, "retry_after": 120}])
    settings = sim_settings(sim, tmp_path)
    async with connect(settings, config_path=tmp_path / "none.toml", sleep=sleeps) as conn:
        with pytest.raises(RateLimitedError) as info:
            await conn.sources[0].client.fetch([], time.monotonic() + 5)  # type: ignore[attr-defined]
    assert sleeps.waits == []
    assert "past the poll deadline" in info.value.one_line()


async def test_rejected_client_is_an_auth_error(start_sim, tmp_path):
    sim = start_sim("steady", require_client={"id": "someone-else", "secret": "x"})
    with pytest.raises(AuthError) as info:
        await fetch(sim, tmp_path)
    assert "rejected the OAuth client" in info.value.one_line()


def test_dns_and_tls_failures_are_not_retried_refused_connections_are():
    import httpx

    from tui_health.genesys.transport import describe_transport_error

    dns = httpx.ConnectError("[Errno -2] Name or service not known")
    dns.__cause__ = __import__("socket").gaierror(-2, "Name or service not known")
    refused = httpx.ConnectError("All connection attempts failed")
    refused.__cause__ = ConnectionRefusedError(111, "Connect call failed")
    assert describe_transport_error(dns, "http://nowhere.invalid", 1).retryable is False
    assert describe_transport_error(refused, "http://127.0.0.1:9", 1).retryable is True
