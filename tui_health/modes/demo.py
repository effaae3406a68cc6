"""``--demo``: the built-in simulator started in-process, and every mode pointed at it with demo credentials and
files of its own (it never restores or pollutes a real monitor's state)."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

DEMO_CLIENT = ("demo-client", "demo-secret")


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
    from tui_health.sources import BUILTIN

    played = with_faults(load_scenario(scenario or "demo"), faults)
    with SimulatorServer(played) as sim, tempfile.TemporaryDirectory(prefix="tui-health-demo-") as scratch:
        flags.setdefault("genesys.api_url", sim.url)
        flags.setdefault("genesys.login_url", sim.url)
        flags.setdefault("genesys.name", "demo (simulated us-east-1)")  # not "127.0.0.1:43787"
        # the simulator serves every built-in source; each says what it takes in the demo (the org's own ones
        # only when the scenario has an org)
        taking = {name: m.demo(sim.url, played.org is not None) for name, m in BUILTIN.items()}
        flags.setdefault("poll.sources", [name for name, given in taking.items() if given is not None])
        for given in taking.values():
            for key, value in (given or {}).items():
                flags.setdefault(key, value)
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
