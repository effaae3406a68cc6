"""OAuth client credentials for Genesys Cloud: cached token, early refresh, single flight, invalidate on 401."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator

from tui_health.genesys.transport import (
    HttpCore,
    correlation_id,
    decode_json,
    error_detail,
    host_of,
    login_throttled,
)
from tui_health.model.domain import RequestTiming
from tui_health.support.clock import Clock, SystemClock
from tui_health.support.errors import ApiError, AuthError, RateLimitedError
from tui_health.support.retry import parse_retry_after

LOGIN_THROTTLE_WAIT = 60.0
"""Seconds before another token request after the login host said "rate limit exceeded" without a Retry-After."""
EARLY_REFRESH_MAX = 300.0
"""Refresh at most this many seconds before expiry (5 minutes)..."""
EARLY_REFRESH_FRACTION = 0.1
"""...or a tenth of the token's lifetime, if that is shorter."""


MAX_LIFETIME = 48 * 3600.0
"""Genesys lets a client choose 5 minutes to 48 hours; a longer claim is taken as 48 hours."""


class TokenResponse(BaseModel):
    """``POST /oauth/token`` response. The token goes into a header: printable ASCII, no spaces, bounded."""

    model_config = ConfigDict(extra="allow")
    access_token: str = Field(min_length=1, max_length=8192, pattern=r"^[\x21-\x7e]+$")
    token_type: str = "bearer"
    expires_in: float = Field(86399, gt=0, allow_inf_nan=False)
    """Seconds the token lives (Genesys default 86399)."""

    @field_validator("expires_in")
    @classmethod
    def _bounded(cls, value: float) -> float:
        return min(value, MAX_LIFETIME)


class TokenProvider:
    """Hands out a valid bearer token; many concurrent callers cause one token request."""

    def __init__(
        self,
        core: HttpCore,
        login_url: str,
        client_id: str,
        client_secret: SecretStr,
        *,
        clock: Clock | None = None,
        on_token: Callable[[str], None] | None = None,
    ) -> None:
        self._core = core
        self._on_token = on_token
        self._url = login_url.rstrip("/") + "/oauth/token"
        self._client_id = client_id
        self._secret = client_secret
        self._clock = clock or SystemClock()
        self._lock = asyncio.Lock()
        self._throttled: RateLimitedError | None = None  # the login host's last "rate limit exceeded"
        self._token: str | None = None
        self._refresh_at = 0.0
        self.requests = 0
        """Token requests made so far (tests and the header use it)."""

    def _valid(self) -> str | None:
        if self._token is not None and self._clock.monotonic() < self._refresh_at:
            return self._token
        return None

    async def token(self, timings: list[RequestTiming], deadline: float | None = None) -> str:
        """A token that is not about to expire; fetches one when needed (single flight)."""
        token = self._valid()
        if token is not None:
            return token
        async with self._lock:
            token = self._valid()
            if token is not None:
                return token
            origin = host_of(self._url)
            if self._throttled is not None and self._core.gate.remaining(origin) > 0:
                raise self._throttled  # the login host said to slow down: not asked again before it lifts
            return await self._fetch(timings, deadline)

    def invalidate(self, token: str) -> None:
        """Forget ``token`` after the API refused it (only if it is still the current one)."""
        if self._token == token:
            self._token = None

    def forget(self) -> None:
        """Forget the current token, whatever it is (the notification service said it was revoked)."""
        self._token = None

    @property
    def renew_at(self) -> float | None:
        """When (monotonic) the current token is due for renewal; ``None`` without one. What was made with it (a
        notification channel) lives no longer than it."""
        return self._refresh_at if self._token is not None else None

    async def _fetch(self, timings: list[RequestTiming], deadline: float | None) -> str:
        self.requests += 1
        response = await self._core.send(
            "POST",
            self._url,
            label="token",
            timings=timings,
            deadline=deadline,
            what=f"login host {self._core_host()}",
            auth=(self._client_id, self._secret.get_secret_value()),
            data={"grant_type": "client_credentials"},
            headers={"Accept": "application/json"},
        )
        cid = correlation_id(response)
        if login_throttled(response):  # a quota, not the credentials: never "check your credentials"
            origin = host_of(self._url)
            seconds = parse_retry_after(response.headers.get("retry-after")) or LOGIN_THROTTLE_WAIT
            self._core.gate.block(origin, seconds)
            error = RateLimitedError(
                f"the login host is throttling this client's token requests "
                f"({error_detail(response) or 'rate limit exceeded'}); none is asked for in the next {seconds:g} s",
                status_code=response.status_code,
                correlation_id=cid,
                hint="too many token requests for this OAuth client (a quota, not the credentials); it lifts by itself",
            )
            error.retry_at = self._core.gate.lifts_at(origin)
            self._throttled = error
            raise error
        self._throttled = None
        if response.status_code in (400, 401, 403):
            detail = error_detail(response) or f"HTTP {response.status_code}"
            raise AuthError(
                f"the login host rejected the OAuth client ({detail})",
                correlation_id=cid,
                hint="check GENESYSCLOUD_OAUTHCLIENT_ID/SECRET, that the client uses the client-credentials grant, "
                "and that --region matches the org",
            )
        if not 200 <= response.status_code < 300:
            raise HttpCore.status_error(response, "login host")
        data = decode_json(response, "login host")
        try:
            parsed = TokenResponse.model_validate(data)
        except ValidationError as exc:
            where = ".".join(str(p) for p in exc.errors()[0]["loc"]) or "body"
            raise ApiError(  # never echo what was sent: it may be a token
                f"login host answered without a usable access_token (bad {where})", correlation_id=cid
            ) from None
        if self._on_token is not None:
            self._on_token(parsed.access_token)  # masked wherever it might be echoed
        lifetime = parsed.expires_in
        early = min(EARLY_REFRESH_MAX, lifetime * EARLY_REFRESH_FRACTION)
        self._token = parsed.access_token
        self._refresh_at = self._clock.monotonic() + lifetime - early
        return parsed.access_token

    def _core_host(self) -> str:
        return self._url.split("/oauth/", 1)[0]
