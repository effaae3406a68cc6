"""URLs are taken apart in one place (support/urls.py), with urllib.parse."""

from __future__ import annotations

import pytest

from tests.paths import ROOT
from tui_health.genesys.regions import genesys_domain, login_for
from tui_health.support.urls import host_of, hostname, netloc, origin_of


@pytest.mark.parametrize(
    ("url", "where", "host"),
    [
        ("https://api.mypurecloud.de", "api.mypurecloud.de", "api.mypurecloud.de"),
        ("https://user:secret@API.example.com:8443/x?token=1", "API.example.com:8443", "api.example.com"),
        ("http://127.0.0.1:43787/", "127.0.0.1:43787", "127.0.0.1"),
        ("api.mypurecloud.ie", "api.mypurecloud.ie", "api.mypurecloud.ie"),
        ("http://[::1]:9464", "[::1]:9464", "::1"),
    ],
)
def test_hosts_are_read_by_one_parser(url: str, where: str, host: str) -> None:
    assert netloc(url) == where and hostname(url) == host
    assert "secret" not in host_of(url) and "token" not in host_of(url)


def test_the_same_origin_fills_in_default_ports() -> None:
    assert origin_of("https://API.x") == origin_of("https://api.x:443/path") == ("https", "api.x", 443)
    assert origin_of("http://api.x:8080") != origin_of("http://api.x")


def test_regions_read_hosts_through_it() -> None:
    assert genesys_domain("https://u:p@api.mypurecloud.de:443/api/v2") == "mypurecloud.de"
    assert login_for("https://api.usw2.pure.cloud/api/v2") == "https://login.usw2.pure.cloud"
    assert login_for("http://127.0.0.1:8080/") == "http://127.0.0.1:8080"


def test_no_module_takes_a_url_apart_by_hand() -> None:
    package = ROOT / "tui_health"
    by_hand = [
        str(p.relative_to(package))
        for p in package.rglob("*.py")
        if p.name != "urls.py" and ('split("://"' in p.read_text() or 'partition("://")' in p.read_text())
    ]
    assert by_hand == []
