"""The target: the unit tui-health watches — one Genesys org (or one status page) with its sources and where its
credentials come from. One Monitor per target, each with its own token, request budget, engine state and (next)
history; nothing belonging to one target ever mixes with another's.

Without ``[[targets]]`` the settings describe one implicit target (flags and ``GENESYSCLOUD_*`` as before); with
them, each entry is a target with its own effective settings (:meth:`Settings.for_target`), and everything that
runs monitors takes the list.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from tui_health.settings.config import ENV_KEYS, Settings, TargetSettings
from tui_health.sources import hosts, identity
from tui_health.support.errors import ConfigError


@dataclass(frozen=True)
class Target:
    name: str
    """How people see it: in the header, in events, later in alerts and metrics."""
    key: str
    """A short stable id of *what is watched* (sources, hosts, groups, ids): saved state is keyed by it."""
    sources: tuple[str, ...] = ()
    credentials: str = "none"
    """Where the client credentials come from (for ``config show``): environment, config file, or none."""
    settings: Settings | None = None
    """The effective settings of this target (its hosts, sources, thresholds); none for offline monitors."""

    @property
    def hosts(self) -> dict[str, str]:
        """The hosts this target talks to, by role (only those its sources use)."""
        if self.settings is None:
            return {}
        return hosts(self.sources, self.settings)


def target_key(settings: Settings, name: str | None = None) -> str:
    """What is watched, as a short stable key: saved state never crosses from one target to another.

    A ``[[targets]]`` entry adds its ``name``: two orgs in one region share every host, and must not share
    their engine state or history (renaming an entry starts its history afresh)."""
    names = settings.sources()
    ident: dict[str, Any] = {"sources": sorted(names)}
    if name is not None:
        ident["target"] = name
    ident.update(identity(names, settings))
    return hashlib.sha256(json.dumps(ident, sort_keys=True).encode()).hexdigest()[:16]


def targets_from(
    settings: Settings, env: dict[str, str] | None = None, only: Sequence[str] = ()
) -> list[Target]:
    """The targets the settings describe: each ``[[targets]]`` entry, or the one implicit target; ``only``
    (``--target NAME``, repeatable) keeps those named."""
    env = env or {}
    if not settings.targets:
        found = [_target(settings.region_label, settings, env)]
    else:
        found = [_target(t.name, settings.for_target(t, env), env, named=t) for t in settings.targets]
    if not only:
        return found
    names = {t.name.casefold(): t for t in found}
    unknown = [name for name in only if name.casefold() not in names]
    if unknown:
        raise ConfigError(
            f"--target {unknown[0]!r} is not a configured target",
            hint="targets: " + ", ".join(t.name for t in found),
        )
    wanted = {name.casefold() for name in only}
    return [t for t in found if t.name.casefold() in wanted]


def _target(
    name: str,
    settings: Settings,
    env: dict[str, str],
    *,
    implicit: bool = False,
    named: TargetSettings | None = None,
) -> Target:
    if not settings.has_credentials:
        credentials = "none"
    elif named is not None and (named.client_id_env or named.client_secret_env):
        credentials = f"environment ({named.client_secret_env or named.client_id_env})"
    elif any(env.get(v) for v, k in ENV_KEYS.items() if k.startswith("auth.")):
        credentials = "environment"
    else:
        credentials = "config file"
    return Target(
        name=name,
        key=target_key(settings, named.name if named is not None else None),
        sources=tuple(settings.sources()),
        credentials=credentials,
        settings=settings,
    )


def one_target(targets: list[Target], what: str) -> Target:
    """The one target ``what`` works on (the history, replay): several need a ``--target``."""
    if len(targets) > 1:
        raise ConfigError(
            f"{what} works on one target; there are {len(targets)}",
            hint="pick one with --target " + " | ".join(t.name for t in targets),
        )
    return targets[0]
