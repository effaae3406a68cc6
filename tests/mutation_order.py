"""A pytest plugin for mutation testing only (``[tool.mutmut]`` in pyproject.toml loads it with ``-p``): the fast
rule tests run first, then the simulator-backed ones. mutmut stops a mutant's run at its first failing test, so a
mutant a rule test kills never waits for the tests that start a simulator and a monitor."""

from __future__ import annotations

import pytest

ORDER = (
    "tests/unit/sources/test_",  # the rule tests of the sources and the client's pieces: no simulator
    "tests/unit/genesys/test_",
    "tests/unit/engine/test_",  # the engine's rules on an injected clock
    "tests/unit/alerts/test_outbox_rules.py",  # the outbox's calls, and the dispatcher on an in-process receiver
    "tests/unit/alerts/test_dispatcher_rules.py",
    "tests/unit/alerts/test_",  # the dispatcher against the simulator's receiver (waits on real delivery)
    "tests/unit/modes/test_doctor_rules.py",
    "tests/unit/modes/test_doctor.py",
    "tests/unit/monitor/test_maintenance_and_silences.py",
    "tests/e2e/test_contact_centre.py",
    "tests/e2e/test_org_health.py",
)


def _rank(item: pytest.Item) -> int:
    return next((n for n, prefix in enumerate(ORDER) if item.nodeid.startswith(prefix)), len(ORDER))


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    items.sort(key=_rank)  # stable: the order within each file is kept
