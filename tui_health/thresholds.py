"""Threshold rules over a set of statuses: how many down/degraded, and which critical components are down."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from tui_health.config import ThresholdSettings
from tui_health.models import Status


@dataclass(frozen=True, slots=True)
class ThresholdRule:
    min_down: int = 1
    min_degraded: int = 2
    critical: frozenset[str] = frozenset()

    @classmethod
    def from_settings(cls, settings: ThresholdSettings) -> ThresholdRule:
        return cls(settings.min_down, settings.min_degraded, frozenset(settings.critical))

    def reasons(self, statuses: Mapping[str, Status], names: Mapping[str, str] | None = None) -> list[str]:
        """Why the threshold is breached; empty when it is not. Deterministic order."""
        names = names or {}
        down = sorted(cid for cid, s in statuses.items() if s is Status.DOWN)
        degraded = sorted(cid for cid, s in statuses.items() if s is Status.DEGRADED)
        reasons: list[str] = []
        if len(down) >= self.min_down:
            reasons.append(f"{len(down)} down (min_down {self.min_down})")
        if len(degraded) >= self.min_degraded:
            reasons.append(f"{len(degraded)} degraded (min_degraded {self.min_degraded})")
        for cid in down:
            if cid in self.critical:
                reasons.append(f"critical component {names.get(cid, cid)} ({cid}) is down")
        return reasons
