"""The target: the unit tui-health watches — one Genesys org (or one status page) with its sources and where its
credentials come from. One Monitor per target, each with its own token, request budget, engine state and (next)
history; nothing belonging to one target ever mixes with another's.

Today the settings describe one implicit target (flags and ``GENESYSCLOUD_*`` as before); a configuration that
lists several arrives later, and everything that runs monitors takes a list.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from tui_health.config import ENV_KEYS, Settings


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
        out: dict[str, str] = {}
        if self.settings is None:
            return out
        if {"health-api", "api-probe"} & set(self.sources):
            out["api"] = self.settings.api_url
            out["login"] = self.settings.login_url
        if "statuspage" in self.sources:
            out["statuspage"] = self.settings.statuspage.url
        return out


def target_key(settings: Settings) -> str:
    """What is watched, as a short stable key: saved state never crosses from one target to another."""
    names = settings.sources()
    ident: dict[str, Any] = {"sources": sorted(names)}
    if {"health-api", "api-probe"} & set(names):
        ident["api"] = settings.api_url
    if "health-api" in names:
        ident["ids"] = sorted(settings.poll.ids)
        ident["status"] = sorted(str(s) for s in settings.poll.status)
    if "statuspage" in names:
        ident["statuspage"] = settings.statuspage.url
        ident["groups"] = sorted(settings.statuspage.groups)
    return hashlib.sha256(json.dumps(ident, sort_keys=True).encode()).hexdigest()[:16]


def targets_from(settings: Settings, env: dict[str, str] | None = None) -> list[Target]:
    """The targets the settings describe (today: the one implicit target)."""
    env = env or {}
    secret_vars = [v for v, k in ENV_KEYS.items() if k.startswith("auth.")]
    if not settings.has_credentials:
        credentials = "none"
    elif any(env.get(v) for v in secret_vars):
        credentials = "environment"
    else:
        credentials = "config file"
    return [
        Target(
            name=settings.region_label,
            key=target_key(settings),
            sources=tuple(settings.sources()),
            credentials=credentials,
            settings=settings,
        )
    ]
