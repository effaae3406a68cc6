"""Alert receivers, one module each: its settings model, its sink, and ``build``. This is the registry.

A new receiver is a new module here (``Settings`` with a ``type`` literal, a sink class, ``build``) and one
line in :data:`MODULES`; config validation (a discriminated union on ``type``), the template's list and the
wiring all read it.
"""

from __future__ import annotations

from types import ModuleType
from typing import TYPE_CHECKING, Annotated, Union

from pydantic import Field

from tui_health.alerts.sinks import alertmanager, pagerduty, slack, webhook
from tui_health.alerts.sinks.base import (
    UNNAMED,
    AlertTarget,
    Firing,
    Message,
    ResendingSink,
    Sink,
    SinkSettingsBase,
    changed_settings,
    describe,
)

MODULES: dict[str, ModuleType] = {
    "webhook": webhook,
    "slack": slack,
    "pagerduty": pagerduty,
    "alertmanager": alertmanager,
}

if TYPE_CHECKING:
    SinkSettings = SinkSettingsBase
else:  # a discriminated union of every registered module's Settings
    SinkSettings = Annotated[Union[tuple(m.Settings for m in MODULES.values())], Field(discriminator="type")]  # noqa: UP007
"""Any receiver's settings, chosen by ``type``: a bad receiver fails at config load with its key named."""


def build_sinks(
    configs: list[SinkSettingsBase], default_token: str | None, target: AlertTarget = UNNAMED
) -> list[Sink]:
    """One sink per setting (already validated at config load), each naming ``target`` in what it sends."""
    return [MODULES[cfg.type].build(cfg, default_token, target) for cfg in configs]


__all__ = [
    "MODULES",
    "UNNAMED",
    "AlertTarget",
    "Firing",
    "Message",
    "ResendingSink",
    "Sink",
    "SinkSettings",
    "SinkSettingsBase",
    "build_sinks",
    "changed_settings",
    "describe",
]
