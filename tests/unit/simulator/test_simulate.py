"""``tui-health simulate`` standalone, spoken to the way the seed tutorial's Go client speaks."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.request

import pytest


@pytest.fixture
def simulate():
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "tui_health", "simulate", "--port", "0", "--components", "130"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert line.startswith("simulating Genesys Cloud at http://127.0.0.1:"), line + proc.stderr.read()
        yield line.split(" at ", 1)[1].split()[0]
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def request(url: str, data: dict | None = None, token: str | None = None) -> dict:
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    body = json.dumps(data).encode() if data is not None else None
    with urllib.request.urlopen(urllib.request.Request(url, body, headers), timeout=10) as resp:
        return json.loads(resp.read())


def test_the_tutorials_client_gets_every_component(simulate):
    token = request(
        f"{simulate}/api/v2/oauth/token",
        {
            "grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer",
            "client_id": "YOUR_CLIENT_ID",
            "client_secret": "YOUR_CLIENT_SECRET",
        },
    )
    assert token["expires_in"] > 0
    page = request(f"{simulate}/api/v2/health/details?expand=details", token=token["access_token"])
    entities = list(page["entities"])
    while page["pageNumber"] < page["pageCount"]:
        page = request(
            f"{simulate}/api/v2/health/details?page={page['pageNumber'] + 1}&expand=details",
            token=token["access_token"],
        )
        entities += page["entities"]
    assert page["total"] == 130 == len(entities) == len({e["id"] for e in entities})
    assert all(e["details"] for e in entities)


def test_full_genesys_paging_envelope(simulate):
    import base64
    import urllib.parse

    body = urllib.parse.urlencode({"grant_type": "client_credentials"}).encode()
    req = urllib.request.Request(
        f"{simulate}/oauth/token",
        body,
        {
            "Authorization": "Basic " + base64.b64encode(b"id:secret").decode(),
            "Content-Type": "application/x-www-form-urlencoded",
        },
    )
    with urllib.request.urlopen(req, timeout=10) as resp:
        token = json.loads(resp.read())["access_token"]
    page = request(f"{simulate}/api/v2/health/details?pageSize=50&pageNumber=2", token=token)
    assert {
        "entities",
        "pageSize",
        "pageNumber",
        "total",
        "pageCount",
        "firstUri",
        "selfUri",
        "nextUri",
        "previousUri",
        "lastUri",
    } <= set(page)
    assert (page["pageSize"], page["pageNumber"], page["total"], page["pageCount"]) == (50, 2, 130, 3)
    assert page["nextUri"].endswith("pageNumber=3")
    last = request(f"{simulate}/api/v2/health/details?pageSize=50&pageNumber=3", token=token)
    assert "nextUri" not in last and len(last["entities"]) == 30


def test_a_delivery_cut_between_its_headers_and_its_body_is_not_received(start_sim) -> None:
    """A sender stopped mid-request (a monitor's SIGTERM between httpx's two writes) left a webhook of no body
    in the receiver's record; a real receiver never takes one. A whole one after it is received."""
    import socket
    from urllib.parse import urlsplit

    import httpx

    sim = start_sim("steady")
    address = urlsplit(sim.url)
    assert address.hostname is not None and address.port is not None
    with socket.create_connection((address.hostname, address.port), timeout=30) as cut:
        cut.sendall(b"POST /hooks/cut HTTP/1.1\r\nHost: x\r\nContent-Length: 64\r\n\r\n" + b'{"logs": [')
        cut.shutdown(socket.SHUT_WR)  # the sender is gone: the body ends short
        answered = b"".join(iter(lambda: cut.recv(4096), b""))  # until the simulator closes its side
    assert answered == b""  # no answer to a request it never had whole
    assert httpx.post(f"{sim.url}/hooks/whole", json={"logs": []}).status_code == 202
    assert [(h["path"], h["body"]) for h in sim.state.webhooks] == [("/hooks/whole", {"logs": []})]
