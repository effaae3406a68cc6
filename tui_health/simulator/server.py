"""The simulator's HTTP server: Genesys login, health details with paging, faults, and alert receivers."""

from __future__ import annotations

import base64
import contextlib
import copy
import json
import socket
import threading
import time
import uuid
import zlib
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from tui_health.genesys.ratelimit import bucket_of
from tui_health.simulator import bodies, hostile
from tui_health.simulator.channels import ChannelServer
from tui_health.simulator.org import SimOrg
from tui_health.simulator.org_routes import OrgRoutes
from tui_health.simulator.scenario import Scenario
from tui_health.simulator.statuspage import summary as statuspage_summary
from tui_health.simulator.world import SimState
from tui_health.support.clock import Clock, rfc3339

HTML_503 = (
    b"<html><head><title>503 Service Temporarily Unavailable</title></head><body><h1>503</h1></body></html>"
)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128
    state: SimState

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.open_connections: set[socket.socket] = set()
        self.connections_lock = threading.Lock()

    def process_request(self, request: Any, client_address: Any) -> None:
        with self.connections_lock:
            self.open_connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self.connections_lock:
            self.open_connections.discard(request)
        super().shutdown_request(request)

    def drop_connections(self) -> None:
        """Close kept-alive connections too: a stopped simulator is unreachable, like a host that went away."""
        with self.connections_lock:
            connections = list(self.open_connections)
            self.open_connections.clear()
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)


class Handler(OrgRoutes, BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body are two writes: the body must not wait for an ACK
    server: _Server
    rate_headers: dict[str, str] = {}

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the simulator must not scribble over a TUI or test output."""

    # -- plumbing -------------------------------------------------------------------------------------
    @property
    def state(self) -> SimState:
        return self.server.state

    def _body(self) -> bytes | None:
        """The request's body; ``None`` when the client went away before all of it arrived (a sender stopped
        between its headers and its body): nothing is done with a request cut short, as a real receiver would."""
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        if len(body) < length:
            self.close_connection = True
            return None
        return body

    def _send(
        self, status: int, body: bytes, ctype: str = "application/json", headers: dict[str, str] | None = None
    ) -> None:
        self.state.record(
            self.command, self.path, status
        )  # before the answer leaves: tests read it right after
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("ININ-Correlation-Id", str(uuid.uuid4()))
        for key, value in {**self.rate_headers, **(headers or {})}.items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(body)

    def _json(self, status: int, data: Any, headers: dict[str, str] | None = None) -> None:
        self._send(status, json.dumps(data).encode(), headers=headers)

    def _empty(self, status: int) -> None:
        """An answer without a body (``HEAD``)."""
        self.state.record(self.command, self.path, status)
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.send_header("ININ-Correlation-Id", str(uuid.uuid4()))
        for key, value in self.rate_headers.items():
            self.send_header(key, value)
        self.end_headers()

    def _error(self, status: int, message: str, code: str, headers: dict[str, str] | None = None) -> None:
        """An ``ErrorBody`` (the fixture's shape) with this error's message, code and status."""
        error = bodies.body("error_body")
        error.update(
            message=message, messageWithParams=message, code=code, status=status, contextId=str(uuid.uuid4())
        )
        self._json(status, error, headers)

    def _latency(self) -> None:
        if self.state.scenario.latency_ms:
            time.sleep(self.state.scenario.latency_ms / 1000)

    def _counted(self) -> bool:
        """Count a Platform API request against its token's minute; over the allowance, answer 429 (our quota)."""
        self.rate_headers = self.state.count_request(self._bearer(), bucket_of(self.path))
        allowed = self.state.scenario.rate_limit_allowed
        if self.rate_headers and int(self.rate_headers["inin-ratelimit-count"]) > allowed:
            retry = {"Retry-After": self.rate_headers["inin-ratelimit-reset"]}
            self._error(
                429,
                f"Rate limit exceeded the maximum [{allowed}] requests per minute",
                "too.many.requests",
                retry,
            )
            return False
        return True

    def _bearer(self) -> str | None:
        auth = self.headers.get("Authorization", "")
        return auth[7:] if auth.lower().startswith("bearer ") else None

    # -- routes ---------------------------------------------------------------------------------------
    def do_POST(self) -> None:
        self.rate_headers = {}  # a kept-alive connection's handler serves many requests: start each clean
        path = urlsplit(self.path).path
        body = self._body()
        if body is None:
            return
        if path == "/oauth/token":
            self._token_form(body)
        elif path == "/api/v2/oauth/token":
            self._token_json(body)
        elif path == "/api/v2/usage/events/query":
            self._events_query(parse_qs(urlsplit(self.path).query), body)
        elif self.org_post(path, body):
            pass
        elif path.startswith("/hooks/"):
            self._receive(path, body)
        elif path == "/sim/org":
            self._control_org(body)
        elif path == "/sim/channels/drop":
            self.state.channels.drop_all()
            self._json(200, {"dropped": True})
        else:
            self._error(404, f"no route for POST {path}", "not.found")

    def do_PUT(self) -> None:
        self.rate_headers = {}
        parts = urlsplit(self.path)
        body = self._body()
        if body is None:
            return
        if not self.org_put(parts.path, parse_qs(parts.query), body):
            self._error(404, f"no route for PUT {parts.path}", "not.found")

    def do_HEAD(self) -> None:
        self.rate_headers = {}
        parts = urlsplit(self.path)
        if not self.org_head(parts.path):
            self._empty(404)

    def do_GET(self) -> None:
        self.rate_headers = {}
        parts = urlsplit(self.path)
        if parts.path == "/api/v2/health/details":
            self._health(parse_qs(parts.query))
        elif parts.path == "/api/v2/summary.json":
            self._statuspage()
        elif parts.path == "/api/v2/organizations/me":
            self._probe()
        elif self.org_get(parts.path, parse_qs(parts.query)):
            pass
        elif parts.path == "/api/v2/usage/events/definitions":
            if self._events_allowed():
                self._json(200, bodies.body("usage_events_definitions"))
        elif parts.path == "/healthz":
            self._json(200, {"ok": True})
        else:
            self._error(404, f"no route for GET {parts.path}", "not.found")

    def _token_form(self, body: bytes) -> None:
        self._latency()
        form = parse_qs(body.decode("latin-1"))
        client_id = secret = None
        auth = self.headers.get("Authorization", "")
        if auth.lower().startswith("basic "):
            try:
                client_id, _, secret = base64.b64decode(auth[6:]).decode().partition(":")
            except (ValueError, UnicodeDecodeError):
                client_id = secret = None
        if form.get("grant_type") != ["client_credentials"]:
            self._json(
                400, {"error": "unsupported_grant_type", "error_description": "use client_credentials"}
            )
            return
        self._issue(client_id, secret)

    def _token_json(self, body: bytes) -> None:
        self._latency()
        try:
            data = json.loads(body or b"{}")
        except ValueError:
            self._json(400, {"error": "invalid_request", "error_description": "body is not JSON"})
            return
        self._issue(data.get("client_id"), data.get("client_secret"))

    def _issue(self, client_id: str | None, secret: str | None) -> None:
        number = self.state.next_request("token_requests")
        fault = self.state.fault_for("token", number)
        if fault and hostile.answer(self, fault):
            return
        if fault and fault.kind == "rate_limit":
            self._error(
                429, "Rate limit exceeded", "too.many.requests", {"Retry-After": f"{fault.retry_after:g}"}
            )
            return
        if (
            fault and fault.kind == "login-throttled"
        ):  # how Genesys' login host refuses too many token requests
            self._json(400, {"error": "invalid_request", "description": "rate limit exceeded"})
            return
        if not self.state.client_ok(client_id, secret):
            self._json(
                401,
                {
                    "error": "invalid_client",
                    "description": "client not found or secret mismatch",
                    "error_description": "authentication failed",
                },
            )
            return
        token = self.state.issue_token(client_id)
        self._json(
            200,
            {"access_token": token, "token_type": "bearer", "expires_in": self.state.scenario.token_lifetime},
        )

    def _health(self, query: dict[str, list[str]]) -> None:
        self._latency()
        number = self.state.next_request("health")
        if not self.state.token_valid(self._bearer()):
            self._error(401, "Invalid login credentials.", "bad.credentials")
            return
        if not self._counted():
            return
        fault = self.state.fault_for("health", number)
        if fault and (self._fault(fault) or hostile.answer(self, fault)):
            return
        try:
            page_size = int(query.get("pageSize", [str(self.state.scenario.default_page_size)])[0])
            page = int((query.get("pageNumber") or query.get("page") or ["1"])[0])
        except ValueError:
            self._error(400, "pageSize and pageNumber must be integers", "bad.request")
            return
        if page_size < 1 or page < 1:
            self._error(400, "pageSize and pageNumber must be positive", "bad.request")
            return
        if page == 1:
            self.state.churn()
        expand = "details" in ",".join(query.get("expand", [])).split(",")
        ids = {i for v in query.get("ids", []) for i in v.split(",") if i}
        statuses = {s.lower() for v in query.get("status", []) for s in v.split(",") if s}
        start, stop = (page - 1) * page_size, page * page_size
        if ids or statuses or fault:
            entities = [
                e
                for e in self.state.entities(expand)
                if (not ids or e["id"] in ids) and (not statuses or str(e.get("status")).lower() in statuses)
            ]
            if fault:
                hostile.shape_entities(fault, entities)
                if (
                    fault.kind == "echo-secret" and entities
                ):  # the first component's name carries our token back
                    entities[0]["name"] = f"{entities[0]['name']} (seen with token {self._bearer()})"
                    entities[0]["status"] = "down"
            total = len(entities)
            chunk = entities[start:stop]
        else:  # the common case builds only the page asked for, so 100,000 components cost no more per page
            total = len(self.state.components)
            chunk = self.state.entities(expand, start, stop)
        page_count = max(1, -(-total // page_size))
        base = {k: v for k, v in query.items() if k not in ("pageNumber", "page", "pageSize")}

        def uri(n: int) -> str:
            params = [(k, x) for k, vs in base.items() for x in vs] + [
                ("pageSize", page_size),
                ("pageNumber", n),
            ]
            return "/api/v2/health/details?" + urlencode(params)

        body: dict[str, Any] = {
            "entities": chunk,
            "pageSize": page_size,
            "pageNumber": page,
            "total": total,
            "pageCount": page_count,
            "firstUri": uri(1),
            "selfUri": uri(page),
            "lastUri": uri(page_count),
        }
        if page < page_count:
            body["nextUri"] = uri(page + 1)
        if page > 1:
            body["previousUri"] = uri(page - 1)
        if self.state.scenario.paging == "next_only":
            for key in ("pageCount", "total", "lastUri"):
                del body[key]
        if fault:
            hostile.shape_page(fault, body, page, uri)
        self._json(200, body)

    def _statuspage(self) -> None:
        self._latency()
        number = self.state.next_request("statuspage")
        fault = self.state.fault_for("statuspage", number)
        if fault and (self._fault(fault) or hostile.answer(self, fault)):
            return
        document = copy.deepcopy(self.state.scenario.statuspage_summary) or statuspage_summary(self.state)
        if fault:
            hostile.shape_summary(fault, document)
        self._json(200, document)

    def _events_allowed(self) -> bool:
        """Token, quota and faults of the Operational Events endpoints (target ``events``)."""
        self._latency()
        number = self.state.next_request("events")
        if not self.state.token_valid(self._bearer()):
            self._error(401, "Invalid login credentials.", "bad.credentials")
            return False
        if not self._counted():
            return False
        fault = self.state.fault_for("events", number)
        return not (fault and (self._fault(fault) or hostile.answer(self, fault)))

    def _events_query(self, query: dict[str, list[str]], body: bytes) -> None:
        """``POST /api/v2/usage/events/query``: the interval's events, cursor-paged (``after`` = an offset)."""
        if not self._events_allowed():
            return
        try:
            request = json.loads(body or b"{}")
            start, end = (
                datetime.fromisoformat(t.replace("Z", "+00:00")) for t in request["interval"].split("/")
            )
            size = int((query.get("pageSize") or ["25"])[0])
            offset = int((query.get("after") or ["0"])[0])
        except (ValueError, KeyError, TypeError, AttributeError):
            self._error(
                400, "interval must be start/end in ISO-8601; pageSize and after numbers", "bad.request"
            )
            return
        if not 1 <= size <= 200:
            self._error(400, "pageSize must be 1 to 200", "bad.request")
            return
        wanted = set(request.get("eventDefinitionIds") or [])
        started = self.state.started_wall
        events = [
            e
            for e in sorted(self.state.scenario.operational_events, key=lambda e: e.at)
            if start <= started + timedelta(seconds=e.at) < end and (not wanted or e.definition in wanted)
        ]
        if str(request.get("sortOrder", "DESC")).upper() == "DESC":
            events.reverse()
        chunk = events[offset : offset + size]
        page = bodies.body("usage_events_query")
        example = page["entities"][0]
        page["entities"] = []
        for e in chunk:
            event = {
                k: v for k, v in example.items() if k not in ("previousValue", "currentValue", "errorCode")
            }
            event.update(
                eventDefinition={
                    "id": e.definition,
                    "selfUri": f"/api/v2/usage/events/definitions/{e.definition}",
                },
                entityId=f"ent-{zlib.crc32(e.entity.encode()):08x}",
                entityName=e.entity,
                dateCreated=rfc3339(started + timedelta(seconds=e.at)),
                **({"previousValue": e.previous} if e.previous else {}),
                **({"currentValue": e.current} if e.current else {}),
                **({"errorCode": e.error_code} if e.error_code else {}),
            )
            page["entities"].append(event)
        page.pop("nextUri", None)
        page.pop("previousUri", None)
        if offset + size < len(events):
            page["nextUri"] = f"/api/v2/usage/events/query?pageSize={size}&after={offset + size}"
        self._json(200, page)

    def _allowed(self, target: str) -> bool:
        """Token, quota and faults of one Platform API endpoint (``target`` names it for faults)."""
        self._latency()
        self.state.org.tick(self.state.elapsed())
        number = self.state.next_request(target)
        if not self.state.token_valid(self._bearer()):
            self._error(401, "Invalid login credentials.", "bad.credentials")
            return False
        if not self._counted():
            return False
        fault = self.state.fault_for(target, number)
        return not (fault and (self._fault(fault) or hostile.answer(self, fault)))

    def _control_org(self, body: bytes) -> None:
        """The simulator's own control (benchmarks, a person trying things): change an Edge, trunk or queue now,
        ``{"kind": "trunk", "id": "trunk-1-1", "fields": {"connected": false}, "publish": true}``."""
        try:
            request = json.loads(body or b"{}")
            kind, ident, fields = request["kind"], request["id"], dict(request.get("fields") or {})
        except (ValueError, KeyError, TypeError):
            self._error(400, "kind, id and fields expected", "bad.request")
            return
        self.state.org.apply(str(kind), str(ident), fields, publish=bool(request.get("publish", True)))
        self._json(200, {"changed_at": rfc3339(self.state.clock.now())})

    def _probe(self) -> None:
        self._latency()
        if self.state.scenario.probe_latency_ms:
            time.sleep(self.state.scenario.probe_latency_ms / 1000)
        number = self.state.next_request("probe")
        if not self.state.token_valid(self._bearer()):
            self._error(401, "Invalid login credentials.", "bad.credentials")
            return
        if not self._counted():
            return
        fault = self.state.fault_for("probe", number)
        if fault and (self._fault(fault) or hostile.answer(self, fault)):
            return
        self._json(200, bodies.body("organizations_me"))

    def _fault(self, fault: Any) -> bool:
        """Answer with the fault; ``True`` when the request is done."""
        kind = fault.kind
        if kind == "rate_limit":
            headers = {"Retry-After": f"{fault.retry_after:g}"} if fault.retry_after is not None else {}
            self._error(
                429,
                "Rate limit exceeded the maximum. Retry the request in a bit.",
                "too.many.requests",
                headers,
            )
        elif kind == "error_html":
            self._send(503, HTML_503, "text/html")
        elif kind == "error_json":
            self._error(503, "The service is currently unavailable.", "service.unavailable")
        elif kind == "malformed":
            self._send(200, b'{"entities": [{"id": "x", "status": ', "application/json")
        elif kind == "html":
            self._send(200, b"<!DOCTYPE html><html><body>Sign in</body></html>", "text/html")
        elif kind == "revoke":
            self.state.revoke_all()
            self._error(401, "Invalid login credentials.", "bad.credentials")
        elif kind == "expire-token":  # this request is answered as usual; the next ones need a new token
            self.state.revoke_all()
            return False
        elif kind == "forbidden":
            self._error(403, "You are not authorized to perform the requested action.", "missing.permissions")
        else:
            return False
        return True

    def _receive(self, path: str, body: bytes) -> None:
        """Alert receiver: records each delivery; can fail the first N (scenario ``webhook_failures``)."""
        with self.state.lock:
            self.state.receiver_attempts += 1
            down = self.state.receiver_down or path in self.state.receivers_down
            fail = down or self.state.webhook_failures_left > 0
            if fail and not down:
                self.state.webhook_failures_left -= 1
            self.state.posts.append(
                {
                    "path": path,
                    "headers": dict(self.headers.items()),
                    "status": self.state.receiver_down_status if fail else 202,
                }
            )
        if fail:
            retry_after = self.state.receiver_retry_after
            self._json(
                self.state.receiver_down_status,
                {"error": "receiver failing"},
                {"Retry-After": retry_after} if retry_after else None,
            )
            return
        try:
            parsed: Any = json.loads(body or b"null")
        except ValueError:
            parsed = body.decode("utf-8", "replace")
        with self.state.lock:
            self.state.webhooks.append({"path": path, "headers": dict(self.headers.items()), "body": parsed})
        self._json(202, {"ok": True})


class SimulatorServer:
    """Runs the simulator on 127.0.0.1 in a background thread (or in the foreground for ``simulate``)."""

    def __init__(
        self, scenario: Scenario, *, host: str = "127.0.0.1", port: int = 0, clock: Clock | None = None
    ):
        self.state = SimState(scenario, clock)
        self._httpd = _Server((host, port), Handler)
        self._httpd.state = self.state
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> SimulatorServer:
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, args=(0.05,), name="simulator", daemon=True
        )
        self._thread.start()
        if self.state.scenario.org_changes or self.state.org.events:
            threading.Thread(target=self._tick, name="simulator-org", daemon=True).start()
        return self

    def _tick(self) -> None:
        """Scheduled org changes happen at their time (and are pushed then), asked for or not."""
        while not self.state.stopping.wait(0.05):
            self.state.org.tick(self.state.elapsed())

    @property
    def org(self) -> SimOrg:
        return self.state.org

    @property
    def channels(self) -> ChannelServer:
        return self.state.channels

    def serve_forever(self) -> None:
        self._httpd.serve_forever()

    def drop_connections(self) -> None:
        """Close every kept-alive connection (a client must connect again: tests of descriptor starvation)."""
        self._httpd.drop_connections()

    def stop(self) -> None:
        self.state.stopping.set()  # hanging and dripping answers end too
        self.state.channels.stop()
        self._httpd.shutdown()
        self._httpd.server_close()
        self._httpd.drop_connections()
        if self._thread:
            self._thread.join(timeout=5)

    def __enter__(self) -> SimulatorServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
