"""The notification channel's rules, each pinned on its own on an injected clock (tests/channel_harness.py): what
every problem and gap says, the waits and read timeouts at their edges, the frames skipped, the system topics,
the connectUri checks, and the helpers. No sockets, no sleeps: the fakes move the clock."""

from __future__ import annotations

import asyncio
import json
import ssl
from datetime import timedelta
from typing import Any

import pytest

from tests.channel_harness import HEARTBEAT, Closed, FakeSocket, Harness, Silent, frame
from tui_health.genesys.channel_api import Catalogue, Channel, Refusal, TopicInfo
from tui_health.genesys.notifications import (
    Ended,
    NotificationChannel,
    _close,
    _WebSocket,
    _why,
    refused_as_a_whole,
    split_topics,
    websocket_connect,
)
from tui_health.support import retry
from tui_health.support.errors import ApiError, AuthError, NetworkError, RateLimitedError

PING = json.dumps({"message": "ping"})
OPENED = "a notification channel opened"


class Recorded(Harness):
    """A harness whose sockets also record every read's timeout, and which records every connect."""

    def __init__(self, *scripts: list[Any], **options: Any) -> None:
        self.reads: list[float] = []
        self.connects: list[tuple[str, dict[str, Any]]] = []
        super().__init__(*scripts, **options)

    async def connect(self, uri: str, **kwargs: Any) -> Any:
        self.connects.append((uri, kwargs))
        socket = await super().connect(uri, **kwargs)
        inner = socket.recv

        async def recv(timeout: float) -> str:
            self.reads.append(round(timeout, 6))
            return await inner(timeout)

        socket.recv = recv  # type: ignore[method-assign]
        return socket


def at(h: Harness) -> float:
    """Seconds since the harness's start (FakeClock's monotonic starts at 1000)."""
    return round(h.clock.monotonic() - 1000.0, 6)


# -- helpers ---------------------------------------------------------------------------------------------------
def test_what_is_refused_as_a_whole():
    assert refused_as_a_whole(AuthError("403"))
    assert refused_as_a_whole(ApiError("400", status_code=400))
    assert not refused_as_a_whole(ApiError("404", status_code=404))
    assert not refused_as_a_whole(ApiError("no status"))
    assert not refused_as_a_whole(NetworkError("down"))
    assert not refused_as_a_whole(ValueError("400"))


def test_why_says_our_errors_as_one_line_and_others_with_their_type():
    assert _why(ApiError("503 Service Unavailable", correlation_id="c1")) == (
        "503 Service Unavailable (ININ-Correlation-Id c1)"
    )
    assert _why(OSError("refused")) == "OSError: refused"
    assert _why(TimeoutError()) == "TimeoutError"
    assert _why(ValueError("x\ny" + "z" * 300)) == "ValueError: x y" + "z" * 196 + "…"


def test_topics_are_split_over_channels_of_1000_twenty_at_most():
    topics = [f"t{n}" for n in range(20_001)]
    split = split_topics(topics + topics[:5])
    assert len(split) == 20 and all(len(part) == 1000 for part in split)
    assert split[0][0] == "t0" and split[1][0] == "t1000" and split[19][-1] == "t19999"
    assert split_topics(["a", "b", "a", "c"]) == [["a", "b", "c"]]
    assert split_topics([]) == []


def test_an_ended_socket_reconnects_unless_told():
    ended = Ended("why")
    assert (str(ended), ended.kind, ended.then) == ("why", "socket_dropped", "reconnect")
    assert (Ended("w", kind="k", then="new").kind, Ended("w", kind="k", then="new").then) == ("k", "new")


async def test_closing_nothing_or_a_failing_socket_is_quiet():
    class Failing:
        closed = 0

        async def close(self) -> None:
            self.closed += 1
            raise OSError("already gone")

    failing = Failing()
    await _close(failing)  # type: ignore[arg-type]
    await _close(None)
    assert failing.closed == 1


# -- the connectUri -----------------------------------------------------------------------------------------------
def checked(api: str, uri: object, cid: str | None = None) -> str | None:
    """The refusal's message (``None``: the URI is used)."""
    try:
        NotificationChannel(None, None, api_url=api).check_uri(uri, cid)  # type: ignore[arg-type]
    except ApiError as exc:
        assert exc.correlation_id == cid
        return exc.message
    return None


def test_a_connect_uri_must_be_a_short_clean_string():
    api = "http://127.0.0.1:9"
    assert checked(api, "") == "the channel's connectUri is not usable ('')"
    assert checked(api, None, "c1") == "the channel's connectUri is not usable ('None')"
    long_uri = "ws://127.0.0.1/" + "x" * 1985
    assert len(long_uri) == 2000 and checked(api, long_uri) is None
    assert (
        checked(api, long_uri + "x") == f"the channel's connectUri is not usable ('{(long_uri + 'x')[:79]}…')"
    )
    assert (
        checked(api, "ws://127.0.0.1/\x1b[2J")
        == "the channel's connectUri is not usable ('ws://127.0.0.1/[2J')"
    )


def test_a_connect_uri_is_a_websocket_url_encrypted_for_an_https_api():
    assert checked("https://api.mypurecloud.com", "ws://streaming.mypurecloud.com/x", "c2") == (
        "refused the channel's connectUri 'ws://streaming.mypurecloud.com/x': an unencrypted socket for an https API"
    )
    assert checked("HTTPS://api.mypurecloud.com", "ws://streaming.mypurecloud.com/x") is not None
    assert checked("https://api.mypurecloud.com", "https://streaming.mypurecloud.com/x") == (
        "refused the channel's connectUri 'https://streaming.mypurecloud.com/x': not a WebSocket URL"
    )
    assert checked("http://127.0.0.1:9", "http://127.0.0.1:9/x") == (
        "refused the channel's connectUri 'http://127.0.0.1:9/x': not a WebSocket URL"
    )
    assert checked("http://127.0.0.1:9", "WSS://127.0.0.1:9/x") is None
    assert checked("https://api.mypurecloud.com", "WSS://Streaming.MyPureCloud.com/x") is None
    long_ws = "ws://h/" + "x" * 200
    assert checked("https://gw.example", long_ws) == (
        f"refused the channel's connectUri '{long_ws[:119]}…': an unencrypted socket for an https API"
    )


def test_a_connect_uri_for_a_genesys_region_stays_in_its_domain():
    assert checked("https://api.mypurecloud.de", "wss://streaming.mypurecloud.com/x", "c3") == (
        "refused the channel's connectUri: streaming.mypurecloud.com is not in the region's domain mypurecloud.de"
    )
    assert checked("https://api.mypurecloud.de", "wss://mypurecloud.de/x") is None
    assert checked("https://api.mypurecloud.de", "wss://a.b.mypurecloud.de/x") is None
    assert checked("https://gateway.example", "wss://anywhere.example/x") is None  # not a region: not checked


# -- topics -------------------------------------------------------------------------------------------------------
def test_the_topics_wanted_are_unique_and_1000_at_most():
    channel = NotificationChannel(None, None, api_url="http://x")  # type: ignore[arg-type]
    channel.set_topics(["a", "b", "a"])
    assert channel.topics == ("a", "b") and channel._topics_changed.is_set()
    channel._topics_changed.clear()
    channel.set_topics(["a", "a", "b"])  # the same topics: nothing to subscribe again
    assert not channel._topics_changed.is_set()
    channel.set_topics([f"t{n}" for n in range(1001)])
    assert len(channel.topics) == 1000 and channel.topics[-1] == "t999"


async def test_with_no_topics_nothing_is_opened_until_there_are_some():
    h = Harness([HEARTBEAT], topics=[])
    task = asyncio.ensure_future(h.run())
    for _ in range(5):
        await asyncio.sleep(0)
    assert h.calls.created == [] and h.waits == []
    h.channel.set_topics(["v2.topic.a"])
    await task
    assert [topics for _, _, topics in h.calls.subscriptions] == [["v2.topic.a"]]


async def test_stop_ends_a_wait_for_topics():
    h = Harness([HEARTBEAT], topics=[])
    task = asyncio.ensure_future(h.run())
    await asyncio.sleep(0)
    h.stop.set()
    await task
    assert h.calls.created == []


# -- opening -------------------------------------------------------------------------------------------------------
async def test_a_channel_opens_with_the_defaults_genesys_documents():
    h = Recorded([HEARTBEAT])
    h.channel = NotificationChannel(
        h.calls, h, api_url="http://127.0.0.1:1", clock=h.clock, sleep=h.sleep, connect=h.connect
    )
    h.channel.set_topics(["v2.topic.a"])
    await h.run()
    assert h.connects == [
        ("ws://127.0.0.1:1/channels/ch-1", {"max_frame": 262_144, "timeout": 10.0, "tls": None})
    ]
    assert h.calls.subscriptions == [(1000.0, "ch-1", ["v2.topic.a"])]
    assert (h.channel.opened, h.channel.created) == (1, 1)
    assert h.opened == ["ch-1"] and h.gaps == [OPENED]


async def test_the_default_waits_are_a_heartbeat_of_75_s_and_a_backoff_of_1_to_60_s(monkeypatch):
    class Ceiling:
        @staticmethod
        def uniform(low: float, high: float) -> float:
            return high  # full jitter at its ceiling

    monkeypatch.setattr(retry, "random", Ceiling)
    h = Recorded([Silent(200)])
    h.channel = NotificationChannel(
        h.calls, h, api_url="http://127.0.0.1:1", clock=h.clock, sleep=h.sleep, connect=h.connect
    )
    h.channel.set_topics(["v2.topic.a"])
    h.calls.create_errors.extend(NetworkError("down") for _ in range(7))
    await h.run()
    assert h.waits == [
        1.0,
        2.0,
        4.0,
        8.0,
        16.0,
        32.0,
        60.0,
        60.0,
        60.0,
    ]  # a socket that never worked: no reset
    (sent,) = h.sockets[0].sent
    assert sent[1] == PING and sent[0] - 1000.0 == pytest.approx(123.0 + 37.5)
    assert ("heartbeat_lost", "no heartbeat for 75 s: the socket is taken for dead") in h.problems


async def test_what_a_channel_says_when_it_cannot_open():
    h = Harness([HEARTBEAT])
    limited = RateLimitedError("429 Too Many Requests", status_code=429)
    limited.retry_at = h.clock.now() - timedelta(seconds=5)  # already past: at once
    h.calls.create_errors.extend([limited, AuthError("403 Forbidden")])
    h.connect_errors.append(OSError("connection refused"))
    await h.run()
    assert h.problems == [
        ("rate_limited", "could not open the notification channel: 429 Too Many Requests"),
        ("refused", "the notification service refused the channel: 403 Forbidden"),
        ("connect", "could not open the notification channel: OSError: connection refused"),
    ]
    assert h.waits == [0.0, 300.0, 3.0] and h.backoff.attempts == [1, 3]
    assert h.gaps == [OPENED] and h.opened == ["ch-1"]


async def test_a_channel_is_made_only_when_there_is_none():
    h = Harness([HEARTBEAT, Closed("dropped")], [HEARTBEAT])
    await h.run()
    assert [c for _, c in h.calls.created] == ["ch-1"] and h.calls.counted == 1
    assert [(c, t) for _, c, t in h.calls.subscriptions] == [("ch-1", ["v2.topic.a", "v2.topic.b"])] * 2


async def test_a_channel_whose_uri_is_refused_is_not_opened():
    h = Harness([HEARTBEAT])
    original = h.calls.create

    async def create() -> Channel:
        made = await original()
        return Channel(
            made.id, "https://ch.example/x" if len(h.calls.created) == 1 else made.uri, made.expires
        )

    h.calls.create = create  # type: ignore[method-assign]
    await h.run()
    assert h.problems == [
        (
            "api",
            "could not open the notification channel: refused the channel's connectUri 'https://ch.example/x': "
            "not a WebSocket URL",
        ),
    ]
    assert [c for _, c in h.calls.created] == ["ch-1", "ch-2"] and h.channel.created == 1


# -- what ends a socket ------------------------------------------------------------------------------------------
async def test_a_dropped_socket_is_said_caught_up_and_reconnected_after_a_fresh_backoff():
    h = Harness([HEARTBEAT, Closed("reset by peer")], [HEARTBEAT])
    await h.run()
    said = "the notification socket closed: Closed: reset by peer"
    assert h.problems == [("socket_dropped", said)]
    assert h.gaps == [OPENED, said, OPENED] and h.waits == [1.0]
    assert h.sockets[0].closed_at == 1000.0 and len(h.calls.created) == 1


@pytest.mark.parametrize(
    ("notice", "kind", "said", "channels"),
    [
        (frame("v2.system.socket_closing"), "socket_closing", "the service said the socket is closing", 1),
        (json.dumps({"result": "404"}), "channel_gone", "the service says the channel no longer exists", 2),
        (json.dumps({"result": 404}), "channel_gone", "the service says the channel no longer exists", 2),
        (
            frame("v2.system.token_revoked.ch-1"),
            "token_revoked",
            "the service revoked the channel's token",
            2,
        ),
        (frame("v2.system.token_revoked"), "token_revoked", "the service revoked the channel's token", 2),
    ],
)
async def test_what_the_service_says_ends_the_socket(notice, kind, said, channels):
    h = Harness([HEARTBEAT, notice, HEARTBEAT], [HEARTBEAT])
    await h.run()
    assert h.problems == [(kind, said)] and h.gaps == [OPENED, said, OPENED]
    assert len(h.calls.created) == channels and len(h.sockets) == 2
    assert h.calls.revoked == (1 if kind == "token_revoked" else 0)


@pytest.mark.parametrize(
    ("notice", "kinds"),
    [
        (frame("v2.system.token_revokedX"), []),
        (frame("v2.system.no_longer_subscribedX"), []),
        (frame("v2.system.socket_closing.x"), []),
        (frame("v2.system.something_else"), []),
        (HEARTBEAT, []),
        (json.dumps({"result": "200"}), ["malformed"]),
    ],
)
async def test_other_notices_of_the_service_need_nothing(notice, kinds):
    h = Harness([HEARTBEAT, notice, frame("v2.topic.a", {"n": 1})])
    await h.run()
    assert h.events == [("v2.topic.a", {"n": 1})] and len(h.sockets) == 1 and h.calls.revoked == 0
    assert h.kinds() == kinds and len(h.calls.subscriptions) == 1


@pytest.mark.parametrize(
    "notice", [frame("v2.system.no_longer_subscribed"), frame("v2.system.no_longer_subscribed.ch-1")]
)
async def test_no_longer_subscribed_is_said_and_subscribed_again_on_the_same_socket(notice):
    h = Harness([HEARTBEAT, notice, HEARTBEAT, frame("v2.topic.a", {"n": 1})])
    await h.run()
    assert h.problems == [
        ("no_longer_subscribed", "the service dropped the channel's subscriptions; subscribing again")
    ]
    assert len(h.calls.subscriptions) == 2 and len(h.sockets) == 1
    assert h.gaps == [OPENED, "the channel is subscribed again"] and h.events == [("v2.topic.a", {"n": 1})]


@pytest.mark.parametrize(
    ("raw", "kind", "said"),
    [
        ("{not json", "malformed", "a notification was not JSON (9 bytes); skipped"),
        ("[" * 100_000, "malformed", "a notification was not JSON (100000 bytes); skipped"),
        ("[1, 2]", "malformed", "a notification was not a JSON object; skipped"),
        (json.dumps({"eventBody": {}}), "malformed", "a notification had no topicName; skipped"),
        (
            json.dumps({"topicName": 5, "result": "403"}),
            "malformed",
            "a notification had no topicName; skipped",
        ),
        (
            frame("v2.topic." + "x" * 292),
            "malformed",
            "a notification's topicName was over 300 characters; skipped",
        ),
        (
            json.dumps({"topicName": "v2.topic.a", "eventBody": [1]}),
            "malformed",
            "a notification for v2.topic.a had no eventBody object; skipped",
        ),
        (
            json.dumps({"topicName": "v2.topic.a"}),
            "malformed",
            "a notification for v2.topic.a had no eventBody object; skipped",
        ),
        (
            frame("v2.topic.z"),
            "unsubscribed",
            "a notification for a topic never subscribed (v2.topic.z); skipped",
        ),
        (
            frame("v2.topic." + "z" * 200),
            "unsubscribed",
            f"a notification for a topic never subscribed ({('v2.topic.' + 'z' * 200)[:119]}…); skipped",
        ),
    ],
)
async def test_a_frame_that_is_no_event_is_said_and_skipped(raw, kind, said):
    h = Harness([HEARTBEAT, raw, frame("v2.topic.a", {"n": 1})])
    await h.run()
    assert h.problems == [(kind, said)] and h.events == [("v2.topic.a", {"n": 1})] and len(h.sockets) == 1


async def test_a_topic_of_300_characters_is_heard():
    long_topic = "v2.topic." + "x" * 291
    h = Harness([frame(long_topic, {"n": 1})], topics=[long_topic])
    await h.run()
    assert h.events == [(long_topic, {"n": 1})] and h.problems == []


async def test_a_long_topic_without_an_event_body_is_named_cut_at_120():
    long_topic = "v2.topic." + "x" * 112  # 121 characters
    h = Harness([json.dumps({"topicName": long_topic})], topics=[long_topic])
    await h.run()
    assert h.problems == [
        ("malformed", f"a notification for {long_topic[:119]}… had no eventBody object; skipped")
    ]


# -- subscribing -------------------------------------------------------------------------------------------------
def with_permissions(h: Harness) -> list[str | None]:
    """Record the permission each subscription names."""
    asked: list[str | None] = []
    original = h.calls.subscribe

    async def subscribe(channel_id: str, topics: list[str], permission: str | None) -> Any:
        asked.append(permission)
        return await original(channel_id, topics, permission)

    h.calls.subscribe = subscribe  # type: ignore[method-assign]
    return asked


async def test_a_rejection_names_its_reason_and_the_permission_missing():
    h = Harness([HEARTBEAT])
    h.calls.rejected = {"v2.topic.b": Refusal("v2.topic.b", "Rejected", "no permission", ("analytics:view",))}
    await h.run()
    assert h.problems == [
        (
            "subscription_partial",
            "the channel took 1 of 2 topics; 1 were rejected (no permission) (first: v2.topic.b; 1 need "
            "analytics:view): those are polled only, and asked for again in 300 s",
        )
    ]


async def test_a_rejection_without_permissions_asks_the_catalogue_then_the_hint():
    topics = ["v2.queues.q1.obs", "v2.queues.q2.obs", "v2.users.u1", "v2.other", "v2.ok"]
    catalogue = Catalogue(
        {
            "v2.queues.{id}.obs": TopicInfo("v2.queues.{id}.obs", ("id",), ("queue:a", "queue:b")),
            "v2.users.{id}": TopicInfo("v2.users.{id}", ("id",), ()),
        }
    )
    h = Harness(
        [HEARTBEAT], topics=topics, catalogue=catalogue, permission_hint="hint:view", refused_wait=42.5
    )
    permissions = with_permissions(h)
    h.calls.rejected = {t: Refusal(t, "Rejected") for t in topics[:4]}
    await h.run()
    assert h.problems == [
        (
            "subscription_partial",
            "the channel took 1 of 5 topics; 4 were rejected (first: v2.queues.q1.obs; 2 need queue:a, queue:b; "
            "2 need hint:view): those are polled only, and asked for again in 42.5 s",
        )
    ]
    assert permissions == ["hint:view"]


async def test_without_a_hint_a_rejection_needs_a_permission_and_none_is_named_to_the_service():
    h = Harness([HEARTBEAT])
    permissions = with_permissions(h)
    h.calls.rejected = {"v2.topic.a": Refusal("v2.topic.a", "Rejected", "x" * 121)}
    await h.run()
    assert h.problems[0][1] == (
        f"the channel took 1 of 2 topics; 1 were rejected ({'x' * 119}…) (first: v2.topic.a; 1 need a "
        "permission): those are polled only, and asked for again in 300 s"
    )
    assert permissions == [None]


async def test_a_topic_the_service_says_nothing_of_stays_asked_for_and_heard():
    h = Harness([HEARTBEAT, frame("v2.topic.b", {"n": 1})])
    h.calls.rejected = {"v2.topic.b": Refusal("v2.topic.b", "Unknown")}
    await h.run()
    assert h.problems == [
        (
            "subscription_unknown",
            "the service did not say whether 1 of 2 topic(s) were taken (first: v2.topic.b); they stay asked "
            "for, and polling covers them",
        )
    ]
    assert h.events == [("v2.topic.b", {"n": 1})]


async def test_a_rejected_topic_is_left_out_until_its_wait_is_over_and_named_again_if_it_is_still_refused():
    def new_entity() -> None:
        h.channel.set_topics(["v2.topic.a", "v2.topic.b", "v2.topic.c"])

    h = Harness([Silent(299), new_entity, Silent(1), Silent(1)], heartbeat_timeout=1e6)
    h.calls.rejected = {"v2.topic.b": Refusal("v2.topic.b", "Rejected")}
    await h.run()
    asked = [(round(when - 1000.0, 3), topics) for when, _, topics in h.calls.subscriptions]
    assert asked == [
        (0.0, ["v2.topic.a", "v2.topic.b"]),
        (299.0, ["v2.topic.a", "v2.topic.c"]),
        (300.0, ["v2.topic.a", "v2.topic.b", "v2.topic.c"]),
    ]
    assert h.kinds() == ["subscription_partial"]  # still refused at 300 s: not named again


async def test_a_rejected_topic_no_longer_wanted_is_forgotten():
    def fewer() -> None:
        h.channel.set_topics(["v2.topic.a"])

    def again() -> None:
        h.channel.set_topics(["v2.topic.a", "v2.topic.b"])

    h = Harness([Silent(10), fewer, Silent(10), again, Silent(10)], heartbeat_timeout=1e6)
    h.calls.rejected = {"v2.topic.b": Refusal("v2.topic.b", "Rejected")}
    await h.run()
    asked = [(round(when - 1000.0, 3), topics) for when, _, topics in h.calls.subscriptions]
    assert asked == [
        (0.0, ["v2.topic.a", "v2.topic.b"]),
        (10.0, ["v2.topic.a"]),
        (20.0, ["v2.topic.a", "v2.topic.b"]),  # wanted anew: asked for at once
    ]
    assert h.kinds() == ["subscription_partial", "subscription_partial"]  # refused anew: named anew


async def test_topics_set_while_a_subscription_is_out_are_asked_for_next():
    h = Harness([HEARTBEAT, Silent(3)], heartbeat_timeout=1e6)
    original = h.calls.subscribe

    async def subscribe(channel_id: str, topics: list[str], permission: str | None) -> Any:
        if len(h.calls.subscriptions) == 0:
            h.channel.set_topics(["v2.topic.a", "v2.topic.c"])  # while the first request is out
        return await original(channel_id, topics, permission)

    h.calls.subscribe = subscribe  # type: ignore[method-assign]
    await h.run()
    assert [topics for _, _, topics in h.calls.subscriptions] == [
        ["v2.topic.a", "v2.topic.b"],
        ["v2.topic.a", "v2.topic.c"],
    ]


async def test_what_a_failed_resubscription_says_and_when_it_is_tried_again():
    def new_entity() -> None:
        h.calls.subscribe_errors.append(ApiError("503 Service Unavailable", status_code=503))
        h.channel.set_topics(["v2.topic.a", "v2.topic.c"])

    h = Recorded([HEARTBEAT, new_entity, Silent(3)], heartbeat_timeout=1e6)
    await h.run()
    assert h.problems == [
        (
            "subscription_failed",
            "could not subscribe the channel again (503 Service Unavailable); the topics it lacks are polled, "
            "and it is tried again in 1 s",
        )
    ]
    assert [round(when - 1000.0, 3) for when, _, _ in h.calls.subscriptions] == [0.0, 0.0, 1.0]
    assert h.reads[:2] == [1.0, 1.0] and h.gaps == [OPENED, "the channel is subscribed again"]


async def test_a_resubscription_told_to_retry_at_once_waits_a_twentieth_of_a_second():
    def new_entity() -> None:
        limited = RateLimitedError("429", status_code=429)
        limited.retry_at = h.clock.now() - timedelta(seconds=1)
        h.calls.subscribe_errors.append(limited)
        h.channel.set_topics(["v2.topic.a", "v2.topic.c"])

    h = Recorded([HEARTBEAT, new_entity, Silent(1)], heartbeat_timeout=1e6)
    await h.run()
    assert h.problems[0][1].endswith("tried again in 0 s")
    assert [round(when - 1000.0, 3) for when, _, _ in h.calls.subscriptions] == [0.0, 0.0, 0.05]
    assert h.reads[:4] == [1.0, 1.0, 0.05, 1.0]  # the heartbeat, the step, the retry, then on


async def test_a_refused_resubscription_is_tried_again_after_refused_wait():
    def new_entity() -> None:
        h.calls.subscribe_errors.append(ApiError("400 Bad Request", status_code=400))
        h.channel.set_topics(["v2.topic.a", "v2.topic.c"])

    h = Harness([HEARTBEAT, new_entity, Silent(100)], heartbeat_timeout=1e6, refused_wait=60)
    await h.run()
    assert h.problems[0][1].endswith("tried again in 60 s")
    assert [round(when - 1000.0, 3) for when, _, _ in h.calls.subscriptions] == [0.0, 0.0, 60.0]


async def test_a_resubscription_answered_404_means_a_new_channel():
    def new_entity() -> None:
        h.calls.subscribe_errors.append(ApiError("404 Not Found", status_code=404))
        h.channel.set_topics(["v2.topic.a", "v2.topic.c"])

    h = Harness([HEARTBEAT, new_entity, Silent(3)], [HEARTBEAT])
    await h.run()
    said = "the channel is gone (its subscriptions answered 404)"
    assert h.problems == [("channel_gone", said)] and h.gaps == [OPENED, said, OPENED]
    assert [c for _, c in h.calls.created] == ["ch-1", "ch-2"]


async def test_a_subscription_answered_404_on_opening_means_a_new_channel():
    h = Harness([HEARTBEAT])
    h.calls.subscribe_errors.append(ApiError("404 Not Found", status_code=404))
    await h.run()
    assert h.problems == [("api", "could not open the notification channel: 404 Not Found")]
    assert [c for _, c in h.calls.created] == ["ch-1", "ch-2"]


async def test_a_subscription_failing_otherwise_on_opening_keeps_its_channel():
    h = Harness([HEARTBEAT])
    h.calls.subscribe_errors.append(ApiError("500", status_code=500))
    await h.run()
    assert [c for _, c in h.calls.created] == ["ch-1"] and [c for _, c, _ in h.calls.subscriptions] == [
        "ch-1"
    ] * 2


# -- reading -------------------------------------------------------------------------------------------------------
async def test_reads_wait_a_second_at_most_and_no_longer_than_the_next_ping_or_the_heartbeat():
    h = Recorded([Silent(4.6), Silent(10)])
    await h.run()
    assert h.reads == [1.0, 1.0, 1.0, 1.0, 1.0, 0.4, 1.0, 1.0, 1.0, 1.0, 1.0]
    assert [(round(when - 1000.0, 6), text) for when, text in h.sockets[0].sent] == [(5.0, PING)]
    assert ("heartbeat_lost", "no heartbeat for 10 s: the socket is taken for dead") in h.problems


async def test_a_short_heartbeat_timeout_shortens_the_reads():
    h = Recorded([Silent(2)], heartbeat_timeout=1.5)
    await h.run()
    assert h.reads == [0.75, 0.75] and [round(w - 1000.0, 6) for w, _ in h.sockets[0].sent] == [0.75]
    assert h.problems[0] == ("heartbeat_lost", "no heartbeat for 2 s: the socket is taken for dead")


async def test_a_read_never_waits_less_than_a_twentieth_of_a_second():
    h = Recorded([Silent(0.2)], heartbeat_timeout=0.04)
    await h.run()
    assert h.reads[0] == 0.05


async def test_a_channel_is_kept_a_fifth_of_its_life_ahead_when_that_is_shorter_than_the_margin():
    h = Harness([Silent(170)], heartbeat_timeout=1e6)
    h.calls.lifetime = 100.0
    await h.run()
    assert [round(when - 1000.0, 3) for when, _, _ in h.calls.subscriptions] == [0.0, 80.0, 160.0]
    assert len(h.calls.created) == 1


async def test_a_channel_is_kept_a_second_ahead_at_least():
    h = Harness([Silent(4.5)], heartbeat_timeout=1e6)
    h.calls.lifetime = 3.0
    await h.run()
    assert [round(when - 1000.0, 3) for when, _, _ in h.calls.subscriptions] == [0.0, 2.0, 4.0]


async def test_a_channel_without_an_expiry_is_never_kept_by_subscribing_again():
    h = Harness([Silent(5000)], heartbeat_timeout=1e6)
    original = h.calls.create

    async def create() -> Channel:
        made = await original()
        return Channel(made.id, made.uri, None)

    h.calls.create = create  # type: ignore[method-assign]
    await h.run()
    assert (
        len(h.calls.subscriptions) == 1
        and h.channel.channel is not None
        and h.channel.channel.expires is None
    )


async def test_a_token_due_already_or_now_renews_nothing():
    for due in (990.0, 1000.0):
        h = Harness([Silent(50)], heartbeat_timeout=1e6)
        # as the token says it, not as the fake would move it on when a channel is made (a new token)
        h.calls.token_renew_at = lambda due=due: due  # type: ignore[method-assign]
        await h.run()
        assert len(h.calls.created) == 1


async def test_a_renewal_opens_at_once_and_says_nothing():
    h = Harness([Silent(50)], [HEARTBEAT], heartbeat_timeout=1e6)
    h.calls.renew_at = 1030.0
    await h.run()
    assert h.problems == [] and h.waits == [] and h.gaps == [OPENED, OPENED]
    assert [round(when - 1000.0, 3) for when, _ in h.calls.created] == [0.0, 30.0]


async def test_a_renewal_that_cannot_open_closes_the_old_socket_too():
    def fail_next() -> None:
        h.calls.create_errors.append(NetworkError("down"))

    h = Harness([fail_next, Silent(50)], [HEARTBEAT], heartbeat_timeout=1e6)
    h.calls.renew_at = 1030.0
    await h.run()
    first = h.sockets[0]
    assert first.closed_at == pytest.approx(1030.0) and h.problems == [
        ("network", "could not open the notification channel: down")
    ]
    assert [c for _, c in h.calls.created] == ["ch-1", "ch-2"] and h.waits == [1.0]


@pytest.mark.parametrize(("held", "said"), [(19, False), (None, False), (20, True), (21, True)])
async def test_a_client_holding_twenty_channels_is_told_a_new_one_closes_the_oldest(held, said):
    h = Harness([HEARTBEAT])
    h.calls.held = held
    await h.run()
    expected = (
        [
            (
                "channels_full",
                f"the OAuth client already holds {held} notification channels (Genesys allows 20): opening one "
                "closes the oldest — an idle one left by an earlier run, or another tool's that shares this "
                "OAuth client",
            )
        ]
        if said
        else []
    )
    assert h.problems == expected and len(h.calls.created) == 1


async def test_a_renewal_at_twenty_channels_says_its_old_channel_closed_first():
    h = Harness([Silent(50)], [HEARTBEAT], heartbeat_timeout=1e6)
    h.calls.renew_at = 1030.0
    h.calls.held = 20
    await h.run()
    assert h.gaps == [
        OPENED,
        "the old notification channel closed before its renewal (20 channels in use)",
        OPENED,
    ]
    assert h.problems == [
        (
            "channels_full",
            "the OAuth client already holds 20 notification channels (Genesys allows 20): opening one closes the "
            "oldest — an idle one left by an earlier run, or another tool's that shares this OAuth client",
        )
    ]  # the first channel: someone else's oldest goes; the renewal: only our own


async def test_a_channel_the_service_cannot_tell_about_is_kept():
    h = Harness([HEARTBEAT], [HEARTBEAT])
    h.connect_errors.append(OSError("refused"))

    async def exists(channel_id: str) -> bool | None:
        return None

    h.calls.exists = exists  # type: ignore[method-assign]
    await h.run()
    assert [c for _, c in h.calls.created] == ["ch-1"]


async def test_a_fault_of_ours_is_said_caught_up_and_retried():
    h = Harness([HEARTBEAT], [HEARTBEAT])
    original = h.connected
    faults = [RuntimeError("boom")]

    def connected(channel_id: str) -> None:
        if faults:
            raise faults.pop()
        original(channel_id)

    h.connected = connected  # type: ignore[method-assign]
    await h.run()
    assert h.problems == [("internal", "the notification channel failed: RuntimeError: boom")]
    assert h.gaps == ["the notification channel failed", OPENED] and h.waits == [1.0]
    assert h.sockets[0].closed_at == 1000.0 and h.opened == ["ch-1"]


async def test_stop_ends_the_run_and_closes_the_socket():
    h = Harness([HEARTBEAT, lambda: h.stop.set(), HEARTBEAT])
    await h.run()
    assert h.sockets[0].closed_at is not None and h.gaps == [OPENED] and h.problems == []


async def test_a_socket_that_worked_starts_the_backoff_afresh_and_one_that_did_not_does_not():
    h = Harness([Closed("1")], [Closed("2")], [HEARTBEAT, Closed("3")], [HEARTBEAT])
    await h.run()
    assert h.waits == [1.0, 2.0, 1.0]


async def test_a_channel_said_to_have_expired_already_is_not_subscribed_again_in_a_loop():
    h = Harness([HEARTBEAT, Silent(5)], heartbeat_timeout=1e6)
    h.calls.lifetime = -10.0
    await h.run()
    assert len(h.calls.subscriptions) == 1


async def test_a_channel_living_a_second_is_subscribed_again_every_half_second_not_in_a_loop():
    h = Harness([HEARTBEAT, Silent(2)], heartbeat_timeout=1e6)
    h.calls.lifetime = 1.0
    await h.run()
    assert [round(when - 1000.0, 3) for when, _, _ in h.calls.subscriptions] == [0.0, 0.5, 1.0, 1.5, 2.0]


async def test_a_rejection_names_its_topic_cut_at_120_and_its_permissions_cut_at_200():
    long_topic = "v2.topic." + "x" * 112  # 121 characters
    permission = "p" * 201
    h = Harness([HEARTBEAT], topics=[long_topic, "v2.topic.ok"])
    h.calls.rejected = {long_topic: Refusal(long_topic, "Rejected", missing=(permission,))}
    await h.run()
    assert h.problems == [
        (
            "subscription_partial",
            f"the channel took 1 of 2 topics; 1 were rejected (first: {long_topic[:119]}…; 1 need "
            f"{'p' * 199}…): those are polled only, and asked for again in 300 s",
        )
    ]


async def test_topics_changed_twice_on_a_working_channel_make_no_gap():
    def more(*topics: str) -> Any:
        return lambda: h.channel.set_topics(["v2.topic.a", "v2.topic.b", *topics])

    h = Harness([HEARTBEAT, more("v2.topic.c"), HEARTBEAT, more("v2.topic.c", "v2.topic.d"), HEARTBEAT])
    await h.run()
    assert [len(topics) for _, _, topics in h.calls.subscriptions] == [2, 3, 4]
    assert h.gaps == [OPENED] and h.problems == []  # nothing failed: nothing was missed


async def test_after_a_failed_connection_a_channel_is_forgotten_only_when_the_service_says_it_is_gone():
    h = Harness([])
    answers: list[bool | None] = [True, None, False]
    asked: list[str] = []

    async def exists(channel_id: str) -> bool | None:
        asked.append(channel_id)
        return answers.pop(0)

    h.calls.exists = exists  # type: ignore[method-assign]
    channel = Channel("ch-7", "ws://127.0.0.1:1/channels/ch-7", None)
    kept = []
    for _ in range(3):
        h.channel.channel = channel
        await h.channel._forget_if_gone()
        kept.append(h.channel.channel)
    assert kept == [channel, channel, None] and asked == ["ch-7", "ch-7", "ch-7"]


async def test_without_an_injected_sleep_a_pause_waits_on_the_loop_until_stopped():
    channel = NotificationChannel(None, None, api_url="http://x")  # type: ignore[arg-type]
    stop = asyncio.Event()
    pause = asyncio.ensure_future(channel._pause(stop, 3600.0))
    for _ in range(5):
        await asyncio.sleep(0)
    assert not pause.done()  # an hour's sleep, not over at once
    stop.set()
    await pause


# -- the real socket ---------------------------------------------------------------------------------------------
class Connection:
    """A ``websockets`` client connection, as :class:`_WebSocket` uses it."""

    def __init__(self) -> None:
        self.sent: list[str] = []
        self.closed = 0

    async def recv(self) -> str:
        return "a frame"

    async def send(self, text: str) -> None:
        self.sent.append(text)

    async def close(self) -> None:
        self.closed += 1


def timed_waits(monkeypatch: pytest.MonkeyPatch) -> list[float | None]:
    """Record the timeout of every ``asyncio.wait_for`` (which then waits as it would)."""
    timeouts: list[float | None] = []
    real = asyncio.wait_for

    async def wait_for(awaitable: Any, timeout: float | None) -> Any:
        timeouts.append(timeout)
        return await real(awaitable, timeout)

    monkeypatch.setattr(asyncio, "wait_for", wait_for)
    return timeouts


async def test_the_socket_reads_within_the_timeout_sends_the_text_and_closes_within_3_s(monkeypatch):
    timeouts = timed_waits(monkeypatch)
    connection = Connection()
    socket = _WebSocket(connection)
    assert await socket.recv(7.5) == "a frame"
    await socket.send('{"message": "ping"}')
    await socket.close()
    assert connection.sent == ['{"message": "ping"}'] and connection.closed == 1
    assert timeouts == [7.5, 3]


async def test_a_socket_opens_with_the_frame_limit_and_timeouts_and_tls_only_for_wss(monkeypatch):
    import websockets.asyncio.client

    timeouts = timed_waits(monkeypatch)
    opened: list[tuple[str, dict[str, Any]]] = []

    async def connect(uri: str, **options: Any) -> str:
        opened.append((uri, options))
        return f"connection to {uri}"

    monkeypatch.setattr(websockets.asyncio.client, "connect", connect)
    tls = ssl.create_default_context()
    socket = await websocket_connect("wss://h/x", max_frame=1024, timeout=5.0, tls=tls)
    await websocket_connect("ws://h/y", max_frame=1024, timeout=5.0, tls=tls)
    await websocket_connect("wss://h/z", max_frame=1024, timeout=5.0, tls=None)
    assert isinstance(socket, _WebSocket) and socket.conn == "connection to wss://h/x"
    common = {"max_size": 1024, "open_timeout": 5.0, "ping_interval": None, "close_timeout": 2}
    assert opened == [("wss://h/x", {**common, "ssl": tls}), ("ws://h/y", common), ("wss://h/z", common)]
    assert timeouts == [6.0, 6.0, 6.0]


# -- counts, the TLS context and edges of a channel's life ----------------------------------------------------------
async def test_the_sockets_opened_and_the_channels_created_are_counted():
    h = Harness([HEARTBEAT, Closed("1")], [HEARTBEAT, frame("v2.system.token_revoked")], [HEARTBEAT])
    await h.run()
    assert (h.channel.opened, h.channel.created) == (3, 2)  # a reconnection, then a new channel


async def test_every_socket_opens_with_the_tls_context_given():
    tls = ssl.create_default_context()
    h = Recorded([HEARTBEAT, Closed("1")], [HEARTBEAT], tls=tls)
    await h.run()
    assert [options["tls"] for _, options in h.connects] == [tls, tls]


async def test_after_a_failed_open_at_twenty_channels_no_renewal_is_taken_to_be_under_way():
    h = Harness([HEARTBEAT])
    h.calls.held = 20
    h.calls.create_errors.append(NetworkError("down"))
    await h.run()
    assert h.kinds() == ["channels_full", "network"]
    assert h.gaps == [OPENED]  # no old channel of ours was closed to make room


async def test_a_channel_said_to_expire_as_it_is_made_is_not_subscribed_again_in_a_loop():
    h = Harness([HEARTBEAT, Silent(5)], heartbeat_timeout=1e6)
    h.calls.lifetime = 0.0
    original = h.calls.subscribe

    async def subscribe(channel_id: str, topics: list[str], permission: str | None) -> Any:
        if len(h.calls.subscriptions) >= 3:
            h.stop.set()  # a loop is cut short here, not waited out
        return await original(channel_id, topics, permission)

    h.calls.subscribe = subscribe  # type: ignore[method-assign]
    await h.run()
    assert len(h.calls.subscriptions) == 1


async def test_topics_changed_and_changed_back_before_the_next_subscription_ask_for_nothing():
    def there_and_back() -> None:
        h.channel.set_topics(["v2.topic.a", "v2.topic.b", "v2.topic.c"])
        h.channel.set_topics(["v2.topic.a", "v2.topic.b"])

    h = Harness([HEARTBEAT, there_and_back, HEARTBEAT, Silent(3), HEARTBEAT])
    await h.run()
    assert [topics for _, _, topics in h.calls.subscriptions] == [["v2.topic.a", "v2.topic.b"]]


async def test_a_long_topic_the_service_says_nothing_of_is_named_cut_at_120():
    long_topic = "v2.topic." + "x" * 112  # 121 characters
    h = Harness([HEARTBEAT], topics=[long_topic])
    h.calls.rejected = {long_topic: Refusal(long_topic, "Unknown")}
    await h.run()
    assert h.problems == [
        (
            "subscription_unknown",
            f"the service did not say whether 1 of 1 topic(s) were taken (first: {long_topic[:119]}…); they stay "
            "asked for, and polling covers them",
        )
    ]


async def test_faults_of_ours_in_a_row_back_off_further_each_time():
    h = Harness([HEARTBEAT], [HEARTBEAT], [HEARTBEAT])
    original = h.connected
    faults = [RuntimeError("boom"), RuntimeError("boom")]

    def connected(channel_id: str) -> None:
        if faults:
            raise faults.pop()
        original(channel_id)

    h.connected = connected  # type: ignore[method-assign]
    await h.run()
    assert h.waits == [1.0, 2.0]


async def test_a_run_that_ends_closes_a_renewals_old_socket_and_a_later_run_has_no_renewal_under_way():
    h = Harness([HEARTBEAT])
    old = FakeSocket(h, [])
    h.channel._retiring = old  # type: ignore[assignment]
    h.stop.set()
    await h.run()
    assert old.closed_at == 1000.0 and h.calls.created == []
    h.stop.clear()
    h.calls.held = 20
    await h.run()
    assert h.kinds() == ["channels_full"] and h.gaps == [OPENED]  # no old channel of ours closed to make room


async def test_a_ping_that_cannot_be_sent_is_no_fault():
    def break_send() -> None:
        async def send(text: str) -> None:
            raise OSError("broken pipe")

        h.sockets[0].send = send  # type: ignore[method-assign]

    h = Harness([HEARTBEAT, break_send, Silent(6), HEARTBEAT])
    await h.run()
    assert h.problems == [] and len(h.sockets) == 1 and h.gaps == [OPENED]


async def test_a_frame_arms_the_ping_again():
    h = Harness([HEARTBEAT, Silent(6), HEARTBEAT, Silent(6), HEARTBEAT])
    await h.run()
    assert [round(when - 1000.0, 6) for when, _ in h.sockets[0].sent] == [5.0, 11.0]


async def test_a_read_waits_no_longer_than_the_next_reask_or_token_renewal():
    h = Recorded([HEARTBEAT], refused_wait=0.5)
    h.calls.rejected = {"v2.topic.b": Refusal("v2.topic.b", "Rejected")}
    await h.run()
    assert h.reads[0] == 0.5
    h = Recorded([Silent(1)], [HEARTBEAT])
    h.calls.token_renew_at = lambda: 1000.25  # type: ignore[method-assign]
    await h.run()
    assert h.reads[0] == 0.25


def test_no_topics_for_a_channel_that_had_none_is_no_change():
    channel = NotificationChannel(None, None, api_url="http://x")  # type: ignore[arg-type]
    channel.set_topics([])
    assert channel.topics == () and not channel._topics_changed.is_set()  # nothing to wake the run for


def recorded_with_defaults(*scripts: list[Any], **options: Any) -> Recorded:
    """A recorded harness whose channel has the defaults but for the test's ``options``."""
    h = Recorded(*scripts)
    h.channel = NotificationChannel(
        h.calls, h, api_url="http://127.0.0.1:1", clock=h.clock, sleep=h.sleep, connect=h.connect, **options
    )
    h.channel.set_topics(["v2.topic.a", "v2.topic.b"])
    return h


async def test_by_default_a_channel_is_kept_alive_300_s_before_it_expires():
    h = recorded_with_defaults([HEARTBEAT, Silent(3400)], heartbeat_timeout=1e6)
    await h.run()
    assert [round(when - 1000.0, 3) for when, _, _ in h.calls.subscriptions] == [
        0.0,
        3300.0,
    ]  # an hour's life


async def test_by_default_a_rejected_topic_is_asked_for_again_after_300_s():
    h = recorded_with_defaults([HEARTBEAT, Silent(400)], heartbeat_timeout=1e6)
    h.calls.rejected = {"v2.topic.b": Refusal("v2.topic.b", "Rejected")}
    await h.run()
    assert [round(when - 1000.0, 3) for when, _, _ in h.calls.subscriptions] == [0.0, 300.0]
    assert h.problems[0][1].endswith("asked for again in 300 s")
