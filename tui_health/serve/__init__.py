"""Serving what a collector knows: the Prometheus exporter, its health and status endpoints."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tui_health.monitor.monitor import Monitor
    from tui_health.serve.bounded import Limits
    from tui_health.serve.http import CollectorServer
    from tui_health.settings.config import ServeSettings


def limits(settings: ServeSettings) -> Limits:
    """The server's bounds, with the caps ``serve.*`` sets (the rest are fixed: see ``serve/bounded.py``)."""
    from tui_health.serve.bounded import Limits
    from tui_health.serve.http import MAX_BODY

    return Limits(
        connections=settings.max_clients,
        per_client=max(1, settings.max_clients // 4),  # what an address keeps while others wait: 16 of 64
        streams=settings.max_streams,
        streams_per_client=settings.streams_per_address,
        max_body=MAX_BODY,
    )


@contextmanager
def serving(
    monitors: Sequence[Monitor],
    listen: tuple[str, int] | None,
    serve: tuple[str, int] | None,
    settings: ServeSettings,
    reload: Callable[[], list[str]] | None = None,
) -> Iterator[list[CollectorServer]]:
    """The collector's endpoints for ``monitors`` while the block runs: ``listen`` the metrics, health and
    status; ``serve`` those and the live state for attached consoles. The same address serves both. With
    ``TUI_HEALTH_SERVE_TOKEN`` set, silences need it, and so does reading the state unless
    ``settings.public_read``; on an address other hosts reach, ``serve`` without a token is refused unless
    ``settings.public_read`` (:mod:`tui_health.serve.exposure`). Nothing, and no prometheus_client import, when
    neither is asked for."""
    from tui_health.serve.exposure import check_exposure

    token = os.environ.get("TUI_HEALTH_SERVE_TOKEN") or None
    warning = check_exposure(serve, token=token, public_read=settings.public_read)  # refused: nothing bound
    tls = settings.tls() if listen is not None or serve is not None else None
    public_read = settings.public_read
    if listen is None and serve is None:
        yield []
        return
    from tui_health.serve.http import CollectorServer

    bounds = limits(settings)
    servers = []
    try:
        if serve is not None:
            servers.append(
                CollectorServer(
                    monitors, *serve, serve=True, token=token, public_read=public_read, reload=reload, tls=tls,
                    limits=bounds,
                ).start()
            )  # fmt: skip
        if listen is not None and listen != serve:  # its /status.json is the state too: the same rule
            servers.append(
                CollectorServer(
                    monitors, *listen, token=token, public_read=public_read, reload=reload, tls=tls,
                    limits=bounds,
                ).start()
            )  # fmt: skip
        if warning:
            print(f"tui-health: {warning}", file=sys.stderr, flush=True)
        for server in servers:  # with port 0 the system chose it: say which (on stderr, beside the logs)
            what = "/metrics, /healthz, /readyz, /status.json" + (
                " and the live state" if server.serve else ""
            )
            print(f"tui-health: serving {what} on {server.url}", file=sys.stderr, flush=True)
        yield servers
    finally:
        for server in servers:
            server.stop()
