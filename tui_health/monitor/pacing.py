"""Poll no more often than the request budget affords.

At 10,000 components one poll is ~101 requests, and a 200/min budget allows one every ~31 s, not every 15. Once
the next poll would have to wait for slots, the interval follows the last poll's request count (never below the
configured one); a change is said once, as ``rate_limit_low``, so the countdown and STALE agree with what the
budget allows instead of every poll waiting inside. Cheap polls that fit the budget keep the configured interval;
a failed poll changes nothing.
"""

from __future__ import annotations

import math
from datetime import datetime

from tui_health.genesys.ratelimit import RequestBudget
from tui_health.model.domain import AuditEvent, EventType, Severity, Snapshot
from tui_health.support.timespec import duration_text


def pace(
    budget: RequestBudget | None, snapshot: Snapshot, configured: float, current: float, now: datetime
) -> tuple[float, AuditEvent | None]:
    """The interval the next polls keep, and the event that says it changed (``None``: it did not)."""
    if budget is None or not snapshot.ok:
        return current, None
    requests = len(snapshot.timings)
    binds = requests and budget.used() + requests > budget.limit  # the next poll would wait
    affordable = math.ceil(requests * budget.window / budget.limit) if binds else 0
    paced = float(max(configured, affordable))
    if paced == current:
        return current, None
    if paced > configured:
        message = (
            f"a poll takes {requests} requests; the request budget ({budget.limit}/min) affords one every "
            f"{duration_text(paced)}: polling every {duration_text(paced)} instead of {duration_text(configured)} "
            "(a larger poll.page_size or a narrower --status/--ids makes a poll cheaper)"
        )
    else:
        message = (
            f"polls are cheap again: back to every {duration_text(paced)} (was {duration_text(current)})"
        )
    severity = Severity.WARNING if paced > configured else Severity.INFO
    event = AuditEvent(timestamp=now, event_type=EventType.RATE_LIMIT_LOW, message=message, severity=severity)
    return paced, event
