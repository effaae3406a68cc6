"""The Source protocol: one poll of one origin of component health, never raising."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from tui_health.genesys.auth import TokenProvider
from tui_health.genesys.channel_api import Catalogue
from tui_health.genesys.transport import HttpCore
from tui_health.model.domain import Component, RequestTiming, SourceResult
from tui_health.support.clock import Clock, SystemClock
from tui_health.support.errors import TuiHealthError
from tui_health.support.section import Section

if TYPE_CHECKING:
    from tui_health.sources.shared import SharedFetches


class SourceSettings(Protocol):
    """What a source reads of the settings. Declared here, so that sources never import the settings package
    (which reads this registry for their sections): the settings model satisfies it."""

    @property
    def api_url(self) -> str: ...

    @property
    def domain(self) -> str: ...

    @property
    def region_label(self) -> str: ...

    @property
    def login_url(self) -> str: ...

    @property
    def has_credentials(self) -> bool: ...

    @property
    def genesys(self) -> Any: ...

    @property
    def poll(self) -> Any: ...

    def section(self, name: str) -> Any:
        """A source's own settings section (its ``SECTION``), as the registry declared it."""
        ...


class SourceModule(Protocol):
    """What a source module declares about itself — the built-in ones and a plug-in's alike (read through the
    registry, :mod:`tui_health.sources`). A module satisfies it as it is: its constants and functions are the
    attributes. Nothing outside the module names the source: the settings, the template, ``--source``, the
    wiring, the demo, ``doctor`` and ``history`` all ask these."""

    @property
    def NAME(self) -> str:
        """What ``--source`` and ``poll.sources`` call it (letters, digits, ``-``)."""
        ...

    @property
    def NEEDS_CREDENTIALS(self) -> bool:
        """It asks the org's API with the OAuth client's token."""
        ...

    @property
    def SECTION(self) -> str | None:
        """Its own config section (``[queues]``), or ``None``."""
        ...

    @property
    def Settings(self) -> type[Section] | None:
        """The model of its section (a :class:`~tui_health.support.section.Section`), or ``None``."""
        ...

    @property
    def TEMPLATE(self) -> str:
        """Its section as ``config init`` writes it (commented keys where there is no default); empty without one."""
        ...

    @property
    def KINDS(self) -> tuple[str, ...]:
        """The ``kind`` of the components it makes (``[[maintenance]] kinds`` offers them); empty: the platform's."""
        ...

    @property
    def PERMISSION(self) -> str | None:
        """The permission its calls (and its notification topics) need, named when the API refuses; ``None``."""
        ...

    @property
    def PAGES_AT_ONCE(self) -> bool:
        """It fetches pages concurrently (``poll.concurrency`` of them): the HTTP pool is sized for it."""
        ...

    def chosen(self, settings: SourceSettings) -> bool:
        """Polled when no sources are configured."""
        ...

    def hosts(self, settings: SourceSettings) -> dict[str, str]:
        """The hosts it talks to, by role (``api``, ``login``, ``statuspage``)."""
        ...

    def identity(self, settings: SourceSettings) -> dict[str, Any]:
        """What makes a target that uses it a different target (its saved state and history are keyed by it)."""
        ...

    def build(self, ctx: BuildContext) -> Source:
        """The source, for one target."""
        ...

    def demo(self, sim_url: str, org: bool) -> dict[str, Any] | None:
        """The settings it takes in ``--demo`` (the simulator at ``sim_url``; ``org``: the scenario has an org of
        its own), or ``None`` to stay out of the demo."""
        ...

    def history_flags(self, hosts: dict[str, str]) -> list[str]:
        """The flags that point ``tui-health history`` at a target recorded with it (``--statuspage-url …``)."""
        ...


MODULE_ATTRIBUTES = (
    "NAME",
    "NEEDS_CREDENTIALS",
    "SECTION",
    "Settings",
    "TEMPLATE",
    "KINDS",
    "PERMISSION",
    "PAGES_AT_ONCE",
)
MODULE_FUNCTIONS = ("chosen", "hosts", "identity", "build", "demo", "history_flags")


def conforms(module: object) -> list[str]:
    """What ``module`` lacks of :class:`SourceModule` (empty: it is one) — a plug-in is checked when it loads."""
    problems = [f"no {name}" for name in MODULE_ATTRIBUTES if not hasattr(module, name)]
    problems += [
        f"no function {name}()" for name in MODULE_FUNCTIONS if not callable(getattr(module, name, None))
    ]
    name = getattr(module, "NAME", None)
    if not problems and (
        not isinstance(name, str) or not name or not all(c.isalnum() or c == "-" for c in name)
    ):
        problems.append(f"NAME {name!r} is not a name (letters, digits, -)")
    settings, section = getattr(module, "Settings", None), getattr(module, "SECTION", None)
    if not problems and (settings is None) != (section is None):
        problems.append("SECTION and Settings go together")
    if (
        not problems
        and settings is not None
        and not (isinstance(settings, type) and issubclass(settings, Section))
    ):
        problems.append("Settings is not a tui_health.support.section.Section")
    return problems


class Source(Protocol):
    """Fetches components; failures come back as a ``SourceResult`` with ``ok=False``."""

    name: str

    async def fetch(self, deadline: float | None) -> SourceResult:
        """One poll. ``deadline`` is a ``time.monotonic()`` value."""
        ...


@dataclass(frozen=True, slots=True)
class BuildContext:
    """What a source module's ``build`` gets: the settings, the shared HTTP cores and the token (if any)."""

    settings: SourceSettings
    core: HttpCore
    """For hosts that are not the token's (the public status page): retries, bounds, ``Retry-After``."""
    budgeted: HttpCore
    """For requests made with the token: the same, plus the token's request budget."""
    tokens: TokenProvider | None
    """Present when a selected source needs credentials."""
    shared: SharedFetches | None = None
    """Downloads shared with the other targets of this run (several targets only)."""
    clock: Clock = field(default_factory=SystemClock)
    """The run's clock: a source that asks "since when" reads time here, never ``datetime.now``."""


def failed(
    name: str, exc: TuiHealthError, timings: list[RequestTiming], unmeasured: tuple[Component, ...] = ()
) -> SourceResult:
    """The result of a source whose poll failed, keeping what is known about the failure.

    ``unmeasured`` are components the source can name but could not measure: the views show them as
    *unknown* with the reason; the engine never sees them (a failure of ours is no change of theirs).
    """
    cids = tuple(t.correlation_id for t in timings if t.correlation_id)
    if exc.correlation_id and exc.correlation_id not in cids:
        cids += (exc.correlation_id,)
    return SourceResult(
        name=name,
        ok=False,
        error=exc.one_line(),
        error_kind=exc.kind,
        correlation_ids=cids,
        timings=tuple(timings),
        unmeasured=unmeasured,
        retry_at=exc.retry_at,
    )


class Pushed(Protocol):
    """A source that Genesys' notification channel keeps current between polls (``edges``, ``trunks``,
    ``queues``, ``operational-events``). Polling stays the truth: a poll lists everything; pushed changes are
    applied to what the last poll listed, and after any gap in the channel the next answer is a poll again."""

    name: str

    def topics(self) -> list[str]:
        """The notification topics that tell of its entities (those the last poll listed)."""
        ...

    def apply(self, topic: str, body: dict[str, Any]) -> SourceResult | bool:
        """A pushed change: the source's answer now when the change changed what it answers (handed to the
        monitor as it is: no second trip into the source); ``True`` when the push is a reason to ask the API now
        but carries no answer (or the source has not polled yet); ``False`` when nothing changed."""
        ...

    def catch_up(self) -> None:
        """The channel had a gap: its next answer comes from a poll."""
        ...

    def use_catalogue(self, catalogue: Catalogue) -> None:
        """The org's catalogue of topics, read when push starts (a source whose topic takes a parameter that is
        not its entities' id learns here which one it is)."""
        ...


def is_pushed(source: object) -> bool:
    """Whether ``source`` takes pushed changes (implements :class:`Pushed`)."""
    names = ("topics", "apply", "catch_up", "use_catalogue")
    return all(callable(getattr(source, name, None)) for name in names)
