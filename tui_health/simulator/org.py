"""The simulated org's own telephony and queues: Edges, trunks and queues that change over time or on demand.

Every body is a fixture's example with the scenario's values put in (:mod:`tui_health.simulator.bodies`): an Edge
is the recorded HARDWARE Edge with its id, name and states changed; the observation query answers one agent group
and one group per media type for each queue, in a shuffled order, as Genesys does; each topic carries what its
SDK model says and nothing more (an Edge's topic only ``{id, onlineStatus}``).

Like a real org it also has what must not be watched: Genesys' cloud media Edges (listed unless
``showCloudMedia=false`` is asked for; one of them OFFLINE, as Genesys scales them down) and PHONE and EDGE trunks
(listed unless ``trunkType`` is asked for; the WebRTC phone trunk disconnected).

Every change is published on its topic (``publish``: the channel server hands the frame to the sockets subscribed
to it), dated by the simulator's clock, the way Genesys dates ``connectedStateTime``. Scheduled changes
(``org_changes`` of the scenario) are applied by :meth:`SimOrg.tick`, which the server calls on every request and
from its ticker thread, so a change happens at its time whether or not anyone asks.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from tui_health.simulator import bodies
from tui_health.simulator.contact_centre import CENTRE_KINDS, ContactCentre
from tui_health.simulator.scenario import OrgChange, OrgEvent, OrgSpec
from tui_health.support.clock import rfc3339

Publish = Callable[[str, dict[str, Any]], None]
"""``publish(topic, frame)``: a whole WebSocket message for the sockets subscribed to ``topic``."""

EDGES = "/api/v2/telephony/providers/edges"
TRUNKS = "/api/v2/telephony/providers/edges/trunks"
SITE = {"id": "site-1", "name": "Main site"}


def _hardware(e: dict[str, Any]) -> bool:
    return (
        e.get("edgeDeploymentType") == "HARDWARE"
        and e.get("statusCode") == "ACTIVE"
        and "softwareStatus" not in e
    )


def _cloud(e: dict[str, Any]) -> bool:
    return e.get("edgeDeploymentType") == "CDM"


@dataclass
class SimEdge:
    id: str
    name: str
    online: bool = True
    status_code: str = "ACTIVE"
    update: str | None = None  # softwareStatus.status, when an update was started
    cloud: bool = False
    modified: datetime = field(default_factory=datetime.now)

    def entity(self) -> dict[str, Any]:
        entity = bodies.entity("edges_page", _cloud if self.cloud else _hardware)
        entity.update(
            id=self.id,
            name=self.name,
            onlineStatus="ONLINE" if self.online else "OFFLINE",
            dateModified=rfc3339(self.modified),
            selfUri=f"{EDGES}/{self.id}",
        )
        if not self.cloud:
            entity["statusCode"] = self.status_code
            entity["site"] = {**entity.get("site", {}), **SITE, "selfUri": f"{EDGES}/sites/{SITE['id']}"}
        if self.update is not None:
            software = bodies.entity("edges_page", lambda e: "softwareStatus" in e)["softwareStatus"]
            entity["softwareStatus"] = {**software, "status": self.update}
        return entity

    def pushed(self) -> dict[str, Any]:
        """``EdgeChangeTopicEdge``: the fixture's body with this Edge's id and online status."""
        event = bodies.body("topic_edge")["eventBody"]
        event.update(id=self.id, onlineStatus="ONLINE" if self.online else "OFFLINE")
        return event

    def pushed_update(self) -> dict[str, Any]:
        event = bodies.body("topic_edge_softwareupdate")["eventBody"]
        event.update(id=self.id, status=self.update or "NONE")
        return event


@dataclass
class SimTrunk:
    id: str
    name: str
    edge: SimEdge
    connected: bool = True
    in_service: bool = True
    trunk_type: str = "EXTERNAL"
    proxies: list[bool] = field(default_factory=lambda: [True, True])  # each proxy's OPTIONS answered?
    changed: datetime = field(default_factory=datetime.now)

    def _options(self) -> list[dict[str, Any]]:
        example = bodies.entity(
            "trunks_page", lambda t: any(not o["optionState"] for o in t.get("optionsStatus", []))
        )
        good = next(o for o in example["optionsStatus"] if o["optionState"])
        bad = next(o for o in example["optionsStatus"] if not o["optionState"])
        out = []
        for index, ok in enumerate(self.proxies):
            entry = dict(good if ok else bad)
            entry.update(proxyAddress=f"198.51.100.{20 + index}:5061", optionStateTime=rfc3339(self.changed))
            out.append(entry)
        return out

    def entity(self) -> dict[str, Any]:
        entity = bodies.entity("trunks_page", lambda t: t.get("trunkType") == self.trunk_type)
        entity.update(
            id=self.id,
            name=self.name,
            inService=self.in_service,
            connectedStatus={"connected": self.connected, "connectedStateTime": rfc3339(self.changed)},
            edge={"id": self.edge.id, "name": self.edge.name, "selfUri": f"{EDGES}/{self.edge.id}"},
            selfUri=f"{TRUNKS}/{self.id}",
        )
        if self.trunk_type == "EXTERNAL":
            entity["optionsStatus"] = self._options()
            entity["proxyAddressList"] = [o["proxyAddress"] for o in entity["optionsStatus"]]
        return entity

    def pushed(self) -> dict[str, Any]:
        """``TrunkInstanceTopicTrunk``: only the fields the topic has (no ``inService``, ``enabled``, ``name``)."""
        event = bodies.body("topic_trunk")["eventBody"]
        event.update(
            id=self.id,
            connectedStatus={"connected": self.connected, "connectedStateTime": rfc3339(self.changed)},
        )
        if self.trunk_type == "EXTERNAL":
            event["optionsStatus"] = self._options()
        return event


def _observation_groups() -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The recorded answer's agent group and media groups of its first queue (the groups each queue gets: one
    for its agents, one per media type — chat, message, email, callback, voice, video)."""
    results = bodies.body("queue_observations_recorded")["results"]
    first = results[0]["group"]["queueId"]
    mine = [r for r in results if r["group"]["queueId"] == first]
    agents = next(r for r in mine if "mediaType" not in r["group"])
    return agents, [r for r in mine if "mediaType" in r["group"]]


def _set_count(data: list[dict[str, Any]], metric: str, count: float, qualifier: str | None = None) -> None:
    for entry in data:
        if entry.get("metric") == metric and entry.get("qualifier") == qualifier:
            entry["stats"]["count"] = count
            return
    data.append(
        {"metric": metric, **({"qualifier": qualifier} if qualifier else {}), "stats": {"count": count}}
    )


@dataclass
class SimQueue:
    id: str
    name: str
    waiting: dict[str, int] = field(default_factory=dict)  # media type → waiting
    on_queue: int = 3

    def agent_group(self) -> dict[str, Any]:
        """The ``{queueId}`` group: agents on queue by routing status (``IDLE`` and ``INTERACTING``)."""
        group, _ = _observation_groups()
        group["group"] = {"queueId": self.id}
        data = [e for e in group["data"] if e.get("metric") != "oOnQueueUsers"]
        idle = max(0, self.on_queue - 1)
        for qualifier, count in (("IDLE", idle), ("INTERACTING", self.on_queue - idle)):
            if count:  # Genesys leaves out a qualifier nobody is in (as the recorded answer does)
                _set_count(data, "oOnQueueUsers", count, qualifier)
        group["data"] = data
        return group

    def media_groups(self) -> list[dict[str, Any]]:
        """One ``{queueId, mediaType}`` group per media type, with its waiting."""
        _, groups = _observation_groups()
        for group in groups:
            media = group["group"]["mediaType"]
            group["group"] = {"queueId": self.id, "mediaType": media}
            group["data"] = [
                {k: v for k, v in e.items() if k in ("metric", "qualifier", "stats")} for e in group["data"]
            ]
            if any(e.get("metric") == "oWaiting" for e in group["data"]) or self.waiting.get(media):
                _set_count(group["data"], "oWaiting", self.waiting.get(media, 0))
            busy = self.on_queue - max(0, self.on_queue - 1) if media == "voice" else 0
            for metric, count in (("oInteracting", busy), ("oAlerting", 0)):
                if any(e.get("metric") == metric for e in group["data"]):
                    _set_count(group["data"], metric, count)
        return groups

    def frames(self, media: str | None) -> dict[str, Any]:
        """The topic's body for one group (``StatEventQueueTopicStatsNotification``), counts as floats (the
        topic's stats are a map of floats)."""
        examples = bodies.body("topic_queue_observations")
        example = next(f for f in examples if ("mediaType" in f["eventBody"]["group"]) == (media is not None))
        event = example["eventBody"]
        polled = (
            self.agent_group()
            if media is None
            else next(g for g in self.media_groups() if g["group"]["mediaType"] == media)
        )
        event["group"] = polled["group"]
        event["data"] = [
            {
                "interval": event["data"][0]["interval"],
                "metrics": [
                    {
                        "metric": e["metric"],
                        **({"qualifier": e["qualifier"]} if "qualifier" in e else {}),
                        "stats": {"count": float(e["stats"]["count"])},
                    }
                    for e in polled["data"]
                ],
            }
        ]
        return event


class SimOrg:
    def __init__(
        self,
        spec: OrgSpec | None,
        changes: list[OrgChange],
        started: datetime,
        now: Callable[[], datetime],
        publish: Publish,
        events: list[OrgEvent] | None = None,
    ) -> None:
        self.lock = threading.Lock()
        self.now = now
        self.publish = publish
        self.started = started
        self.edges: dict[str, SimEdge] = {}
        self.trunks: dict[str, SimTrunk] = {}
        self.queues: dict[str, SimQueue] = {}
        self.spec = spec = spec or OrgSpec()
        self.rng = random.Random(7)
        before = started - timedelta(hours=2)
        for e in range(spec.edges):
            edge = SimEdge(f"edge-{e + 1}", f"Edge {e + 1} (Main site)", modified=before)
            self.edges[edge.id] = edge
            for t in range(spec.trunks_per_edge):
                trunk = SimTrunk(f"trunk-{e + 1}-{t + 1}", f"Carrier {chr(97 + t)} via edge {e + 1}", edge)
                trunk.changed = before
                self.trunks[trunk.id] = trunk
        if spec.edges or spec.queues:  # every org has Genesys' cloud media Edges and its phone and tie trunks
            for c in range(spec.cloud_media):
                cloud = SimEdge(f"cdm-{c + 1}", f"cloud-media-i-0{c + 1:016x}", cloud=True, modified=before)
                cloud.online = c > 0  # one being scaled down: it must page nobody
                self.edges[cloud.id] = cloud
            if spec.cloud_media:
                cdm = self.edges["cdm-1"]
                phone = SimTrunk(
                    "trunk-phone", "Genesys Cloud - CDM WebRTC Phone Trunk", cdm, trunk_type="PHONE"
                )
                phone.connected, phone.changed = False, before  # no phone registered: not an outage
                tie = SimTrunk("trunk-tie", "Tie TrunkBase for EdgeGroup main", cdm, trunk_type="EDGE")
                tie.changed = before
                self.trunks.update({phone.id: phone, tie.id: tie})
        for q in range(spec.queues):
            queue = SimQueue(
                f"queue-{q + 1}",
                QUEUE_NAMES[q % len(QUEUE_NAMES)] + ("" if q < len(QUEUE_NAMES) else f" {q + 1}"),
            )
            self.queues[queue.id] = queue
        self.centre = ContactCentre(spec, before)
        """Phones by site, integrations and data actions."""
        self.pending = sorted(changes, key=lambda c: c.at)
        self.events = sorted((e for e in events or [] if e.at >= 0), key=lambda e: e.at)
        """Operational events still to happen (each is pushed when it does)."""
        self.org_id: str = bodies.body("organizations_me")["id"]
        self.changed_at: dict[str, datetime] = {}
        """When each entity last changed (the benchmark measures time to notice from it)."""

    # -- changes ------------------------------------------------------------------------------------------
    def tick(self, elapsed: float) -> None:
        """Apply the scheduled changes that are due, and push the operational events that happened."""
        while True:
            with self.lock:
                event = self.events.pop(0) if self.events and self.events[0].at <= elapsed else None
            if event is None:
                break
            self.push_event(event)
        while True:
            with self.lock:
                if not self.pending or self.pending[0].at > elapsed:
                    return
                change = self.pending.pop(0)
            self.apply(change.kind, change.id, change.fields())

    def push_event(self, event: OrgEvent) -> None:
        """An operational event on ``v2.operations.events.{id}``: what ``{id}`` is no SDK says, so it goes out
        under the org's id and under its definition's id (a client subscribed to either hears it)."""
        body = bodies.body("topic_operational_event")["eventBody"]
        body["eventEntity"] = {**body["eventEntity"], "id": event.definition, "name": event.definition}
        body.update(entityName=event.entity, currentValue=event.current, previousValue=event.previous)
        body["timestamp"] = int((self.started + timedelta(seconds=event.at)).timestamp() * 1000)
        for ident in (self.org_id, event.definition):
            topic = f"v2.operations.events.{ident}"
            self.publish(topic, bodies.frame("topic_operational_event", topic, body))

    def apply(self, kind: str, ident: str, fields: dict[str, Any], *, publish: bool = True) -> None:
        """Change one entity now and publish it on its topic(s) (``publish=False``: a change the channel misses,
        as in a gap, which only a poll finds)."""
        now = self.now()
        frames: list[tuple[str, dict[str, Any]]] = []
        with self.lock:
            if kind == "edge" and ident in self.edges:
                edge = self.edges[ident]
                if "online" in fields and fields["online"] != edge.online:
                    edge.online = fields["online"]
                    frames.append((f"v2.telephony.providers.edges.{ident}", edge.pushed()))
                if "update" in fields and fields["update"] != edge.update:
                    edge.update = fields["update"]
                    frames.append(
                        (f"v2.telephony.providers.edges.{ident}.softwareupdate", edge.pushed_update())
                    )
                edge.status_code = fields.get("status_code", edge.status_code)  # no topic carries it
            elif kind == "trunk" and ident in self.trunks:
                trunk = self.trunks[ident]
                trunk.connected = fields.get("connected", trunk.connected)
                trunk.in_service = fields.get("in_service", trunk.in_service)  # no topic carries it
                if "proxies_failing" in fields:
                    failing = fields["proxies_failing"]
                    trunk.proxies = [index >= failing for index in range(len(trunk.proxies))]
                trunk.changed = now
                frames.append((f"v2.telephony.providers.edges.trunks.{ident}", trunk.pushed()))
            elif kind == "queue" and ident in self.queues:
                queue = self.queues[ident]
                topic = f"v2.analytics.queues.{ident}.observations"
                if "waiting" in fields:
                    media = fields.get("media", "voice")
                    queue.waiting[media] = fields["waiting"]
                    frames.append((topic, queue.frames(media)))
                if "on_queue" in fields:
                    queue.on_queue = fields["on_queue"]
                    frames.append((topic, queue.frames(None)))
            elif kind in CENTRE_KINDS:
                frames += self.centre.apply(kind, ident, fields, now)
            else:
                return
            self.changed_at[f"{kind}:{ident}"] = now
        if publish:
            for topic, event in frames:
                self.publish(topic, bodies.frame(frame_fixture(topic), topic, event))

    # -- what the API serves ------------------------------------------------------------------------------
    def edge_entities(self, cloud_media: bool = True) -> list[dict[str, Any]]:
        with self.lock:
            return [e.entity() for e in self.edges.values() if cloud_media or not e.cloud]

    def trunk_entities(self, trunk_type: str | None = None) -> list[dict[str, Any]]:
        with self.lock:
            return [
                t.entity() for t in self.trunks.values() if trunk_type is None or t.trunk_type == trunk_type
            ]

    def phone_entities(self, *, operational: str | None, webrtc_field: bool) -> list[dict[str, Any]]:
        with self.lock:
            return self.centre.phone_entities(operational=operational, webrtc_field=webrtc_field)

    def integration_entities(self) -> list[dict[str, Any]]:
        with self.lock:
            return self.centre.integration_entities()

    def action_aggregates(self, start: datetime, end: datetime, group_by: list[str]) -> list[dict[str, Any]]:
        with self.lock:
            return self.centre.aggregates(start, end, group_by)

    def queue_entities(self) -> list[dict[str, Any]]:
        with self.lock:
            out = []
            for q in self.queues.values():
                entity = bodies.entity("routing_queues_page", lambda _: True)
                entity.update(id=q.id, name=q.name, selfUri=f"/api/v2/routing/queues/{q.id}")
                out.append(entity)
            return out

    def observations(self, ids: list[str]) -> list[dict[str, Any]]:
        """Every asked queue's groups, all queues' groups shuffled together (Genesys gives no order)."""
        with self.lock:
            groups = [
                g
                for i in ids
                if i in self.queues
                for g in (self.queues[i].agent_group(), *self.queues[i].media_groups())
            ]
            self.rng.shuffle(groups)
            return groups


def frame_fixture(topic: str) -> str:
    """The fixture whose envelope a topic's frames are sent in."""
    if topic.startswith("v2.telephony.providers.edges.phones."):
        return "topic_phone"
    if topic.startswith("v2.analytics.queues."):
        return "topic_queue_observations"
    if topic.startswith("v2.telephony.providers.edges.trunks."):
        return "topic_trunk"
    if topic.endswith(".softwareupdate"):
        return "topic_edge_softwareupdate"
    if topic.startswith("v2.operations.events."):
        return "topic_operational_event"
    return "topic_edge"


QUEUE_NAMES = ("Support", "Sales", "Billing", "Claims", "VIP", "Returns", "Tech L2", "Spanish")
