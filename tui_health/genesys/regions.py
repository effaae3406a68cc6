"""Genesys Cloud regions: AWS region name ↔ domain, and the API/login base URLs they give."""

from __future__ import annotations

from tui_health.errors import ConfigError

#: AWS region name → Genesys Cloud domain (verified against the official SDKs).
REGIONS: dict[str, str] = {
    "us-east-1": "mypurecloud.com",
    "us-east-2": "use2.us-gov-pure.cloud",
    "us-west-2": "usw2.pure.cloud",
    "ca-central-1": "cac1.pure.cloud",
    "sa-east-1": "sae1.pure.cloud",
    "mx-central-1": "mxc1.pure.cloud",
    "eu-west-1": "mypurecloud.ie",
    "eu-west-2": "euw2.pure.cloud",
    "eu-central-1": "mypurecloud.de",
    "eu-central-2": "euc2.pure.cloud",
    "me-central-1": "mec1.pure.cloud",
    "ap-south-1": "aps1.pure.cloud",
    "ap-southeast-1": "apse1.pure.cloud",
    "ap-southeast-2": "mypurecloud.com.au",
    "ap-northeast-1": "mypurecloud.jp",
    "ap-northeast-2": "apne2.pure.cloud",
    "ap-northeast-3": "apne3.pure.cloud",
}

DEFAULT_REGION = "us-east-1"


def resolve_domain(region: str) -> str:
    """Return the domain for an AWS region name or a domain (``api.``/``login.`` prefixes are allowed).

    Raises:
        ConfigError: naming the valid regions when ``region`` is neither.
    """
    value = region.strip().lower().rstrip("/")
    for prefix in ("https://", "http://"):
        value = value.removeprefix(prefix)
    for prefix in ("api.", "login."):
        value = value.removeprefix(prefix)
    if value in REGIONS:
        return REGIONS[value]
    if value in REGIONS.values():
        return value
    valid = ", ".join(f"{name} ({domain})" for name, domain in REGIONS.items())
    raise ConfigError(
        f"unknown region {region!r}",
        hint=f"use one of {valid}, or set --api-url and --login-url",
    )


def genesys_domain(url: str) -> str | None:
    """The Genesys Cloud domain of an API or login URL (``https://api.mypurecloud.de`` → ``mypurecloud.de``), or
    ``None`` when the host is not a Genesys region's."""
    host = url.strip().lower().split("://", 1)[-1].split("/", 1)[0].split(":", 1)[0]
    for prefix in ("api.", "login."):
        host = host.removeprefix(prefix)
    return host if host in REGIONS.values() else None


def region_of(domain: str) -> str:
    """The AWS region name of a Genesys Cloud domain (the domain itself when unknown)."""
    return next((name for name, known in REGIONS.items() if known == domain), domain)


def login_for(api_url: str) -> str:
    """The login host that goes with an API host: ``https://api.X`` → ``https://login.X``; any other host (the
    simulator, a gateway) answers its own token requests."""
    scheme, _, rest = api_url.rstrip("/").partition("://")
    if not rest:
        return api_url.rstrip("/")
    host = rest.split("/", 1)[0]
    if host.lower().startswith("api."):
        return f"{scheme}://login.{host[4:]}"
    return f"{scheme}://{host}"
