"""One download serves every target that asks for the same URL at about the same time (a public status page
watched by several targets is fetched once per poll, not once per target).

Kept per set of monitors (``open_monitors``), never process-wide: another set — a test, a second run — always
fetches for itself. An answer is reused for ``max_age`` seconds (half a poll interval, five at most); a download
still in flight is awaited rather than repeated; a failure is shared like an answer (the same page failed for
everyone at that moment). A waiter whose own poll is cancelled is cancelled alone.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any


class SharedFetches:
    def __init__(self, max_age: float) -> None:
        self.max_age = max_age
        self._entries: dict[str, tuple[float, asyncio.Future[Any]]] = {}
        self.downloads = 0

    async def get(self, url: str, download: Callable[[], Awaitable[Any]]) -> tuple[Any, bool]:
        """``download()``'s value for ``url`` — fresh, or shared with whoever fetched it within ``max_age`` —
        and whether it was shared."""
        entry = self._entries.get(url)
        now = time.monotonic()
        if entry is not None:
            at, future = entry
            if not future.done() or now - at <= self.max_age:
                await asyncio.wait({future})  # never cancels the download: other targets may be waiting
                if not future.cancelled():
                    return future.result(), True
        future = asyncio.ensure_future(download())
        self.downloads += 1
        self._entries[url] = (now, future)
        try:
            return await asyncio.shield(future), False
        except asyncio.CancelledError:
            if not future.done():
                future.cancel()
            raise

    def forget(self) -> None:
        """Drop every answer kept: the next ask downloads (a benchmark's rounds stand for polls 15 s apart)."""
        self._entries = {url: entry for url, entry in self._entries.items() if not entry[1].done()}
