"""Errors meant for people: each renders as one line that says what failed and what to do."""

from __future__ import annotations

from datetime import datetime


class TuiHealthError(Exception):
    """Base of every error the CLI turns into one line on stderr and exit code 3."""

    kind = "error"
    retry_at: datetime | None = None
    """When asking again is allowed (wall time): set for ``Retry-After`` and request-budget waits."""

    def __init__(self, message: str, *, correlation_id: str | None = None, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.correlation_id = correlation_id
        self.hint = hint

    def one_line(self) -> str:
        """The message as shown to a person: message, correlation id, hint."""
        parts = [self.message]
        if self.correlation_id:
            parts.append(f"(ININ-Correlation-Id {self.correlation_id})")
        text = " ".join(parts)
        if self.hint:
            text += f": {self.hint}"
        return text

    def __str__(self) -> str:
        return self.one_line()


class ConfigError(TuiHealthError):
    """Bad config file, flag or environment variable, or missing credentials."""

    kind = "config"


class AuthError(TuiHealthError):
    """The login host rejected our client, or the API refused our token (401/403)."""

    kind = "auth"


class NetworkError(TuiHealthError):
    """DNS, TLS, connection refused, timeouts: the host could not be talked to."""

    kind = "network"

    def __init__(
        self, message: str, *, hint: str | None = None, retryable: bool = True, reached: bool = False
    ) -> None:
        super().__init__(message, hint=hint)
        self.retryable = retryable
        """False when another attempt cannot help (DNS and TLS failures)."""
        self.reached = reached
        """True when the host accepted the connection and then failed us (read timeout, reset): *its* trouble.
        False when we never got through (DNS, TLS, refused, connect timeout): possibly *our* network."""


class ApiError(TuiHealthError):
    """The API answered, but not with something usable: 4xx/5xx, HTML, malformed JSON, wrong shape."""

    kind = "api"

    def __init__(
        self,
        message: str,
        *,
        status_code: int | None = None,
        correlation_id: str | None = None,
        hint: str | None = None,
    ) -> None:
        super().__init__(message, correlation_id=correlation_id, hint=hint)
        self.status_code = status_code


class RateLimitedError(ApiError):
    """429s kept coming until the poll's deadline, or the host's ``Retry-After`` has not lifted yet."""

    kind = "rate_limited"


class BudgetError(TuiHealthError):
    """Our own request budget per token is used up: the poll could not be made without exceeding it."""

    kind = "rate_budget"


class NothingCheckedError(TuiHealthError):
    """A source answered, but what was asked for matched nothing: a check that checked nothing is not OK."""

    kind = "empty"
