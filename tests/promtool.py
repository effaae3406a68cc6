"""``promtool`` from Prometheus checks what we give Prometheus: CI installs it (Debian's ``prometheus``) and sets
``TUI_HEALTH_REQUIRE_PROMTOOL=1``, so there a missing promtool fails; elsewhere the check is skipped."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest


def promtool() -> str:
    found = shutil.which("promtool")
    if found is None:
        if os.environ.get("TUI_HEALTH_REQUIRE_PROMTOOL"):
            pytest.fail("promtool is required here (TUI_HEALTH_REQUIRE_PROMTOOL) but not installed")
        pytest.skip("promtool is not installed (Debian: apt-get install prometheus)")
    return found


def assert_promtool_clean(metrics: str) -> None:
    """``promtool check metrics``: exposition parses and its lint (naming, units, help) has nothing to say."""
    done = subprocess.run(
        [promtool(), "check", "metrics"], input=metrics, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0 and not done.stdout.strip() and not done.stderr.strip(), (
        done.stdout + done.stderr
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
