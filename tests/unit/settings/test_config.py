"""Settings: precedence, regions, clear errors, masked secrets, the template."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.conftest import run_cli
from tests.paths import ROOT
from tui_health.genesys.regions import REGIONS, resolve_domain
from tui_health.settings.config import load_settings, template
from tui_health.support.errors import ConfigError


def write(tmp_path, text: str):
    path = tmp_path / "config.toml"
    path.write_text(text)
    return path


def test_flags_beat_env_beat_file(tmp_path):
    path = write(tmp_path, '[genesys]\nregion = "eu-west-1"\n[poll]\ninterval = 30\npage_size = 50\n')
    env = {"GENESYSCLOUD_REGION": "eu-central-1"}
    s = load_settings(path=path, env=env, flags={"poll.interval": 2.5})
    assert s.poll.interval == 2.5
    assert s.poll.page_size == 50
    assert s.api_url == "https://api.mypurecloud.de"
    assert s.login_url == "https://login.mypurecloud.de"
    assert load_settings(path=path, env={}).api_url == "https://api.mypurecloud.ie"


def test_defaults_are_the_tutorials(tmp_path):
    s = load_settings(path=tmp_path / "missing.toml", env={})
    assert (
        s.poll.interval,
        s.poll.page_size,
        s.thresholds.min_down,
        s.thresholds.min_degraded,
        s.thresholds.flap_interval,
    ) == (15, 100, 1, 2, 30)
    assert s.api_url == "https://api.mypurecloud.com"


# Genesys Cloud's regions and their domains, written out from the Platform API SDKs' and the Terraform
# provider's region lists (DESIGN.md)
REGION_TABLE = {
    "us-east-1": "mypurecloud.com",
    "us-east-2": "use2.us-gov-pure.cloud",
    "us-west-2": "usw2.pure.cloud",
    "ca-central-1": "cac1.pure.cloud",
    "sa-east-1": "sae1.pure.cloud",
    "mx-central-1": "mxc1.pure.cloud",
    "eu-west-1": "mypurecloud.ie",
    "eu-west-2": "euw2.pure.cloud",
    "eu-central-1": "mypurecloud.de",
    "eu-central-2": "euc2.pure.cloud",
    "me-central-1": "mec1.pure.cloud",
    "ap-south-1": "aps1.pure.cloud",
    "ap-southeast-1": "apse1.pure.cloud",
    "ap-southeast-2": "mypurecloud.com.au",
    "ap-northeast-1": "mypurecloud.jp",
    "ap-northeast-2": "apne2.pure.cloud",
    "ap-northeast-3": "apne3.pure.cloud",
    "eusc-de-east-1": "edee1.eusc-pure.cloud",  # the EU sovereign cloud (Genesys' Terraform provider)
}


def test_the_region_table_is_genesys_own() -> None:
    assert REGIONS == REGION_TABLE


def test_the_readme_lists_the_regions_the_code_knows() -> None:
    readme = (ROOT / "README.md").read_text()
    rows = re.findall(r"^\| `([a-z0-9-]+)` \| `([a-z0-9.-]+)` \|", readme, re.MULTILINE)
    assert dict(rows) == REGION_TABLE


@pytest.mark.parametrize(("name", "domain"), sorted(REGION_TABLE.items()))
def test_every_region_resolves_by_name_and_by_domain(name, domain):
    assert resolve_domain(name) == domain
    assert resolve_domain(domain) == domain
    assert resolve_domain(f"api.{domain}") == domain


def test_unknown_region_lists_the_valid_ones():
    with pytest.raises(ConfigError) as info:
        resolve_domain("mars-north-1")
    text = info.value.one_line()
    assert "mars-north-1" in text and "eu-central-1 (mypurecloud.de)" in text and "ap-northeast-3" in text


def test_api_and_login_urls_override_the_region(tmp_path):
    s = load_settings(
        path=tmp_path / "x.toml",
        env={},
        flags={"genesys.api_url": "http://127.0.0.1:9/", "genesys.login_url": "http://127.0.0.1:8"},
    )
    assert (s.api_url, s.login_url) == ("http://127.0.0.1:9", "http://127.0.0.1:8")


def test_unknown_key_names_the_file_and_the_key(tmp_path):
    path = write(tmp_path, "[poll]\nintervall = 5\n")
    with pytest.raises(ConfigError) as info:
        load_settings(path=path, env={})
    assert (
        str(path) in str(info.value)
        and "poll.intervall" in str(info.value)
        and "unknown key" in str(info.value)
    )


def test_bad_value_names_the_key_and_what_was_expected(tmp_path):
    path = write(tmp_path, '[poll]\ninterval = "soon"\n')
    with pytest.raises(ConfigError) as info:
        load_settings(path=path, env={})
    assert str(path) in str(info.value) and "poll.interval" in str(info.value) and "number" in str(info.value)


def test_bad_flag_names_the_flag(tmp_path):
    with pytest.raises(ConfigError) as info:
        load_settings(path=tmp_path / "x.toml", env={}, flags={"poll.page_size": 0})
    assert "flag --page-size" in str(info.value)


def test_bad_status_filter_is_an_error(tmp_path):
    with pytest.raises(ConfigError) as info:
        load_settings(path=tmp_path / "x.toml", env={}, flags={"poll.status": "degraded,sideways"})
    assert "poll.status" in str(info.value)


def test_invalid_toml_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError) as info:
        load_settings(path=write(tmp_path, "[poll\n"), env={})
    assert "not valid TOML" in str(info.value)


def test_template_loads_and_is_the_default(tmp_path):
    s = load_settings(path=write(tmp_path, template()), env={})
    assert s == load_settings(path=tmp_path / "absent.toml", env={})


def test_the_collectors_caps_are_read_and_checked(tmp_path):
    s = load_settings(path=write(tmp_path, "[serve]\nmax_clients = 200\nmax_streams = 100\n"), env={})
    assert (s.serve.max_clients, s.serve.max_streams, s.serve.streams_per_address) == (200, 100, 32)
    with pytest.raises(ConfigError) as info:
        load_settings(path=write(tmp_path, "[serve]\nmax_streams = 8\nstreams_per_address = 16\n"), env={})
    assert "serve.streams_per_address (16) is more than serve.max_streams (8)" in str(info.value)


def test_missing_credentials_say_where_to_put_them(tmp_path):
    s = load_settings(path=tmp_path / "c.toml", env={"GENESYSCLOUD_OAUTHCLIENT_ID": "abc"})
    with pytest.raises(ConfigError) as info:
        s.require_credentials(tmp_path / "c.toml")
    assert "GENESYSCLOUD_OAUTHCLIENT_SECRET is not set" in str(info.value)
    assert "auth.client_secret" in str(info.value)


def test_config_commands(tmp_path):
    path = tmp_path / "cfg" / "config.toml"
    env = {
        "TUI_HEALTH_CONFIG": str(path),
        "GENESYSCLOUD_OAUTHCLIENT_SECRET": "hunter2-secret",
        "TUI_HEALTH_WEBHOOK_TOKEN": "hook-token-xyz",
    }
    assert run_cli("config", "path", env=env).stdout.strip() == str(path)
    init = run_cli("config", "init", env=env)
    assert init.returncode == 0 and path.exists()
    written = path.read_text()  # the collector's caps are there to be seen and changed
    assert all(f"\n{key} = " in written for key in ("max_clients", "max_streams", "streams_per_address"))
    assert run_cli("config", "init", env=env).returncode == 3
    show = run_cli("config", "show", "--region", "eu-central-1", env=env)
    assert show.returncode == 0, show.stderr
    data = json.loads(show.stdout)
    assert data["genesys"]["resolved_api_url"] == "https://api.mypurecloud.de"
    assert data["genesys"]["resolved_login_url"] == "https://login.mypurecloud.de"
    assert "hunter2-secret" not in show.stdout and "hook-token-xyz" not in show.stdout
    assert data["auth"]["client_secret"] == "**********"
    hooks = run_cli("config", "show", "--webhook", "https://hooks.example.com/T0/B0/sekrit-path", env=env)
    assert "sekrit-path" not in hooks.stdout
    assert json.loads(hooks.stdout)["alerts"]["sinks"][0]["url"] == "https://hooks.example.com/…"
    bad = run_cli("config", "show", "--region", "nowhere", env=env)
    assert bad.returncode == 3 and "unknown region 'nowhere'" in bad.stderr and "Traceback" not in bad.stderr


def test_certificates_are_verified_whenever_any_url_is_https(tmp_path):
    import ssl

    from tui_health.monitor.core import tls_context

    plain = {
        "genesys.api_url": "http://127.0.0.1:1",
        "genesys.login_url": "http://127.0.0.1:1",
        "statuspage.url": "http://127.0.0.1:1",
    }
    assert (
        tls_context(load_settings(path=tmp_path / "x.toml", env={}, flags=plain)).verify_mode == ssl.CERT_NONE
    )
    both = {"poll.sources": ["health-api", "statuspage"]}
    for key in plain:
        flags = {**plain, **both, key: "https://example.com"}
        context = tls_context(load_settings(path=tmp_path / "x.toml", env={}, flags=flags))
        assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname
    # a status page URL that no source uses (its default is https) builds no CA store
    unused = {**plain, "statuspage.url": "https://example.com"}
    assert (
        tls_context(load_settings(path=tmp_path / "x.toml", env={}, flags=unused)).verify_mode
        == ssl.CERT_NONE
    )
    hook = {**plain, "alerts.sinks+": [{"type": "webhook", "url": "https://hooks.example.com/x"}]}
    assert (
        tls_context(load_settings(path=tmp_path / "x.toml", env={}, flags=hook)).verify_mode
        == ssl.CERT_REQUIRED
    )


@pytest.mark.parametrize(
    ("sink", "needle"),
    [
        ('type = "webhook"\nurl = "ftp://hooks.example.com/x"', "must start with http:// or https://"),
        ('type = "webhook"\nurl = "https:///nohost"', "has no host"),
        ('type = "webhook"\nurl = "https://hooks.example.com:99999/x"', "port that is not a number"),
        ('type = "slack"', "alerts.sinks.0.url: field required"),
        ('type = "pagerduty"', "alerts.sinks.0.routing_key: field required"),
        (
            'type = "pagerduty"\nrouting_key = "half-a-key-0123"',
            "routing_key: must be the 32-character integration key of an Events API v2 integration (got 15",
        ),
        ('type = "carrier-pigeon"', "does not match any of the expected tags"),
    ],
)
def test_sinks_are_checked_when_the_config_is_loaded(tmp_path, sink, needle):
    path = tmp_path / "config.toml"
    path.write_text(f"[[alerts.sinks]]\n{sink}\n")
    with pytest.raises(ConfigError) as info:
        load_settings(path=path)
    assert "alerts.sinks.0" in str(info.value) and needle in str(info.value)
    assert str(path) in str(info.value) and "half-a-key" not in str(info.value)  # a key is never echoed


def test_a_bad_webhook_flag_is_named():
    with pytest.raises(ConfigError) as info:
        load_settings(
            path=Path("/nonexistent.toml"), flags={"alerts.sinks+": [{"type": "webhook", "url": "nope"}]}
        )
    assert str(info.value).startswith("flag --webhook: alerts.sinks.0.url") and "http://" in str(info.value)


def test_config_show_lists_the_targets_with_their_sources_and_hosts():
    env = {"GENESYSCLOUD_OAUTHCLIENT_ID": "id", "GENESYSCLOUD_OAUTHCLIENT_SECRET": "hush-hush-secret"}
    proc = run_cli("config", "show", "--region", "eu-central-1", env=env)
    assert proc.returncode == 0, proc.stderr
    [target] = json.loads(proc.stdout)["targets"]
    assert target["name"] == "eu-central-1" and target["sources"] == ["statuspage", "api-probe"]
    assert target["hosts"] == {
        "api": "https://api.mypurecloud.de",
        "login": "https://login.mypurecloud.de",
        "statuspage": "https://status.mypurecloud.com",
    }
    assert target["credentials"] == "environment" and len(target["key"]) == 16
    assert "hush-hush-secret" not in proc.stdout


@pytest.mark.parametrize(
    ("env", "sources", "api", "login", "label"),
    [
        # Genesys' Terraform/blueprint variable: a region's API host sets the region, never the health-api source
        (
            {"GENESYSCLOUD_API_REGION": "https://api.mypurecloud.de"},
            ["statuspage"],
            "https://api.mypurecloud.de",
            "https://login.mypurecloud.de",
            "eu-central-1",
        ),
        (
            {"GENESYSCLOUD_API_URL": "https://api.euw2.pure.cloud/"},
            ["statuspage"],
            "https://api.euw2.pure.cloud",
            "https://login.euw2.pure.cloud",
            "eu-west-2",
        ),
        (
            {"GENESYSCLOUD_REGION": "ap-southeast-2"},
            ["statuspage"],
            "https://api.mypurecloud.com.au",
            "https://login.mypurecloud.com.au",
            "ap-southeast-2",
        ),
        # the more specific variable wins: the API host names the region
        (
            {"GENESYSCLOUD_REGION": "us-east-1", "GENESYSCLOUD_API_REGION": "api.mypurecloud.jp"},
            ["statuspage"],
            "https://api.mypurecloud.jp",
            "https://login.mypurecloud.jp",
            "ap-northeast-1",
        ),
        # another host (a gateway) is the API host as it is, with its own token endpoint; still no health-api
        (
            {"GENESYSCLOUD_API_REGION": "https://gateway.example.com:8443"},
            ["statuspage"],
            "https://gateway.example.com:8443",
            "https://gateway.example.com:8443",
            "gateway.example.com:8443",
        ),
    ],
)
def test_genesys_environment_variables_pick_hosts_not_sources(tmp_path, env, sources, api, login, label):
    s = load_settings(path=tmp_path / "x.toml", env=env)
    assert (s.sources(), s.api_url, s.login_url, s.region_label) == (sources, api, login, label)


def test_an_explicit_api_url_means_health_api_and_its_own_login_host(tmp_path):
    s = load_settings(path=tmp_path / "x.toml", env={}, flags={"genesys.api_url": "http://127.0.0.1:9/"})
    assert (s.sources(), s.api_url, s.login_url) == (
        ["health-api"],
        "http://127.0.0.1:9",
        "http://127.0.0.1:9",
    )
    s = load_settings(
        path=tmp_path / "x.toml", env={}, flags={"genesys.api_url": "https://api.usw2.pure.cloud"}
    )
    assert s.login_url == "https://login.usw2.pure.cloud"


def test_config_show_resolves_genesys_variables():
    env = {"GENESYSCLOUD_API_REGION": "https://api.mypurecloud.ie"}
    proc = run_cli("config", "show", env=env)
    assert proc.returncode == 0, proc.stderr
    [target] = json.loads(proc.stdout)["targets"]
    assert target["name"] == "eu-west-1" and target["sources"] == ["statuspage"]
    assert target["hosts"]["statuspage"] == "https://status.mypurecloud.com"
    shown = json.loads(proc.stdout)["genesys"]
    assert (shown["resolved_api_url"], shown["resolved_login_url"]) == (
        "https://api.mypurecloud.ie",
        "https://login.mypurecloud.ie",
    )


def test_every_registered_source_is_offered_wherever_sources_are_named() -> None:
    """A new source is its module and one registry line: --source help, the config template and config show
    list it without being told."""
    import json

    from tests.conftest import run_cli
    from tui_health.sources import BUILTIN as SOURCES

    help_text = " ".join(run_cli("--help", env={"COLUMNS": "200"}).stdout.split())
    shown = json.loads(run_cli("config", "show").stdout)
    for name, module in SOURCES.items():
        assert name in help_text, name
        assert name in template(), name
        assert shown["available_sources"][name]["needs_credentials"] is module.NEEDS_CREDENTIALS


def test_bash_completion_is_made_from_the_parser_and_completes_flags_values_and_commands(tmp_path) -> None:
    """`tui-health completion bash` sourced in a real bash completes a flag, its choices and a subcommand."""
    import shutil
    import subprocess

    from tests.conftest import run_cli

    if shutil.which("bash") is None:
        pytest.skip("no bash here")
    script = run_cli("completion", "bash")
    assert script.returncode == 0, script.stderr
    (tmp_path / "tui-health.bash").write_text(script.stdout)
    probe = (
        f"source {tmp_path / 'tui-health.bash'}\n"
        'complete_words() { COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _shtab_tui_health; echo "${COMPREPLY[*]}"; }\n'
        "complete_words tui-health --form\n"
        "complete_words tui-health --format ''\n"
        "complete_words tui-health --tz ''\n"
        "complete_words tui-health hist\n"
    )
    done = subprocess.run(["bash", "-c", probe], capture_output=True, text=True, timeout=30)
    assert done.stdout.splitlines() == ["--format", "table json nagios", "local utc", "history"], done.stderr


def test_the_manual_page_is_made_from_the_parser_and_groff_reads_it_without_a_warning(tmp_path) -> None:
    import shutil
    import subprocess

    from tests.conftest import run_cli
    from tui_health.cli import build_parser

    page = run_cli("manpage")
    assert page.returncode == 0 and page.stdout.startswith(".TH TUI-HEALTH 1"), page.stderr
    text = page.stdout.replace("\\-", "-")
    parser = build_parser()
    for flag in parser._option_string_actions:
        assert flag in text, flag
    for command in ("history", "simulate", "outbox", "config", "completion", "manpage"):
        assert f".SS {command}" in text, command
    if shutil.which("groff") is None:
        pytest.skip("no groff here to read it")
    (tmp_path / "tui-health.1").write_text(page.stdout)
    done = subprocess.run(
        ["groff", "-man", "-Tutf8", "-ww", "-z", str(tmp_path / "tui-health.1")],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode == 0 and done.stderr == "", done.stderr
