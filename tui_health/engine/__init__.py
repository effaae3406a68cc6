"""The threshold engine: pure decisions over snapshots (no config, httpx or Textual here; a test says so).

Parts: :mod:`base` (what they share), :mod:`stability`, :mod:`holds`, :mod:`threshold`; :mod:`engine` composes
them. Outside code imports from this package.
"""

from tui_health.engine.base import EngineConfig, Outcome, Tracked, alert_state
from tui_health.engine.engine import ThresholdEngine
from tui_health.engine.threshold import ThresholdRule

__all__ = [
    "EngineConfig",
    "Outcome",
    "ThresholdEngine",
    "ThresholdRule",
    "Tracked",
    "alert_state",
]
