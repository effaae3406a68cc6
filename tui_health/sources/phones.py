"""The ``phones`` source: the org's desk phones, judged per site — what drops when a site's LAN, WAN or Edge fails.

``GET /api/v2/telephony/providers/edges/phones?expand=status,site&fields=webRtcUser`` (paged; needs
``telephony:plugin:all``), pushed on ``v2.telephony.providers.edges.phones.{id}``. Shapes: platform-client-sdk-python
``build/docs/Phone.md``, ``PhoneStatus.md``, ``LineStatus.md``; the topic's ``PhoneChangeTopicPhone`` (platform-client-sdk-go
``phonechangetopicphone.go``: ``{id, status, secondaryStatus, userAgentInfo}`` — no name, site or lines, so a push
is placed by what the listing said).

**Hardware phones only.** A WebRTC phone is OFFLINE whenever its agent is logged out, so it is never counted (nor
subscribed): one with ``webRtcUser`` set — asked for with ``fields=webRtcUser``, since a listing may leave it out
otherwise — or, when that field is missing, one Genesys names ``…_WebRTC`` (its default name, as the recorded
answer of splunk/genesys_cloud_ta shows). Whether ``fields`` also narrows the answer is not documented: a
listing whose phones carry no status at all fails the source instead of saying OK.

A phone is *out* when its primary ``status.operationalStatus`` is ``OFFLINE`` and its ``secondaryStatus`` is not
``OPERATIONAL``, or when ``status.edgesStatus`` is ``OUT_OF_SERVICE`` or ``NO_EDGES``; *impaired* when it is
``DEGRADED``, a line is unreachable, or it runs on its secondary Edge only. One component per site (kind ``site``,
id ``site:<site id>``): every hardware phone out is down; more than ``phones.degraded_pct`` (10 %) out or impaired
is degraded; the details name the phones out (at most ten). ``phones.ids`` also watches named phones one by one
(kind ``phone``, id ``phone:<id>``): the lobby phone, the emergency phone.

**Many phones.** Genesys returns at most 10,000 phones when a listing is filtered or sorted by anything but the id
(and sorts by name unless told): the full listing is sorted by id (``sortBy=id``), which has no limit. It is made
every ``phones.list_every`` (300 s); at every poll in between only the phones Genesys lists as offline are asked for
(``status.operationalStatus=OFFLINE``: a filter, so cut at 10,000; an answer that is cut there makes a full listing
instead), and a phone that left that list is taken as operational again. Push spends the notification channel's topics deliberately: at most ``phones.max_pushed``
(500) hardware phones are subscribed — those in ``phones.ids`` first, then the same number from every site in
turn — so a site going dark is pushed by any of its subscribed phones, and the rest is seen by those polls.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import replace
from datetime import datetime
from typing import Any

from pydantic import Field, field_validator

from tui_health.genesys.channel_api import Catalogue
from tui_health.genesys.client import ApiClient
from tui_health.genesys.listing import walk
from tui_health.genesys.wire import obj, parse_timestamp
from tui_health.model.domain import Component, RequestTiming, SourceResult, Status
from tui_health.model.extras import SourceExtras
from tui_health.sources import entities
from tui_health.sources.base import BuildContext, SourceSettings, failed
from tui_health.support.clock import Clock, SystemClock
from tui_health.support.errors import ApiError, TuiHealthError
from tui_health.support.section import Section, split_list
from tui_health.support.text import clean

NAME = "phones"
NEEDS_CREDENTIALS = True
SECTION = "phones"
KINDS = ("site", "phone")
PERMISSION = "telephony:plugin:all"
PAGES_AT_ONCE = False
PATH = "/api/v2/telephony/providers/edges/phones"
TOPIC = "v2.telephony.providers.edges.phones.{id}"
FILTERED_MAX = 10_000
"""Results Genesys gives at most for a filtered or sorted phone query (its documentation says so)."""
MAX_PHONES = 50_000
NAMED = 10
"""Phones named in a site's details at most."""
OUT_OF_SERVICE = frozenset({"OUT_OF_SERVICE", "NO_EDGES"})
TEMPLATE = """\
[phones]             # the phones source (needs telephony:plugin:all): hardware phones, judged per site
page_size = 100
degraded_pct = 10    # more than this share of a site's hardware phones out or impaired: degraded
list_every = 300     # seconds between full listings (in between: only the phones listed as offline)
max_pushed = 500     # hardware phones subscribed for push at most (phones.ids first, then every site in turn)
# ids = ["<phone id>"]   # also watch these phones one by one (the lobby phone, the emergency phone)
"""


class PhonesSettings(Section):
    """``[phones]``."""

    page_size: int = Field(100, ge=1, le=100)
    degraded_pct: float = Field(10.0, ge=0, le=100)
    list_every: float = Field(300.0, ge=0, le=86_400)
    max_pushed: int = Field(500, ge=0, le=5_000)
    ids: list[str] = Field(default_factory=list, max_length=200)

    _split = field_validator("ids", mode="before")(split_list)


Settings = PhonesSettings


def build(ctx: BuildContext) -> PhonesSource:
    assert ctx.tokens is not None
    return PhonesSource(
        ApiClient(ctx.budgeted, ctx.tokens, ctx.settings.api_url),
        ctx.settings.section(SECTION),
        clock=ctx.clock,
        max_pages=ctx.settings.poll.max_pages,
    )


def _text(value: Any, limit: int = 60) -> str:
    return clean(value, limit) if isinstance(value, str) else ""


def is_webrtc(phone: dict[str, Any]) -> bool:
    """A WebRTC phone: ``webRtcUser`` set, or (the field missing) named ``…_WebRTC`` as Genesys names them."""
    if isinstance(phone.get("webRtcUser"), dict) and phone["webRtcUser"]:
        return True
    return "webRtcUser" not in phone and _text(phone.get("name"), 200).lower().endswith("_webrtc")


def state(phone: dict[str, Any]) -> str:
    """``out``, ``impaired``, ``ok`` or ``unknown``, from the phone's primary and secondary status."""
    primary, secondary = obj(phone, "status"), obj(phone, "secondaryStatus")
    first = _text(primary.get("operationalStatus")).upper()
    second = _text(secondary.get("operationalStatus")).upper()
    if _text(primary.get("edgesStatus")).upper() in OUT_OF_SERVICE:
        return "out"
    if first == "OFFLINE":
        return "impaired" if second == "OPERATIONAL" else "out"  # on its secondary Edge only
    lines = primary.get("lineStatuses")
    unreachable = any(
        isinstance(line, dict) and line.get("reachable") is False
        for line in (lines[:20] if isinstance(lines, list) else ())
    )
    if first == "DEGRADED" or (first == "OPERATIONAL" and unreachable):
        return "impaired"
    if first == "OPERATIONAL":
        return "ok"
    return "unknown"


def site_id(phone: dict[str, Any]) -> str:
    """The id of the phone's site (empty when the listing names none)."""
    ident = obj(phone, "site").get("id")
    return clean(ident, 200) if isinstance(ident, str) else ""


def changed_at(phone: dict[str, Any]) -> datetime | None:
    """When the phone's status last changed, as Genesys says it (``eventCreationTime``: a string in the listing,
    a date-time in the topic; both read)."""
    times = [parse_timestamp(obj(phone, k).get("eventCreationTime")) for k in ("status", "secondaryStatus")]
    known = [t for t in times if t is not None]
    return max(known) if known else None


class PhonesSource:
    name = NAME

    def __init__(
        self, api: ApiClient, settings: PhonesSettings, *, clock: Clock | None = None, max_pages: int = 200
    ) -> None:
        self.api = api
        self.settings = settings
        self.clock = clock or SystemClock()
        self.max_pages = max_pages
        self.phones: dict[str, dict[str, Any]] = {}  # hardware phones (and those named in phones.ids) by id
        self.sites: dict[str, str] = {}  # site id → name
        self._listed_at: float | None = None
        self._polled = False
        self._stale = True
        self._during: list[tuple[str, dict[str, Any]]] | None = None  # pushes heard while a poll lists
        self.note: str | None = None

    # -- a poll -------------------------------------------------------------------------------------------
    async def fetch(self, deadline: float | None) -> SourceResult:
        timings: list[RequestTiming] = []
        cids: list[str] = []
        self._during = []
        try:
            now = self.clock.monotonic()
            if self._listed_at is None or now - self._listed_at >= self.settings.list_every:
                await self._list_all(timings, deadline, cids)
                self._listed_at = now
            elif not await self._list_offline(timings, deadline, cids):
                await self._list_all(timings, deadline, cids)  # the offline list was cut: the whole of it
                self._listed_at = now
        except TuiHealthError as exc:
            return failed(self.name, exc, timings)
        finally:
            during, self._during = self._during or [], None
        for topic, body in during:  # a push that came while the listing was read may be newer than it
            self.apply(topic, body)
        self._polled, self._stale = True, False
        return replace(self._result(), timings=tuple(timings), correlation_ids=tuple(cids))

    async def _walk(
        self, timings: list[RequestTiming], deadline: float | None, cids: list[str], **filters: str
    ) -> list[dict[str, Any]]:
        listing = await walk(
            self.api,
            PATH,
            label="phones",
            timings=timings,
            deadline=deadline,
            cids=cids,
            permission=PERMISSION,
            params={"expand": "status,site", "fields": "webRtcUser", "sortBy": "id", **filters},
            page_size=self.settings.page_size,
            max_pages=self.max_pages,
            max_entities=MAX_PHONES,
        )
        return listing.entities

    def _keep(self, phone: dict[str, Any]) -> bool:
        return phone["id"] in self.settings.ids or not is_webrtc(phone)

    async def _list_all(self, timings: list[RequestTiming], deadline: float | None, cids: list[str]) -> None:
        listed = await self._walk(timings, deadline, cids)
        if listed and not any(isinstance(p.get("status"), dict) for p in listed):
            raise ApiError(
                "the phone listing carries no status for any phone (expand=status was not honoured): nothing "
                "could be judged",
                correlation_id=cids[-1] if cids else None,
            )
        self.take(listed)

    def take(self, listed: list[dict[str, Any]]) -> None:
        """A full listing's phones: the hardware ones (and those of ``phones.ids``) and their sites."""
        self.phones = {clean(p["id"], 200): p for p in listed if self._keep(p)}
        self.sites = {}
        for phone in self.phones.values():
            site = phone.get("site")
            if isinstance(site, dict) and isinstance(site.get("id"), str):
                self.sites[clean(site["id"], 200)] = _text(site.get("name"), 100) or clean(site["id"], 100)
        self.note = None if self.phones else "no hardware phones in this org: nothing to watch here"

    async def _list_offline(
        self, timings: list[RequestTiming], deadline: float | None, cids: list[str]
    ) -> bool:
        """Only the phones Genesys lists as offline; ``False`` when that list was cut at its 10,000 results."""
        listed = await self._walk(timings, deadline, cids, **{"status.operationalStatus": "OFFLINE"})
        if len(listed) >= FILTERED_MAX:
            return False
        offline = {clean(p["id"], 200): p for p in listed if self._keep(p)}
        for pid, phone in self.phones.items():
            if pid in offline:
                self.phones[pid] = {
                    **phone,
                    **{k: offline[pid][k] for k in ("status", "secondaryStatus") if k in offline[pid]},
                }
            elif _text(obj(phone, "status").get("operationalStatus")).upper() == "OFFLINE":
                # it left the offline list: operational again (an impairment is seen at the next full listing);
                # its lines and Edges as the offline listing had them describe the outage, not the phone now
                stale = {
                    k: v for k, v in obj(phone, "status").items() if k not in ("lineStatuses", "edgesStatus")
                }
                self.phones[pid] = {**phone, "status": {**stale, "operationalStatus": "OPERATIONAL"}}
        return True

    # -- the components -----------------------------------------------------------------------------------
    def _result(self) -> SourceResult:
        by_site: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for phone in self.phones.values():
            sid = site_id(phone)
            if sid and not is_webrtc(phone):
                by_site[sid].append(phone)
        components = [self._site(sid, phones) for sid, phones in sorted(by_site.items())]
        components += [self._phone(pid) for pid in self.settings.ids]
        return SourceResult(
            name=self.name,
            ok=True,
            components=tuple(components),
            extras=SourceExtras(note=None if components else self.note),
            rate_limit=self.api.rate_limit(PATH),
        )

    def _site(self, sid: str, phones: list[dict[str, Any]]) -> Component:
        states = [(state(p), p) for p in phones]
        out = [p for s, p in states if s == "out"]
        impaired = [p for s, p in states if s == "impaired"]
        unknown = sum(1 for s, _ in states if s == "unknown")
        share = 100.0 * (len(out) + len(impaired)) / len(phones)
        if unknown == len(phones):
            status = Status.UNKNOWN
        elif len(out) == len(phones):
            status = Status.DOWN
        elif share > self.settings.degraded_pct:
            status = Status.DEGRADED
        else:
            status = Status.HEALTHY

        def named(group: list[dict[str, Any]]) -> str:
            names = [_text(p.get("name"), 60) or clean(p["id"], 60) for p in group]
            more = f", +{len(names) - NAMED} more" if len(names) > NAMED else ""
            return ", ".join(names[:NAMED]) + more

        details: dict[str, Any] = {
            "hardware_phones": len(phones),
            "out": len(out),
            "impaired": len(impaired),
            "out_or_impaired_pct": round(share, 1),
            "degraded_pct": self.settings.degraded_pct,
        }
        if unknown:
            details["unknown"] = unknown
        if out:
            details["phones_out"] = named(out)
        if impaired:
            details["phones_impaired"] = named(impaired)
        times = [t for t in map(changed_at, phones) if t is not None]
        return Component(
            id=f"site:{sid}",
            name=self.sites.get(sid, sid),
            status=status,
            last_modified=max(times) if times else None,
            source=NAME,
            details=details,
            kind="site",
        )

    def _phone(self, pid: str) -> Component:
        phone = self.phones.get(pid)
        if phone is None:
            return Component(
                id=f"phone:{pid}", name=pid, status=Status.UNKNOWN, source=NAME, kind="phone",
                details={"note": "the listing does not have this phone"},
            )  # fmt: skip
        found = state(phone)
        status = {"out": Status.DOWN, "impaired": Status.DEGRADED, "ok": Status.HEALTHY}.get(
            found, Status.UNKNOWN
        )
        primary = obj(phone, "status")
        details = {
            "operational_status": _text(primary.get("operationalStatus")) or None,
            "edges_status": _text(primary.get("edgesStatus")) or None,
            "site": self.sites.get(site_id(phone)),
        }
        return Component(
            id=f"phone:{pid}",
            name=_text(phone.get("name"), 100) or pid,
            status=status,
            last_modified=changed_at(phone),
            source=NAME,
            details=details,
            kind="phone",
        )

    # -- push -----------------------------------------------------------------------------------------------
    def topics(self) -> list[str]:
        """At most ``max_pushed`` hardware phones: those named in ``phones.ids`` first, then every site in turn."""
        budget = self.settings.max_pushed
        chosen = [pid for pid in self.settings.ids if pid in self.phones][:budget]
        by_site: dict[str, list[str]] = defaultdict(list)
        for pid, phone in self.phones.items():
            if pid not in chosen and not is_webrtc(phone):
                by_site[site_id(phone)].append(pid)
        queues = [by_site[s] for s in sorted(by_site)]
        turn = 0
        while len(chosen) < budget and any(queues):
            for queue in queues:
                if turn < len(queue) and len(chosen) < budget:
                    chosen.append(queue[turn])
            turn += 1
            if all(turn >= len(q) for q in queues):
                break
        return [TOPIC.format(id=pid) for pid in chosen]

    def use_catalogue(self, catalogue: Catalogue) -> None:
        """Its topic needs no parameter but the phone's id."""

    def apply(self, topic: str, body: dict[str, Any]) -> SourceResult | bool:
        """``PhoneChangeTopicPhone``: its status and secondary status, over what the listing said (the topic has
        no ``edgesStatus``: the listing's is kept)."""
        if self._during is not None:
            self._during.append((topic, body))
        pid = topic.removeprefix("v2.telephony.providers.edges.phones.")
        phone = self.phones.get(pid)
        if phone is None or topic != TOPIC.format(id=pid) or ("id" in body and body["id"] != pid):
            return False
        merged = dict(phone)
        for key in ("status", "secondaryStatus"):
            if isinstance(body.get(key), dict):
                merged[key] = {**obj(phone, key), **body[key]}
        if merged == phone:
            return False
        before = state(phone)
        self.phones[pid] = merged
        if state(merged) == before:
            return False
        return self._result() if self._polled and not self._stale else True

    def catch_up(self) -> None:
        self._stale = True


# -- what this source declares about itself (read through the registry) ------------------------------------
def chosen(settings: SourceSettings) -> bool:
    """Polled when no sources are configured: never (it needs a permission of its own): asked for by name."""
    return False


hosts, identity, history_flags = entities.hosts, entities.identity, entities.history_flags


def demo(sim_url: str, org: bool) -> dict[str, Any] | None:
    """In the demo when the scenario has an org (its sites' phones)."""
    return {} if org else None
