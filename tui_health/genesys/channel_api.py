"""The notification service's REST side: channels, their subscriptions, and the catalogue of topics.

Shapes as the Platform API SDKs define them (platform-client-sdk-python ``build/docs/NotificationsApi.md``,
``Channel.md``, ``ChannelTopic.md``, ``ChannelEntityListing.md``, ``AvailableTopic.md``):

- ``POST /api/v2/notifications/channels`` → ``Channel`` ``{id, connectUri, expires}``;
- ``PUT /api/v2/notifications/channels/{id}/subscriptions?ignoreErrors=true`` with ``[{"id": topic}]`` replaces
  the channel's topics and answers a ``ChannelTopicEntityListing``: each ``ChannelTopic`` has a ``state``
  (``Permitted``, ``Rejected``, ``Unknown``), a ``rejectionReason`` and ``missingPermissions``. Without
  ``ignoreErrors`` one topic the client may not hear refuses the whole request; with it the others are taken.
  A topic missing from the answer is ``Unknown`` (as Genesys' own streaming client reads it,
  purecloudlabs/genesys-cloud-streaming-client ``src/notifications.ts``); an entity without a ``state`` is taken
  as permitted (an answer from before the states existed);
- ``HEAD /api/v2/notifications/channels/{id}``: 200 while the channel exists, 404 once it is gone;
- ``GET /api/v2/notifications/channels?includechannels=oauthclient``: every channel of the OAuth client, those of
  other tokens included (a client holds at most 20; a 21st removes the oldest, whoever holds it);
- ``GET /api/v2/notifications/availabletopics?expand=topicParameters,requiresPermissions``: each topic's
  template (``v2.telephony.providers.edges.{id}``), its ``topicParameters`` and ``requiresPermissions``.

Every call goes through the token's :class:`ApiClient`: it counts against the request budget and is retried
like every other request. Answers are bounded and checked; nothing here trusts a count or a string it is sent.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from tui_health.genesys.client import ApiClient
from tui_health.genesys.wire import parse_timestamp
from tui_health.support.errors import ApiError
from tui_health.support.text import clean

CHANNELS_PATH = "/api/v2/notifications/channels"
TOPICS_PATH = "/api/v2/notifications/availabletopics"
MAX_TOPICS = 1000
"""Topics one channel takes (Genesys' limit)."""
MAX_CHANNELS = 20
"""Channels one OAuth client may hold (Genesys' limit: a 21st removes the oldest)."""
MAX_CATALOGUE = 5000
"""Topics of the catalogue read at most."""


@dataclass(frozen=True, slots=True)
class Channel:
    id: str
    uri: str
    expires: datetime | None


@dataclass(frozen=True, slots=True)
class Refusal:
    """A topic the channel did not take: ``Rejected`` (with why and the permissions missing) or ``Unknown``."""

    topic: str
    state: str
    reason: str = ""
    missing: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Subscription:
    """What a subscription request did: the topics taken, and those refused."""

    taken: frozenset[str]
    refused: tuple[Refusal, ...] = ()


@dataclass(frozen=True, slots=True)
class TopicInfo:
    """One topic of the catalogue: its parameters (in the order they appear) and the permissions it needs."""

    template: str
    parameters: tuple[str, ...] = ()
    permissions: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Catalogue:
    """The topics this org offers, by template; looked up by a concrete topic name."""

    topics: dict[str, TopicInfo] = field(default_factory=dict)

    def info(self, topic: str) -> TopicInfo | None:
        """The catalogue entry whose template matches ``topic`` (each ``{…}`` stands for one dotted part)."""
        parts = topic.split(".")
        for template, info in self.topics.items():
            pattern = template.split(".")
            if len(pattern) == len(parts) and all(
                p == q or (p.startswith("{") and p.endswith("}")) for p, q in zip(pattern, parts, strict=True)
            ):
                return info
        return None

    def permissions(self, topic: str) -> tuple[str, ...]:
        info = self.info(topic)
        return info.permissions if info else ()


class ChannelService:
    """The REST calls a notification channel makes, with the token of ``api``."""

    def __init__(self, api: ApiClient, *, timeout: float = 10.0) -> None:
        self.api = api
        self.timeout = timeout

    def _deadline(self) -> float:
        return time.monotonic() + 3 * self.timeout

    async def create(self) -> Channel:
        data, cid = await self.api.request_json(
            self.api.url(CHANNELS_PATH),
            label="notification channel",
            timings=[],
            deadline=self._deadline(),
            method="POST",
            body={},
        )
        return channel_of(data, cid)

    async def subscribe(self, channel_id: str, topics: list[str], permission: str | None) -> Subscription:
        data, _ = await self.api.request_json(
            self.api.url(f"{CHANNELS_PATH}/{channel_id}/subscriptions"),
            label="notification subscriptions",
            timings=[],
            deadline=self._deadline(),
            method="PUT",
            params={"ignoreErrors": "true"},
            body=[{"id": t} for t in topics],
            permission=permission,
        )
        return subscription_of(data, topics)

    async def exists(self, channel_id: str) -> bool | None:
        """``HEAD`` the channel: ``False`` when the service says it is gone (404), ``None`` when it could not say."""
        try:
            response = await self.api.request(
                self.api.url(f"{CHANNELS_PATH}/{channel_id}"),
                label="notification channel check",
                timings=[],
                deadline=self._deadline(),
                method="HEAD",
            )
        except Exception:
            return None
        if response.status_code == 404:
            return False
        return True if 200 <= response.status_code < 300 else None

    async def count(self) -> int | None:
        """Channels the OAuth client holds now (every token's); ``None`` when the service did not say."""
        try:
            data, _ = await self.api.request_json(
                self.api.url(CHANNELS_PATH),
                label="notification channels",
                timings=[],
                deadline=self._deadline(),
                params={"includechannels": "oauthclient"},
            )
        except Exception:
            return None
        entities = data.get("entities") if isinstance(data, dict) else None
        return min(len(entities), 10 * MAX_CHANNELS) if isinstance(entities, list) else None

    async def catalogue(self) -> Catalogue:
        data, cid = await self.api.request_json(
            self.api.url(TOPICS_PATH),
            label="available topics",
            timings=[],
            deadline=self._deadline(),
            params={"expand": "topicParameters,requiresPermissions"},
        )
        return catalogue_of(data, cid)

    def token_renew_at(self) -> float | None:
        """When (monotonic) the token the channel was made with is due for renewal: the channel closes with it."""
        return self.api.tokens.renew_at

    def token_revoked(self) -> None:
        """The service revoked the token: the next call takes a new one."""
        self.api.tokens.forget()


def channel_of(data: Any, cid: str | None = None) -> Channel:
    """A ``Channel`` answer, checked (the URI is checked by the channel against the API's host)."""
    if not isinstance(data, dict):
        raise ApiError("the notification channel answer is not an object", correlation_id=cid)
    ident, uri = data.get("id"), data.get("connectUri")
    if not isinstance(ident, str) or not ident or len(ident) > 200 or clean(ident, 200) != ident:
        raise ApiError("the notification channel has no usable id", correlation_id=cid)
    if not isinstance(uri, str):
        raise ApiError("the notification channel has no connectUri", correlation_id=cid)
    return Channel(ident, uri, parse_timestamp(data.get("expires")))


STATES = {"permitted": "Permitted", "rejected": "Rejected", "unknown": "Unknown"}


def subscription_of(data: Any, asked: list[str]) -> Subscription:
    """A ``ChannelTopicEntityListing`` read against the topics asked for."""
    entities = data.get("entities") if isinstance(data, dict) else None
    if not isinstance(entities, list):
        # no listing at all: a 2xx without ignoreErrors' detail means every topic was taken
        return Subscription(frozenset(asked))
    wanted = set(asked)
    states: dict[str, Refusal | None] = {}
    for item in entities[: 2 * MAX_TOPICS]:
        if not isinstance(item, dict) or not isinstance(item.get("id"), str) or item["id"] not in wanted:
            continue
        raw = item.get("state")
        state = STATES.get(raw.lower(), "Unknown") if isinstance(raw, str) else "Permitted"
        if state == "Permitted":
            states[item["id"]] = None
            continue
        missing = item.get("missingPermissions")
        states[item["id"]] = Refusal(
            item["id"],
            state,
            clean(item.get("rejectionReason"), 200) if isinstance(item.get("rejectionReason"), str) else "",
            tuple(clean(p, 100) for p in missing[:20] if isinstance(p, str))
            if isinstance(missing, list)
            else (),
        )
    taken = frozenset(t for t in asked if t in states and states[t] is None)
    refused = tuple(
        states.get(t) or Refusal(t, "Unknown", "not in the answer") for t in asked if t not in taken
    )
    return Subscription(taken, refused)


def catalogue_of(data: Any, cid: str | None = None) -> Catalogue:
    """An ``AvailableTopicEntityListing``, bounded: templates with their parameters and permissions."""
    entities = data.get("entities") if isinstance(data, dict) else None
    if not isinstance(entities, list):
        raise ApiError("the available topics have no entities list", correlation_id=cid)
    topics: dict[str, TopicInfo] = {}
    for item in entities[:MAX_CATALOGUE]:
        if not isinstance(item, dict) or not isinstance(item.get("id"), str) or len(item["id"]) > 300:
            continue
        template = clean(item["id"], 300)
        topics[template] = TopicInfo(
            template, _strings(item.get("topicParameters")), _strings(item.get("requiresPermissions"))
        )
    return Catalogue(topics)


def _strings(value: Any) -> tuple[str, ...]:
    """At most 20 strings of a list, cleaned; ``()`` for anything else."""
    return tuple(clean(v, 100) for v in value[:20] if isinstance(v, str)) if isinstance(value, list) else ()
