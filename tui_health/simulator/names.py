"""Component names that look like a contact-centre platform."""

from __future__ import annotations

import re

BASE_NAMES = [
    "Platform API",
    "Login & SSO",
    "Architect",
    "ACD Routing",
    "Voice (Telephony)",
    "BYOC Cloud Trunks",
    "Edge Devices",
    "Web Messaging",
    "Chat",
    "Email Routing",
    "SMS",
    "Callbacks",
    "Outbound Dialing",
    "Predictive Routing",
    "Workforce Management",
    "Quality Management",
    "Recording",
    "Speech & Text Analytics",
    "Analytics API",
    "Performance Dashboards",
    "Notifications",
    "Presence",
    "Directory",
    "Collaborate Chat",
    "Video",
    "Data Actions",
    "Integrations",
    "AppFoundry Apps",
    "Bots (Dialog Engine)",
    "Knowledge",
    "Journey Management",
    "Predictive Engagement",
    "Scripter",
    "Gamification",
    "Audit Viewer",
    "SCIM",
    "Content Management",
    "Screen Recording",
    "Co-browse",
    "Reporting Exports",
    "Agent Copilot",
    "Voice Transcription",
    "Secure Pause",
    "Messenger Deployments",
    "Webhooks & Event Bridge",
]


def slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


def component_names(count: int) -> list[tuple[str, str]]:
    """``count`` (id, name) pairs: the base names first, then numbered media and routing shards."""
    pairs = [(slug(n), n) for n in BASE_NAMES[:count]]
    index = 1
    while len(pairs) < count:
        kind = ("Media Service", "Routing Shard", "Conversation Store", "Edge Region")[index % 4]
        name = f"{kind} {index:04d}"
        pairs.append((slug(name), name))
        index += 1
    return pairs
