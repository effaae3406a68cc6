"""Where tui-health keeps its files (platformdirs)."""

from __future__ import annotations

from pathlib import Path

import platformdirs

APP = "tui-health"


def default_config_path() -> Path:
    return platformdirs.user_config_path(APP) / "config.toml"


def default_audit_path() -> Path:
    return platformdirs.user_log_path(APP) / "audit.jsonl"


def default_state_dir() -> Path:
    return platformdirs.user_state_path(APP)
