"""The push hub of one target: its notification channels, and which source each pushed change belongs to.

At start the hub reads the org's catalogue of topics (``availabletopics``): which topics exist, what their
parameters are and which permission each needs. A source that must choose its topic's parameter (the
operational events) reads it; a topic the catalogue does not offer is never asked for (it stays polled, said
once). If the catalogue cannot be read, the topics are asked for as documented.

After every poll the hub gathers the topics of its sources (what the poll listed) and spreads them over channels
(1,000 topics each, 20 at most); each channel runs as its own task. A pushed change goes to the source that owns
its topic; when it changed what that source answers, the monitor is told (``changed``) and observes it at once —
no poll, no request. A gap in any channel (a (re)connection) makes every source poll again at the next answer
(``catch_up``) and the monitor is told, so that one poll catches what the gap missed. Problems (a dropped socket,
a refused subscription, malformed frames) are said once per kind until the channel works again (``said``).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from typing import Any

from tui_health.genesys.channel_api import Catalogue
from tui_health.genesys.notifications import NotificationChannel, split_topics
from tui_health.sources.base import Pushed
from tui_health.support.text import clean

NewChannel = Callable[["PushHub"], NotificationChannel]
"""Makes a channel that tells this hub (the hub is every channel's listener)."""
ReadCatalogue = Callable[[], Awaitable[Catalogue]]


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
        self._tasks: list[asyncio.Task[None]] = []
        self._begun: asyncio.Task[None] | None = None
        self._ready = False
        self._stop = asyncio.Event()
        self._changed: Callable[[set[str]], None] = lambda names: None
        self._said: Callable[[str, str, bool], None] = lambda kind, message, ok: None
        self._not_offered: set[str] = set()  # templates said not to be offered (said once)
        self.events = 0
        """Pushed changes that changed something (the benchmark and tests read it)."""
        self.gaps = 0

    @property
    def names(self) -> set[str]:
        return {s.name for s in self.sources}

    def start(self, changed: Callable[[set[str]], None], said: Callable[[str, str, bool], None]) -> None:
        """``changed(names)``: these sources have news; ``said(kind, message, ok)``: a problem (``ok`` False)
        or the channel working again (``ok`` True)."""
        self._changed, self._said = changed, said
        self._begun = asyncio.ensure_future(self._begin())

    async def _begin(self) -> None:
        if self.read_catalogue is not None:
            try:
                self.catalogue = await self.read_catalogue()
            except (
                Exception
            ) as exc:  # the catalogue is a help, not a need: topics are asked for as documented
                why = exc.one_line() if hasattr(exc, "one_line") else f"{type(exc).__name__}: {exc}"
                self._said(
                    "catalogue",
                    clean(
                        f"could not read the notification topics this org offers ({why}); asking as documented",
                        600,
                    ),
                    False,
                )
        for source in self.sources:
            source.use_catalogue(self.catalogue)
        self._ready = True
        self.refresh()

    async def stop(self) -> None:
        self._stop.set()
        for task in [*self._tasks, *([self._begun] if self._begun else [])]:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        if self._begun is not None:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._begun
        self._tasks.clear()

    def replace_sources(self, sources: list[Pushed]) -> None:
        """A reload rebuilt the sources: the new ones are heard from now (they poll before they answer from
        pushed news: nothing they did not list is believed)."""
        self.sources = sources
        for source in sources:
            source.use_catalogue(self.catalogue)
        self.refresh()

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
            self._said(
                "not_offered",
                clean(f"the org offers no notification topic like {topic}: its changes are polled only", 600),
                False,
            )
        return False

    # -- what the channels hear -------------------------------------------------------------------------
    def event(self, topic: str, body: dict[str, Any]) -> None:
        source = self.owners.get(topic)
        if source is not None and source.apply(topic, body):
            self.events += 1
            self._changed({source.name})

    def gap(self, why: str) -> None:
        self.gaps += 1
        for source in self.sources:
            source.catch_up()
        self._changed(self.names)

    def problem(self, kind: str, message: str) -> None:
        self._said(kind, clean(message, 600), False)

    def connected(self, channel_id: str) -> None:
        self._said("connected", f"notification channel {clean(channel_id, 60)} open", True)
