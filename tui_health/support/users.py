"""Who is at this terminal."""

from __future__ import annotations

from tui_health.support.text import clean


def local_user() -> str:
    """Who is at this terminal, for silences made here (``getpass`` reads the usual variables)."""
    import getpass

    try:
        return clean(getpass.getuser(), 100) or "someone"
    except (OSError, KeyError):
        return "someone"
