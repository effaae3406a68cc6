"""Each sink's exact JSON body and request."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from tui_health.alerts.sinks.alertmanager import AlertmanagerSink
from tui_health.alerts.sinks.base import AlertTarget, Firing
from tui_health.alerts.sinks.pagerduty import PagerDutySink
from tui_health.alerts.sinks.slack import SlackSink
from tui_health.alerts.sinks.webhook import WebhookSink
from tui_health.model.domain import AuditEvent, Severity

NOW = datetime(2026, 5, 4, 10, 0, 0, tzinfo=UTC)
ROUTING_KEY = "R0UT1NGKEY0123456789abcdefABCDEF"  # 32 characters, as PagerDuty's integration keys are
TARGET = AlertTarget(
    name="eu-central-1",
    key="3db84d51d73df6e9",
    region="eu-central-1",
    host="api.mypurecloud.de",
    link="https://status.mypurecloud.com",
    org="Acme Contact Centre",
)
NAMED = {
    "name": "eu-central-1",
    "key": "3db84d51d73df6e9",
    "region": "eu-central-1",
    "host": "api.mypurecloud.de",
    "org": "Acme Contact Centre",
    "link": "https://status.mypurecloud.com",
}
T = datetime(2026, 5, 4, 9, 59, 30, tzinfo=UTC)
BEGAN = datetime(2026, 5, 4, 9, 58, 0, tzinfo=UTC)  # when voice went down (confirmed 90 s later, at T)

DOWN = AuditEvent(
    timestamp=T,
    event_type="component_health_change",
    component_ids=("voice",),
    status="down",
    latency_ms=120.0,
    message="Voice is down (was healthy)",
    id="e-down",
    severity=Severity.CRITICAL,
    previous_status="healthy",
    poll_id="p1",
    source="health-api",
    name="Voice",
    since=BEGAN,
)
UP = AuditEvent(
    timestamp=T,
    event_type="component_health_change",
    component_ids=("voice",),
    status="healthy",
    latency_ms=120.0,
    message="Voice changed to healthy (was down)",
    id="e-up",
    severity=Severity.INFO,
    previous_status="down",
    poll_id="p2",
    source="health-api",
    name="Voice",
    since=T,
    previous_since=BEGAN,
)
BREACH = AuditEvent(
    timestamp=T,
    event_type="threshold_breach",
    component_ids=("voice",),
    status="breached",
    latency_ms=120.0,
    message="threshold breached: 1 down (min_down 1)",
    id="e-breach",
    severity=Severity.CRITICAL,
    poll_id="p1",
    reasons=("1 down (min_down 1)",),
    since=T,
)


def test_webhook_body_is_the_seeds_payload_with_a_stable_idempotency_key():
    sink = WebhookSink("hook", "https://alerts.example.com/in", "tok-123456", TARGET)
    [message] = sink.messages([DOWN, BREACH], NOW)
    assert message.body == {
        "source": "tui-health",
        "timestamp": "2026-05-04T10:00:00.000Z",
        "logs": [
            {
                "timestamp": "2026-05-04T09:59:30.000Z",
                "event_type": "component_health_change",
                "component_ids": ["voice"],
                "status": "down",
                "latency_ms": 120.0,
                "message": "Voice is down (was healthy)",
                "id": "e-down",
                "severity": "critical",
                "previous_status": "healthy",
                "poll_id": "p1",
                "source": "health-api",
                "name": "Voice",
                "since": "2026-05-04T09:58:00.000Z",
                "target": NAMED,
            },
            {
                "timestamp": "2026-05-04T09:59:30.000Z",
                "event_type": "threshold_breach",
                "component_ids": ["voice"],
                "status": "breached",
                "latency_ms": 120.0,
                "message": "threshold breached: 1 down (min_down 1)",
                "id": "e-breach",
                "severity": "critical",
                "poll_id": "p1",
                "reasons": ["1 down (min_down 1)"],
                "since": "2026-05-04T09:59:30.000Z",
                "target": NAMED,
            },
        ],
    }
    seed = ["timestamp", "event_type", "component_ids", "status", "latency_ms", "message"]
    assert list(message.body["logs"][0])[:6] == seed  # the seed's fields first, in its order
    assert message.key == sink.messages([DOWN, BREACH], NOW)[0].key  # same events, same key
    assert message.key != sink.messages([DOWN], NOW)[0].key
    url, headers, _ = sink.request(message.body, message.key)
    assert url == "https://alerts.example.com/in"
    assert headers == {"Idempotency-Key": message.key, "Authorization": "Bearer tok-123456"}
    assert "tok-123456" not in str(message.body)
    assert WebhookSink("hook", "https://x", None).request({}, "k")[1] == {"Idempotency-Key": "k"}


def test_slack_body_has_text_and_blocks_escaped():
    sink = SlackSink("slack", "https://hooks.slack.com/services/T/B/X", TARGET)
    odd = AuditEvent(
        timestamp=T,
        event_type="component_health_change",
        component_ids=("x",),
        status="degraded",
        message="<Chat & SMS> is degraded",
        id="e-odd",
        severity=Severity.WARNING,
    )
    [message] = sink.messages([DOWN, odd], NOW)
    assert message.body == {
        "text": "Genesys Cloud health (Acme Contact Centre · eu-central-1): 2 alerts: Voice is down (was healthy);"
        " &lt;Chat &amp; SMS&gt; is degraded",
        "blocks": [
            {
                "type": "header",
                "text": {
                    "type": "plain_text",
                    "text": "Genesys Cloud health (Acme Contact Centre · eu-central-1): 2 alerts",
                },
            },
            {
                "type": "section",
                "text": {
                    "type": "mrkdwn",
                    "text": ":red_circle: Voice is down (was healthy)\n:large_yellow_circle: &lt;Chat &amp; SMS&gt; is degraded",
                },
            },
            {
                "type": "context",
                "elements": [
                    {
                        "type": "mrkdwn",
                        "text": "tui-health · Acme Contact Centre · eu-central-1 · api.mypurecloud.de · "
                        "2026-05-04T10:00:00.000Z · severity critical",
                    }
                ],
            },
        ],
    }


def test_pagerduty_trigger_and_resolve_with_deterministic_dedup_keys():
    sink = PagerDutySink("pd", "https://events.pagerduty.com/v2/enqueue", ROUTING_KEY, TARGET)
    trigger, breach = sink.messages([DOWN, BREACH], NOW)
    assert trigger.body == {
        "event_action": "trigger",
        "dedup_key": "tui-health/3db84d51d73df6e9/voice",
        "client": "tui-health",  # who sent it, and where to look (Events API v2)
        "client_url": "https://status.mypurecloud.com",
        "links": [
            {"href": "https://status.mypurecloud.com", "text": "Acme Contact Centre · eu-central-1 status"}
        ],
        "payload": {
            "summary": "[Acme Contact Centre · eu-central-1] Voice is down (was healthy)",
            "source": "api.mypurecloud.de",
            "severity": "critical",
            "timestamp": "2026-05-04T09:59:30.000Z",
            "component": "voice",
            "group": "health-api",
            "class": "component_health_change",
            "custom_details": {
                "component_ids": ["voice"],
                "status": "down",
                "previous_status": "healthy",
                "poll_id": "p1",
                "target": NAMED,
            },
        },
    }
    assert (
        breach.body["dedup_key"] == "tui-health/3db84d51d73df6e9/threshold"
        and breach.body["payload"]["severity"] == "critical"
    )
    [resolve] = sink.messages([UP], NOW)
    assert resolve.body == {"event_action": "resolve", "dedup_key": "tui-health/3db84d51d73df6e9/voice"}
    *_, body = sink.request(resolve.body, resolve.key)
    assert body == {
        "routing_key": ROUTING_KEY,
        "event_action": "resolve",
        "dedup_key": "tui-health/3db84d51d73df6e9/voice",
    }
    other = PagerDutySink(
        "pd",
        "https://x",
        "R",
        AlertTarget("us-east-1", "0f0f0f0f0f0f0f0f", "us-east-1", "api.mypurecloud.com"),
    )
    assert (
        other.messages([DOWN], NOW)[0].body["dedup_key"] != trigger.body["dedup_key"]
    )  # regions never merge
    assert ROUTING_KEY not in str(trigger.body)
    degraded = AuditEvent(
        timestamp=T,
        event_type="component_health_change",
        component_ids=("chat",),
        status="degraded",
        message="Chat is degraded",
        severity=Severity.WARNING,
    )
    plain_down = AuditEvent(
        timestamp=T,
        event_type="component_health_change",
        component_ids=("sms",),
        status="down",
        message="SMS is down",
        severity=Severity.WARNING,
    )
    severities = [m.body["payload"]["severity"] for m in sink.messages([degraded, plain_down], NOW)]
    assert severities == ["warning", "error"]
    assert sink.messages([AuditEvent(timestamp=T, event_type="flapping_started")], NOW) == []


def test_alertmanager_alerts_with_starts_and_ends():
    """startsAt is when the condition began (not when it was confirmed), the same in the first post, every
    re-send and the resolve; a resolve keeps the labels, says resolved and ends; every alert links back."""
    sink = AlertmanagerSink("am", "http://alertmanager:9093", TARGET)
    assert sink.url == "http://alertmanager:9093/api/v2/alerts"
    [fire] = sink.messages([DOWN, BREACH], NOW)
    voice_labels = {
        "alertname": "GenesysComponentUnhealthy",
        "component": "voice",
        "severity": "critical",
        "source": "tui-health",
        "target": "eu-central-1",
        "region": "eu-central-1",
    }
    assert fire.body == [
        {
            "labels": voice_labels,
            "annotations": {
                "summary": "Voice is down (was healthy)",
                "description": "Voice (voice) is down (Acme Contact Centre · eu-central-1, api.mypurecloud.de)",
                "status": "down",
                "org": "Acme Contact Centre",
                "link": "https://status.mypurecloud.com",
            },
            "startsAt": "2026-05-04T09:58:00.000Z",
            "generatorURL": "https://status.mypurecloud.com",
        },
        {
            "labels": {
                "alertname": "GenesysHealthThresholdBreached",
                "component": "threshold",
                "severity": "critical",
                "source": "tui-health",
                "target": "eu-central-1",
                "region": "eu-central-1",
            },
            "annotations": {
                "summary": "threshold breached: 1 down (min_down 1)",
                "description": "health threshold breached (Acme Contact Centre · eu-central-1, api.mypurecloud.de)",
                "status": "breached",
                "org": "Acme Contact Centre",
                "link": "https://status.mypurecloud.com",
            },
            "startsAt": "2026-05-04T09:59:30.000Z",
            "generatorURL": "https://status.mypurecloud.com",
        },
    ]
    refresh = sink.refresh([Firing("voice", "Voice", "down", BEGAN, critical=True)])
    assert refresh[0]["labels"] == voice_labels and "endsAt" not in refresh[0]
    assert refresh[0]["startsAt"] == fire.body[0]["startsAt"]  # re-sends never move the start
    [resolved] = sink.messages([UP], NOW)
    assert resolved.body == [
        {
            "labels": voice_labels,
            "annotations": {
                "summary": "Voice changed to healthy (was down)",
                "description": "Voice (voice) is healthy again, was down (Acme Contact Centre · eu-central-1, "
                "api.mypurecloud.de)",
                "status": "resolved",
                "org": "Acme Contact Centre",
                "link": "https://status.mypurecloud.com",
            },
            "startsAt": "2026-05-04T09:58:00.000Z",  # the original start, kept
            "endsAt": "2026-05-04T09:59:30.000Z",
            "generatorURL": "https://status.mypurecloud.com",
        },
    ]
    # an incident on the status page is the more exact back-link; without a page, the watched host
    incident = replace(DOWN, link="https://stspg.io/inc-1")
    assert sink.messages([incident], NOW)[0].body[0]["generatorURL"] == "https://stspg.io/inc-1"
    bare = AlertmanagerSink(
        "am", "http://am:9093", AlertTarget("x", "k", "r", "api.example.com", url="https://api.example.com")
    )
    assert bare.messages([DOWN], NOW)[0].body[0]["generatorURL"] == "https://api.example.com"
