"""Serving what a collector knows: the Prometheus exporter, its health and status endpoints."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tui_health.monitor import Monitor


@contextmanager
def serving(monitors: Sequence[Monitor], listen: tuple[str, int] | None) -> Iterator[None]:
    """The collector's endpoints for ``monitors`` while the block runs (nothing when ``listen`` is ``None``;
    prometheus_client is imported only when they are served)."""
    if listen is None:
        yield
        return
    from tui_health.serve.http import CollectorServer

    server = CollectorServer(monitors, *listen).start()
    try:
        yield
    finally:
        server.stop()
