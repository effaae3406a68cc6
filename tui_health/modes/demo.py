"""``--demo``: the built-in simulator started in-process, and every mode pointed at it with demo credentials and
files of its own (it never restores or pollutes a real monitor's state)."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

DEMO_CLIENT = ("demo-client", "demo-secret")
ORG_SOURCES = ("edges", "trunks", "queues")
"""Sources that watch the org's own entities: in the demo only when the scenario gives the org some."""


@contextmanager
def demo(
    flags: dict[str, Any], env: dict[str, str], *, scenario: str | None, faults: list[str], replay: bool
) -> Iterator[None]:
    """While the block runs: the simulator serves ``scenario`` with ``faults``, and ``flags``/``env`` point at it
    (a scratch directory holds the audit log and the outbox; it is removed when the block ends, however it ends).
    ``replay``: no simulator — a recorded week is replayed from the same scratch directory."""
    if replay:
        with tempfile.TemporaryDirectory(prefix="tui-health-demo-") as scratch:
            own_files(flags, Path(scratch))
            flags["alerts.outbox"] = str(Path(scratch) / "outbox.sqlite3")
            flags.setdefault("audit.path", str(Path(scratch) / "audit.jsonl"))
            flags.setdefault("genesys.region", "eu-central-1")
            yield
        return
    from tui_health.simulator import SimulatorServer, load_scenario, with_faults
    from tui_health.sources import SOURCES

    played = with_faults(load_scenario(scenario or "demo"), faults)
    with SimulatorServer(played) as sim, tempfile.TemporaryDirectory(prefix="tui-health-demo-") as scratch:
        flags.setdefault("genesys.api_url", sim.url)
        flags.setdefault("genesys.login_url", sim.url)
        flags.setdefault("statuspage.url", sim.url)
        flags.setdefault("genesys.name", "demo (simulated us-east-1)")  # not "127.0.0.1:43787"
        # the simulator serves every registered source; the org's own ones when the scenario has an org
        flags.setdefault("poll.sources", [n for n in SOURCES if played.org or n not in ORG_SOURCES])
        flags.setdefault("events.definitions", ["TELEPHONY-0010"])  # trunks that drop count as the org's
        flags.setdefault("queues.names", ["*"])  # every queue of the simulated org
        flags.setdefault("audit.path", str(Path(scratch) / "audit.jsonl"))
        own_files(flags, Path(scratch))
        flags["alerts.outbox"] = str(Path(scratch) / "outbox.sqlite3")
        flags["alerts.sinks+"] = [
            *flags.get("alerts.sinks+", []),
            {"type": "webhook", "name": "demo-receiver", "url": f"{sim.url}/hooks/demo"},
        ]
        env["GENESYSCLOUD_OAUTHCLIENT_ID"], env["GENESYSCLOUD_OAUTHCLIENT_SECRET"] = DEMO_CLIENT
        yield


def own_files(flags: dict[str, Any], scratch: Path) -> None:
    """The demo's state, lock and history in its scratch directory, whatever the config file names (a demo
    beside a running service must neither take its lock nor write into its history)."""
    flags["state.dir"] = str(scratch)
    flags["history.dir"] = str(scratch / "history")
