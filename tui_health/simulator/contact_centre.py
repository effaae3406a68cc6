"""The simulated org's contact centre beyond its Edges: desk phones by site, integrations and data actions.

Every body is a fixture's example with the scenario's values put in (:mod:`tui_health.simulator.bodies`): a phone
is the recorded hardware phone (or WebRTC phone) with its id, name, site and states changed, its topic frame the
``PhoneChangeTopicPhone`` example; an integration is the fixture's ACTIVE integration with its id, name and
states changed; the data action aggregates are counted from each action's traffic over the asked interval, in the
shape of the aggregate fixture, grouped by what the query asks for.

Like a real org it has what must not be watched: WebRTC phones (``webrtc_per_site`` at every site, one of them
OFFLINE, since its agent is logged out), a DISABLED integration, and an action nobody calls.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from tui_health.simulator import bodies
from tui_health.simulator.scenario import OrgSpec
from tui_health.support.clock import rfc3339

PHONES = "/api/v2/telephony/providers/edges/phones"
SITE_NAMES = ("HQ-Chicago", "Branch-Denver", "Branch-Austin", "Branch-Leeds", "Branch-Pune", "Branch-Manila")
INTEGRATION_TYPES = (
    ("purecloud-data-actions", "Genesys Cloud Data Actions"),
    ("custom-rest-actions", "CRM REST Actions"),
    ("aws-lambda-data-actions", "Order Lambda Actions"),
    ("salesforce-datadip", "Salesforce Data Actions"),
)
ACTION_NAMES = (
    "Customer lookup",
    "Order status",
    "Create ticket",
    "Verify PIN",
    "Balance enquiry",
    "Callback",
)
CENTRE_KINDS = frozenset({"site", "phone", "integration", "action"})


def _site_of(index: int) -> dict[str, str]:
    name = SITE_NAMES[index % len(SITE_NAMES)] + ("" if index < len(SITE_NAMES) else f"-{index + 1}")
    return {
        "id": f"site-{index + 1}",
        "name": name,
        "selfUri": f"{PHONES.rsplit('/', 1)[0]}/sites/site-{index + 1}",
    }


@dataclass
class SimPhone:
    id: str
    name: str
    site: dict[str, str]
    webrtc: bool = False
    online: bool = True
    degraded: bool = False
    changed: datetime = field(default_factory=datetime.now)

    def _operational(self) -> str:
        return "OFFLINE" if not self.online else "DEGRADED" if self.degraded else "OPERATIONAL"

    def _status(self, example: dict[str, Any], edge_kind: str) -> dict[str, Any]:
        status = dict(example)
        status.update(
            id=self.id,
            operationalStatus=self._operational()
            if edge_kind == "PRIMARY" or not self.online
            else "OPERATIONAL",
            selfUri=f"{PHONES}/{self.id}/status",
        )
        if "eventCreationTime" in status:  # a plain string in the listing, as recorded (microseconds)
            status["eventCreationTime"] = self.changed.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        # its lines reachable as the phone is (the examples carry a degraded phone's unreachable line)
        reachable = self.online and not (self.degraded and edge_kind == "PRIMARY")
        status["lineStatuses"] = [
            {**line, "reachable": reachable}
            for line in status.get("lineStatuses", [])
            if isinstance(line, dict)
        ]
        return status

    def entity(self, *, webrtc_field: bool) -> dict[str, Any]:
        """The phone as the listing has it; ``webRtcUser`` only when ``fields=webRtcUser`` was asked for (whether
        Genesys returns it otherwise is not known: the recorded WebRTC phones lack it)."""

        def hardware(p: dict[str, Any]) -> bool:
            return "webRtcUser" not in p and p["status"]["operationalStatus"] == "OPERATIONAL"

        entity = bodies.entity("phones_page", (lambda p: "webRtcUser" in p) if self.webrtc else hardware)
        entity.update(id=self.id, name=self.name, site=dict(self.site), selfUri=f"{PHONES}/{self.id}")
        entity["status"] = self._status(entity["status"], "PRIMARY")
        entity["secondaryStatus"] = self._status(entity["secondaryStatus"], "SECONDARY")
        for line in entity.get("lines", []):
            line["site"] = dict(self.site)
        if not webrtc_field:
            entity.pop("webRtcUser", None)
        return entity

    def pushed(self) -> dict[str, Any]:
        """``PhoneChangeTopicPhone``: the fixture's body with this phone's id and states (a date-time there)."""
        event = bodies.body("topic_phone")["eventBody"]
        event["id"] = self.id
        for key, kind in (("status", "PRIMARY"), ("secondaryStatus", "SECONDARY")):
            if isinstance(event.get(key), dict):
                event[key] = self._status(event[key], kind)
                event[key].pop("selfUri", None)  # the topic's status has none
                event[key]["eventCreationTime"] = rfc3339(self.changed)
        return event


@dataclass
class SimIntegration:
    id: str
    name: str
    type_id: str
    intended: str = "ENABLED"
    code: str = "ACTIVE"
    message: str | None = None
    changed: datetime = field(default_factory=datetime.now)

    def entity(self) -> dict[str, Any]:
        entity = bodies.entity("integrations_page", lambda i: i["reportedState"]["code"] == "ACTIVE")
        entity.update(
            id=self.id, name=self.name, intendedState=self.intended, selfUri=f"/api/v2/integrations/{self.id}"
        )
        entity["integrationType"] = {
            **entity["integrationType"],
            "id": self.type_id,
            "selfUri": f"/api/v2/integrations/types/{self.type_id}",
        }
        reported = {**entity["reportedState"], "code": self.code, "effective": self.code.title()}
        reported["lastUpdated"] = rfc3339(self.changed)
        if self.message:
            detail = bodies.entity("integrations_page", lambda i: "detail" in i["reportedState"])
            reported["detail"] = {**detail["reportedState"]["detail"], "message": self.message}
        entity["reportedState"] = reported
        return entity


@dataclass
class Traffic:
    """An action's calls from ``since``: per minute, the share failing (with which error), their mean time."""

    since: datetime
    per_minute: float
    error_pct: float = 0.0
    mean_ms: float = 300.0
    error_type: str = "REMOTE_ENDPOINT"


@dataclass
class SimAction:
    id: str
    name: str
    traffic: list[Traffic]

    def counts(self, start: datetime, end: datetime) -> dict[str, tuple[int, float, float]]:
        """Executions in ``[start, end)`` by error type (``NONE`` for success): count, total and longest ms."""
        out: dict[str, list[float]] = {}
        for index, part in enumerate(self.traffic):
            until = self.traffic[index + 1].since if index + 1 < len(self.traffic) else end
            overlap = (min(until, end) - max(part.since, start)).total_seconds()
            if overlap <= 0 or part.per_minute <= 0:
                continue
            calls = round(part.per_minute * overlap / 60)
            failing = round(calls * part.error_pct / 100)
            for kind, n in (("NONE", calls - failing), (part.error_type, failing)):
                if n > 0:
                    entry = out.setdefault(kind, [0, 0.0, 0.0])
                    entry[0] += n
                    entry[1] += n * part.mean_ms
                    entry[2] = max(entry[2], part.mean_ms * 1.8)
        return {k: (int(v[0]), v[1], v[2]) for k, v in out.items()}


class ContactCentre:
    """Phones by site, integrations and data actions of one simulated org (the caller holds its lock)."""

    def __init__(self, spec: OrgSpec, before: datetime) -> None:
        self.phones: dict[str, SimPhone] = {}
        self.sites: dict[str, dict[str, str]] = {}
        for s in range(spec.sites):
            site = _site_of(s)
            self.sites[site["id"]] = site
            short = site["name"].split("-")[-1][:3].upper()
            for p in range(spec.phones_per_site):
                phone = SimPhone(f"phone-{s + 1}-{p + 1}", f"{short}-Desk-{p + 1:02d}", site, changed=before)
                self.phones[phone.id] = phone
            for w in range(spec.webrtc_per_site):
                phone = SimPhone(
                    f"webrtc-{s + 1}-{w + 1}",
                    f"Agent {s + 1}.{w + 1}_WebRTC",
                    site,
                    webrtc=True,
                    changed=before,
                )
                phone.online = w > 0  # its agent logged out: it must page nobody
                self.phones[phone.id] = phone
        self.integrations: dict[str, SimIntegration] = {}
        for i in range(spec.integrations):
            type_id, name = INTEGRATION_TYPES[i % len(INTEGRATION_TYPES)]
            item = SimIntegration(f"integration-{i + 1}", name, type_id, changed=before)
            self.integrations[item.id] = item
        if spec.integrations:
            off = SimIntegration(
                "integration-off", "Legacy Ticketing Webhook", "generic-webhook", changed=before
            )
            off.intended, off.code = "DISABLED", "INACTIVE"
            self.integrations[off.id] = off
        self.actions: dict[str, SimAction] = {}
        for a in range(spec.actions):
            ident = f"custom_-_action-{a + 1}"
            name = ACTION_NAMES[a % len(ACTION_NAMES)] + ("" if a < len(ACTION_NAMES) else f" {a + 1}")
            self.actions[ident] = SimAction(ident, name, [Traffic(before - timedelta(days=1), 30.0)])
        if spec.actions:
            quiet = "custom_-_action-quiet"
            self.actions[quiet] = SimAction(quiet, "Yearly audit export", [Traffic(before, 0.0)])

    def apply(
        self, kind: str, ident: str, fields: dict[str, Any], now: datetime
    ) -> list[tuple[str, dict[str, Any]]]:
        """Change a site's phones, one phone, an integration or an action now; the frames it publishes."""
        frames: list[tuple[str, dict[str, Any]]] = []
        if kind in ("site", "phone"):
            chosen = [
                p
                for p in self.phones.values()
                if (p.site["id"] == ident if kind == "site" else p.id == ident) and not p.webrtc
            ]
            for phone in chosen:
                before = (phone.online, phone.degraded)
                phone.online = fields.get("online", phone.online)
                phone.degraded = fields.get("degraded", phone.degraded)
                if (phone.online, phone.degraded) != before:
                    phone.changed = now
                    frames.append((f"v2.telephony.providers.edges.phones.{phone.id}", phone.pushed()))
        elif kind == "integration" and ident in self.integrations:
            item = self.integrations[ident]
            item.intended = fields.get("intended", item.intended)
            item.code = fields.get("state", item.code)
            item.message = fields.get("message", item.message if item.code == "ERROR" else None)
            item.changed = now
        elif kind == "action" and ident in self.actions:
            last = self.actions[ident].traffic[-1]
            self.actions[ident].traffic.append(
                Traffic(
                    now,
                    fields.get("per_minute", last.per_minute),
                    fields.get("error_pct", last.error_pct),
                    fields.get("mean_ms", last.mean_ms),
                    fields.get("error_type", last.error_type),
                )
            )
        return frames

    # -- what the API serves ------------------------------------------------------------------------------
    def phone_entities(self, *, operational: str | None, webrtc_field: bool) -> list[dict[str, Any]]:
        """The phones, only those whose primary status is ``operational`` when that filter is asked for."""
        out = [p.entity(webrtc_field=webrtc_field) for p in self.phones.values()]
        return [e for e in out if operational is None or e["status"]["operationalStatus"] == operational]

    def integration_entities(self) -> list[dict[str, Any]]:
        return [i.entity() for i in self.integrations.values()]

    def aggregates(self, start: datetime, end: datetime, group_by: list[str]) -> list[dict[str, Any]]:
        """The action aggregate results for ``[start, end)``, one group per action (and error type, when asked)."""
        example = bodies.body("actions_aggregates")["results"][0]
        interval = f"{rfc3339(start)}/{rfc3339(end)}"
        results = []
        for action in self.actions.values():
            counts = action.counts(start, end)
            if "errorType" not in group_by and len(counts) > 1:
                merged = (
                    sum(c[0] for c in counts.values()),
                    sum(c[1] for c in counts.values()),
                    max(c[2] for c in counts.values()),
                )
                counts = {"NONE": merged}
            for error_type, (count, total, most) in counts.items():
                group = {"actionId": action.id, "actionName": action.name, "errorType": error_type}
                item = dict(example)
                item["group"] = {k: v for k, v in group.items() if k in group_by}
                metric = {**example["data"][0]["metrics"][0]}
                metric["stats"] = {
                    "max": round(most),
                    "min": round(most / 4),
                    "count": count,
                    "sum": round(total),
                }
                item["data"] = [{**example["data"][0], "interval": interval, "metrics": [metric]}]
                results.append(item)
        return results
