"""Where tui-health keeps its files: the directories systemd hands a service (``$STATE_DIRECTORY``,
``$CONFIGURATION_DIRECTORY``, ``$LOGS_DIRECTORY``, set by ``StateDirectory=`` and friends) when they are set,
else platformdirs' per-user ones."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

import platformdirs

APP = "tui-health"
SYSTEMD = {"state": "STATE_DIRECTORY", "config": "CONFIGURATION_DIRECTORY", "logs": "LOGS_DIRECTORY"}
"""What each of systemd's directory variables is used for."""


def systemd_directory(kind: str, env: Mapping[str, str] | None = None) -> Path | None:
    """The directory systemd gave the service for ``kind`` (the first, when it lists several), or ``None``."""
    value = (os.environ if env is None else env).get(SYSTEMD[kind], "")
    first = value.split(":", 1)[0].strip()
    return Path(first) if first else None


def systemd_directories(env: Mapping[str, str] | None = None) -> dict[str, str]:
    """Those that are set, for ``config show``."""
    return {kind: str(path) for kind in SYSTEMD if (path := systemd_directory(kind, env)) is not None}


def default_config_path() -> Path:
    given = systemd_directory("config")
    return (given or platformdirs.user_config_path(APP)) / "config.toml"


def default_audit_path() -> Path:
    given = systemd_directory("logs")
    return (given or platformdirs.user_log_path(APP)) / "audit.jsonl"


def default_state_dir() -> Path:
    return systemd_directory("state") or platformdirs.user_state_path(APP)
