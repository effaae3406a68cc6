"""Alert receivers, one module each: its settings model, its sink, and ``build``. This is the registry.

A new receiver is a new module here (``Settings`` with a ``type`` literal, a sink class, ``build``, and its
``TEMPLATE`` lines for ``config init``) and one line in :data:`MODULES` — or, from another package, its module
registered in that package's ``[project.entry-points."tui_health.sinks"]``. Config validation (a discriminated
union on ``type``), the template and the wiring all read it. Plug-ins are read only when a config names a type
that is not built in (or when every type is listed: the template, ``config show``).
"""

from __future__ import annotations

from types import ModuleType
from typing import TYPE_CHECKING, Annotated, Any, Union

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
"""Receiver type → module, the built-in ones."""
GROUP = "tui_health.sinks"
"""The entry-point group a package registers its receivers in."""

_plugins: dict[str, ModuleType] | None = None
_problems: list[str] = []


def conforms(module: object) -> list[str]:
    """What ``module`` lacks of a receiver module (empty: it is one)."""
    settings = getattr(module, "Settings", None)
    problems = []
    if not (isinstance(settings, type) and issubclass(settings, SinkSettingsBase)):
        problems.append("no Settings (a SinkSettingsBase with a type literal)")
    if not callable(getattr(module, "build", None)):
        problems.append("no function build(settings, default_token, target)")
    if not isinstance(getattr(module, "TEMPLATE", None), str):
        problems.append("no TEMPLATE")
    return problems


def type_of(module: ModuleType) -> str | None:
    """The ``type`` literal a receiver module's Settings declares."""
    field = module.Settings.model_fields.get("type")
    args: tuple[Any, ...] = getattr(field.annotation, "__args__", ()) if field is not None else ()
    return args[0] if len(args) == 1 and isinstance(args[0], str) else None


def load_plugins() -> dict[str, ModuleType]:
    """The receivers other packages register (``tui_health.sinks`` entry points), loaded once."""
    global _plugins
    if _plugins is not None:
        return _plugins
    from importlib.metadata import entry_points

    found: dict[str, ModuleType] = {}
    for point in entry_points(group=GROUP):
        where = f"{point.name} = {point.value}" + (f" ({point.dist.name})" if point.dist else "")
        try:
            module = point.load()
        except Exception as exc:  # a broken plug-in is said, never a traceback
            _problems.append(f"sink plug-in {where} does not load: {type(exc).__name__}: {exc}")
            continue
        missing = conforms(module)
        kind = type_of(module) if not missing else None
        if missing or kind is None:
            _problems.append(
                f"sink plug-in {where} is not a receiver module: {'; '.join(missing) or 'no type'}"
            )
        elif kind in MODULES or kind in found:
            _problems.append(f"sink plug-in {where} is of type {kind!r}, which is taken")
        else:
            found[kind] = module
    _plugins = found
    return found


def problems() -> list[str]:
    load_plugins()
    return list(_problems)


def forget_plugins() -> None:
    """Read the entry points again at the next ask (tests install a plug-in while they run)."""
    global _plugins
    _plugins = None
    _problems.clear()


def modules(*, plugins: bool = True) -> dict[str, ModuleType]:
    return {**MODULES, **load_plugins()} if plugins else dict(MODULES)


def module(kind: str) -> ModuleType | None:
    return MODULES.get(kind) or load_plugins().get(kind)


def settings_union(*, plugins: bool) -> Any:
    """Any receiver's settings, chosen by ``type`` (a discriminated union): a bad receiver fails at config load
    with its key named."""
    kinds = tuple(m.Settings for m in modules(plugins=plugins).values())
    return Annotated[Union[kinds], Field(discriminator="type")]  # noqa: UP007


if TYPE_CHECKING:
    SinkSettings = SinkSettingsBase
else:  # the built-in receivers; the settings add plug-ins' when a config names one
    SinkSettings = settings_union(plugins=False)


def build_sinks(
    configs: list[SinkSettingsBase], default_token: str | None, target: AlertTarget = UNNAMED
) -> list[Sink]:
    """One sink per setting (already validated at config load), each naming ``target`` in what it sends."""
    out = []
    for cfg in configs:
        found = module(cfg.type)
        assert found is not None  # the settings' union only admits registered types
        out.append(found.build(cfg, default_token, target))
    return out


__all__ = [
    "GROUP",
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
