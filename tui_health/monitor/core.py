"""Builds the shared auth/client core and the sources from settings: one httpx client for everything."""

from __future__ import annotations

import ssl
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from tui_health import __version__
from tui_health.genesys.auth import TokenProvider
from tui_health.genesys.ratelimit import RequestBudget
from tui_health.genesys.transport import HttpCore, Sleep
from tui_health.settings.config import Settings
from tui_health.sources import hosts, selected, uses_token
from tui_health.sources.base import BuildContext, Source
from tui_health.sources.shared import SharedFetches
from tui_health.support.clock import Clock, SystemClock


@dataclass
class Connection:
    """What a Monitor needs to talk to Genesys Cloud."""

    http: httpx.AsyncClient
    tls: ssl.SSLContext
    core: HttpCore
    tokens: TokenProvider | None
    sources: list[Source]
    budget: RequestBudget | None = None
    budgeted: HttpCore | None = None
    """The core of the token's requests (its request budget): the notification channel's calls use it."""
    shared: SharedFetches | None = None
    clock: Clock = field(default_factory=SystemClock)

    def sources_for(self, settings: Settings) -> list[Source]:
        """The sources ``settings`` name, built on this connection (its clients, token and budget): at start,
        and again when a reload brings new settings."""
        context = BuildContext(
            settings=settings,
            core=self.core,
            budgeted=self.budgeted or self.core,
            tokens=self.tokens,
            shared=self.shared,
            clock=self.clock,
        )
        return [m.build(context) for m in selected(settings.sources())]


def tls_context(settings: Settings) -> ssl.SSLContext:
    """One TLS context for every client. Loading the CA certificates is slow, so it happens once per process,
    and only when some URL is https (the simulator and local gateways speak plain HTTP)."""
    urls = list(hosts(settings.sources(), settings).values())
    urls += [sink.url or "https://" for sink in settings.alerts.sinks]
    verify = any(url.lower().startswith("https://") for url in urls)
    return httpx.create_ssl_context(verify=verify, trust_env=True)


@asynccontextmanager
async def connect(
    settings: Settings,
    *,
    config_path: Path,
    clock: Clock | None = None,
    sleep: Sleep | None = None,
    on_token: Callable[[str], None] | None = None,
    shared: SharedFetches | None = None,
) -> AsyncIterator[Connection]:
    """Open the shared HTTP client, token provider and sources; close them on exit."""
    clock = clock or SystemClock()
    poll = settings.poll
    # as many connections as requests can be in flight at once (the health walk's concurrency, one for each other
    # source), and no more: httpcore looks at every pooled connection for every request it sends, so a larger
    # pool costs CPU on every page (measured: 14 connections instead of 10 cost ~25 % more per poll)
    size = max(2, sum(poll.concurrency if m.PAGES_AT_ONCE else 1 for m in selected(settings.sources())))
    limits = httpx.Limits(max_connections=size, max_keepalive_connections=size)
    tls = tls_context(settings)
    http = httpx.AsyncClient(
        verify=tls,
        limits=limits,
        headers={"User-Agent": f"tui-health/{__version__}"},
        follow_redirects=False,
        trust_env=True,
    )
    kwargs = {"sleep": sleep} if sleep else {}
    # one core (one Retry-After gate per host, kept across polls) for everything; the status page is not the
    # token's, so it has no request budget, only the gate and the poll's bounds
    core = HttpCore(http, timeout=poll.timeout, max_attempts=poll.max_attempts, **kwargs)  # type: ignore[arg-type]
    try:
        tokens = None
        budgeted = core
        if uses_token(settings.sources()):
            client_id, secret = settings.require_credentials(config_path)
            # everything done with (or for) the token draws from one budget: token, pages, retries, probes
            budgeted = core.derived(budget=RequestBudget(poll.request_budget))
            tokens = TokenProvider(
                budgeted, settings.login_url, client_id, secret, clock=clock, on_token=on_token
            )
        conn = Connection(
            http=http,
            tls=tls,
            core=core,
            tokens=tokens,
            sources=[],
            budget=budgeted.budget,
            budgeted=budgeted,
            shared=shared,
            clock=clock,
        )
        conn.sources = conn.sources_for(settings)
        yield conn
    finally:
        await http.aclose()
