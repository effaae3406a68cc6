"""Genesys Cloud regions: AWS region name ↔ domain, and the API/login base URLs they give."""

from __future__ import annotations

from urllib.parse import urlsplit

from tui_health.support.errors import ConfigError
from tui_health.support.urls import hostname, netloc

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
    # the EU sovereign cloud (Genesys' Terraform provider and SDK region maps)
    "eusc-de-east-1": "edee1.eusc-pure.cloud",
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
    host = hostname(url)
    for prefix in ("api.", "login."):
        host = host.removeprefix(prefix)
    return host if host in REGIONS.values() else None


def region_of(domain: str) -> str:
    """The AWS region name of a Genesys Cloud domain (the domain itself when unknown)."""
    return next((name for name, known in REGIONS.items() if known == domain), domain)


def login_for(api_url: str) -> str:
    """The login host that goes with an API host: ``https://api.X`` → ``https://login.X``; any other host (the
    simulator, a gateway) answers its own token requests."""
    if "://" not in api_url:
        return api_url.rstrip("/")
    scheme, host = urlsplit(api_url).scheme, netloc(api_url)
    if host.lower().startswith("api."):
        return f"{scheme}://login.{host[4:]}"
    return f"{scheme}://{host}"


#: region → how its group is named on Genesys' status page ("Americas (US East)", "EMEA (Frankfurt)", …), as a
#: pattern over group names, so a mirror or the simulator that uses Genesys' names is scoped the same way.
REGION_GROUPS: dict[str, str] = {
    "us-east-1": r"\bUS[ -]?East\b(?!\s*2)|N\.? ?Virginia",
    "us-east-2": r"\bUS[ -]?East[ -]?2\b|Ohio",
    "us-west-2": r"\bUS[ -]?West\b|Oregon",
    "ca-central-1": r"Canada",
    "sa-east-1": r"S[ãa]o Paulo|Brazil|South America",
    "mx-central-1": r"Mexico",
    "eu-west-1": r"Dublin|Ireland",
    "eu-west-2": r"London",
    "eu-central-1": r"Frankfurt",
    "eu-central-2": r"Z[üu]rich",
    "me-central-1": r"\bUAE\b|Middle East|Emirates",
    "ap-south-1": r"Mumbai|India",
    "ap-southeast-1": r"Singapore",
    "ap-southeast-2": r"Sydney|Australia",
    "ap-northeast-1": r"Tokyo|Japan",
    "ap-northeast-2": r"Seoul|Korea",
    "ap-northeast-3": r"Osaka",
    # eusc-de-east-1: its group's name on the status page is not verified; the whole page is shown (said once)
}


def region_groups(region: str, groups: list[str]) -> list[str]:
    """The status page groups that are ``region``'s (an AWS region name), in the page's order."""
    pattern = REGION_GROUPS.get(region)
    if pattern is None:
        return []
    import re

    found = re.compile(pattern, re.IGNORECASE)
    return [g for g in groups if found.search(g)]
