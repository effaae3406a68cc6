"""The shared HTTP core: one ``httpx.AsyncClient``, retries, deadlines, latency, and errors people can read."""

from __future__ import annotations

import asyncio
import json
import random
import socket
import ssl
import time
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlsplit

import httpx

from tui_health.errors import ApiError, NetworkError, RateLimitedError, TuiHealthError
from tui_health.models import RequestTiming
from tui_health.retry import Backoff, parse_retry_after

Sleep = Callable[[float], Awaitable[None]]
CORRELATION_HEADER = "ININ-Correlation-Id"
RETRY_STATUS = frozenset({429, 502, 503, 504})


def host_of(url: str) -> str:
    """``scheme://host[:port]`` only: never a path or query that might carry a token."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc.rsplit('@', 1)[-1]}"


def correlation_id(response: httpx.Response) -> str | None:
    return response.headers.get(CORRELATION_HEADER)


def _causes(exc: BaseException) -> list[BaseException]:
    """The exception and everything it was raised from (httpx wraps anyio wraps OSError)."""
    chain: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in chain and len(chain) < 10:
        chain.append(current)
        current = current.__cause__ or current.__context__
    return chain


def describe_transport_error(exc: httpx.TransportError, url: str, timeout: float) -> NetworkError:
    """Turn an httpx transport failure into one line that says which kind of failure it was."""
    host = host_of(url)
    chain = _causes(exc)
    root = chain[-1]
    text = str(root) or root.__class__.__name__
    if isinstance(exc, httpx.TimeoutException):
        return NetworkError(
            f"{host} did not answer within {timeout:g} s", hint="check the network or raise --timeout"
        )
    if any(isinstance(c, socket.gaierror) for c in chain):
        return NetworkError(
            f"cannot resolve {urlsplit(url).hostname} ({text})",
            hint="check --region / --api-url and DNS",
            retryable=False,
        )
    if any(isinstance(c, ssl.SSLError) for c in chain) or "SSL" in text or "CERTIFICATE" in text.upper():
        return NetworkError(
            f"TLS handshake with {host} failed ({text})",
            hint="check the URL's scheme and port and the CA certificates",
            retryable=False,
        )
    if any(isinstance(c, ConnectionRefusedError) for c in chain):
        return NetworkError(
            f"cannot connect to {host}: connection refused", hint="is the host up and the URL right?"
        )
    return NetworkError(f"cannot talk to {host}: {text}", hint="check the network and the URL")


def decode_json(response: httpx.Response, what: str) -> Any:
    """The response body as JSON, or an ApiError that says what came instead."""
    cid = correlation_id(response)
    ctype = response.headers.get("content-type", "")
    body = response.content
    if "html" in ctype.lower() or body.lstrip()[:1] == b"<":
        raise ApiError(
            f"{what} answered HTML instead of JSON (HTTP {response.status_code})",
            status_code=response.status_code,
            correlation_id=cid,
            hint="is the URL pointing at the API and not a web page or proxy?",
        )
    try:
        return json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ApiError(
            f"{what} answered malformed JSON (HTTP {response.status_code}: {exc.__class__.__name__} at byte "
            f"{getattr(exc, 'pos', '?')})",
            status_code=response.status_code,
            correlation_id=cid,
        ) from None


def error_detail(response: httpx.Response) -> str:
    """A short, safe summary of an error body (Genesys: ``message``/``code``), never the raw body."""
    try:
        data = response.json()
    except ValueError:
        return ""
    if isinstance(data, dict):
        message = data.get("message") or data.get("error_description") or data.get("error")
        code = data.get("code")
        text = str(message) if message else ""
        if code and str(code) not in text:
            text = f"{text} [{code}]" if text else str(code)
        return text[:200]
    return ""


class HttpCore:
    """Sends requests with retries (429/502/503/504, timeouts, connection errors) and records latency."""

    def __init__(
        self,
        client: httpx.AsyncClient,
        *,
        timeout: float = 10.0,
        max_attempts: int = 5,
        backoff: Backoff | None = None,
        sleep: Sleep = asyncio.sleep,
        rng: random.Random | None = None,
    ) -> None:
        self.client = client
        self.timeout = timeout
        self.max_attempts = max_attempts
        self.backoff = backoff or Backoff()
        self.sleep = sleep
        self.rng = rng or random.Random()

    async def send(
        self,
        method: str,
        url: str,
        *,
        label: str,
        timings: list[RequestTiming],
        deadline: float | None = None,
        what: str | None = None,
        **kwargs: Any,
    ) -> httpx.Response:
        """Send until a non-retryable answer, then return it (any status); raise when retries run out.

        ``deadline`` is a ``time.monotonic()`` value: no wait or request goes past it.
        """
        what = what or host_of(url)
        attempt = 0
        while True:
            attempt += 1
            remaining = None if deadline is None else deadline - time.monotonic()
            if remaining is not None and remaining <= 0:
                raise NetworkError(
                    f"{what}: the poll deadline passed before the request could be sent",
                    hint="raise poll.deadline or check the API's health",
                )
            timeout = self.timeout if remaining is None else max(0.05, min(self.timeout, remaining))
            started = time.perf_counter()
            try:
                response = await self.client.request(method, url, timeout=timeout, **kwargs)
                await response.aread()
            except httpx.TransportError as exc:
                timings.append(RequestTiming(label, (time.perf_counter() - started) * 1000, None, attempt))
                network = describe_transport_error(exc, url, timeout)
                if not network.retryable or attempt >= self.max_attempts:
                    raise network from None
                await self._wait(self.backoff.delay(attempt, rng=self.rng), deadline, network)
                continue
            cid = correlation_id(response)
            timings.append(
                RequestTiming(
                    label, (time.perf_counter() - started) * 1000, response.status_code, attempt, cid
                )
            )
            if response.status_code not in RETRY_STATUS:
                return response
            retry_after = parse_retry_after(response.headers.get("retry-after"))
            error = self.status_error(response, what, attempts=attempt)
            if attempt >= self.max_attempts:
                raise error
            wait = self.backoff.delay(attempt, retry_after, rng=self.rng)
            await self._wait(wait, deadline, error)

    async def _wait(self, seconds: float, deadline: float | None, error: TuiHealthError) -> None:
        if deadline is not None and time.monotonic() + seconds > deadline:
            if isinstance(error, RateLimitedError):
                error.message += f"; Retry-After {seconds:g} s goes past the poll deadline"
            raise error
        await self.sleep(seconds)

    @staticmethod
    def status_error(response: httpx.Response, what: str, *, attempts: int = 1) -> ApiError:
        """The error for a non-2xx answer from the API (401/403 are handled by the caller)."""
        code = response.status_code
        cid = correlation_id(response)
        detail = error_detail(response)
        html = "html" in response.headers.get("content-type", "").lower()
        suffix = f" after {attempts} attempts" if attempts > 1 else ""
        text = f"{what} answered HTTP {code}"
        if detail:
            text += f" ({detail})"
        elif html:
            text += " (an HTML error page)"
        text += suffix
        if code == 429:
            return RateLimitedError(
                text,
                status_code=code,
                correlation_id=cid,
                hint="rate-limited; poll less often (--interval) or share fewer tokens",
            )
        if code >= 500:
            return ApiError(
                text, status_code=code, correlation_id=cid, hint="the service is failing; try again later"
            )
        return ApiError(text, status_code=code, correlation_id=cid)
