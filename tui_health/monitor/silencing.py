"""Silences asked for from the shell (``tui-health silence`` without ``--attach``), taken at each poll.

The request files are read on a thread: a slow disk never holds the loop, and what it has not read yet is taken at
a later poll (the read keeps going meanwhile; nothing is read twice or lost). Each request is applied oldest first
and audited with who asked and why; one for a component this target does not have, or one that ended before it
was taken, is said (``silence_refused``), never lost silently.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tui_health.model.domain import AuditEvent, EventType, Severity

if TYPE_CHECKING:
    from tui_health.engine import ThresholdEngine

REQUESTS_WAIT = 1.0
"""Seconds a poll waits for the silence requests to be read from the state directory (the rest: next poll)."""


class SilenceRequests:
    def __init__(self, state_dir: Path, target_key: str) -> None:
        self.state_dir = state_dir
        self.target_key = target_key
        self._job: asyncio.Future[list[Any]] | None = None  # requests being read off the loop

    async def take(
        self, engine: ThresholdEngine, names: Mapping[str, str], target: str, now: datetime
    ) -> list[AuditEvent]:
        """Apply the requests read since the last poll (``names``: component id → name, of this target)."""
        if self._job is None:
            from tui_health.monitor import requests

            self._job = asyncio.ensure_future(
                asyncio.to_thread(requests.take, self.state_dir, self.target_key)
            )
        job = self._job
        done, _ = await asyncio.wait({job}, timeout=REQUESTS_WAIT)
        if not done:
            return []
        self._job = None
        events: list[AuditEvent] = []
        for request in job.result():
            if isinstance(request, str):
                message = f"a silence request was dropped: {request}"
                events.append(refused(now, message))
                continue
            if request.op == "add" and request.until() <= now:  # ended before it was taken: said, not applied
                ended_at = request.until().isoformat()
                message = f"a silence request by {request.by} was dropped: it ended at {ended_at}, before it was taken"
                events.append(refused(now, message))
                continue
            chosen = [cid for cid, name in names.items() if request.matches(cid, name)]
            if request.op == "rm":
                chosen = [cid for cid in chosen if cid in engine.silences]
            if not chosen:
                what = request.component or f"matching {request.match}"
                message = (
                    f"silence request by {request.by} ({request.op}) found no component {what} in {target}"
                )
                events.append(refused(now, message))
                continue
            for cid in chosen[:1000]:
                if request.op == "rm":
                    ended = engine.unsilence(cid, reason=f"lifted by {request.by} (tui-health silence)")
                    if ended:
                        events.append(ended)
                else:
                    who = f"{request.by} (tui-health silence)"
                    events.append(engine.silence(cid, request.until(), by=who, reason=request.reason))
        return events

    def stop(self) -> None:
        """Unread requests stay in the state directory for the next start."""
        if self._job is not None:
            self._job.cancel()


def refused(now: datetime, message: str) -> AuditEvent:
    event = AuditEvent(timestamp=now, event_type=EventType.SILENCE_REFUSED, message=message)
    return replace(event, severity=Severity.WARNING)
