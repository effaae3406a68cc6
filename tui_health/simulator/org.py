"""The simulated org's own telephony and queues: Edges, trunks and queues that change over time or on demand.

Every change is published on its notification topic (``publish``: the channel server hands it to the sockets
subscribed to it), dated by the simulator's clock, the way Genesys dates ``connectedStateTime``. Scheduled changes
(``org_changes`` of the scenario) are applied by :meth:`SimOrg.tick`, which the server calls on every request and
from its ticker thread, so a change happens at its time whether or not anyone asks.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from tui_health.simulator.scenario import OrgChange, OrgSpec
from tui_health.support.clock import rfc3339

Publish = Callable[[str, dict[str, Any]], None]


@dataclass
class SimEdge:
    id: str
    name: str
    online: bool = True
    status_code: str = "ACTIVE"
    modified: datetime = field(default_factory=datetime.now)

    def entity(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "onlineStatus": "ONLINE" if self.online else "OFFLINE",
            "statusCode": self.status_code,
            "edgeDeploymentType": "HARDWARE",
            "callDrainingState": "NONE",
            "site": {"id": "site-1", "name": "Main site"},
            "dateModified": rfc3339(self.modified),
            "selfUri": f"/api/v2/telephony/providers/edges/{self.id}",
        }


@dataclass
class SimTrunk:
    id: str
    name: str
    edge: SimEdge
    connected: bool = True
    in_service: bool = True
    changed: datetime = field(default_factory=datetime.now)

    def entity(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "state": "active",
            "trunkType": "EXTERNAL",
            "inService": self.in_service,
            "enabled": True,
            "connectedStatus": {"connected": self.connected, "connectedStateTime": rfc3339(self.changed)},
            "edge": {"id": self.edge.id, "name": self.edge.name},
            "selfUri": f"/api/v2/telephony/providers/edges/trunks/{self.id}",
        }


@dataclass
class SimQueue:
    id: str
    name: str
    waiting: int = 0
    on_queue: int = 3

    def observation(self) -> dict[str, Any]:
        """The queue as the observation query (and its notification topic) shows it."""
        idle = max(0, self.on_queue - 1)
        return {
            "group": {"queueId": self.id},
            "data": [
                {"metric": "oWaiting", "stats": {"count": self.waiting}},
                {"metric": "oOnQueueUsers", "qualifier": "IDLE", "stats": {"count": idle}},
                {
                    "metric": "oOnQueueUsers",
                    "qualifier": "INTERACTING",
                    "stats": {"count": self.on_queue - idle},
                },
            ],
        }


class SimOrg:
    def __init__(
        self,
        spec: OrgSpec | None,
        changes: list[OrgChange],
        started: datetime,
        now: Callable[[], datetime],
        publish: Publish,
    ) -> None:
        self.lock = threading.Lock()
        self.now = now
        self.publish = publish
        self.started = started
        self.edges: dict[str, SimEdge] = {}
        self.trunks: dict[str, SimTrunk] = {}
        self.queues: dict[str, SimQueue] = {}
        spec = spec or OrgSpec()
        before = started - timedelta(hours=2)
        for e in range(spec.edges):
            edge = SimEdge(f"edge-{e + 1}", f"Edge {e + 1} (Main site)", modified=before)
            self.edges[edge.id] = edge
            for t in range(spec.trunks_per_edge):
                trunk = SimTrunk(f"trunk-{e + 1}-{t + 1}", f"Carrier {chr(97 + t)} via edge {e + 1}", edge)
                trunk.changed = before
                self.trunks[trunk.id] = trunk
        for q in range(spec.queues):
            queue = SimQueue(
                f"queue-{q + 1}",
                QUEUE_NAMES[q % len(QUEUE_NAMES)] + ("" if q < len(QUEUE_NAMES) else f" {q + 1}"),
            )
            self.queues[queue.id] = queue
        self.pending = sorted(changes, key=lambda c: c.at)
        self.changed_at: dict[str, datetime] = {}
        """When each entity last changed (the benchmark measures time to notice from it)."""

    # -- changes ------------------------------------------------------------------------------------------
    def tick(self, elapsed: float) -> None:
        """Apply the scheduled changes that are due."""
        while True:
            with self.lock:
                if not self.pending or self.pending[0].at > elapsed:
                    return
                change = self.pending.pop(0)
            self.apply(change.kind, change.id, change.fields())

    def apply(self, kind: str, ident: str, fields: dict[str, Any], *, publish: bool = True) -> None:
        """Change one entity now and publish it on its topic (``publish=False``: a change the channel misses,
        as in a gap, which only a poll finds)."""
        now = self.now()
        with self.lock:
            if kind == "edge" and ident in self.edges:
                edge = self.edges[ident]
                edge.online = fields.get("online", edge.online)
                edge.modified = now
                topic, body = f"v2.telephony.providers.edges.{ident}", edge.entity()
            elif kind == "trunk" and ident in self.trunks:
                trunk = self.trunks[ident]
                trunk.connected = fields.get("connected", trunk.connected)
                trunk.in_service = fields.get("in_service", trunk.in_service)
                trunk.changed = now
                topic, body = f"v2.telephony.providers.edges.trunks.{ident}", trunk.entity()
            elif kind == "queue" and ident in self.queues:
                queue = self.queues[ident]
                queue.waiting = fields.get("waiting", queue.waiting)
                queue.on_queue = fields.get("on_queue", queue.on_queue)
                topic, body = f"v2.analytics.queues.{ident}.observations", queue.observation()
            else:
                return
            self.changed_at[f"{kind}:{ident}"] = now
        if publish:
            self.publish(topic, body)

    # -- what the API serves ------------------------------------------------------------------------------
    def edge_entities(self) -> list[dict[str, Any]]:
        with self.lock:
            return [e.entity() for e in self.edges.values()]

    def trunk_entities(self) -> list[dict[str, Any]]:
        with self.lock:
            return [t.entity() for t in self.trunks.values()]

    def queue_entities(self) -> list[dict[str, Any]]:
        with self.lock:
            return [
                {"id": q.id, "name": q.name, "selfUri": f"/api/v2/routing/queues/{q.id}"}
                for q in self.queues.values()
            ]

    def observations(self, ids: list[str]) -> list[dict[str, Any]]:
        with self.lock:
            return [self.queues[i].observation() for i in ids if i in self.queues]


QUEUE_NAMES = ("Support", "Sales", "Billing", "Claims", "VIP", "Returns", "Tech L2", "Spanish")
