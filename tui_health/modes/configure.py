"""``tui-health config path|show|init``: where the config lives, what it resolves to (secrets masked, every
target with its hosts and sources), or a commented template to start from."""

from __future__ import annotations

import argparse
import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from tui_health.modes.base import Invocation
from tui_health.support.errors import ConfigError

COMMAND = "config"
HELP = "show where the config lives, show it, or write a template"
COMMON = True


def arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("action", choices=("path", "show", "init"))
    parser.add_argument("--force", action="store_true", help="init: overwrite an existing file")


def run(invocation: Invocation) -> int:
    args = invocation.args
    return run_config(
        args.action,
        invocation.path,
        explicit=invocation.explicit,
        flags=invocation.flags,
        force=args.force,
        only=invocation.only,
    )


def run_config(
    action: str, path: Path, *, explicit: bool, flags: dict[str, Any], force: bool, only: Sequence[str]
) -> int:
    from tui_health.settings.config import load_settings, template

    if action == "path":
        print(path)
        return 0
    if action == "init":
        if path.exists() and not force:
            raise ConfigError(f"{path} already exists", hint="use --force to overwrite it")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(template())
        os.chmod(path, 0o600)
        print(f"wrote {path}")
        return 0
    from tui_health.settings.target import targets_from

    settings = load_settings(path=path, path_required=explicit, flags=flags)
    targets = [
        {
            "name": t.name,
            "key": t.key,
            "sources": list(t.sources),
            "hosts": t.hosts,
            "credentials": t.credentials,
        }
        for t in targets_from(settings, dict(os.environ), only)
    ]
    from tui_health import sources
    from tui_health.alerts import sinks
    from tui_health.settings.paths import systemd_directories

    document = {
        "config_file": str(path),
        "config_file_exists": path.exists(),
        **settings.masked(),
        "targets": targets,
        "systemd_directories": systemd_directories(),  # $STATE_DIRECTORY & co., used instead of the user's
        "available_sources": {
            name: {
                "needs_credentials": module.NEEDS_CREDENTIALS,
                "section": module.SECTION,
                "kinds": list(module.KINDS),
            }
            for name, module in sources.modules().items()
        },
        "available_sinks": list(sinks.modules()),
        "plugin_problems": sources.problems() + sinks.problems(),
    }
    print(json.dumps(document, indent=2))
    return 0
