"""What makes a poll cheap must never make it wrong: the page patch, the simulator's churn, the request
budget's bookkeeping, and the console that starts its first poll before Textual has loaded."""

from __future__ import annotations

import asyncio
import copy
import itertools

import httpx

from tests.conftest import sim_settings
from tui_health.genesys.ratelimit import RequestBudget
from tui_health.genesys.wire import EntityParser
from tui_health.model.domain import Status
from tui_health.monitor.runtime import open_monitor
from tui_health.simulator import Scenario


def page(count: int = 5) -> list[dict]:
    return [
        {"id": f"c{i}", "name": f"C {i}", "status": "healthy", "lastModified": "2026-12-01T00:00:00Z"}
        for i in range(count)
    ]


def test_a_page_with_one_entity_changed_is_patched_and_the_rest_reused():
    parser = EntityParser("health-api")
    before, _ = parser.parse_page(1, page(), None)
    parser.end_poll()
    changed = page()
    changed[2]["status"] = "down"
    after, issues = parser.parse_page(1, changed, None)
    parser.end_poll()
    assert (
        issues == []
        and [c.status for c in after] == [Status.HEALTHY] * 2 + [Status.DOWN] + [Status.HEALTHY] * 2
    )
    assert all(after[i] is before[i] for i in (0, 1, 3, 4))  # reused, not parsed again
    again, _ = parser.parse_page(1, copy.deepcopy(changed), None)  # and the patched page is remembered
    assert again == after and again[2] is after[2]


def test_a_changed_entity_with_a_problem_is_reported_like_any_other():
    parser = EntityParser("health-api")
    parser.parse_page(1, page(), None)
    parser.end_poll()
    bad = page()
    bad[1]["status"] = "purple"
    components, issues = parser.parse_page(1, bad, None)
    assert [i.message for i in issues] == ["unknown status 'purple' for c1"]
    assert components[1].status is Status.UNKNOWN


def test_a_changed_entity_that_takes_another_ones_id_is_caught():
    parser = EntityParser("health-api")
    parser.parse_page(1, page(), None)
    parser.end_poll()
    twin = page()
    twin[3]["id"] = "c0"  # now two c0 on one page: the full parse handles it (the client reports duplicates)
    components, _ = parser.parse_page(1, twin, None)
    assert [c.id for c in components] == ["c0", "c1", "c2", "c0", "c4"]


def test_churn_changes_a_share_of_the_components_on_every_poll(start_sim):
    sim = start_sim(Scenario.model_validate({"components": 200, "churn": 0.05, "rate_limit_allowed": 0}))
    token = httpx.post(
        f"{sim.url}/oauth/token", auth=("a", "b"), data={"grant_type": "client_credentials"}
    ).json()["access_token"]

    def poll() -> list[str]:
        params = {"pageSize": 200, "pageNumber": 1}
        body = httpx.get(
            f"{sim.url}/api/v2/health/details", params=params, headers={"Authorization": f"Bearer {token}"}
        ).json()
        return [e["status"] for e in body["entities"]]

    first, second = poll(), poll()
    flipped = [i for i, (a, b) in enumerate(zip(first, second, strict=True)) if a != b]
    assert len(flipped) == 10  # 5 % of 200, one in every 20
    assert {b - a for a, b in itertools.pairwise(flipped)} == {20}


def test_the_request_budget_frees_slots_a_window_after_they_ended():
    now = [0.0]
    budget = RequestBudget(3, 60.0, monotonic=lambda: now[0])
    slots = [budget.take() for _ in range(3)]
    assert budget.used() == 3 and budget.wait_for_slot() == 1.0  # all in flight: look again in a second
    budget.done(slots[0])
    now[0] = 10.0
    budget.done(slots[1])
    assert budget.wait_for_slot() == 50.0  # the first one frees at 0 + 60
    now[0] = 60.0
    assert budget.used() == 2 and budget.wait_for_slot() == 0.0
    now[0] = 70.0
    assert budget.used() == 1  # only the one still in flight
    budget.done(slots[1])  # said twice: counted once
    assert budget.used() == 1


async def test_the_console_uses_the_first_poll_it_was_handed(start_sim, tmp_path):
    from tui_health.tui.app import HealthApp

    sim = start_sim("outage")
    settings = sim_settings(sim, tmp_path)
    async with open_monitor(settings, config_path=tmp_path / "none.toml") as monitor:
        await monitor.start()
        first = asyncio.ensure_future(monitor.poll())
        await first  # it answered before the console was even built
        app = HealthApp(monitor, tick=0, started=True, first_polls=[first])
        async with app.run_test(size=(140, 40)) as pilot:
            await pilot.pause()
            assert app.state.poll_count == 1
            assert {c.id for c in app.state.components if c.status is Status.DOWN} == {"voice-telephony"}
            await app.workers.wait_for_complete()
            assert monitor.tracker.polls == 1  # not asked again at start
        await monitor.close()
    started = [
        line for line in (tmp_path / "audit.jsonl").read_text().splitlines() if "monitor_started" in line
    ]
    assert len(started) == 1


async def test_the_table_widens_for_a_new_long_name_but_never_measures_a_row_twice():
    from datetime import UTC, datetime

    from textual.app import App

    from tui_health.model.state import ComponentView
    from tui_health.tui.widgets.components_table import ComponentsTable

    now = datetime(2026, 12, 1, tzinfo=UTC)

    def view(cid: str, name: str) -> ComponentView:
        return ComponentView(cid, name, Status.HEALTHY, Status.HEALTHY, now, None, "health-api")

    class Host(App[None]):
        def compose(self):  # type: ignore[no-untyped-def]
            yield ComponentsTable()

    short = [view(f"c{i}", f"C {i}") for i in range(3)]
    long = view("long", "A name much longer than any before it")
    async with Host().run_test(size=(120, 20)) as pilot:
        table = pilot.app.query_one(ComponentsTable)
        table.show(short, now)
        narrow = table._widths["name"]
        table.show([*short, long], now)
        assert table._widths["name"] == len(long.name) > narrow
        table.show(short, now)  # filtering never narrows the layout
        assert table._widths["name"] == len(long.name)
        assert len(table._measured) == 4  # each row measured once
