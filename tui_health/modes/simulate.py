"""``tui-health simulate``: the simulator in the foreground, for trying tui-health or another client against it."""

from __future__ import annotations

import contextlib
from typing import Any

from tui_health.support.errors import ConfigError


def run_simulate(
    *,
    host: str,
    port: int,
    scenario: str | None,
    faults: list[str],
    components: int | None,
    latency_ms: float | None,
    churn: float | None = None,
) -> int:
    from tui_health.simulator import SimulatorServer, load_scenario, with_faults

    played = with_faults(load_scenario(scenario), faults)
    updates: dict[str, Any] = {}
    if components is not None:
        updates["components"] = components
    if latency_ms is not None:
        updates["latency_ms"] = latency_ms
    if churn is not None:
        updates["churn"] = churn
    played = played.model_copy(update=updates)
    try:
        server = SimulatorServer(played, host=host, port=port)
    except OSError as exc:
        raise ConfigError(
            f"cannot listen on {host}:{port}: {exc.strerror}", hint="pick another --port"
        ) from None
    print(
        f"simulating Genesys Cloud at {server.url} (scenario {played.name}, {played.components} components)",
        flush=True,
    )
    print(
        f"try: tui-health --once --api-url {server.url} --login-url {server.url}  "
        "(any GENESYSCLOUD_OAUTHCLIENT_ID/SECRET)",
        flush=True,
    )
    with contextlib.suppress(KeyboardInterrupt):
        server.serve_forever()
    return 0
