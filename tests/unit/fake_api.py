"""A Platform API client for the rule tests: it answers from the test's script and records what was asked.

No HTTP: ``request_json`` hands each request to ``answer`` (a callable, or a list taken in turn) and records its
URL, label, parameters and body; a :class:`Exception` in the script is raised as the client would raise it.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from pathlib import Path
from typing import Any, cast

from tui_health.genesys.client import ApiClient
from tui_health.model.domain import RequestTiming
from tui_health.settings.config import Settings, load_settings
from tui_health.sources.base import BuildContext
from tui_health.support.clock import Clock

API = "https://api.test"

Answer = tuple[Any, str | None] | BaseException


class FakeApi:
    """``answer(url, request)`` → ``(data, correlation id)``, or a list of such answers given in turn."""

    def __init__(self, answer: Callable[[str, dict[str, Any]], Answer] | list[Answer]) -> None:
        self.script: deque[Answer] | None = deque(answer) if isinstance(answer, list) else None
        self.answer = answer if callable(answer) else None
        self.asked: list[dict[str, Any]] = []

    def url(self, path: str) -> str:
        return API + path

    def rate_limit(self, path: str) -> Any:
        return ("rate limit of", path)

    async def request_json(self, url: str, **request: Any) -> tuple[Any, str | None]:
        self.asked.append({"url": url, **{k: v for k, v in request.items() if k != "timings"}})
        if self.script is not None:
            found = self.script.popleft()
        else:
            assert self.answer is not None
            found = self.answer(url, request)
        if isinstance(found, BaseException):
            raise found
        data, cid = found
        request["timings"].append(RequestTiming(request["label"], 1.0, 200, correlation_id=cid))
        return data, cid


def client(api: FakeApi) -> ApiClient:
    return cast(ApiClient, api)


def page(entities: list[dict[str, Any]], *, total: int | None = None, page_count: int | None = None) -> dict:
    """One page of a paged listing."""
    body: dict[str, Any] = {"entities": entities}
    if total is not None:
        body["total"] = total
    if page_count is not None:
        body["pageCount"] = page_count
    return body


def settings(tmp_path: Path, **flags: Any) -> Settings:
    """Settings with the test's flags, read from no file and no environment."""
    return load_settings(path=tmp_path / "none.toml", env={}, flags={"genesys.api_url": API, **flags})


def context(tmp_path: Path, clock: Clock, **flags: Any) -> BuildContext:
    """What a source module's ``build`` gets: the cores and the token are markers the test finds again."""
    return BuildContext(
        settings=settings(tmp_path, **flags),
        core=cast(Any, "the core"),
        budgeted=cast(Any, "the budgeted core"),
        tokens=cast(Any, "the tokens"),
        clock=clock,
    )
