"""The one place URLs are taken apart (with :mod:`urllib.parse`, never by hand): what a URL's host is, its
origin, and how it may be shown without the parts that carry secrets."""

from __future__ import annotations

from urllib.parse import urlsplit


def netloc(url: str) -> str:
    """``host[:port]`` of ``url``, without user info (``https://u:p@api.x:8443/y`` → ``api.x:8443``); ``""`` for
    something that is not a URL."""
    try:
        parts = urlsplit(url.strip() if "://" in url else f"//{url.strip()}")
    except ValueError:
        return ""
    return parts.netloc.rsplit("@", 1)[-1]


def hostname(url: str) -> str:
    """The host alone, lower-case, without port or user info (``https://API.x:443/y`` → ``api.x``)."""
    try:
        parts = urlsplit(url.strip() if "://" in url else f"//{url.strip()}")
        return (parts.hostname or "").lower()
    except ValueError:
        return ""


def host_of(url: str) -> str:
    """``scheme://host[:port]`` only: never a path, query or user info that might carry a token."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc.rsplit('@', 1)[-1]}"


def scheme_of(url: str) -> str:
    """The scheme, lower-case (``WSS://x`` → ``wss``); ``""`` for something that is not a URL."""
    try:
        return urlsplit(url.strip()).scheme.lower()
    except ValueError:
        return ""


def origin_of(url: str) -> tuple[str, str, int | None]:
    """(scheme, host, port) with the scheme's default port filled in: what "the same host" means."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    try:
        port = parts.port
    except ValueError:
        port = -1
    if port is None:
        port = {"https": 443, "http": 80}.get(scheme)
    return scheme, (parts.hostname or "").lower(), port
