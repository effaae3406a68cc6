"""The org's own health: the edges, trunks and queues sources over real HTTP, and Genesys' notification channel
over a real WebSocket against the simulator, with every channel fault."""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest

from tests.conftest import delivered, run_cli
from tests.org_harness import (
    CREDS,
    connected,
    events,
    health_requests,
    listening,
    observed,
    org_monitor,
    org_sim,
    until,
)
from tui_health.genesys.notifications import MAX_TOPICS, split_topics
from tui_health.model.domain import EventType, Status
from tui_health.monitor.push import SETTLE
from tui_health.simulator import Scenario


# -- the sources, polled ----------------------------------------------------------------------------------
async def test_edges_trunks_and_queues_are_components_with_their_kind(start_sim, tmp_path):
    sim = org_sim(start_sim)
    sim.org.apply("edge", "edge-2", {"online": False}, publish=False)
    sim.org.edges["edge-1"].status_code = "INACTIVE"
    sim.org.apply("trunk", "trunk-1-2", {"in_service": False, "connected": False}, publish=False)
    sim.org.apply("trunk", "trunk-2-1", {"connected": False}, publish=False)
    sim.org.apply("queue", "queue-1", {"waiting": 12}, publish=False)  # more than max_waiting 10
    sim.org.apply("queue", "queue-2", {"waiting": 1, "on_queue": 0}, publish=False)  # callers, nobody there
    async with org_monitor(sim, tmp_path, **{"push.enabled": False}) as monitor:
        state = await monitor.poll()
    got = {c.id: (str(c.status), c.kind) for c in state.components}
    assert got == {
        "edge:edge-1": ("maintenance", "edge"),  # taken out of service by the org
        "edge:edge-2": ("down", "edge"),  # OFFLINE
        "trunk:trunk-1-1": ("healthy", "trunk"),
        "trunk:trunk-1-2": ("maintenance", "trunk"),  # out of service: its disconnection pages nobody
        "trunk:trunk-2-1": ("down", "trunk"),
        "trunk:trunk-2-2": ("healthy", "trunk"),
        "queue:queue-1": ("degraded", "queue"),
        "queue:queue-2": ("down", "queue"),
        "queue:queue-3": ("healthy", "queue"),
    }
    names = {c.id: c.name for c in state.components}
    assert names["queue:queue-1"] == "Support" and names["trunk:trunk-2-1"] == "Carrier a via edge 2"
    queue = next(c for c in state.components if c.id == "queue:queue-2")
    assert queue.details == {
        "waiting": 1,
        "waiting_by_media": "voice 1",
        "interacting": 0,
        "on_queue": 0,
        "max_waiting": 10,
        "min_on_queue": 1,
    }


async def test_trunks_are_read_over_every_page(start_sim, tmp_path):
    sim = org_sim(start_sim, org={"edges": 3, "trunks_per_edge": 3})
    async with org_monitor(sim, tmp_path, ("trunks",), **{"push.enabled": False, "trunks.page_size": 2}) as m:
        state = await m.poll()
    assert len(state.components) == 9
    assert health_requests(sim, "/api/v2/telephony/providers/edges/trunks") == 5  # ceil(9 / 2) pages


async def test_queue_thresholds_by_queue_and_by_default(start_sim, tmp_path):
    sim = org_sim(start_sim)
    for queue in ("queue-1", "queue-2"):
        sim.org.apply("queue", queue, {"waiting": 4}, publish=False)
    flags = {
        "push.enabled": False,
        "queues.names": ["Support", "Sales"],
        "queues.max_waiting": 5,
        "queues.thresholds": {"Sales": {"max_waiting": 3}},
    }
    async with org_monitor(sim, tmp_path, ("queues",), **flags) as monitor:
        state = await monitor.poll()
    assert {c.name: str(c.status) for c in state.components} == {"Support": "healthy", "Sales": "degraded"}


async def test_queues_matching_nothing_fail_instead_of_saying_ok(start_sim, tmp_path):
    sim = org_sim(start_sim)
    async with org_monitor(
        sim, tmp_path, ("queues",), **{"push.enabled": False, "queues.names": ["Nope*"]}
    ) as m:
        await m.poll()
    source = m.last_snapshot.sources[0]
    assert not source.ok and source.error_kind == "empty" and "matches" in (source.error or "")


async def test_a_403_names_the_permission_the_source_needs(start_sim, tmp_path):
    sim = org_sim(start_sim, faults=[{"kind": "forbidden", "target": "edges"}])
    async with org_monitor(sim, tmp_path, ("edges",), **{"push.enabled": False}) as monitor:
        await monitor.poll()
    source = monitor.last_snapshot.sources[0]
    assert not source.ok and "telephony:plugin:all" in (source.error or "")


async def test_an_org_without_edges_says_so_once_and_pages_nobody(start_sim, tmp_path):
    sim = start_sim(Scenario.model_validate({"org": {"edges": 0}}))
    async with org_monitor(sim, tmp_path, ("edges",), **{"push.enabled": False}) as monitor:
        first = await monitor.poll()
        await monitor.poll()
    source = monitor.last_snapshot.sources[0]
    assert source.ok and first.components == ()
    assert events(monitor, EventType.SOURCE_NOTE) == [
        "edges: no Edges in this org (cloud-only telephony): nothing to watch here"
    ]
    assert not first.breached and events(monitor, EventType.POLL_FAILED) == []


def test_once_json_carries_the_kind_and_the_note(start_sim):
    sim = start_sim(Scenario.model_validate({"org": {"edges": 0, "queues": 1}}))
    proc = run_cli(
        "--once", "--format", "json", "--api-url", sim.url, "--login-url", sim.url,
        "--source", "edges", "--source", "queues",
        env=CREDS,
        extra_config='[queues]\nnames = ["*"]\n',
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    document = json.loads(proc.stdout)
    assert [(c["id"], c["kind"]) for c in document["components"]] == [("queue:queue-1", "queue")]
    notes = [s.get("note") for s in document["sources"] if s["name"] == "edges"]
    assert notes == ["no Edges in this org (cloud-only telephony): nothing to watch here"]


# -- pushed changes ---------------------------------------------------------------------------------------
async def test_a_pushed_trunk_drop_is_seen_without_a_poll_and_alerted(start_sim, tmp_path):
    sim = org_sim(start_sim)
    hooks = {"alerts.sinks": [{"type": "webhook", "url": f"{sim.url}/hooks/push"}]}
    async with org_monitor(sim, tmp_path, **hooks) as monitor:
        await listening(monitor, sim)
        await until(lambda: monitor.push.gaps >= 1 and not monitor.push.busy, "the first catch-up")
        polls = health_requests(sim, "/api/v2/telephony/providers/edges/trunks")
        sim.org.apply("trunk", "trunk-2-2", {"connected": False})
        await until(lambda: observed(monitor, "trunk:trunk-2-2") is Status.DOWN, "the pushed drop")
        await until(lambda: delivered(sim, "trunk:trunk-2-2", "down"), "the alert")
        # seen by push: no request listed the trunks again
        assert health_requests(sim, "/api/v2/telephony/providers/edges/trunks") == polls
        assert monitor.tracker.polls == 1  # an observation of pushed news is not a poll
        sim.org.apply("queue", "queue-3", {"waiting": 30})
        await until(lambda: observed(monitor, "queue:queue-3") is Status.DEGRADED, "the pushed queue")


async def test_a_pushed_change_is_confirmed_when_its_flap_interval_is_up(start_sim, tmp_path):
    sim = org_sim(start_sim)
    async with org_monitor(sim, tmp_path, ("trunks",), **{"thresholds.flap_interval": 0.5}) as monitor:
        await listening(monitor, sim)
        sim.org.apply("trunk", "trunk-1-1", {"connected": False})
        await until(lambda: observed(monitor, "trunk:trunk-1-1") is Status.DOWN, "the pushed drop")
        assert monitor.engine.components["trunk:trunk-1-1"].confirmed is Status.HEALTHY  # pending
        await until(
            lambda: monitor.engine.components["trunk:trunk-1-1"].confirmed is Status.DOWN,
            "the confirmation without a poll (poll.interval is an hour)",
        )


async def test_a_gap_in_the_channel_is_caught_up_by_one_poll(start_sim, tmp_path):
    sim = org_sim(start_sim)
    async with org_monitor(sim, tmp_path, ("trunks",)) as monitor:
        await listening(monitor, sim)
        sim.org.apply("trunk", "trunk-1-2", {"connected": False}, publish=False)  # the channel never tells
        sim.channels.drop_all()
        await until(lambda: observed(monitor, "trunk:trunk-1-2") is Status.DOWN, "the catch-up poll")
        assert any("closed" in m for m in events(monitor, EventType.PUSH_FAILED))
        await until(lambda: monitor.push.channels[0].opened >= 2, "a new channel")


async def test_silence_is_not_trusted_heartbeats_stop_and_the_socket_is_replaced(start_sim, tmp_path):
    sim = org_sim(start_sim)
    async with org_monitor(sim, tmp_path, ("trunks",)) as monitor:
        await listening(monitor, sim)
        sim.channels.silence_all()
        sim.org.apply("trunk", "trunk-2-1", {"connected": False})  # pushed to a socket that says nothing
        await until(lambda: observed(monitor, "trunk:trunk-2-1") is Status.DOWN, "the catch-up poll")
        assert any("no heartbeat" in m for m in events(monitor, EventType.PUSH_FAILED))
        await until(lambda: monitor.push.channels[0].opened >= 2, "a new channel")


async def test_socket_closing_reconnects_to_the_same_channel(start_sim, tmp_path):
    sim = org_sim(start_sim)
    async with org_monitor(sim, tmp_path, ("trunks",)) as monitor:
        await listening(monitor, sim)
        sim.channels.closing_all()
        await until(lambda: monitor.push.channels[0].opened >= 2, "a new socket")
        assert any("closing" in m for m in events(monitor, EventType.PUSH_FAILED))
        assert monitor.push.channels[0].created == 1  # the same channel: reconnected, no slot spent
        await until(
            lambda: (
                sim.channels.sockets_opened >= 2
                and sim.channels.open_sockets() == 1
                and not monitor.push.busy
            ),
            "the new socket registered (the old one gone) and caught up",
        )
        sim.org.apply("trunk", "trunk-1-1", {"connected": False})
        await until(lambda: observed(monitor, "trunk:trunk-1-1") is Status.DOWN, "a push on the new channel")


async def test_a_channel_is_kept_past_its_expiry_by_subscribing_again(start_sim, tmp_path):
    sim = org_sim(start_sim, faults=[{"kind": "channel-expiry", "arg": "1.5", "target": "channels"}])
    async with org_monitor(sim, tmp_path, ("trunks",)) as monitor:
        await monitor.poll()
        await connected(monitor)
        channel = monitor.push.channels[0]
        ident = channel.channel.id
        await until(lambda: sim.channels.channels[ident].subscribed >= 4, "three extensions")
        assert channel.created == 1 and channel.opened == 1  # the same channel and socket all along
        assert events(monitor, EventType.PUSH_FAILED) == []
        sim.org.apply("trunk", "trunk-2-2", {"connected": False})
        await until(
            lambda: observed(monitor, "trunk:trunk-2-2") is Status.DOWN, "a push after its first expiry"
        )


async def test_malformed_frames_are_said_once_and_skipped(start_sim, tmp_path):
    sim = org_sim(start_sim)
    async with org_monitor(sim, tmp_path, ("trunks",)) as monitor:
        await listening(monitor, sim)
        for frame in ("{not json", json.dumps({"eventBody": {}}), "[1, 2]", json.dumps({"topicName": 7})):
            sim.channels.send_all(frame)
        sim.channels.send_all(json.dumps({"topicName": "v2.users.x.presence", "eventBody": {"id": "x"}}))
        sim.org.apply("trunk", "trunk-1-1", {"connected": False})  # the channel still works after them
        await until(lambda: observed(monitor, "trunk:trunk-1-1") is Status.DOWN, "the push after them")
        failed = events(monitor, EventType.PUSH_FAILED)
        assert sum("not JSON" in m or "no topicName" in m for m in failed) == 1  # said once, not per frame
        assert sum("never subscribed" in m for m in failed) == 1
        assert monitor.push.channels[0].opened == 1


async def test_a_huge_frame_closes_the_socket_and_a_poll_catches_up(start_sim, tmp_path):
    sim = org_sim(start_sim)
    async with org_monitor(sim, tmp_path, ("trunks",), **{"push.max_frame": 64 * 1024}) as monitor:
        await listening(monitor, sim)
        sim.org.apply("trunk", "trunk-1-1", {"connected": False}, publish=False)
        sim.channels.send_all("x" * (256 * 1024))
        await until(lambda: observed(monitor, "trunk:trunk-1-1") is Status.DOWN, "the catch-up poll")
        assert any("closed" in m for m in events(monitor, EventType.PUSH_FAILED))


async def test_a_refused_subscription_names_the_permission_and_polling_goes_on(start_sim, tmp_path):
    sim = org_sim(start_sim, faults=[{"kind": "forbidden", "target": "subscriptions"}])
    async with org_monitor(sim, tmp_path, ("trunks",)) as monitor:
        state = await monitor.poll()
        await until(lambda: events(monitor, EventType.PUSH_FAILED), "the refusal said")
        assert "telephony:plugin:all" in events(monitor, EventType.PUSH_FAILED)[0]
        assert len(state.components) == 4 and monitor.last_snapshot.sources[0].ok


async def test_channel_creation_429_is_retried_after_backoff(start_sim, tmp_path):
    sim = org_sim(
        start_sim, faults=[{"kind": "rate_limit", "target": "channels", "on": [1], "retry_after": 0}]
    )
    async with org_monitor(sim, tmp_path, ("trunks",), **{"poll.max_attempts": 1}) as monitor:
        await monitor.poll()
        await connected(monitor)
        assert any("429" in m or "rate" in m.lower() for m in events(monitor, EventType.PUSH_FAILED))
        assert sim.state.counts["channels"] >= 2


async def test_operational_events_are_pushed_and_make_the_source_query_at_once(start_sim, tmp_path):
    sim = org_sim(
        start_sim, operational_events=[{"at": 3600, "definition": "TELEPHONY-0010", "entity": "Carrier A"}]
    )
    flags = {"events.definitions": ["TELEPHONY-0010"]}
    async with org_monitor(sim, tmp_path, ("operational-events",), **flags) as monitor:
        await monitor.poll()
        await connected(monitor)
        await until(lambda: sim.channels.open_sockets() == 1, "the socket registered")
        source = monitor.push.sources[0]
        # the catalogue's parameter (operationalEventId) says neither org nor definition: both are asked for
        org = "0a7b3c5d-1e2f-4a6b-8c9d-0e1f2a3b4c5d"
        assert source.topics() == [f"v2.operations.events.{org}", "v2.operations.events.TELEPHONY-0010"]
        queries = health_requests(sim, "/api/v2/usage/events/query")
        sim.org.push_event(sim.state.scenario.operational_events[0])
        await until(
            lambda: health_requests(sim, "/api/v2/usage/events/query") > queries, "a query on the push"
        )


async def test_more_than_1000_topics_are_spread_over_channels(start_sim, tmp_path):
    sim = org_sim(start_sim, org={"edges": 300, "trunks_per_edge": 3})
    async with org_monitor(sim, tmp_path, ("edges", "trunks")) as monitor:
        await monitor.poll()
        await connected(monitor, channels=2)
        # an Edge has two topics (its state, its software updates), a trunk one: 600 + 900
        assert [len(c.topics) for c in monitor.push.channels] == [1000, 500]


def test_topics_split_at_1000_per_channel_and_20_channels():
    topics = [f"t.{i}" for i in range(25_000)]
    groups = split_topics(topics + topics[:10])
    assert len(groups) == 20 and all(len(g) == MAX_TOPICS for g in groups)


async def test_the_exporter_says_each_components_kind(start_sim, tmp_path):
    from prometheus_client.parser import text_string_to_metric_families

    from tui_health.serve.http import CollectorServer

    sim = org_sim(start_sim)
    async with org_monitor(sim, tmp_path, ("trunks",), **{"push.enabled": False}) as monitor:
        server = CollectorServer([monitor]).start()
        try:
            await monitor.poll()
            async with httpx.AsyncClient(base_url=server.url) as client:
                text = (await client.get("/metrics")).text
        finally:
            server.stop()
    info = [
        s
        for family in text_string_to_metric_families(text)
        for s in family.samples
        if s.name == "tui_health_component_info"
    ]
    assert {(s.labels["component"], s.labels["kind"]) for s in info} == {
        (f"trunk:trunk-{e}-{t}", "trunk") for e in (1, 2) for t in (1, 2)
    }


def test_the_simulators_control_route_changes_and_pushes(start_sim):
    sim = org_sim(start_sim)
    answer = httpx.post(
        f"{sim.url}/sim/org", json={"kind": "trunk", "id": "trunk-1-1", "fields": {"connected": False}}
    )
    assert answer.status_code == 200 and sim.org.trunks["trunk-1-1"].connected is False
    assert httpx.post(f"{sim.url}/sim/org", content=b"[").status_code == 400


async def test_the_console_filters_and_groups_by_kind(start_sim, tmp_path):
    from tui_health.tui.app import HealthApp
    from tui_health.tui.widgets.components_table import ComponentsTable

    sim = org_sim(start_sim)
    sim.org.apply("trunk", "trunk-2-2", {"connected": False}, publish=False)
    async with org_monitor(sim, tmp_path, **{"push.enabled": False}) as monitor:
        app = HealthApp(monitor, tick=0)
        async with app.run_test(size=(140, 40)) as pilot:
            await app.workers.wait_for_complete()
            await pilot.pause()
            table = app.query_one(ComponentsTable)
            assert "kind" in table.shown_columns
            kinds = []
            for _ in range(4):
                await pilot.press("K")
                await pilot.pause()
                kinds.append(sorted({c.kind for c in table._views}))
            assert kinds == [["edge"], ["queue"], ["trunk"], ["edge", "queue", "trunk"]]
            assert table._views[0].id == "trunk:trunk-2-2"  # worst first
            await pilot.press("greater_than_sign")  # status → kind (target is skipped: one target)
            await pilot.pause()
            assert [c.kind for c in table._views] == ["edge"] * 2 + ["queue"] * 3 + ["trunk"] * 4
            assert table._views[5].id == "trunk:trunk-2-2"  # the down trunk first among the trunks


# -- Genesys as it answers, over real HTTP and WebSocket ----------------------------------------------------
async def test_cloud_media_edges_and_phone_trunks_are_not_watched(start_sim, tmp_path):
    sim = org_sim(start_sim)  # two cloud media Edges (one OFFLINE) and a disconnected WebRTC phone trunk
    async with org_monitor(sim, tmp_path, ("edges", "trunks"), **{"push.enabled": False}) as monitor:
        state = await monitor.poll()
    ids = {c.id for c in state.components}
    assert not any(i.startswith("edge:cdm") for i in ids) and "trunk:trunk-phone" not in ids
    assert {c.status for c in state.components} == {Status.HEALTHY}
    asked = [p for _, p, _ in list(sim.state.log) if "/providers/edges" in p]
    assert any("showCloudMedia=false" in p for p in asked) and any("trunkType=EXTERNAL" in p for p in asked)
    async with org_monitor(
        sim, tmp_path, ("trunks",), **{"push.enabled": False, "trunks.types": "EXTERNAL,PHONE"}
    ) as m:
        wide = await m.poll()
    assert next(c for c in wide.components if c.id == "trunk:trunk-phone").status is Status.DOWN


async def test_a_cloud_only_org_has_no_edges_to_watch(start_sim, tmp_path):
    sim = org_sim(start_sim, org={"edges": 0, "queues": 1})  # Genesys still lists its cloud media Edges
    async with org_monitor(sim, tmp_path, ("edges",), **{"push.enabled": False}) as monitor:
        state = await monitor.poll()
    assert state.components == () and state.sources[0].extras.note.startswith("no Edges in this org")


async def test_every_queue_of_a_large_query_gets_its_combined_figures(start_sim, tmp_path):
    sim = org_sim(start_sim, org={"edges": 0, "queues": 105})
    for q in (1, 60, 105):
        sim.org.apply("queue", f"queue-{q}", {"waiting": 3, "media": "chat"}, publish=False)
        sim.org.apply("queue", f"queue-{q}", {"waiting": 9, "media": "voice"}, publish=False)
    async with org_monitor(sim, tmp_path, ("queues",), **{"push.enabled": False}) as monitor:
        state = await monitor.poll()
    assert len(state.components) == 105 and all(c.status is not Status.UNKNOWN for c in state.components)
    assert health_requests(sim, "/api/v2/analytics/queues/observations/query") == 2  # 100 queues a query
    busy = {c.id: c for c in state.components if c.status is Status.DEGRADED}
    assert set(busy) == {"queue:queue-1", "queue:queue-60", "queue:queue-105"}  # 12 waiting over two media
    assert busy["queue:queue-60"].details["waiting"] == 12
    assert busy["queue:queue-60"].details["waiting_by_media"] == "chat 3, voice 9"
    assert busy["queue:queue-60"].details["on_queue"] == 3


async def test_a_pushed_queue_group_is_merged_with_the_polled_agents(start_sim, tmp_path):
    sim = org_sim(start_sim)
    sim.org.apply("queue", "queue-2", {"waiting": 4, "media": "email"}, publish=False)
    async with org_monitor(sim, tmp_path, ("queues",)) as monitor:
        await listening(monitor, sim)
        sim.org.apply(
            "queue", "queue-2", {"waiting": 8, "media": "voice"}
        )  # one voice frame, counts as floats
        await until(lambda: observed(monitor, "queue:queue-2") is Status.DEGRADED, "the pushed voice group")
        details = monitor.components["queue:queue-2"].details
        assert (
            details["waiting"] == 12 and details["on_queue"] == 3
        )  # email polled + voice pushed; agents polled
        sim.org.apply("queue", "queue-2", {"on_queue": 0})  # the agents' frame
        await until(lambda: observed(monitor, "queue:queue-2") is Status.DOWN, "the pushed agents group")
        assert monitor.components["queue:queue-2"].details["waiting"] == 12


async def test_a_pushed_edge_change_is_timed_from_its_arrival(start_sim, tmp_path):
    sim = org_sim(start_sim)
    async with org_monitor(sim, tmp_path, ("edges",)) as monitor:
        await listening(monitor, sim)
        sim.org.apply("edge", "edge-1", {"online": False})
        await until(lambda: observed(monitor, "edge:edge-1") is Status.DOWN, "the pushed Edge")
        await until(lambda: events(monitor, EventType.COMPONENT_HEALTH_CHANGE), "the change audited")
        message = events(monitor, EventType.COMPONENT_HEALTH_CHANGE)[-1]
        assert "timed from the frame's arrival" in message and "s after it happened" not in message


async def test_an_edge_sent_for_repair_or_updating_pages_nobody(start_sim, tmp_path):
    sim = org_sim(start_sim)
    sim.org.apply("edge", "edge-1", {"online": False, "status_code": "RMA"}, publish=False)
    async with org_monitor(sim, tmp_path, ("edges",)) as monitor:
        await listening(monitor, sim)
        assert observed(monitor, "edge:edge-1") is Status.MAINTENANCE
        sim.org.apply("edge", "edge-2", {"update": "IN_PROGRESS"})  # the softwareupdate topic
        await until(lambda: observed(monitor, "edge:edge-2") is Status.MAINTENANCE, "the pushed update")
        sim.org.apply("edge", "edge-2", {"online": False})  # its reboot
        sim.org.apply("edge", "edge-2", {"update": "FAILED", "online": True})
        await until(lambda: observed(monitor, "edge:edge-2") is Status.DEGRADED, "the failed update")
        assert monitor.components["edge:edge-2"].details["reason"] == "software update FAILED"


async def test_a_trunks_failing_proxies_are_pushed_and_named(start_sim, tmp_path):
    sim = org_sim(start_sim)
    async with org_monitor(sim, tmp_path, ("trunks",)) as monitor:
        await listening(monitor, sim)
        sim.org.apply("trunk", "trunk-1-1", {"proxies_failing": 1})
        await until(lambda: observed(monitor, "trunk:trunk-1-1") is Status.DEGRADED, "one proxy failing")
        assert monitor.components["trunk:trunk-1-1"].details["failing_proxies"] == [
            "198.51.100.20:5061 (No response to SIP OPTIONS)"
        ]
        sim.org.apply("trunk", "trunk-1-1", {"proxies_failing": 2})  # still connected: down all the same
        await until(lambda: observed(monitor, "trunk:trunk-1-1") is Status.DOWN, "every proxy failing")


async def test_a_rejected_topic_is_polled_only_and_the_others_keep_pushing(start_sim, tmp_path):
    sim = org_sim(
        start_sim,
        faults=[{"kind": "reject-topics", "arg": "v2.analytics.queues.", "target": "subscriptions"}],
    )
    async with org_monitor(sim, tmp_path, ("trunks", "queues")) as monitor:
        await listening(monitor, sim)
        asked = [p for m, p, _ in list(sim.state.log) if m == "PUT" and "subscriptions" in p]
        assert asked and all("ignoreErrors=true" in p for p in asked)
        failed = events(monitor, EventType.PUSH_FAILED)
        assert sum("rejected" in m for m in failed) == 1
        assert "analytics:queueObservation:view" in next(m for m in failed if "rejected" in m)
        sim.org.apply("trunk", "trunk-1-1", {"connected": False})
        await until(lambda: observed(monitor, "trunk:trunk-1-1") is Status.DOWN, "the trunk still pushed")
        assert monitor.push.channels[0].created == 1  # no channel rebuilt for a rejected topic


@pytest.mark.parametrize(
    ("fault", "new_channel"),
    [("no-longer-subscribed", False), ("token-revoked", True), ("channel-gone", True)],
)
async def test_what_the_service_says_on_the_socket_is_acted_on_and_caught_up(
    start_sim, tmp_path, fault, new_channel
):
    sim = org_sim(start_sim, faults=[{"kind": fault, "arg": "0.3", "target": "socket", "on": [1]}])
    async with org_monitor(sim, tmp_path, ("trunks",)) as monitor:
        await monitor.poll()
        await connected(monitor)
        channel = monitor.push.channels[0]
        first = channel.channel.id
        await until(lambda: monitor.push.gaps >= 2, "the catch-up after the notice")
        sockets = (
            2 if new_channel else 1
        )  # a new channel has a new socket; subscribing again keeps the old one
        await until(
            lambda: sim.channels.sockets_opened >= sockets and sim.channels.open_sockets() == 1,
            "one socket, live",
        )
        await until(lambda: channel.channel is not None, "a channel again")
        assert (channel.channel.id != first) is new_channel
        await until(lambda: not monitor.push.busy, "the catch-up done")
        sim.org.apply("trunk", "trunk-2-2", {"connected": False})
        await until(lambda: observed(monitor, "trunk:trunk-2-2") is Status.DOWN, "pushed again")


async def test_the_catalogue_is_read_at_start_and_a_topic_not_offered_is_not_asked_for(start_sim, tmp_path):
    sim = org_sim(start_sim)
    async with org_monitor(sim, tmp_path, ("edges",)) as monitor:
        await listening(monitor, sim)
        asked = [p for _, p, _ in list(sim.state.log) if "availabletopics" in p]
        assert len(asked) == 1 and "topicParameters" in asked[0] and "requiresPermissions" in asked[0]
        assert monitor.push.catalogue.info("v2.telephony.providers.edges.edge-1") is not None
        offered = monitor.push.channels[0].topics
        assert "v2.telephony.providers.edges.edge-1.softwareupdate" in offered


async def test_a_listing_that_repeats_an_id_keeps_the_worse_and_says_so(start_sim, tmp_path):
    sim = org_sim(start_sim, faults=[{"kind": "duplicate-entity", "target": "trunks"}])
    async with org_monitor(sim, tmp_path, ("trunks",), **{"push.enabled": False, "trunks.page_size": 2}) as m:
        state = await m.poll()
        issues = events(m, EventType.SCHEMA_VALIDATION_ERROR)
    first = state.components[0]
    assert first.status is Status.DOWN  # listed down on page 1 and healthy on the last: not the last silently
    assert any("listed twice" in i and "kept down" in i for i in issues)
    assert health_requests(sim, "/api/v2/telephony/providers/edges/trunks") > 4  # walked twice


async def test_a_page_count_short_of_the_total_drops_nothing(start_sim, tmp_path):
    sim = org_sim(
        start_sim,
        org={"edges": 3, "trunks_per_edge": 3},
        faults=[{"kind": "short-page-count", "target": "trunks"}],
    )
    async with org_monitor(sim, tmp_path, ("trunks",), **{"push.enabled": False, "trunks.page_size": 2}) as m:
        state = await m.poll()
    assert len(state.components) == 9


# -- the push path's rules ------------------------------------------------------------------------------------
async def test_a_paused_monitor_observes_no_pushed_news(start_sim, tmp_path):
    sim = org_sim(start_sim)
    async with org_monitor(sim, tmp_path, ("trunks",)) as monitor:
        await listening(monitor, sim)
        monitor.pause()
        heard = monitor.push.events
        sim.org.apply("trunk", "trunk-1-1", {"connected": False})
        await until(lambda: monitor.push.events > heard, "the push heard by the source")
        await until(lambda: not monitor.push.busy, "the observation skipped")
        assert observed(monitor, "trunk:trunk-1-1") is Status.HEALTHY  # paused: nothing observed
        monitor.resume()
        await monitor.poll()
        assert observed(monitor, "trunk:trunk-1-1") is Status.DOWN


async def test_pushed_changes_are_confirmed_when_the_earliest_pending_one_is_due(start_sim, tmp_path):
    sim = org_sim(start_sim)
    async with org_monitor(sim, tmp_path, ("trunks",), **{"thresholds.flap_interval": 30}) as monitor:
        await listening(monitor, sim)
        tracked = monitor.engine.components
        sim.org.apply("trunk", "trunk-1-1", {"connected": False})
        await until(lambda: tracked["trunk:trunk-1-1"].pending_mono is not None, "the first push pending")
        tracked["trunk:trunk-1-1"].pending_mono -= 20  # pending for 20 s already
        sim.org.apply("trunk", "trunk-2-1", {"connected": False})
        await until(lambda: tracked["trunk:trunk-2-1"].pending_mono is not None, "the second push pending")
        await until(lambda: not monitor.push.busy, "the observation done")
        handle = monitor.push._due
        assert handle is not None
        loop = asyncio.get_running_loop()
        earliest = min(t.pending_mono for t in monitor.engine.components.values() if t.pending_mono)
        expected = earliest + 30 - monitor.clock.monotonic() + SETTLE
        assert handle.when() - loop.time() == pytest.approx(expected, abs=0.3)  # about 10 s, not about 30


async def test_a_regular_poll_of_a_pushed_source_lists_again(start_sim, tmp_path):
    sim = org_sim(start_sim)
    async with org_monitor(sim, tmp_path, ("trunks",)) as monitor:
        await listening(monitor, sim)
        before = health_requests(sim, "/api/v2/telephony/providers/edges/trunks")
        sim.org.apply("trunk", "trunk-1-2", {"connected": False}, publish=False)
        await monitor.poll()  # a poll asks the API even though the source could answer from pushed news
        assert health_requests(sim, "/api/v2/telephony/providers/edges/trunks") == before + 1
        assert observed(monitor, "trunk:trunk-1-2") is Status.DOWN
