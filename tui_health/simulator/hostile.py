"""The simulator misbehaving on purpose: each fault is an attack or an accident a real network can produce.

Two kinds. *Answers* replace the response entirely (:func:`answer`): ``drip`` (a valid body, one byte every ARG
seconds), ``hang`` (headers never come), ``reset`` (the connection is torn down with a TCP RST), ``deep-json``
(JSON nested ARG deep, 100,000 by default), ``retry-after`` (429 with ``Retry-After: ARG``, 3600 by default),
``redirect`` (302 to ARG, a foreign host by default), ``echo-secret`` (the login host echoes the client secret
in ``error_description``; on the health API, the first component is down and its name carries our token), ``token-newline`` (an access token with CR/LF in it). *Shapes* alter a normal answer
(:func:`shape_page`, :func:`shape_summary`): ``page-count-lie`` (``pageCount`` of ARG, 1e9 by default),
``next-uri-loop`` (``nextUri`` back to page 1; ``endless``: ever-new pages), ``next-uri-foreign-host`` (``nextUri``
on ARG's host), ``nan`` (NaN in a details map), ``bad-timestamp`` (timestamps that overflow in UTC),
``escape-names`` (ESC sequences, CR, BS and bidi overrides in names), ``duplicate-ids`` (the first component again,
with another status, on the last page).
"""

from __future__ import annotations

import base64
import contextlib
import json
import socket
import struct
from collections.abc import Callable
from typing import Any, Protocol

from tui_health.simulator.scenario import Fault


class Handler(Protocol):
    """The request handler a fault answers through (the server's; typed here, so this module never imports it)."""

    command: str
    path: str
    headers: Any
    wfile: Any
    connection: Any
    close_connection: bool

    @property
    def state(self) -> Any: ...

    def send_response(self, code: int, message: str | None = None) -> None: ...

    def send_header(self, keyword: str, value: str) -> None: ...

    def end_headers(self) -> None: ...

    def _send(
        self, status: int, body: bytes, ctype: str = ..., headers: dict[str, str] | None = None
    ) -> None: ...

    def _json(self, status: int, data: Any, headers: dict[str, str] | None = None) -> None: ...

    def _error(self, status: int, message: str, code: str, headers: dict[str, str] | None = None) -> None: ...


ESCAPES = "\x1b[2J\x1b[31mPWNED\x1b[0m\r\bover\u202egnp.exe"
"""What ``escape-names`` puts in names: clear screen, colour, carriage return, backspace, a bidi override."""
BAD_TIMES = ("0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00")
FOREIGN = "https://evil.example.invalid"


def answer(handler: Handler, fault: Fault) -> bool:
    """Answer with a hostile response; ``True`` when the request is done."""
    respond = _ANSWERS.get(fault.kind)
    if respond is None or (fault.kind == "echo-secret" and fault.target != "token"):
        return False
    respond(handler, fault)
    return True


def _drip(handler: Handler, fault: Fault) -> None:
    body = json.dumps({"entities": [], "pageSize": 25, "pageNumber": 1, "total": 0, "pageCount": 1}).encode()
    every = float(fault.arg or 1)
    handler.state.record(handler.command, handler.path, 200)
    handler.send_response(200)
    handler.send_header("Content-Type", "application/json")
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    try:
        for index in range(len(body)):
            handler.wfile.write(body[index : index + 1])
            handler.wfile.flush()
            if handler.state.stopping.wait(every):
                break
    except OSError:
        pass  # the client gave up, as it should
    handler.close_connection = True


def _hang(handler: Handler, fault: Fault) -> None:
    handler.state.record(handler.command, handler.path, 0)
    handler.state.stopping.wait(float(fault.arg or 3600))
    handler.close_connection = True


def _reset(handler: Handler, fault: Fault) -> None:
    handler.state.record(handler.command, handler.path, 0)
    handler.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    handler.close_connection = True
    handler.connection.close()


def _deep_json(handler: Handler, fault: Fault) -> None:
    depth = int(fault.arg or 100_000)
    handler._send(200, b'{"entities": ' + b"[" * depth + b"]" * depth + b"}")


def _retry_after(handler: Handler, fault: Fault) -> None:
    handler._error(
        429, "Rate limit exceeded the maximum.", "too.many.requests", {"Retry-After": fault.arg or "3600"}
    )


def _redirect(handler: Handler, fault: Fault) -> None:
    handler._send(302, b"", headers={"Location": fault.arg or f"{FOREIGN}/steal"})


def _echo_secret(handler: Handler, fault: Fault) -> None:
    client_id = secret = ""
    auth = handler.headers.get("Authorization", "")
    if auth.lower().startswith("basic "):
        with contextlib.suppress(ValueError, UnicodeDecodeError):
            client_id, _, secret = base64.b64decode(auth[6:]).decode().partition(":")
    text = f"client {client_id} with secret {secret} is not allowed here"
    handler._json(401, {"error": "invalid_client", "error_description": text, "message": text})


def _token_newline(handler: Handler, fault: Fault) -> None:
    handler._json(
        200,
        {"access_token": "tok-a1b2c3d4\r\nX-Injected: yes", "token_type": "bearer", "expires_in": 86399},
    )


_ANSWERS: dict[str, Callable[[Handler, Fault], None]] = {
    "drip": _drip,
    "hang": _hang,
    "reset": _reset,
    "deep-json": _deep_json,
    "retry-after": _retry_after,
    "redirect": _redirect,
    "echo-secret": _echo_secret,
    "token-newline": _token_newline,
}


def shape_entities(fault: Fault, entities: list[dict[str, Any]]) -> None:
    """Alter the full entity list (before paging) for the faults that live in the data."""
    if not entities:
        return
    if fault.kind == "escape-names":  # every fifth name, or every ARG-th
        for entity in entities[:: max(1, int(fault.arg or 5))]:
            entity["name"] = f"{entity['name']}{ESCAPES}"
    elif fault.kind == "bad-timestamp":
        for index, entity in enumerate(entities):
            entity["lastModified"] = fault.arg or BAD_TIMES[index % 2]
    elif fault.kind == "nan":
        entities[0]["details"] = {"load": float("nan"), "capacity": float("inf")}
    elif fault.kind == "duplicate-ids" and len(entities) > 1:
        first = entities[0]
        twin = "healthy" if first.get("status") == "down" else "down"
        entities[-1] = {**first, "status": twin}


def shape_page(fault: Fault, body: dict[str, Any], page: int, uri: Callable[[int], str]) -> None:
    """Alter one page's paging envelope."""
    if fault.kind == "page-count-lie":
        claimed = int(float(fault.arg or 1e9))
        body["pageCount"] = claimed
        body["total"] = claimed * int(body.get("pageSize") or 1)
        body["lastUri"] = uri(claimed)
        body["nextUri"] = uri(page + 1)
    elif fault.kind in ("next-uri-loop", "next-uri-foreign-host"):
        for key in ("pageCount", "total", "lastUri"):
            body.pop(key, None)
        if fault.kind == "next-uri-foreign-host":
            body["nextUri"] = (fault.arg or FOREIGN).rstrip("/") + uri(page + 1)
        elif fault.arg == "endless":
            body["nextUri"] = uri(page + 1)
        else:
            body["nextUri"] = uri(1)


def shape_summary(fault: Fault, document: dict[str, Any]) -> None:
    """Alter a status page summary for the faults that live in the data."""
    components = document.get("components") or []
    if fault.kind == "escape-names":
        for entry in components:
            entry["name"] = f"{entry.get('name', '')}{ESCAPES}"
    elif fault.kind == "bad-timestamp":
        for index, entry in enumerate(components):
            entry["updated_at"] = fault.arg or BAD_TIMES[index % 2]
    elif fault.kind == "nan" and components:
        components[0]["load"] = float("nan")
