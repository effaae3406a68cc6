"""Shared by the org tests: a simulated org, a monitor over it, and waiting for conditions (never for times)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from tests.conftest import CLIENT_ID, SECRET, sim_settings
from tui_health.model.domain import EventType, Status
from tui_health.monitor.monitor import Monitor
from tui_health.monitor.runtime import open_monitor
from tui_health.simulator import Scenario, SimulatorServer
from tui_health.support.clock import Clock

ORG = {"org": {"edges": 2, "trunks_per_edge": 2, "queues": 3}, "heartbeat_every": 0.3}
CREDS = {"GENESYSCLOUD_OAUTHCLIENT_ID": CLIENT_ID, "GENESYSCLOUD_OAUTHCLIENT_SECRET": SECRET}


def org_sim(start_sim: Callable[..., SimulatorServer], **more: Any) -> SimulatorServer:
    return start_sim(Scenario.model_validate({**ORG, **more}))


@asynccontextmanager
async def org_monitor(
    sim: SimulatorServer,
    tmp_path: Path,
    sources: tuple[str, ...] = ("edges", "trunks", "queues"),
    clock: Clock | None = None,
    **flags: Any,
) -> AsyncIterator[Monitor]:
    settings = sim_settings(
        sim,
        tmp_path,
        **{
            "poll.sources": list(sources),
            "queues.names": ["*"],
            "thresholds.flap_interval": 0,
            "poll.interval": 3600,  # nothing here waits for a poll: pushes and catch-ups only
            "push.heartbeat_timeout": 2,
            "push.retry_base": 0.05,
            "push.retry_cap": 0.2,
            "state.dir": str(tmp_path / "state"),
            **flags,
        },
    )
    async with open_monitor(settings, config_path=tmp_path / "none.toml", clock=clock) as monitor:
        await monitor.start()
        try:
            yield monitor
        finally:
            await monitor.close()


async def until(predicate: Callable[[], object], what: str, timeout: float = 30.0) -> None:
    """Wait on the loop for a condition (never a fixed time): ``timeout`` only bounds a hang."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} not reached within {timeout:g} s")
        await asyncio.sleep(0.02)


def observed(monitor: Monitor, cid: str) -> Status | None:
    component = monitor.components.get(cid)
    return component.status if component else None


def events(monitor: Monitor, kind: str) -> list[str]:
    return [e.message for e in monitor.recent if e.event_type == kind]


async def connected(monitor: Monitor, channels: int = 1) -> None:
    """The channel(s) open and the catch-up poll after opening done (a change made now can only be pushed)."""
    push = monitor.push
    assert push is not None
    await until(lambda: len(events(monitor, EventType.PUSH_CONNECTED)) >= 1, "a channel opened")
    await until(lambda: sum(c.opened for c in push.channels) >= channels, f"{channels} channel(s) opened")
    await until(
        lambda: push.gaps >= channels and not push.busy,
        "the catch-up after opening",
    )


async def listening(monitor: Monitor, sim: SimulatorServer) -> None:
    """The first poll made, the channel open with its catch-up done, and the simulator holding its socket."""
    await monitor.poll()
    await connected(monitor)
    await until(lambda: sim.channels.open_sockets() == 1, "the socket registered")


def health_requests(sim: SimulatorServer, path: str) -> int:
    return sum(1 for _, p, _ in list(sim.state.log) if p.split("?")[0] == path)
