"""The simulator's Platform API routes for the org's own entities and for the notification service.

Each answer is a fixture's shape (:mod:`tui_health.simulator.bodies`) filled from the simulated org
(:mod:`tui_health.simulator.org`) and notification service (:mod:`tui_health.simulator.channels`), with
Genesys' query parameters honoured: ``showCloudMedia`` on the Edges, ``trunkType`` on the trunks,
``ignoreErrors`` on subscriptions, ``includechannels`` on the channel listing, ``expand`` on the topics,
``status.operationalStatus`` and ``fields`` on the phones, ``interval`` and ``groupBy`` on the action aggregates.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import TYPE_CHECKING, Any

from tui_health.simulator import bodies

if TYPE_CHECKING:
    from tui_health.simulator.world import SimState

EDGES = "/api/v2/telephony/providers/edges"
TRUNKS = "/api/v2/telephony/providers/edges/trunks"
QUEUES = "/api/v2/routing/queues"
PHONES = "/api/v2/telephony/providers/edges/phones"
INTEGRATIONS = "/api/v2/integrations"
ACTIONS = "/api/v2/analytics/actions/aggregates/query"
PHONES_FILTERED_MAX = 10_000
OBSERVATIONS = "/api/v2/analytics/queues/observations/query"
CHANNELS = "/api/v2/notifications/channels"
TOPICS = "/api/v2/notifications/availabletopics"


def _one(query: dict[str, list[str]], key: str) -> str | None:
    values = query.get(key)
    return values[0] if values else None


class OrgRoutes:
    """Routes mixed into the simulator's request handler (which provides the plumbing declared here)."""

    @property
    def state(self) -> SimState:
        raise NotImplementedError

    def _allowed(self, target: str) -> bool:
        raise NotImplementedError

    def _json(self, status: int, data: Any, headers: dict[str, str] | None = None) -> None:
        raise NotImplementedError

    def _error(self, status: int, message: str, code: str, headers: dict[str, str] | None = None) -> None:
        raise NotImplementedError

    def _bearer(self) -> str | None:
        raise NotImplementedError

    def _empty(self, status: int) -> None:
        raise NotImplementedError

    # -- dispatch -------------------------------------------------------------------------------------------
    def org_get(self, path: str, query: dict[str, list[str]]) -> bool:
        """``True`` when ``path`` is one of these routes (answered)."""
        if path == EDGES:
            if self._allowed("edges"):
                cloud = (_one(query, "showCloudMedia") or "true").lower() != "false"
                self._page(
                    query, path, self.state.org.edge_entities(cloud_media=cloud), "edges_page", "edges"
                )
        elif path == TRUNKS:
            if self._allowed("trunks"):
                kind = _one(query, "trunkType")
                self._page(query, path, self.state.org.trunk_entities(kind), "trunks_page", "trunks")
        elif path == QUEUES:
            if self._allowed("queues"):
                self._page(query, path, self.state.org.queue_entities(), "routing_queues_page", "queues")
        elif path == PHONES:
            if self._allowed("phones"):
                self._phones(query)
        elif path == INTEGRATIONS:
            if self._allowed("integrations"):
                entities = self.state.org.integration_entities()
                self._page(query, path, entities, "integrations_page", "integrations")
        elif path == CHANNELS:
            if self._allowed("channels"):
                self._json(200, self.state.channels.listing(self._bearer() or ""))
        elif path == TOPICS:
            if self._allowed("channels"):
                self._json(200, self._catalogue(_one(query, "expand") or ""))
        else:
            return False
        return True

    def org_post(self, path: str, body: bytes) -> bool:
        if path == OBSERVATIONS:
            self._observations(body)
        elif path == ACTIONS:
            if self._allowed("actions"):
                self._aggregates(body)
        elif path == CHANNELS:
            if self._allowed("channels"):
                self._json(200, self.state.channels.create(self._bearer() or ""))
        else:
            return False
        return True

    def org_put(self, path: str, query: dict[str, list[str]], body: bytes) -> bool:
        parts = path.strip("/").split("/")
        if path.startswith(CHANNELS + "/") and len(parts) == 6 and parts[5] == "subscriptions":
            self._subscribe(parts[4], query, body)
            return True
        return False

    def org_head(self, path: str) -> bool:
        parts = path.strip("/").split("/")
        if path.startswith(CHANNELS + "/") and len(parts) == 5:
            if self._allowed("channels"):
                self._empty(200 if self.state.channels.exists(parts[4]) else 404)
            return True
        return False

    # -- answers ----------------------------------------------------------------------------------------------
    def _page(
        self,
        query: dict[str, list[str]],
        path: str,
        entities: list[dict[str, Any]],
        fixture: str,
        target: str,
    ) -> None:
        """Genesys' usual paging (``pageSize`` default 25, at most 100 here; ``pageNumber``), in the shape of the
        listing fixture. Faults: ``duplicate-entity`` repeats an entity (down first, healthy later);
        ``short-page-count`` says one page fewer than ``total`` implies."""
        try:
            size = int(_one(query, "pageSize") or "25")
            page = int(_one(query, "pageNumber") or "1")
        except ValueError:
            self._error(400, "pageSize and pageNumber must be integers", "bad.request")
            return
        if not 1 <= size <= 100 or page < 1:
            self._error(400, "pageSize must be 1 to 100 and pageNumber positive", "bad.request")
            return
        duplicate = self.state.fault_for(target, 0)
        kind = duplicate.kind if duplicate else None
        if kind == "duplicate-entity" and entities:
            first = dict(entities[0])
            if "connectedStatus" in first:
                first["connectedStatus"] = {**first["connectedStatus"], "connected": False}
            if "onlineStatus" in first:
                first["onlineStatus"] = "OFFLINE"
            entities = [first, *entities[1:], entities[0]]  # down on page 1, healthy again at the end
        answer = bodies.listing(fixture, entities, path, size, page)
        if kind == "short-page-count" and answer["pageCount"] > 1:
            answer["pageCount"] -= 1
            if page >= answer["pageCount"]:
                answer.pop("nextUri", None)
        self._json(200, answer)

    def _observations(self, body: bytes) -> None:
        """``POST …/queues/observations/query``: every asked queue's agent group and media groups."""
        if not self._allowed("queues"):
            return
        try:
            request = json.loads(body or b"{}")
            predicates = request["filter"]["predicates"]
            ids = [p["value"] for p in predicates if p.get("dimension") == "queueId"]
            metrics = request["metrics"]
        except (ValueError, KeyError, TypeError, AttributeError):
            self._error(400, "filter.predicates with queueId dimensions and metrics expected", "bad.request")
            return
        if not metrics:
            self._error(400, "Value [] is not valid for field type [QueryFilterType].", "invalid.value")
            return
        if len(ids) > 100:
            self._error(400, "at most 100 predicates", "bad.request")
            return
        answer = bodies.body("queue_observations")
        answer["results"] = self.state.org.observations(ids)
        self._json(200, answer)

    def _phones(self, query: dict[str, list[str]]) -> None:
        """The phones, filtered by ``status.operationalStatus``; ``webRtcUser`` only when ``fields`` asks for it.
        Fault ``narrow-fields``: ``fields`` narrows each phone to the fields asked for (and its id and name)."""
        fields = {f for v in query.get("fields", []) for f in v.split(",") if f}
        entities = self.state.org.phone_entities(
            operational=_one(query, "status.operationalStatus"), webrtc_field="webRtcUser" in fields
        )
        operational = _one(query, "status.operationalStatus")
        if (_one(query, "sortBy") or "name") != "id" or operational is not None:
            # "A maximum of 10,000 results is returned when filtering the results or sorting by a field other
            # than the ID" (the SDK's TelephonyProvidersEdgeApi); sorted by name unless told
            entities = sorted(entities, key=lambda e: str(e.get("name")))[:PHONES_FILTERED_MAX]
        fault = self.state.fault_for("phones", 0)
        if fault and fault.kind == "narrow-fields":
            keep = fields | {"id", "name", "selfUri"}
            entities = [{k: v for k, v in e.items() if k in keep} for e in entities]
        self._page(query, PHONES, entities, "phones_page", "phones")

    def _aggregates(self, body: bytes) -> None:
        """``POST …/actions/aggregates/query``: each action's executions in the asked interval, grouped as asked
        (an empty ``metrics`` or ``groupBy`` is refused, as the recorded mock answers)."""
        try:
            request = json.loads(body or b"{}")
            first, last = (datetime.fromisoformat(t) for t in request["interval"].split("/"))
            metrics, group_by = request["metrics"], list(request.get("groupBy") or [])
        except (ValueError, KeyError, TypeError, AttributeError):
            self._error(400, "interval (start/end) and metrics expected", "bad.request")
            return
        if not metrics or not group_by or last < first:
            self._error(
                400, "Value [] is not valid for field type [ActionAggregationQuery].", "invalid.value"
            )
            return
        self._json(200, {"results": self.state.org.action_aggregates(first, last, group_by)})

    def _subscribe(self, ident: str, query: dict[str, list[str]], body: bytes) -> None:
        if not self._allowed("subscriptions"):
            return
        try:
            topics = [t["id"] for t in json.loads(body or b"[]")]
        except (ValueError, KeyError, TypeError):
            self._error(400, "a list of {id: topic} expected", "bad.request")
            return
        if len(topics) > 1000:
            self._error(400, "A channel may subscribe to at most 1000 topics", "notification.too.many.topics")
            return
        fault = self.state.fault_for("subscriptions", 0)
        rejected = (
            tuple(fault.arg.split(",")) if fault and fault.kind == "reject-topics" and fault.arg else ()
        )
        ignore = (_one(query, "ignoreErrors") or "false").lower() == "true"
        answer = self.state.channels.subscribe(ident, topics, ignore_errors=ignore, rejected=rejected)
        if answer is None:
            self._error(404, f"Channel {ident} not found", "not.found")
        elif "refused" in answer:
            self._error(403, answer["refused"]["rejectionReason"], "missing.permissions")
        else:
            self._json(200, answer)

    @staticmethod
    def _catalogue(expand: str) -> dict[str, Any]:
        """The topics this org offers; ``requiresPermissions`` and ``topicParameters`` only when expanded."""
        answer = bodies.body("availabletopics")
        wanted = set(expand.split(","))
        optional = {"requiresPermissions", "topicParameters", "schema", "description", "permissionDetails"}
        answer["entities"] = [
            {k: v for k, v in topic.items() if k not in optional or k in wanted}
            for topic in answer["entities"]
        ]
        return answer
