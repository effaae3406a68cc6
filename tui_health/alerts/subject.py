"""What an alert is about: the target watched (outside the receivers' package, so that a run without alerts never
imports a receiver)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class AlertTarget:
    """What an alert is about: the target watched. Every receiver's message names it, so two instances watching
    different regions never merge their alerts, and two watching the same target produce the same keys."""

    name: str  # the target's name (its region, or its API host)
    key: str  # stable id of what is watched (the saved-state key)
    region: str  # region name, or the host when it is not a Genesys region's
    host: str  # the API host, or the status page's host
    link: str | None = None  # where a person can look: the status page, or the API
    org: str | None = None  # the org's name, once the API probe has read it (organizations/me)
    url: str = (
        ""  # the watched thing's base URL (the API's, else the status page's): a back-link of last resort
    )

    def back_link(self, specific: str | None = None) -> str:
        """Where an alert points (Alertmanager's ``generatorURL``, PagerDuty's ``client_url``): the incident
        when one is known, else the status page, else the watched host."""
        return specific or self.link or self.url or f"https://{self.host}"

    def as_dict(self) -> dict[str, str]:
        data = {"name": self.name, "key": self.key, "region": self.region, "host": self.host}
        if self.org:
            data["org"] = self.org
        if self.link:
            data["link"] = self.link
        return data

    def label(self) -> str:
        """``Simulated Org · eu-central-1`` (or just the region before the org is known)."""
        return f"{self.org} · {self.name}" if self.org else self.name
