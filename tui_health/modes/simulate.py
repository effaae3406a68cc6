"""``tui-health simulate``: the simulator in the foreground, for trying tui-health or another client against it."""

from __future__ import annotations

import argparse
import contextlib
from typing import Any

from tui_health.modes.base import Invocation
from tui_health.support.errors import ConfigError

COMMAND = "simulate"
HELP = "run the Genesys Cloud simulator in the foreground"
COMMON = False


def arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (%(default)s)")
    parser.add_argument(
        "--port", type=int, default=8080, metavar="P", help="port to listen on (%(default)s; 0: a free one)"
    )
    parser.add_argument("--components", type=int, default=None, metavar="N", help="number of components")
    parser.add_argument(
        "--scenario",
        dest="sim_scenario",
        default=None,
        metavar="NAME|FILE",
        help="scenario name or JSON file",
    )
    parser.add_argument(
        "--latency-ms", type=float, default=None, metavar="MS", help="latency added to every API request"
    )
    parser.add_argument(
        "--churn",
        type=float,
        default=None,
        metavar="SHARE",
        help="share of the components that change on every poll (0.01: 1 %%, one per page of 100)",
    )
    parser.add_argument(
        "--fault",
        action="append",
        dest="sim_faults",
        default=[],
        metavar="NAME[:ARG][@TARGET]",
        help="misbehave on purpose (repeatable): drip, hang, reset, page-count-lie, next-uri-loop, "
        "next-uri-foreign-host, deep-json, nan, bad-timestamp, escape-names, echo-secret, token-newline, "
        "duplicate-ids, retry-after, redirect, ...",
    )


def check(args: argparse.Namespace) -> None:
    if not 0 <= args.port <= 65535:
        raise ConfigError(f"--port must be 0-65535, got {args.port}", hint="0 picks a free port")
    if args.components is not None and not 1 <= args.components <= 100_000:
        raise ConfigError(f"--components must be 1-100000, got {args.components}")
    if args.latency_ms is not None and not (0 <= args.latency_ms < float("inf")):
        raise ConfigError(f"--latency-ms must be a non-negative number, got {args.latency_ms:g}")
    if args.churn is not None and not 0 <= args.churn <= 1:
        raise ConfigError(f"--churn must be 0 to 1, got {args.churn:g}")


def run(invocation: Invocation) -> int:
    args = invocation.args
    return run_simulate(
        host=args.host,
        port=args.port,
        scenario=args.sim_scenario,
        faults=args.sim_faults,
        components=args.components,
        latency_ms=args.latency_ms,
        churn=args.churn,
    )


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
