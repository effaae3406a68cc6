"""Secrets never leave the process: known secret values and URL credentials are masked in every message."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from urllib.parse import urlsplit

from tui_health.support.urls import netloc

MASK = "***"
_BEARER = re.compile(r"(?i)(bearer\s+)[A-Za-z0-9._~+/=-]{8,}")


def redact_url(url: str) -> str:
    """``scheme://host[:port]/…``: webhook paths and queries often *are* the secret (Slack, tokens in URLs)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return MASK
    host = netloc(url)
    if not parts.scheme or not host:
        return MASK
    tail = "/…" if (parts.path not in ("", "/") or parts.query) else ""
    return f"{parts.scheme}://{host}{tail}"


class Redactor:
    """Replaces every registered secret (and bearer tokens) in text."""

    def __init__(self, secrets: Iterable[str | None] = ()) -> None:
        self._secrets: list[str] = []
        for secret in secrets:
            self.add(secret)

    def add(self, secret: str | None) -> None:
        """Mask ``secret`` from now on, as written and as it appears inside a JSON string."""
        if not secret or len(secret) < 4:
            return
        for form in {secret, json.dumps(secret)[1:-1], json.dumps(secret, ensure_ascii=False)[1:-1]}:
            if form not in self._secrets:
                self._secrets.append(form)
        self._secrets.sort(key=len, reverse=True)

    def __call__(self, text: str) -> str:
        for secret in self._secrets:
            if secret in text:
                text = text.replace(secret, MASK)
        return _BEARER.sub(r"\1" + MASK, text)


SECRETS = Redactor()
"""Every secret this process knows: configured ones, and each token as it is issued. Secrets are a fact about
the process, so one registry serves every output (audit lines, stderr, ``--once`` output, receivers, views)."""


def scrub(text: str) -> str:
    """``text`` with every known secret masked."""
    return SECRETS(text)
