"""The notification channel's rules, one by one, on an injected clock (tests/channel_harness.py): no sockets,
no sleeps — the fakes move the clock and the test reads what the channel did."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from tests.channel_harness import HEARTBEAT, Closed, Harness, Silent, frame
from tui_health.genesys.channel_api import Refusal
from tui_health.genesys.notifications import NotificationChannel
from tui_health.support.errors import ApiError, AuthError, NetworkError, RateLimitedError

PING = json.dumps({"message": "ping"})


# -- silence ----------------------------------------------------------------------------------------------
async def test_a_ping_goes_out_at_half_the_heartbeat_timeout_and_silence_ends_the_socket():
    h = Harness([Silent(4.9), lambda: pings.append(len(h.sockets[0].sent)), Silent(5.2)], [])
    pings: list[int] = []
    await h.run()
    assert pings == [0]  # not before half of the 10 s
    socket = h.sockets[0]
    assert [text for _, text in socket.sent] == [PING]
    assert socket.sent[0][0] - 1000.0 == pytest.approx(5.0, abs=0.06)  # FakeClock starts at 1000
    assert "heartbeat_lost" in h.kinds()  # 10 s without a frame: taken for dead
    assert socket.closed_at is not None


async def test_any_frame_resets_the_silence_clock():
    h = Harness(
        [Silent(4), HEARTBEAT, Silent(4), frame("v2.topic.a", {"x": 1}), Silent(4), HEARTBEAT, Silent(4)]
    )
    await h.run()
    assert h.sockets[0].sent == []  # never silent for 5 s: no ping
    assert "heartbeat_lost" not in h.kinds()
    assert h.events == [("v2.topic.a", {"x": 1})]


# -- keeping a channel -------------------------------------------------------------------------------------
async def test_a_channel_is_kept_by_subscribing_again_the_margin_before_it_expires():
    seen: list[int] = []
    script = [Silent(3299), lambda: seen.append(len(h.calls.subscriptions))]
    h = Harness([*script, Silent(2), lambda: seen.append(len(h.calls.subscriptions))], heartbeat_timeout=1e6)
    await h.run()
    assert seen == [1, 2]  # 300 s ahead of the hour, not before
    when, channel, _ = h.calls.subscriptions[1]
    assert when - 1000.0 == pytest.approx(3300.0, abs=1.0) and channel == "ch-1"
    assert len(h.calls.created) == 1 and h.gaps == ["a notification channel opened"]  # no new channel, no gap
    assert h.channel.channel is not None and h.channel.channel.expires == h.clock.now() + timedelta(
        seconds=3599
    )


async def test_a_channel_is_renewed_with_its_token_and_the_old_socket_closes_after_the_new_one_opens():
    h = Harness([Silent(50)], [HEARTBEAT, Silent(1)], heartbeat_timeout=1e6)
    h.calls.renew_at = 1030.0  # the token that made the first channel is due at 30 s
    await h.run()
    assert [c for _, c in h.calls.created] == ["ch-1", "ch-2"]
    first = h.sockets[0]
    assert h.calls.created[1][0] == pytest.approx(1030.0, abs=1.0)
    assert first.closed_at is not None and first.closed_at >= h.calls.created[1][0]  # closed once ch-2 was up
    assert h.waits == []  # a renewal waits for nothing
    assert len(h.gaps) == 2  # each new channel is caught up


async def test_at_twenty_channels_a_renewal_closes_its_own_old_channel_first():
    h = Harness([Silent(50)], [HEARTBEAT, Silent(1)], heartbeat_timeout=1e6)
    h.calls.renew_at = 1030.0
    h.calls.held = 20
    await h.run()
    first, _ = h.sockets
    assert first.closed_at is not None and first.closed_at <= h.calls.created[1][0]
    assert any("closed before its renewal" in g for g in h.gaps)


async def test_a_first_channel_at_twenty_is_said_to_close_the_oldest():
    h = Harness([HEARTBEAT])
    h.calls.held = 20
    await h.run()
    assert h.kinds() == ["channels_full"] and "20 notification channels" in h.problems[0][1]
    assert len(h.calls.created) == 1


# -- failures and backoff -------------------------------------------------------------------------------------
async def test_the_backoff_grows_and_starts_afresh_after_a_good_connection():
    h = Harness([HEARTBEAT, Closed("dropped")], [Closed("dropped again")], [HEARTBEAT])
    h.calls.create_errors.extend(ApiError("503", status_code=503) for _ in range(3))
    await h.run()
    assert h.backoff.attempts == [1, 2, 3, 1, 2]  # 3 failed opens; a good socket; then a drop at once
    assert h.waits == [1.0, 2.0, 3.0, 1.0, 2.0]


async def test_retry_after_is_kept_and_a_refused_channel_waits_refused_wait():
    h = Harness([HEARTBEAT])
    limited = RateLimitedError("429", status_code=429)
    limited.retry_at = h.clock.now() + timedelta(seconds=42)
    h.calls.create_errors.extend([limited, AuthError("403 Forbidden"), ApiError("400", status_code=400)])
    await h.run()
    assert h.waits == [42.0, 300.0, 300.0]
    assert h.kinds() == ["rate_limited", "refused"]  # the 400 is said with the 403: once until it works


async def test_problems_are_said_once_until_it_works_and_again_after_a_reconnect():
    h = Harness([HEARTBEAT, Closed("1")], [HEARTBEAT, Closed("2")], [HEARTBEAT])
    h.calls.create_errors.extend([NetworkError("down"), NetworkError("still down")])
    await h.run()
    assert h.kinds() == ["network", "socket_dropped", "socket_dropped"]


async def test_a_socket_that_cannot_connect_keeps_its_channel_unless_it_is_gone():
    h = Harness([HEARTBEAT], [HEARTBEAT])
    h.connect_errors.extend([OSError("refused"), OSError("refused")])
    h.calls.gone = set()  # the first failure: the service still has the channel
    original = h.calls.exists

    async def exists(channel_id: str) -> bool | None:
        if len(h.connect_errors) == 0:
            h.calls.gone.add(channel_id)  # after the second failure it says the channel is gone
        return await original(channel_id)

    h.calls.exists = exists  # type: ignore[method-assign]
    await h.run()
    assert [c for _, c in h.calls.created] == ["ch-1", "ch-2"]  # one slot per lost channel, not per attempt


async def test_a_failed_subscription_on_the_open_channel_is_said_retried_and_caught_up():
    def new_entity() -> None:
        h.calls.subscribe_errors.extend([ApiError("503", status_code=503), NetworkError("timed out")])
        h.channel.set_topics(["v2.topic.a", "v2.topic.b", "v2.topic.c"])

    h = Harness([HEARTBEAT, new_entity, Silent(2), HEARTBEAT, Silent(3), HEARTBEAT, Silent(3), HEARTBEAT])
    await h.run()
    asked = [topics for _, _, topics in h.calls.subscriptions]
    assert asked[-1] == ["v2.topic.a", "v2.topic.b", "v2.topic.c"] and len(asked) == 4
    assert h.kinds() == ["subscription_failed"]  # said once
    assert h.gaps == ["a notification channel opened", "the channel is subscribed again"]
    assert len(h.sockets) == 1 and len(h.calls.created) == 1  # the socket went on meanwhile
    assert h.backoff.attempts == [1, 2]


async def test_a_refused_resubscription_waits_refused_wait_and_the_socket_goes_on():
    def new_entity() -> None:
        h.calls.subscribe_errors.append(AuthError("403"))
        h.channel.set_topics(["v2.topic.a", "v2.topic.c"])

    h = Harness([HEARTBEAT, new_entity, Silent(299), HEARTBEAT, Silent(2), HEARTBEAT], heartbeat_timeout=1e6)
    await h.run()
    times = [when - 1000.0 for when, _, _ in h.calls.subscriptions]
    assert len(times) == 3 and times[2] - times[1] == pytest.approx(300.0, abs=1.5)
    assert h.kinds() == ["subscription_failed"]


# -- what the service tells ------------------------------------------------------------------------------------
async def test_a_partial_subscription_names_the_permission_and_the_others_keep_pushing():
    missing = Refusal("v2.topic.b", "Rejected", "no permission", ("analytics:queueObservation:view",))
    h = Harness([frame("v2.topic.a", {"n": 1}), frame("v2.topic.b", {"n": 2})])
    h.calls.rejected = {"v2.topic.b": missing}
    await h.run()
    assert h.events == [("v2.topic.a", {"n": 1})]  # a rejected topic is never heard
    assert h.kinds() == ["subscription_partial", "unsubscribed"]
    assert "analytics:queueObservation:view" in h.problems[0][1] and "1 of 2" in h.problems[0][1]


async def test_a_rejected_topic_is_asked_for_again_after_refused_wait():
    def new_entity() -> None:
        h.channel.set_topics(["v2.topic.a", "v2.topic.b", "v2.topic.c"])

    missing = Refusal("v2.topic.b", "Rejected", "", ())
    h = Harness([Silent(100), new_entity, Silent(201)], heartbeat_timeout=1e6)
    h.calls.rejected = {"v2.topic.b": missing}
    await h.run()
    asked = [(round(when - 1000.0), topics) for when, _, topics in h.calls.subscriptions]
    assert asked == [
        (0, ["v2.topic.a", "v2.topic.b"]),
        (100, ["v2.topic.a", "v2.topic.c"]),  # rejected: left out while its wait runs
        (300, ["v2.topic.a", "v2.topic.b", "v2.topic.c"]),  # asked for again
    ]


async def test_no_longer_subscribed_subscribes_again_and_catches_up():
    unsubscribed = frame("v2.system.no_longer_subscribed.ch-1", {"systemTopicType": "no_longer_subscribed"})
    h = Harness([HEARTBEAT, unsubscribed, HEARTBEAT])
    await h.run()
    assert len(h.calls.subscriptions) == 2 and len(h.calls.created) == 1
    assert h.gaps == ["a notification channel opened", "the channel is subscribed again"]


async def test_a_revoked_token_takes_a_new_token_and_a_new_channel():
    revoked = frame("v2.system.token_revoked.ch-1", {"systemTopicType": "token_revoked"})
    h = Harness([HEARTBEAT, revoked], [HEARTBEAT])
    await h.run()
    assert h.calls.revoked == 1 and [c for _, c in h.calls.created] == ["ch-1", "ch-2"]
    assert h.sockets[0].closed_at is not None and "token_revoked" in h.kinds()


async def test_a_404_frame_means_the_channel_is_gone():
    h = Harness([HEARTBEAT, json.dumps({"result": "404"})], [HEARTBEAT])
    await h.run()
    assert [c for _, c in h.calls.created] == ["ch-1", "ch-2"] and "channel_gone" in h.kinds()


async def test_socket_closing_reconnects_to_the_same_channel():
    h = Harness([HEARTBEAT, frame("v2.system.socket_closing", {"message": "bye"})], [HEARTBEAT])
    await h.run()
    assert len(h.calls.created) == 1 and len(h.sockets) == 2 and "socket_closing" in h.kinds()


async def test_frames_that_are_not_events_are_skipped_and_said():
    h = Harness(
        [
            frame("v2.topic.a", ["not", "an", "object"]),
            "{not json",
            json.dumps({"eventBody": {}}),
            frame("v2.topic.zzz", {}),
            frame("v2.topic.b", {"ok": True}),
        ]
    )
    await h.run()
    assert h.events == [("v2.topic.b", {"ok": True})]
    assert sorted(set(h.kinds())) == ["malformed", "unsubscribed"]


@pytest.mark.parametrize(
    ("api", "uri", "ok"),
    [
        ("https://api.mypurecloud.com", "wss://streaming.mypurecloud.com/channels/x", True),
        ("https://api.mypurecloud.com", "wss://mypurecloud.com/channels/x", True),
        ("https://api.mypurecloud.com", "wss://evilmypurecloud.com/channels/x", False),  # the dot is needed
        ("https://api.mypurecloud.com", "ws://streaming.mypurecloud.com/channels/x", False),
        ("https://api.mypurecloud.com", "wss://evil.example/channels/x", False),
        ("https://api.mypurecloud.com", "https://streaming.mypurecloud.com/channels/x", False),
        ("http://127.0.0.1:9", "ws://127.0.0.1:10/channels/x", True),
        ("http://127.0.0.1:9", "ws://127.0.0.1:10/channels/x\n", False),
    ],
)
def test_a_connect_uri_is_checked_before_it_is_used(api, uri, ok):
    channel = NotificationChannel(None, None, api_url=api)  # type: ignore[arg-type]
    if ok:
        channel.check_uri(uri)
    else:
        with pytest.raises(ApiError):
            channel.check_uri(uri)


async def test_a_rejection_is_named_once_not_at_every_reconnection():
    missing = Refusal("v2.topic.b", "Rejected", "", ("usage:events:view",))
    h = Harness([HEARTBEAT, Closed("1")], [HEARTBEAT, Closed("2")], [HEARTBEAT], heartbeat_timeout=1e6)
    h.calls.rejected = {"v2.topic.b": missing}
    await h.run()
    assert h.kinds().count("subscription_partial") == 1
    assert h.kinds().count("socket_dropped") == 2  # other problems are said again after each reconnection
