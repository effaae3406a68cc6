"""The shared HTTP core: one ``httpx.AsyncClient``, retries, deadlines, latency, and errors people can read."""

from __future__ import annotations

import asyncio
import json
import random
import socket
import ssl
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import httpx

from tui_health.genesys.ratelimit import MAX_RETRY_AFTER, HostGate, RequestBudget, bucket_of, read_rate_limit
from tui_health.model.domain import RateLimit, RequestTiming
from tui_health.support import urls
from tui_health.support.errors import ApiError, BudgetError, NetworkError, RateLimitedError, TuiHealthError
from tui_health.support.retry import Backoff, parse_retry_after
from tui_health.support.text import clean

Sleep = Callable[[float], Awaitable[None]]
CORRELATION_HEADER = "ININ-Correlation-Id"
GENESYS_RETRY_STATUS = frozenset({429, 502, 503, 504})
"""What Genesys Cloud says to retry: 429, 502, 503, 504 (never another 4xx)."""


MAX_SLOT_WAITS = 600
"""Re-checks of the request budget one request makes at most before it gives up (each waits a second or more)."""
MAX_BODY = 16 * 1024 * 1024
"""The largest response body read (decoded), in bytes; a bigger one fails the request."""


def host_of(url: str) -> str:
    """``scheme://host[:port]`` only, cleaned for a person to read: never a path or query that might carry a
    token."""
    return clean(urls.host_of(url), 200)


origin_of = urls.origin_of


def correlation_id(response: httpx.Response) -> str | None:
    """The request's id for Genesys support: the ``ININ-Correlation-Id`` header, else (on an error answer) the
    ``contextId`` of its body."""
    value = response.headers.get(CORRELATION_HEADER)
    if value:
        return clean(value, 100)
    if response.status_code < 400:
        return None
    body = _error_body(response)
    context = body.get("contextId") if body else None
    return clean(context, 100) if isinstance(context, str) and context else None


def _error_body(response: httpx.Response) -> dict[str, Any] | None:
    """An error answer's JSON object (Genesys: ``message``, ``code``, ``status``, ``contextId``), if it is one."""
    try:
        data = json.loads(response.content, parse_constant=_reject_constant)
    except (ValueError, RecursionError, httpx.ResponseNotRead):
        return None
    return data if isinstance(data, dict) else None


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
    text = clean(str(root) or root.__class__.__name__, 200)
    if isinstance(exc, httpx.ConnectTimeout):
        return NetworkError(
            f"cannot connect to {host} within {timeout:g} s", hint="check the network, proxy and firewall"
        )
    if isinstance(exc, httpx.TimeoutException):
        return NetworkError(
            f"{host} did not answer within {timeout:g} s",
            hint="check the network or raise --timeout",
            reached=True,
        )
    if any(isinstance(c, socket.gaierror) for c in chain):
        return NetworkError(
            f"cannot resolve {clean(urlsplit(url).hostname or '', 200)} ({text})",
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
    if isinstance(exc, httpx.ConnectError):
        return NetworkError(f"cannot connect to {host}: {text}", hint="check the network and the URL")
    return NetworkError(
        f"{host} broke off the exchange: {text}",
        hint="the host or a proxy dropped the connection",
        reached=True,
    )


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def decode_json(response: httpx.Response, what: str) -> Any:
    """The response body as strict JSON (no NaN/Infinity, bounded nesting), or an ApiError saying what came."""
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
        return json.loads(body, parse_constant=_reject_constant)
    except RecursionError:
        raise ApiError(
            f"{what} answered JSON nested too deeply to be a real answer (HTTP {response.status_code})",
            status_code=response.status_code,
            correlation_id=cid,
        ) from None
    except (ValueError, UnicodeDecodeError) as exc:
        reason = (
            str(exc)
            if "is not JSON" in str(exc)
            else f"{exc.__class__.__name__} at byte {getattr(exc, 'pos', '?')}"
        )
        raise ApiError(
            f"{what} answered malformed JSON (HTTP {response.status_code}: {clean(reason, 80)})",
            status_code=response.status_code,
            correlation_id=cid,
        ) from None


def error_detail(response: httpx.Response) -> str:
    """A short, safe summary of an error body (Genesys: ``message``/``code``), never the raw body."""
    data = _error_body(response)
    if data is not None:
        message = (
            data.get("message")
            or data.get("error_description")
            or data.get("description")
            or data.get("error")
        )
        code = data.get("code")
        text = str(message) if isinstance(message, str | int) else ""
        if isinstance(code, str | int) and str(code) not in text:
            text = f"{text} [{code}]" if text else str(code)
        return clean(text, 200)
    return ""


def login_throttled(response: httpx.Response) -> bool:
    """Whether the login host refused a token request for its rate limit, not for our credentials: Genesys
    answers ``400 invalid_request`` with "rate limit exceeded" (or a plain 429)."""
    if response.status_code == 429:
        return True
    if response.status_code != 400:
        return False
    data = _error_body(response) or {}
    words = " ".join(str(data.get(k) or "") for k in ("error", "error_description", "description", "message"))
    return "rate limit" in words.lower()


async def read_capped(response: httpx.Response, limit: int, what: str) -> bytes:
    """The decoded body, refusing to hold more than ``limit`` bytes of it."""
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise ApiError(
            f"{what} announced a {int(declared):,}-byte body, more than the {limit:,} bytes read at most",
            status_code=response.status_code,
            correlation_id=correlation_id(response),
        )
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.aiter_bytes():
        size += len(chunk)
        if size > limit:
            raise ApiError(
                f"{what} sent a body larger than the {limit:,} bytes read at most",
                status_code=response.status_code,
                correlation_id=correlation_id(response),
            )
        chunks.append(chunk)
    return b"".join(chunks)


class HttpCore:
    """Sends requests with retries (429/502/503/504, timeouts, connection errors) and records latency.

    Every attempt is bounded as a whole — connect, headers and every byte of the body — by ``timeout`` and by
    the poll's deadline, so a server that drips one byte a second cannot hold a poll. A ``budget`` (shared by
    everything one token does) and a ``gate`` (``Retry-After`` per host, across polls) bound how hard we press.
    """

    def __init__(
        self,
        client: httpx.AsyncClient,
        *,
        timeout: float = 10.0,
        max_attempts: int = 5,
        backoff: Backoff | None = None,
        sleep: Sleep = asyncio.sleep,
        rng: random.Random | None = None,
        budget: RequestBudget | None = None,
        gate: HostGate | None = None,
        max_body: int = MAX_BODY,
    ) -> None:
        self.client = client
        self.timeout = timeout
        self.max_attempts = max_attempts
        self.backoff = backoff or Backoff()
        self.sleep = sleep
        self.rng = rng or random.Random()
        self.budget = budget
        self.gate = gate or HostGate()
        self.max_body = max_body
        self.rate_limits: dict[str, RateLimit] = {}
        """The API's latest count of our requests, per host (``inin-ratelimit-*`` headers)."""

    def derived(self, *, max_attempts: int | None = None, budget: RequestBudget | None = None) -> HttpCore:
        """The same client, gate, bounds and rate-limit readings with another number of attempts (the probe
        makes one) or a request budget (everything done with a token)."""
        core = HttpCore(
            self.client,
            timeout=self.timeout,
            max_attempts=self.max_attempts if max_attempts is None else max_attempts,
            backoff=self.backoff,
            sleep=self.sleep,
            rng=self.rng,
            budget=budget or self.budget,
            gate=self.gate,
            max_body=self.max_body,
        )
        core.rate_limits = self.rate_limits
        return core

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
        origin = host_of(url)
        attempt = 0
        while True:
            attempt += 1
            if attempt == 1:  # a retry has already waited out the Retry-After that caused it
                await self._respect_gate(origin, what, deadline)
            remaining = None if deadline is None else deadline - time.monotonic()
            if remaining is not None and remaining <= 0:
                raise NetworkError(
                    f"{what}: the poll deadline passed before the request could be sent",
                    hint="raise poll.deadline or check the API's health",
                    reached=True,
                )
            slot = await self._take_slot(what, deadline)
            remaining = None if deadline is None else deadline - time.monotonic()
            timeout = self.timeout if remaining is None else max(0.05, min(self.timeout, remaining))
            started = time.perf_counter()
            try:
                response = await self._exchange(method, url, timeout, what, kwargs, slot)
            except (httpx.TransportError, TimeoutError) as exc:
                timings.append(RequestTiming(label, (time.perf_counter() - started) * 1000, None, attempt))
                if isinstance(exc, httpx.TransportError):
                    network = describe_transport_error(exc, url, timeout)
                else:  # the attempt's own bound: headers and body did not all arrive in time
                    network = NetworkError(
                        f"{origin} did not finish answering within {timeout:g} s",
                        hint="the host is too slow or stalls mid-answer; check it or raise --timeout",
                        reached=True,
                    )
                if not network.retryable or attempt >= self.max_attempts:
                    raise network from None
                await self._wait(self.backoff.delay(attempt, rng=self.rng), deadline, network)
                continue
            cid = correlation_id(response)
            bucket = bucket_of(urlsplit(url).path)
            self._note_rate_limit(
                origin + bucket, read_rate_limit(response.headers, datetime.now(UTC), bucket)
            )
            timings.append(
                RequestTiming(
                    label, (time.perf_counter() - started) * 1000, response.status_code, attempt, cid
                )
            )
            if response.status_code not in GENESYS_RETRY_STATUS:
                return response
            retry_after = parse_retry_after(response.headers.get("retry-after"))
            if retry_after is not None:
                self.gate.block(origin, retry_after)
                retry_after = min(retry_after, MAX_RETRY_AFTER)
            error = self.status_error(response, what, attempts=attempt)
            if isinstance(error, RateLimitedError):
                error.retry_at = self.gate.lifts_at(origin)
            if attempt >= self.max_attempts:
                raise error
            wait = self.backoff.delay(attempt, retry_after, rng=self.rng)
            await self._wait(wait, deadline, error)

    def _note_rate_limit(self, key: str, reading: RateLimit | None) -> None:
        """Keep the API's latest count of our requests per host and endpoint family (``key``); of concurrent
        answers in one window (pages arrive out of order), the highest count."""
        if reading is None:
            return
        known = self.rate_limits.get(key)
        same_window = (
            known is not None
            and known.reset_at is not None
            and reading.reset_at is not None
            and abs((known.reset_at - reading.reset_at).total_seconds()) < 2
        )
        if not (same_window and known is not None and known.used > reading.used):
            self.rate_limits[key] = reading

    async def _exchange(
        self, method: str, url: str, timeout: float, what: str, kwargs: dict[str, Any], slot: int | None
    ) -> httpx.Response:
        """One request, its body read in full (at most ``max_body`` bytes), all within ``timeout``."""
        try:
            async with (
                asyncio.timeout(timeout),
                self.client.stream(method, url, timeout=timeout, **kwargs) as streamed,
            ):
                declared = streamed.headers.get("content-length", "")
                if (
                    declared.isdigit()
                    and int(declared) <= self.max_body
                    and not streamed.headers.get("content-encoding")
                ):
                    # the common case: a declared length within the cap, as sent (HTTP/1.1 framing reads exactly
                    # that many bytes): read it in one go and keep the response as it is
                    await streamed.aread()
                    return streamed
                body = await read_capped(streamed, self.max_body, what)
        finally:
            if slot is not None and self.budget is not None:
                self.budget.done(slot)  # however it ended: the slot frees a window after now
        headers = [(k, v) for k, v in streamed.headers.multi_items() if k.lower() not in _BODY_HEADERS]
        return httpx.Response(streamed.status_code, headers=headers, content=body, request=streamed.request)

    async def _respect_gate(self, origin: str, what: str, deadline: float | None) -> None:
        left = self.gate.remaining(origin)
        if left <= 0:
            return
        if deadline is not None and time.monotonic() + left > deadline:
            lifts = self.gate.lifts_at(origin)
            error = RateLimitedError(
                f"{what} asked us to wait (Retry-After) until {_clock(lifts)}; no request before then",
                hint="it lifts by itself",
            )
            error.retry_at = lifts
            raise error
        await self.sleep(left)

    async def _take_slot(self, what: str, deadline: float | None) -> int | None:
        """Wait for a slot of the request budget (within the deadline); ``None`` when there is no budget."""
        if self.budget is None:
            return None
        for _ in range(MAX_SLOT_WAITS):
            wait = self.budget.wait_for_slot()
            if wait <= 0:
                return self.budget.take()
            if deadline is not None and time.monotonic() + wait > deadline:
                break
            self.budget.waited += wait
            await self.sleep(wait)
        free_at = datetime.now(UTC) + timedelta(seconds=self.budget.wait_for_slot())
        error = BudgetError(
            f"the request budget of {self.budget.limit} requests/minute for this token is used up "
            f"(next free slot {_clock(free_at)}); {what} was not asked",
            hint="poll less often (--interval), fewer pages (--page-size), or raise poll.request_budget",
        )
        error.retry_at = free_at
        raise error

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
        if 300 <= code < 400:
            return ApiError(
                text + " (a redirect, which is never followed: the token goes to the configured host only)",
                status_code=code,
                correlation_id=cid,
                hint="point the URL at the final host",
            )
        return ApiError(text, status_code=code, correlation_id=cid)


_BODY_HEADERS = {"content-encoding", "content-length", "transfer-encoding"}


def _clock(moment: datetime | None) -> str:
    return moment.astimezone(UTC).strftime("%H:%M:%S UTC") if moment else "later"
