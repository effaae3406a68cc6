"""Who may read a collector's live state. ``--serve`` hands every component, incident and audit event to whoever
connects unless ``TUI_HEALTH_SERVE_TOKEN`` is set; on loopback that is this host's users, on any other address
(``0.0.0.0``, ``::``, a LAN address, a host name) it is everyone who can reach it. That is refused unless
``serve.public_read = true`` says it is meant (then anyone reads and, without a token, nobody silences)."""

from __future__ import annotations

import ipaddress

from tui_health.support.errors import ConfigError


def loopback(host: str) -> bool:
    """Whether ``host`` is reached from this machine only (``localhost``, 127.0.0.0/8, ``::1``)."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:  # a host name: it may resolve to anything
        return False


def check_exposure(serve: tuple[str, int] | None, *, token: str | None, public_read: bool) -> str | None:
    """Raise ConfigError when ``serve`` would show the live state to anyone who can reach it without having
    been asked to; a warning line for an open collector meant to be open; ``None`` otherwise."""
    if serve is None or token or loopback(serve[0]):
        return None
    host, port = serve
    shown = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    if not public_read:
        raise ConfigError(
            f"--serve {shown} without TUI_HEALTH_SERVE_TOKEN would show the live state (every component, incident "
            "and audit event) to anyone who can reach it",
            hint="set TUI_HEALTH_SERVE_TOKEN (reading and silencing then need it), serve on 127.0.0.1, or set "
            "serve.public_read = true to let anyone read on purpose",
        )
    return (
        f"--serve {shown}: anyone who can reach it reads the live state (serve.public_read = true), and without "
        "TUI_HEALTH_SERVE_TOKEN nobody can silence"
    )
