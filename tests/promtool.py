"""Outside tools that check what we ship — ``promtool`` (Debian's ``prometheus``) for metrics, rules and the
dashboard's queries, ``systemd-analyze`` (Debian's ``systemd``) for the unit file. CI installs them and sets
``TUI_HEALTH_REQUIRE_TOOLS=1``, so there a missing tool fails; elsewhere its check is skipped."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest


def tool(name: str, package: str) -> str:
    """The path of ``name``; skipped when it is missing, failed when CI requires it."""
    found = shutil.which(name)
    if found is None:
        from tests.conftest import REQUIRE_TOOLS  # read before the suite dropped the TUI_HEALTH_* variables

        if REQUIRE_TOOLS[0]:
            pytest.fail(f"{name} is required here (TUI_HEALTH_REQUIRE_TOOLS) but not installed")
        pytest.skip(f"{name} is not installed (Debian: apt-get install {package})")
    return found


def promtool() -> str:
    return tool("promtool", "prometheus")


def assert_promtool_clean(metrics: str) -> None:
    """``promtool check metrics``: exposition parses and its lint (naming, units, help) has nothing to say."""
    done = subprocess.run(
        [promtool(), "check", "metrics"], input=metrics, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0 and not done.stdout.strip() and not done.stderr.strip(), (
        done.stdout + done.stderr
    )


def run_rule_tests(tmp_path: Path, rules: str, unit_tests: str) -> subprocess.CompletedProcess[str]:
    """``promtool test rules`` on ``unit_tests`` (a promtool test file naming ``rules.yml``) with ``rules``; its
    outcome, for a test that wants to see a case fail."""
    tmp_path.mkdir(parents=True, exist_ok=True)
    (tmp_path / "rules.yml").write_text(rules)
    (tmp_path / "rules_test.yml").write_text(unit_tests)
    return subprocess.run(
        [promtool(), "test", "rules", "rules_test.yml"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )


def check_rules(tmp_path: Path, rules: str, unit_tests: str | None = None) -> None:
    """``promtool check rules`` on ``rules``; with ``unit_tests`` (a promtool test file naming ``rules.yml``),
    ``promtool test rules`` too."""
    (tmp_path / "rules.yml").write_text(rules)
    checks = [["check", "rules", "rules.yml"]]
    if unit_tests is not None:
        (tmp_path / "rules_test.yml").write_text(unit_tests)
        checks.append(["test", "rules", "rules_test.yml"])
    for args in checks:
        done = subprocess.run([promtool(), *args], cwd=tmp_path, capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stdout + done.stderr
