"""The push hub of one target: its notification channels, which source each pushed change belongs to, and the
pushed news handed to the monitor.

At start the hub reads the org's catalogue of topics (``availabletopics``): which topics exist, what their
parameters are and which permission each needs. A source that must choose its topic's parameter (the
operational events) reads it; a topic the catalogue does not offer is never asked for (it stays polled, said
once). If the catalogue cannot be read, the topics are asked for as documented.

After every poll the hub gathers the topics of its sources (what the poll listed) and spreads them over channels
(1,000 topics each, 20 at most); each channel runs as its own task. A pushed change goes to the source that owns
its topic, which answers with what it would answer now (or asks to be polled: it carries no answer); the hub
hands that answer to the monitor (:class:`Observer`) — no second trip into the source, no request. Changes that
arrive together (within ``SETTLE``) are observed together. A gap in any channel (a (re)connection) makes every
source poll again (``catch_up``), and that poll is the next observation, so it catches what the gap missed. A
pushed change waits its ``flap_interval`` in the engine: the hub observes its source again when the earliest
pending one is due, not at the next poll. Problems (a dropped socket, a refused subscription, malformed frames)
are said once per kind until the channel works again.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from tui_health.genesys.channel_api import Catalogue
from tui_health.genesys.notifications import NotificationChannel, split_topics
from tui_health.model.domain import SourceResult
from tui_health.sources.base import Pushed
from tui_health.support.text import clean

NewChannel = Callable[["PushHub"], NotificationChannel]
"""Makes a channel that tells this hub (the hub is every channel's listener)."""
ReadCatalogue = Callable[[], Awaitable[Catalogue]]
SETTLE = 0.05
"""Seconds a pushed change waits for others arriving with it (one observation for a burst)."""


@dataclass(slots=True)
class News:
    """What to observe: sources' new answers (pushed; each with the hub's count of events when it was made),
    sources to poll (a gap; a push that carries no answer), and sources to observe again as they last answered
    (a pending change is due)."""

    answers: dict[str, tuple[int, SourceResult]] = field(default_factory=dict)
    ask: set[str] = field(default_factory=set)
    again: set[str] = field(default_factory=set)

    def __bool__(self) -> bool:
        return bool(self.answers or self.ask or self.again)


class Observer(Protocol):
    """What the hub needs of the monitor."""

    @property
    def paused(self) -> bool: ...

    async def observe_pushed(self, news: News) -> None:
        """Observe the news now (never at the same time as a poll)."""
        ...

    def push_said(self, kind: str, message: str, ok: bool) -> None:
        """A problem of the channel (``ok`` False), or the channel working again (``ok`` True)."""
        ...

    def pending_due(self, sources: set[str]) -> tuple[float, set[str]] | None:
        """Seconds until the earliest pending change of these sources may be confirmed, and the sources with
        pending changes; ``None`` when none is pending."""
        ...


class PushHub:
    def __init__(
        self, sources: list[Pushed], new_channel: NewChannel, catalogue: ReadCatalogue | None = None
    ) -> None:
        self.sources = sources
        self.new_channel = new_channel
        self.read_catalogue = catalogue
        self.catalogue = Catalogue()
        """The org's topics (empty until read, or when they could not be)."""
        self.owners: dict[str, Pushed] = {}
        self.channels: list[NotificationChannel] = []
        self.observer: Observer | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self._begun: asyncio.Task[None] | None = None
        self._ready = False
        self._stop = asyncio.Event()
        self._not_offered: set[str] = set()  # shapes of topics said not to be offered (said once)
        self._news = News()
        self._delivery: asyncio.Task[None] | None = None
        self._due: asyncio.TimerHandle | None = None
        self._polled_at: dict[str, int] = {}  # source → the event count when a poll of it last answered
        self.seq = 0
        """Pushed events heard so far (orders pushed answers against polls)."""
        self.events = 0
        """Pushed changes that changed something (the benchmark and tests read it)."""
        self.gaps = 0

    @property
    def names(self) -> set[str]:
        return {s.name for s in self.sources}

    @property
    def busy(self) -> bool:
        """Whether news is waiting or being observed (tests wait until it is not)."""
        return bool(self._news) or (self._delivery is not None and not self._delivery.done())

    def start(self, observer: Observer) -> None:
        self.observer = observer
        self._begun = asyncio.ensure_future(self._begin())

    async def _begin(self) -> None:
        if self.read_catalogue is not None:
            try:
                self.catalogue = await self.read_catalogue()
            except (
                Exception
            ) as exc:  # the catalogue is a help, not a need: topics are asked for as documented
                why = exc.one_line() if hasattr(exc, "one_line") else f"{type(exc).__name__}: {exc}"
                message = (
                    f"could not read the notification topics this org offers ({why}); asking as documented"
                )
                self._say("catalogue", message)
        for source in self.sources:
            source.use_catalogue(self.catalogue)
        self._ready = True
        self.refresh()

    async def stop(self) -> None:
        self._stop.set()
        if self._due is not None:
            self._due.cancel()
        tasks = [*self._tasks, *(t for t in (self._begun, self._delivery) if t is not None)]
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._tasks.clear()

    def replace_sources(self, sources: list[Pushed]) -> None:
        """A reload rebuilt the sources: the new ones are heard from now (they poll before they answer from
        pushed news: nothing they did not list is believed)."""
        self.sources = sources
        for source in sources:
            source.use_catalogue(self.catalogue)
        self.refresh()

    def polled(self, answered: set[str] | frozenset[str] = frozenset()) -> None:
        """After each poll or observation (``answered``: the sources a poll asked): subscribe what the sources
        know now, and observe again when the earliest pending pushed change is due."""
        for name in answered:
            self._polled_at[name] = self.seq
        self.refresh()
        self._schedule_due()

    def still_news(self, news: News) -> News:
        """``news`` without the answers a poll has superseded since they were made (a poll's answer holds every
        push it heard, and is newer)."""
        fresh = {n: a for n, a in news.answers.items() if a[0] > self._polled_at.get(n, -1)}
        return News(fresh, news.ask, news.again)

    def refresh(self) -> None:
        """Topics from what the sources know now, spread over channels (new channels start as needed)."""
        if self._stop.is_set() or not self._ready:
            return
        owners: dict[str, Pushed] = {}
        for source in self.sources:
            for topic in source.topics():
                if self._offered(topic):
                    owners.setdefault(topic, source)
        self.owners = owners
        groups = split_topics(list(owners))
        while len(self.channels) < len(groups):
            channel = self.new_channel(self)
            channel.catalogue = self.catalogue
            self.channels.append(channel)
            self._tasks.append(asyncio.ensure_future(channel.run(self._stop)))
        for index, channel in enumerate(self.channels):
            channel.set_topics(groups[index] if index < len(groups) else [])

    def _offered(self, topic: str) -> bool:
        """Whether the org offers ``topic`` (always, when the catalogue could not be read)."""
        if not self.catalogue.topics or self.catalogue.info(topic) is not None:
            return True
        shape = ".".join("{id}" if len(p) > 20 or p.isdigit() else p for p in topic.split("."))
        if shape not in self._not_offered:
            self._not_offered.add(shape)
            self._say("not_offered", f"the org offers no notification topic like {topic}: polled only")
        return False

    # -- news for the monitor -----------------------------------------------------------------------------
    def _deliver_soon(self) -> None:
        if self._stop.is_set():
            return
        if self._delivery is None or self._delivery.done():
            self._delivery = asyncio.ensure_future(self._deliver())

    async def _deliver(self) -> None:
        await asyncio.sleep(SETTLE)
        while self._news and self.observer is not None and not self._stop.is_set():
            news, self._news = self._news, News()
            if not self.observer.paused:  # paused: nothing is observed (the next poll lists it all)
                await self.observer.observe_pushed(news)

    def _schedule_due(self) -> None:
        if self._due is not None:
            self._due.cancel()
            self._due = None
        if self.observer is None or self._stop.is_set():
            return
        due = self.observer.pending_due(self.names)
        if due is None:
            return
        seconds, sources = due

        def again() -> None:
            self._news.again |= sources
            self._deliver_soon()

        self._due = asyncio.get_running_loop().call_later(max(0.0, seconds) + SETTLE, again)

    # -- what the channels hear -------------------------------------------------------------------------
    def event(self, topic: str, body: dict[str, Any]) -> None:
        source = self.owners.get(topic)
        if source is None:
            return
        outcome = source.apply(topic, body)
        if outcome is False:
            return
        self.events += 1
        self.seq += 1
        if isinstance(outcome, SourceResult):
            self._news.answers[source.name] = (
                self.seq,
                outcome,
            )  # a burst's latest answer is the one that counts
        else:
            self._news.ask.add(source.name)  # a push that carries no answer: ask the API now
        self._deliver_soon()

    def gap(self, why: str) -> None:
        self.gaps += 1
        for source in self.sources:
            source.catch_up()
        self._news.ask |= self.names
        self._news.answers.clear()  # what they said before the gap is superseded by the poll
        self._deliver_soon()

    def problem(self, kind: str, message: str) -> None:
        self._say(kind, message)

    def connected(self, channel_id: str) -> None:
        if self.observer is not None:
            self.observer.push_said("connected", f"notification channel {clean(channel_id, 60)} open", True)

    def _say(self, kind: str, message: str) -> None:
        if self.observer is not None:
            self.observer.push_said(kind, clean(message, 600), False)
