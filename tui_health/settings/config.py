"""Settings: TOML file < environment < flags, validated by pydantic with errors that name the key.

The file has sections; every key is optional::

    [genesys]   region, api_url, api_base, login_url
    [auth]      client_id, client_secret
    [poll]      interval, timeout, deadline, page_size, concurrency, max_attempts, max_pages, request_budget,
                min_gap, status, ids, expand, sources
    [<source>]  each source's own section, as its module declares it (statuspage, probe, events, edges,
                trunks, queues, …; a plug-in's too): composed from the registry by settings_model()
    [push]      enabled, heartbeat_timeout, max_frame, renew_margin, retry_base, retry_cap, refused_wait
    [thresholds] min_down, min_degraded, critical, flap_interval, flapping_window, flapping_changes, dependencies
    [audit]     path, max_bytes, backups
    [history]   enabled, dir, retention
    [[targets]] name, region, api_url, login_url, statuspage_url, groups, all_regions, sources, ids,
                client_id_env, client_secret_env
    [alerts]    enabled, webhook_token, repeat_interval, outbox, retry_base, retry_cap, resend_interval,
                once_wait, permanent_after, sinks = [{type = "webhook", url = "..."}]
"""

from __future__ import annotations

import functools
import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import (
    Field,
    SecretStr,
    ValidationError,
    ValidationInfo,
    create_model,
    field_validator,
    model_validator,
)

from tui_health.genesys.regions import genesys_domain, login_for, region_of, resolve_domain
from tui_health.settings.paths import default_config_path, default_state_dir
from tui_health.settings.sections import (
    AlertSettings,
    AuditSettings,
    AuthSettings,
    DisplaySettings,
    GenesysSettings,
    HistorySettings,
    MaintenanceSettings,
    PollSettings,
    PushSettings,
    ServeSettings,
    StateSettings,
    TargetSettings,
    ThresholdSettings,
    zone_of,
)
from tui_health.settings.template import template
from tui_health.support.errors import ConfigError
from tui_health.support.redact import redact_url
from tui_health.support.section import Section
from tui_health.support.urls import netloc

#: Environment variable → dotted settings key.
ENV_KEYS: dict[str, str] = {
    "GENESYSCLOUD_REGION": "genesys.region",
    # the API base URL as Genesys' Terraform provider and blueprints set it: it picks hosts, never a source
    "GENESYSCLOUD_API_REGION": "genesys.api_base",
    "GENESYSCLOUD_API_URL": "genesys.api_base",
    "GENESYSCLOUD_OAUTHCLIENT_ID": "auth.client_id",
    "GENESYSCLOUD_OAUTHCLIENT_SECRET": "auth.client_secret",
    "TUI_HEALTH_WEBHOOK_TOKEN": "alerts.webhook_token",
}


__all__ = [
    "ENV_KEYS",
    "MaintenanceSettings",
    "Settings",
    "TargetSettings",
    "load_settings",
    "template",
    "zone_of",
]


class Settings(Section):
    """The core settings; each source's section is added by :func:`settings_model` from the registry (the model
    a config is read with has them all, see ``section``)."""

    genesys: GenesysSettings = GenesysSettings()
    auth: AuthSettings = AuthSettings()
    poll: PollSettings = PollSettings()
    push: PushSettings = PushSettings()
    thresholds: ThresholdSettings = ThresholdSettings()
    audit: AuditSettings = AuditSettings()
    alerts: AlertSettings = AlertSettings()
    state: StateSettings = StateSettings()
    history: HistorySettings = HistorySettings()
    display: DisplaySettings = DisplaySettings()
    serve: ServeSettings = ServeSettings()
    maintenance: list[MaintenanceSettings] = Field(default_factory=list, max_length=200)
    """``[[maintenance]]``: planned windows (README "Planned maintenance")."""
    targets: list[TargetSettings] = Field(default_factory=list)
    """``[[targets]]``: several orgs in one monitor. Without any, the settings describe one implicit target."""

    @field_validator("targets")
    @classmethod
    def _unique_names(cls, targets: list[TargetSettings]) -> list[TargetSettings]:
        seen: set[str] = set()
        for target in targets:
            if target.name.casefold() in seen:
                raise ValueError(f"two targets are named {target.name!r}: names must be unique")
            seen.add(target.name.casefold())
        return targets

    @model_validator(mode="after")
    def _windows_name_targets(self, info: ValidationInfo) -> Settings:
        """A ``[[maintenance]]`` window's ``targets`` must name configured targets (else it holds nothing); the
        file's settings are checked, not each target's own (made from them, without the ``[[targets]]``)."""
        if info.context and "target" in info.context:
            return self
        known = [t.name for t in self.targets] or [self.region_label]
        for index, window in enumerate(self.maintenance):
            unknown = [n for n in window.targets if n not in known]
            if unknown:
                raise ValueError(
                    f"maintenance[{index}] ({window.name}): targets names {unknown[0]!r}, which is not a "
                    f"configured target (the targets: {', '.join(known)})"
                )
        return self

    def for_target(self, target: TargetSettings, env: Mapping[str, str]) -> Settings:
        """The effective settings of one ``[[targets]]`` entry: the file's settings with the target's keys, its
        own credentials (from the variables it names) and, beside other targets, its own outbox and audit log.

        Raises ConfigError naming the target when what it names is missing or wrong.
        """
        data = self.model_dump(mode="python", exclude={"targets"})
        genesys = data["genesys"]
        if target.region or target.api_url:
            genesys["api_base"] = None  # the target says where it is: Genesys' variable is the implicit one's
        for key in ("region", "api_url", "login_url"):
            if getattr(target, key) is not None:
                genesys[key] = getattr(target, key)
        if target.statuspage_url is not None:
            data["statuspage"]["url"] = target.statuspage_url
        if target.groups is not None:
            data["statuspage"]["groups"] = target.groups
        if target.all_regions is not None:
            data["statuspage"]["all_regions"] = target.all_regions
        if target.sources is not None:
            data["poll"]["sources"] = target.sources
        if target.ids is not None:
            data["poll"]["ids"] = target.ids
        for field, var in (("client_id", target.client_id_env), ("client_secret", target.client_secret_env)):
            if var is None:
                continue
            if not env.get(var):
                raise ConfigError(
                    f"target {target.name!r}: {var} is not set",
                    hint=f"export {var} with the {field.replace('_', ' ')} of this target's OAuth client",
                )
            data["auth"][field] = env[var]
        base = self.state_dir
        data["state"]["dir"] = base
        if len(self.targets) > 1:  # each target delivers its own alerts and writes its own audit lines
            data["alerts"]["outbox"] = base / "outbox" / f"{target.slug}.sqlite3"
            audit = self.audit.resolved_path
            data["audit"]["path"] = audit.with_name(f"{audit.stem}-{target.slug}{audit.suffix}")
        try:
            effective = type(self).model_validate(data, context={"target": target.name})
            effective.domain  # noqa: B018 - the region, checked now
        except ValidationError as exc:
            raise ConfigError(f"target {target.name!r}: {_describe(exc, {}, Path('[[targets]]'))}") from None
        except ConfigError as exc:
            raise ConfigError(f"target {target.name!r}: {exc.message}", hint=exc.hint) from None
        return effective

    @property
    def state_dir(self) -> Path:
        if self.state.dir:
            return self.state.dir
        return self.alerts.outbox.parent if self.alerts.outbox else default_state_dir()

    def history_path(self, target_key: str) -> Path:
        """The history store of one target."""
        return (self.history.dir or self.state_dir / "history") / f"{target_key}.sqlite3"

    @property
    def outbox_path(self) -> Path:
        return self.alerts.outbox or self.state_dir / "outbox.sqlite3"

    @property
    def domain(self) -> str:
        """The Genesys Cloud domain: from a Genesys API base URL when one is set, else from the region."""
        base = self.genesys.api_base
        if base and genesys_domain(base):
            return genesys_domain(base) or ""
        return resolve_domain(self.genesys.region)

    @property
    def api_url(self) -> str:
        base = (
            self.genesys.api_base
            if self.genesys.api_base and not genesys_domain(self.genesys.api_base)
            else None
        )
        return (self.genesys.api_url or base or f"https://api.{self.domain}").rstrip("/")

    @property
    def login_url(self) -> str:
        """The login host: as set, else derived from the API host (``api.X`` → ``login.X``; another host, such as
        the simulator or a gateway, serves its own token endpoint)."""
        if self.genesys.login_url:
            return self.genesys.login_url.rstrip("/")
        return login_for(self.api_url)

    def section(self, name: str) -> Any:
        """A source's own section (``[events]``, ``[probe]``, ``[statuspage]``), as its ``SECTION`` names it."""
        return getattr(self, name)

    @property
    def source_sections(self) -> dict[str, Any]:
        """Every source's section as this model has it (``config show`` lists them)."""
        return {name: getattr(self, name) for name in type(self).model_fields if name not in CORE_SECTIONS}

    @property
    def region_label(self) -> str:
        """What the header shows: the name given, else the region, or the API host when it is not a Genesys
        region's."""
        if self.genesys.name:
            return self.genesys.name
        if self.genesys.api_url or (self.genesys.api_base and not genesys_domain(self.genesys.api_base)):
            return netloc(self.api_url)
        if self.genesys.api_base:
            return region_of(self.domain)
        return self.genesys.region

    @property
    def has_credentials(self) -> bool:
        secret = self.auth.client_secret
        return bool(self.auth.client_id) and secret is not None and bool(secret.get_secret_value())

    def sources(self) -> list[str]:
        """The sources to poll: as configured, or chosen from what is set.

        An explicit ``api_url`` means a health-details implementation (the simulator, a gateway): ``health-api``.
        Otherwise the public status page, plus the API probe when credentials are there.
        """
        if self.poll.sources:
            return list(dict.fromkeys(self.poll.sources))
        from tui_health.sources import chosen

        return chosen(self)

    def require_credentials(self, config_path: Path) -> tuple[str, SecretStr]:
        """The client id and secret, or a ConfigError saying where to put them."""
        if not self.auth.client_id:
            raise ConfigError(
                "GENESYSCLOUD_OAUTHCLIENT_ID is not set",
                hint=f"export it or put auth.client_id in {config_path}",
            )
        if self.auth.client_secret is None or not self.auth.client_secret.get_secret_value():
            raise ConfigError(
                "GENESYSCLOUD_OAUTHCLIENT_SECRET is not set",
                hint=f"export it or put auth.client_secret in {config_path}",
            )
        return self.auth.client_id, self.auth.client_secret

    def masked(self) -> dict[str, Any]:
        """Effective settings as plain data with every secret masked (for ``config show``)."""
        data = self.model_dump(mode="json")
        for sink in data["alerts"]["sinks"]:
            if sink.get("url"):
                sink["url"] = redact_url(
                    sink["url"]
                )  # a webhook path or query is often the credential itself
        data["genesys"]["resolved_api_url"] = self.api_url
        data["genesys"]["resolved_login_url"] = self.login_url
        return data


CORE_SECTIONS = frozenset(Settings.model_fields)
"""The sections every config has (the sources' are added to these)."""


@functools.cache
def settings_model(*, plugins: bool = False, sinks: bool = True) -> type[Settings]:
    """The settings with every source's section (its module's ``Settings`` under its ``SECTION``) and every
    receiver type; ``plugins``: those of other packages too; ``sinks=False``: for a config that names no receiver
    (none is imported)."""
    from tui_health import sources
    from tui_health.alerts.sinks import settings_union

    fields: dict[str, Any] = {
        m.SECTION: (m.Settings, Field(default_factory=m.Settings))
        for m in sources.modules(plugins=plugins).values()
        if m.SECTION and m.Settings is not None
    }
    clashes = [name for name in fields if name in CORE_SECTIONS]
    if clashes:
        raise ConfigError(f"a source's section {clashes[0]!r} is one of tui-health's own: it cannot be used")
    if sinks:
        union = settings_union(plugins=plugins)
        field: Any = (list[union], Field(default_factory=list))  # type: ignore[valid-type]
        alerts = create_model("AlertSettings", __base__=AlertSettings, sinks=field)
        fields["alerts"] = (alerts, Field(default_factory=alerts))
    return create_model("Settings", __base__=Settings, **fields)


def needs_plugins(data: Mapping[str, Any]) -> bool:
    """Whether a config names something not built in: a section, a source or a receiver type (only then are the
    entry points read, so a run of built-in sources never pays for it)."""
    from tui_health import sources
    from tui_health.alerts.sinks import BUILTIN

    builtin_sections = CORE_SECTIONS | {m.SECTION for m in sources.BUILTIN.values() if m.SECTION}
    if any(key not in builtin_sections for key in data):
        return True
    named: list[Any] = list(_dig(data, "poll", "sources"))
    for target in data.get("targets") or [] if isinstance(data.get("targets"), list) else []:
        named += _dig(target, "sources")
    if any(isinstance(n, str) and n not in sources.BUILTIN for n in named):
        return True
    sinks = _dig(data, "alerts", "sinks")
    return any(isinstance(s, dict) and s.get("type") not in BUILTIN for s in sinks)


def _dig(data: Any, *keys: str) -> list[Any]:
    """``data[keys...]`` as a list (a string is split at commas, as the settings accept it), else empty."""
    for key in keys:
        data = data.get(key) if isinstance(data, Mapping) else None
    if isinstance(data, str):
        return [part.strip() for part in data.split(",")]
    return list(data) if isinstance(data, list) else []


def sink_modules() -> set[str]:
    from tui_health.alerts.sinks import modules

    return set(modules())


def _set_dotted(target: dict[str, Any], key: str, value: Any) -> None:
    section, _, name = key.partition(".")
    target.setdefault(section, {})[name] = value


def config_path(flag: str | None, env: Mapping[str, str] | None = None) -> Path:
    """``--config`` > ``TUI_HEALTH_CONFIG`` > the platformdirs default."""
    env = os.environ if env is None else env
    if flag:
        return Path(flag).expanduser()
    if env.get("TUI_HEALTH_CONFIG"):
        return Path(env["TUI_HEALTH_CONFIG"]).expanduser()
    return default_config_path()


def read_file(path: Path, *, required: bool) -> dict[str, Any]:
    """Parse the TOML file; a missing file is fine unless it was named explicitly."""
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError:
        if required:
            raise ConfigError(
                f"config file {path} does not exist", hint="run `tui-health config init`"
            ) from None
        return {}
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(
            f"{path}: not UTF-8 text (byte {exc.start} is 0x{exc.object[exc.start]:02x})",
            hint="save the file as UTF-8",
        ) from None
    except OSError as exc:
        raise ConfigError(f"cannot read config file {path}: {exc.strerror}") from None


def load_settings(
    *,
    path: Path,
    path_required: bool = False,
    env: Mapping[str, str] | None = None,
    flags: Mapping[str, Any] | None = None,
    plugins: bool = False,
) -> Settings:
    """Merge file, environment and flags (dotted keys), then validate once. ``plugins``: read the sources and
    receivers other packages register even when nothing names one (``config show``); they are read anyway when
    the config names a section, source or receiver type that is not built in.

    Raises:
        ConfigError: naming the source (file, env var or flag), the key and what was expected.
    """
    env = os.environ if env is None else env
    data = read_file(path, required=path_required)
    origin: dict[str, str] = {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a table at the top level")
    for section, values in data.items():
        if isinstance(values, dict):
            for key in values:
                origin[f"{section}.{key}"] = str(path)
    for var, key in ENV_KEYS.items():
        if env.get(var):
            _set_dotted(data, key, env[var])
            origin[key] = f"environment variable {var}"
    for key, value in (flags or {}).items():
        if value is None:
            continue
        if key == "alerts.sinks+":
            sinks = data.setdefault("alerts", {}).setdefault("sinks", [])
            if isinstance(sinks, list):
                for index in range(len(sinks), len(sinks) + len(value)):
                    origin[f"alerts.sinks.{index}"] = "flag --webhook"
                sinks.extend(value)
            continue
        _set_dotted(data, key, value)
        origin[key] = "flag --" + key.split(".", 1)[-1].replace("_", "-")
    model = settings_model(
        plugins=plugins or needs_plugins(data), sinks=plugins or bool(_dig(data, "alerts", "sinks"))
    )
    try:
        settings = model.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(_describe(exc, origin, path)) from None
    settings.domain  # noqa: B018 - validates the region early, with its own message
    return settings


def _describe(exc: ValidationError, origin: Mapping[str, str], path: Path) -> str:
    err = exc.errors()[0]
    parts = list(err["loc"])
    if parts[:2] == ["alerts", "sinks"] and len(parts) > 3 and parts[3] in sink_modules():
        del parts[3]  # the union's tag: the sink's own keys are what the person wrote
    loc = ".".join(str(part) for part in parts)
    key2 = ".".join(str(part) for part in err["loc"][:2])
    key3 = ".".join(str(part) for part in err["loc"][:3])
    where = origin.get(key3) or origin.get(key2, str(path))
    if err["type"] == "extra_forbidden":
        return f"{where}: unknown key {loc!r}"
    got = err.get("input")
    shown = "" if isinstance(got, dict) else f", got {got!r}"
    if "secret" in loc or "token" in loc or "routing_key" in loc:
        shown = ""
    more = f" (and {len(exc.errors()) - 1} more)" if len(exc.errors()) > 1 else ""
    message = err["msg"].removeprefix("Value error, ")
    message = (
        message[:1].lower() + message[1:]
    )  # pydantic's sentences start upper-case; what was written stays
    return f"{where}: {loc}: {message}{shown}{more}" if loc else f"{where}: {message}{more}"
