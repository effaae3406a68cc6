"""The commented config ``tui-health config init`` writes: every section and key, with its default or commented
out where it has none. The sources' sections and the receivers' examples come from their modules."""

from __future__ import annotations

_TEMPLATE = """\
# tui-health configuration. Every key is optional; flags and environment variables win over this file.
# Every key is listed: set to its default, or commented out where it has none (remove the "# " to use it).
# Durations are in seconds; history.retention and a window's duration also take "90d", "2h".
# Secrets may live here (keep the file private) or in the environment:
#   GENESYSCLOUD_OAUTHCLIENT_ID, GENESYSCLOUD_OAUTHCLIENT_SECRET, TUI_HEALTH_WEBHOOK_TOKEN

[genesys]
# AWS region name (eu-central-1) or Genesys domain (mypurecloud.de).
region = "us-east-1"
# api_url = "https://api.mypurecloud.com"      # a health-details implementation (the health-api source)
# login_url = "https://login.mypurecloud.com"  # override the login host (default: derived from the API host)
# api_base = "https://api.mypurecloud.de"      # as GENESYSCLOUD_API_REGION sets it: picks the hosts, never a source
# name = "EMEA prod"                           # what the header, alerts and metrics call it (default: the region)

[auth]
# client_id = "..."
# client_secret = "..."

[poll]
interval = 15        # seconds between polls
timeout = 10         # seconds per HTTP request
deadline = 60        # seconds per whole poll, retries included
page_size = 100
concurrency = 10     # pages fetched at once after page 1
max_attempts = 5     # per request, on 429/5xx/timeouts
max_pages = 200      # a server claiming more pages than this is not believed
request_budget = 200 # requests per minute per token, retries and probes included (Genesys allows ~300)
min_gap = 1          # seconds from the end of one poll to the start of the next, at least
# status = ["degraded", "down"]
# ids = ["api", "architect"]
expand = true
# sources = ["statuspage", "api-probe"]   # SOURCE_NAMES

SOURCE_SECTIONS
[push]               # Genesys' notification channel: edges, trunks, queues and operational events within seconds
enabled = true
heartbeat_timeout = 75   # seconds without a heartbeat before the socket is taken for dead
max_frame = 262144       # bytes one message may have; a larger one closes the socket
renew_margin = 300       # seconds before a channel expires that it is kept alive
retry_base = 1           # backoff between reconnections (seconds, full jitter) ...
retry_cap = 60           # ... up to this
refused_wait = 300       # seconds before a refused topic or subscription is asked for again

[thresholds]
min_down = 1         # this many components down is a breach
min_degraded = 2     # this many degraded is a breach
critical = []        # ids whose going down is a breach on its own
flap_interval = 30   # seconds a new status must last before it counts
flapping_window = 600
flapping_changes = 4
# [thresholds.dependencies]
# routing = ["api"]  # routing depends on api: api down suppresses routing's alerts

[audit]
# path = "/var/log/tui-health/audit.jsonl"
max_bytes = 10000000
backups = 5

[state]
# dir = "/var/lib/tui-health"   # saved state, outbox, lock (default: the user state dir)

[history]
enabled = true           # keep every transition, poll and alert (tui-health history, --replay)
# dir = "/var/lib/tui-health/history"   # one file per target (default: history/ in the state dir)
retention = "90d"

[display]
tz = "local"             # or "utc": every time shown (z toggles it in the console)
bell = false             # ring the terminal bell when a component goes down

[alerts]
enabled = true
repeat_interval = 14400  # seconds between reminders of an ongoing breach (0: never)
once_wait = 10           # seconds --once waits for its own alerts to be delivered
permanent_after = 600    # seconds of 4xx refusals (and three of them) before an alert is given up
retry_base = 1           # seconds before the first retry of a delivery (doubling, with jitter) ...
retry_cap = 300          # ... up to this
resend_interval = 60     # seconds between re-sends of firing alerts to Alertmanager
# outbox = "/var/lib/tui-health/outbox.sqlite3"   # default: outbox.sqlite3 in the state dir
# webhook_token = "..."
# Receivers, one [[alerts.sinks]] each (type: SINK_TYPES):
SINK_TEMPLATES
[serve]                  # the collector's endpoints (--serve, --metrics-listen)
public_read = false      # true: anyone may read the state (/state.json, /events), even served beyond loopback without a token; silencing needs the token
max_clients = 64         # requests at once; one address may use all while no other waits (then a quarter)
max_streams = 64         # attached consoles (event streams) at once
streams_per_address = 32 # streams one address (an office's NAT) keeps once every place is taken
# tls_cert = "/etc/tui-health/tls/cert.pem"   # with tls_key: HTTPS
# tls_key = "/etc/tui-health/tls/key.pem"

# Planned maintenance: one entry per window; its components page nobody while it is open.
# [[maintenance]]
# name = "carrier work"
# start = "2026-12-06T02:00"           # a wall time in timezone (or RFC 3339 with an offset)
# duration = "2h"
# every = "week"                       # day | week; absent: once
# timezone = "Europe/Berlin"
# ids = ["voice"]                      # and/or match, kinds
# match = ["Carrier*"]                 # shell patterns on a component's name or id
# kinds = ["trunk"]                    # KINDS
# targets = ["emea-prod"]              # [[targets]] names (empty: every target)

# Several orgs in one monitor: one entry each (without any, the settings above describe one target).
# [[targets]]
# name = "emea-prod"                   # unique; shown in the console, alerts and metrics
# region = "eu-central-1"
# api_url = "https://api.mypurecloud.de"          # or the region's (and the health-api source)
# login_url = "https://login.mypurecloud.de"
# statuspage_url = "https://status.mypurecloud.com"
# groups = ["EMEA"]                    # its status page groups (default: its region's)
# all_regions = false
# sources = ["statuspage", "api-probe"]
# ids = ["voice"]                      # only these component ids
# client_id_env = "EMEA_PROD_ID"       # this target's credentials come from these variables
# client_secret_env = "EMEA_PROD_SECRET"
"""


def template() -> str:
    """The commented config ``config init`` writes: the core sections here, each source's section and each
    receiver's example from its module (plug-ins' included), the names from the registries."""
    from tui_health import sources
    from tui_health.alerts import sinks

    found = sources.modules()
    receivers = sinks.modules()
    blocks = "\n".join(m.TEMPLATE for m in found.values() if m.TEMPLATE)
    return (
        _TEMPLATE.replace("SOURCE_SECTIONS\n", blocks + "\n")
        .replace("SINK_TEMPLATES", "".join(m.TEMPLATE for m in receivers.values()))
        .replace("SOURCE_NAMES", " | ".join(found))
        .replace("SINK_TYPES", " | ".join(receivers))
        .replace("KINDS", " | ".join(sources.kinds()))
    )
