"""``python -m tui_health.serve.healthcheck [HOST:PORT]``: the container's ``HEALTHCHECK`` — is the collector alive?

It asks ``/healthz`` (liveness: the poll loop runs; an outage upstream never makes it fail) at ``HOST:PORT``
(127.0.0.1:9464, where the image serves). Plain HTTP first; when the collector serves HTTPS (``serve.tls_cert``
and ``serve.tls_key``) that attempt is dropped at once, and it asks again over TLS without checking the
certificate — it is the collector in the same container, on loopback: its liveness is in question, not its
identity. So it needs no config and agrees with the collector however TLS was configured (file or environment),
and a config edited since the start cannot make a running collector look dead. (TLS first would not do: a plain
server waits seconds for the end of a request that a TLS greeting never sends.)

Exit 0 when ``/healthz`` answers 200, else 1; one line says what it saw (``docker inspect`` shows it). It ends
within ``--timeout`` (4 s: Docker's is 5). The standard library only, so that it starts fast every 30 s.
"""

from __future__ import annotations

import argparse
import http.client
import ssl
import sys
import time

PATH = "/healthz"


def ask(host: str, port: int, *, tls: bool, timeout: float) -> int:
    """The status ``PATH`` answers with; raises ``OSError`` / ``http.client.HTTPException`` when none comes."""
    connection: http.client.HTTPConnection
    if tls:
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE  # our own collector on loopback: liveness, not identity
        connection = http.client.HTTPSConnection(host, port, timeout=timeout, context=context)
    else:
        connection = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        connection.request("GET", PATH, headers={"Accept": "application/json"})
        response = connection.getresponse()
        response.read(65536)
        return response.status
    finally:
        connection.close()


def check(host: str, port: int, timeout: float = 4.0) -> tuple[bool, str]:
    """Whether the collector at ``host:port`` is alive, and what was seen."""
    deadline = time.monotonic() + timeout
    shown = f"[{host}]" if ":" in host else host
    try:
        status = ask(host, port, tls=False, timeout=timeout)
        url = f"http://{shown}:{port}{PATH}"
    except ConnectionRefusedError as exc:  # nothing listens there: no point asking again over TLS
        return False, f"{shown}:{port}: {exc.strerror or exc}"
    except (ConnectionError, http.client.HTTPException) as plain:
        # dropped without an HTTP answer: what a TLS server does to plain HTTP — ask over TLS
        left = deadline - time.monotonic()
        if left <= 0:
            return False, f"{shown}:{port}: no HTTP answer ({plain or type(plain).__name__})"
        try:
            status = ask(host, port, tls=True, timeout=left)
        except (OSError, http.client.HTTPException) as exc:
            return False, f"{shown}:{port}: no answer over HTTP or HTTPS ({exc or type(exc).__name__})"
        url = f"https://{shown}:{port}{PATH}"
    except OSError as exc:  # refused, timed out, unreachable
        return False, f"{shown}:{port}: {exc.strerror or exc or type(exc).__name__}"
    return status == 200, f"{url} answered {status}"


def address(text: str) -> tuple[str, int]:
    host, _, port = text.rpartition(":")
    if not port.isdigit() or not 0 < int(port) <= 65535:
        raise argparse.ArgumentTypeError(f"{text!r} is not HOST:PORT")
    return host.strip("[]") or "127.0.0.1", int(port)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tui_health.serve.healthcheck", description="Is the collector alive? (its /healthz)"
    )
    parser.add_argument("address", nargs="?", type=address, default=("127.0.0.1", 9464), help="HOST:PORT")
    parser.add_argument("--timeout", type=float, default=4.0, help="seconds for the whole check (default 4)")
    args = parser.parse_args(argv)
    host, port = args.address
    alive, seen = check(host, port, timeout=args.timeout)
    print(f"tui-health healthcheck: {'alive' if alive else 'NOT alive'}: {seen}", file=sys.stdout)
    return 0 if alive else 1


if __name__ == "__main__":
    sys.exit(main())
