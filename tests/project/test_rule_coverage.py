"""The shipped alerting rules' promtool tests hold each alert both ways: a case where it fires and a case where its
condition is not met and it stays silent — silent by its condition, not only because its ``for`` has not run out.
An alert added to rules.yml without both cases fails here (the always-firing watchdog only fires)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from tests.paths import ROOT
from tests.promtool import run_rule_tests

PACKAGED = ROOT / "packaging" / "prometheus"


def rules() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((PACKAGED / "rules.yml").read_text())
    return loaded


def unit_tests() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((PACKAGED / "rules.test.yml").read_text())
    return loaded


def alerts() -> dict[str, dict[str, Any]]:
    return {r["alert"]: r for group in rules()["groups"] for r in group["rules"] if "alert" in r}


def constant(rule: dict[str, Any]) -> bool:
    """An alert that reads no series (``vector(1)``): it fires always, by design (a dead-man's switch)."""
    return re.fullmatch(r"vector\(\s*[0-9.]+\s*\)", str(rule["expr"]).strip()) is not None


def cases() -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """Every alert case, with the test group (its input series) it belongs to."""
    return [(group, case) for group in unit_tests()["tests"] for case in group.get("alert_rule_test", [])]


def test_every_alert_but_the_watchdog_is_tested_firing_and_silent() -> None:
    named = alerts()
    assert len(named) >= 2 and [n for n, r in named.items() if constant(r)] == ["TuiHealthWatchdog"]
    tested = {case["alertname"] for _, case in cases()}
    assert tested - set(named) == set()  # a case for an alert that does not exist would pass whatever happens
    firing = {case["alertname"] for _, case in cases() if case.get("exp_alerts")}
    silent = {case["alertname"] for _, case in cases() if not case.get("exp_alerts")}
    assert set(named) - firing == set(), "alerts no case sees firing"
    assert {n for n, r in named.items() if not constant(r)} - silent == set(), "alerts no case sees silent"


def test_each_alert_has_a_case_silent_by_its_condition_not_only_by_its_for(tmp_path: Path) -> None:
    """With every ``for`` removed, at least one of each alert's silent cases still passes: a case that is silent
    only because the alert is still pending (``for: 5m`` at minute 4) says nothing of its condition."""
    immediate = rules()
    for group in immediate["groups"]:
        for rule in group["rules"]:
            rule.pop("for", None)
    text = yaml.safe_dump(immediate, sort_keys=False)
    by_condition: dict[str, list[bool]] = {}
    for i, (group, case) in enumerate(cases()):
        if case.get("exp_alerts"):
            continue
        alone = {
            "rule_files": ["rules.yml"],
            "evaluation_interval": unit_tests().get("evaluation_interval", "1m"),
            "tests": [
                {**{k: v for k, v in group.items() if k != "alert_rule_test"}, "alert_rule_test": [case]}
            ],
        }
        done = run_rule_tests(tmp_path / str(i), text, yaml.safe_dump(alone, sort_keys=False))
        by_condition.setdefault(case["alertname"], []).append(done.returncode == 0)
    assert by_condition, "no silent case at all"
    assert {n for n, passed in by_condition.items() if not any(passed)} == set()
    assert {n for n, r in alerts().items() if not constant(r)} - set(by_condition) == set()
