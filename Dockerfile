# tui-health as a container: the collector (--headless --serve), state in a volume, credentials from the
# environment only (GENESYSCLOUD_OAUTHCLIENT_ID/SECRET, GENESYSCLOUD_REGION, TUI_HEALTH_SERVE_TOKEN, ...).
# It serves on 0.0.0.0, so it refuses to start without TUI_HEALTH_SERVE_TOKEN (reading the live state and silencing
# need it); `public_read = true` under [serve] in a mounted config lets anyone read on purpose.
#   docker build -t tui-health . && docker run -e GENESYSCLOUD_OAUTHCLIENT_ID=… -e GENESYSCLOUD_OAUTHCLIENT_SECRET=… \
#     -e GENESYSCLOUD_REGION=eu-central-1 -e TUI_HEALTH_SERVE_TOKEN=… -p 9464:9464 -v tui-health:/var/lib/tui-health \
#     tui-health
FROM python:3.12-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    STATE_DIRECTORY=/var/lib/tui-health \
    LOGS_DIRECTORY=/var/lib/tui-health/log \
    CONFIGURATION_DIRECTORY=/etc/tui-health

COPY . /src
# the exact versions CI tested (.ci/constraints.txt), not whatever is newest on the day of the build
RUN pip install --no-cache-dir -c /src/.ci/constraints.txt /src && rm -rf /src \
    && useradd --system --uid 10001 --home-dir /nonexistent --shell /usr/sbin/nologin tui-health \
    && install -d -o tui-health -g tui-health -m 0700 /var/lib/tui-health /var/lib/tui-health/log \
    && install -d -m 0755 /etc/tui-health

USER tui-health
VOLUME ["/var/lib/tui-health"]
EXPOSE 9464
# liveness: /healthz, the poll loop runs (an outage upstream is /readyz's business, never a restart); over HTTPS
# too when serve.tls_cert/tls_key are set (it tries plain HTTP, then TLS without checking its own certificate)
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-m", "tui_health.serve.healthcheck", "127.0.0.1:9464"]
ENTRYPOINT ["tui-health", "--headless", "--serve", "0.0.0.0:9464"]
