"""A Statuspage-shaped ``summary.json`` of the simulated platform: regions as groups, a few services in each."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from tui_health.simulator.world import SimState

TO_STATUSPAGE = {
    "healthy": "operational",
    "degraded": "degraded_performance",
    "down": "major_outage",
    "maintenance": "under_maintenance",
}
REGIONS = [("sp-americas", "Americas (US East)"), ("sp-emea", "EMEA (Frankfurt)")]
SERVICES = ["platform-api", "voice-telephony", "acd-routing", "web-messaging"]


def iso(moment: Any) -> str:
    return moment.isoformat(timespec="milliseconds")


def summary(state: SimState) -> dict[str, Any]:
    """The document, built from the same timeline the health API serves (so both sources agree)."""
    elapsed = state.elapsed()
    names = dict(state.components)
    components: list[dict[str, Any]] = []
    incidents: list[dict[str, Any]] = []
    for position, (group_id, group_name) in enumerate(REGIONS):
        children = []
        for index, service in enumerate(s for s in SERVICES if s in names):
            status, modified = state.status_of(service, elapsed)
            if group_id != "sp-americas":
                status = "healthy" if status != "maintenance" else status  # only the first region suffers
            child_id = f"{group_id}-{service}"
            children.append(child_id)
            components.append(
                {
                    "id": child_id,
                    "name": names[service],
                    "status": TO_STATUSPAGE.get(status, status),
                    "created_at": iso(state.started_wall - timedelta(days=400)),
                    "updated_at": iso(modified),
                    "position": index + 1,
                    "description": None,
                    "group": False,
                    "group_id": group_id,
                    "only_show_if_degraded": False,
                }
            )
            if status in ("down", "degraded"):
                incidents.append(
                    {
                        "id": f"inc-{child_id}",
                        "name": f"{names[service]} {'outage' if status == 'down' else 'degraded'}"
                        f" in {group_name}",
                        "status": "investigating",
                        "impact": "major" if status == "down" else "minor",
                        "created_at": iso(modified),
                        "updated_at": iso(modified),
                        "shortlink": f"https://stspg.io/{child_id}",
                        "components": [{"id": child_id, "name": names[service]}],
                        "incident_updates": [
                            {
                                "status": "investigating",
                                "body": f"We are investigating {names[service]} in {group_name}.",
                                "created_at": iso(modified),
                                "display_at": iso(modified),
                            }
                        ],
                    }
                )
        components.append(
            {
                "id": group_id,
                "name": group_name,
                "status": "operational",
                "group": True,
                "components": children,
                "position": position,
                "group_id": None,
                "updated_at": iso(state.started_wall),
            }
        )
    # a component that serves every region is ungrouped on Genesys' page (Login, for one)
    components.append(
        {
            "id": "sp-login",
            "name": "Login",
            "status": "operational",
            "group": False,
            "group_id": None,
            "position": len(REGIONS),
            "updated_at": iso(state.started_wall - timedelta(days=3)),
        }
    )
    # another region's incident: an org in the Americas never counts it, --all-regions shows it
    incidents.append(
        {
            "id": "inc-emea-latency",
            "name": "Elevated API latency in EMEA (Frankfurt)",
            "status": "monitoring",
            "impact": "minor",
            "created_at": iso(state.started_wall - timedelta(minutes=20)),
            "updated_at": iso(state.started_wall - timedelta(minutes=5)),
            "shortlink": "https://stspg.io/inc-emea-latency",
            "components": [{"id": "sp-emea-platform-api", "name": "Platform API"}],
            "incident_updates": [
                {
                    "status": "monitoring",
                    "body": "A fix has been applied; we are monitoring latency in EMEA (Frankfurt).",
                    "created_at": iso(state.started_wall - timedelta(minutes=5)),
                    "display_at": iso(state.started_wall - timedelta(minutes=5)),
                },
                {
                    "status": "investigating",
                    "body": "We are investigating elevated API latency.",
                    "created_at": iso(state.started_wall - timedelta(minutes=20)),
                    "display_at": iso(state.started_wall - timedelta(minutes=20)),
                },
            ],
        }
    )
    maintenance = {
        "id": "mnt-edge-upgrade",
        "name": "Edge firmware upgrade",
        "status": "scheduled",
        "impact": "maintenance",
        "created_at": iso(state.started_wall),
        "updated_at": iso(state.started_wall),
        "scheduled_for": iso(state.started_wall + timedelta(days=2)),
        "scheduled_until": iso(state.started_wall + timedelta(days=2, hours=2)),
        "shortlink": "https://stspg.io/mnt-edge",
        "components": [],
    }
    return {
        "page": {
            "id": "simulated",
            "name": "Genesys Cloud (simulated)",
            "url": "http://127.0.0.1",
            "time_zone": "Etc/UTC",
            "updated_at": iso(state.clock.now()),
        },
        "components": components,
        "incidents": incidents,
        "scheduled_maintenances": [maintenance],
        "status": {  # the page's own indicator: for every region at once
            "indicator": "major" if len(incidents) > 1 else "minor",
            "description": "Partial System Outage" if len(incidents) > 1 else "Minor Service Outage",
        },
    }
