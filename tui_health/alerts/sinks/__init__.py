"""Alert receivers, one module each: its settings model, its sink, and ``build``. This is the registry.

A new receiver is a new module here (``Settings`` with a ``type`` literal, a sink class, ``build``, and its
``TEMPLATE`` lines for ``config init``) and its name in :data:`BUILTIN` — or, from another package, its module
registered in that package's ``[project.entry-points."tui_health.sinks"]``. Config validation (a discriminated
union on ``type``), the template and the wiring all read it. Plug-ins are read only when a config names a type
that is not built in (or when every type is listed: the template, ``config show``). The receivers' modules
themselves are imported only when something needs them — a config that names receivers, the template, the wiring
of alerts — so a run without receivers never imports one.
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Annotated, Any, Union

from pydantic import Field

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

BUILTIN = ("webhook", "slack", "pagerduty", "alertmanager")
"""The built-in receiver types, each the module of its name here, in the order they are offered."""
_builtin: dict[str, ModuleType] = {}


def builtin() -> dict[str, ModuleType]:
    """Receiver type → module, the built-in ones (imported at the first ask)."""
    if not _builtin:
        _builtin.update({kind: importlib.import_module(f"{__name__}.{kind}") for kind in BUILTIN})
    return _builtin


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
        elif kind in BUILTIN or kind in found:
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
    return {**builtin(), **load_plugins()} if plugins else dict(builtin())


def module(kind: str) -> ModuleType | None:
    return builtin().get(kind) or load_plugins().get(kind)


def settings_union(*, plugins: bool) -> Any:
    """Any receiver's settings, chosen by ``type`` (a discriminated union): a bad receiver fails at config load
    with its key named."""
    kinds = tuple(m.Settings for m in modules(plugins=plugins).values())
    return Annotated[Union[kinds], Field(discriminator="type")]  # noqa: UP007


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
    "BUILTIN",
    "GROUP",
    "UNNAMED",
    "AlertTarget",
    "Firing",
    "Message",
    "ResendingSink",
    "Sink",
    "SinkSettingsBase",
    "build_sinks",
    "changed_settings",
    "describe",
]
