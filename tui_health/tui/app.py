"""The live console. Renders MonitorState; a worker drives the same Monitor as --once and --headless."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import datetime
from functools import partial
from typing import Any

from textual import on
from textual.app import App, ComposeResult, SystemCommand
from textual.containers import Horizontal
from textual.events import Resize
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Footer, Input, Static
from textual.worker import Worker, WorkerState

from tui_health.model.domain import AuditEvent, EventType, Status
from tui_health.model.state import ComponentView, MonitorState, combine, split_id
from tui_health.model.watched import Watched
from tui_health.serve.attach import CONSOLE
from tui_health.support import zone
from tui_health.tui.actions import ACTIONS, bindings
from tui_health.tui.filters import PLATFORM, Filter
from tui_health.tui.messages import StateUpdated
from tui_health.tui.screens.audit_viewer import AuditViewer
from tui_health.tui.screens.details import DetailsScreen
from tui_health.tui.screens.help import HelpScreen
from tui_health.tui.screens.incidents import IncidentsScreen
from tui_health.tui.screens.org_events import OrgEventsScreen
from tui_health.tui.screens.silence import SilenceScreen, SilencesScreen
from tui_health.tui.sorting import Sort
from tui_health.tui.widgets.audit_pane import AuditPane
from tui_health.tui.widgets.components_table import ComponentsTable
from tui_health.tui.widgets.header import StatusHeader, stale_for
from tui_health.tui.widgets.latency_panel import LatencyPanel

NARROW = 110  # columns below which the latency panel gives way to the audit pane
SHORT = 32  # rows below which the bottom panels shrink
NOTICE_SECONDS = 20.0
"""How long the notice given at the start stays (a click dismisses it sooner)."""
NOTICE_SMALL = 160
"""Characters of the start notice a small terminal shows (a toast a third of the width wide: about five lines)."""


def shortened(notice: str) -> str:
    """``notice`` cut after its last whole clause within :data:`NOTICE_SMALL` characters, pointing at the audit
    log for the rest (the demo's plan is audited whole): at 80x24 the whole plan was a toast over half the
    screen for its 20 s."""
    if len(notice) <= NOTICE_SMALL:
        return notice
    cut = notice.rfind("; ", 0, NOTICE_SMALL)
    head = notice[:cut] if cut > 0 else notice[: NOTICE_SMALL - 1]
    return head + "; … (all of it in the audit log: a)"


class HealthApp(App[int]):
    CSS_PATH = "app.tcss"
    TITLE = "tui-health"
    ENABLE_COMMAND_PALETTE = True
    BINDINGS = bindings()  # from the one action table (actions.py): footer, help and palette too

    def __init__(
        self,
        monitors: Watched | Sequence[Watched],
        *,
        autopoll: bool = True,
        tick: float = 1.0,
        bell: bool = False,
        started: bool = False,
        first_polls: Sequence[asyncio.Future[Any]] = (),
        notice: str | None = None,
    ) -> None:
        """``monitors``: one per target; each polls on its own schedule, and the views show them together.
        ``bell``: ring the terminal bell when a component newly goes down (a toast names it either way).
        ``started``: the monitors were started already; ``first_polls``: their first polls, already under way
        (one per monitor, in order): the console waits for those instead of asking again. ``notice``: said once
        at the start (``--demo``: what its scenario will do)."""
        super().__init__()
        self.notice = notice
        self.ring_bell = bell
        self._toasted: set[str] = set()  # silence answers already toasted
        # ids confirmed down in the last state shown (None: none shown yet)
        self._down: set[str] | None = None
        self.monitors: list[Watched] = list(monitors) if isinstance(monitors, list | tuple) else [monitors]  # type: ignore[list-item]
        self.monitor = self.monitors[0]
        """The first target's monitor (the only one in a single-target set-up)."""
        self._states = [m.store.state for m in self.monitors]
        self.filter = Filter()
        self._offered: tuple[bool | None, ...] = ()
        self.sort = Sort()
        self._filter_cache: tuple[Any, ...] = ((), Filter(), Sort(), {}, [])
        self.state: MonitorState = combine(self._states)
        self.autopoll = autopoll
        self.tick = tick
        self._next_polls: dict[int, Timer] = {}
        self._poll_workers: dict[int, Worker[None]] = {}
        self._started = started
        self._kinds_of: tuple[object, list[str]] = (
            (),
            [],
        )  # the components the kinds were found in, and them
        self._first_polls = dict(enumerate(first_polls))
        self.collector = next((m.collector for m in self.monitors if m.collector), None)
        """The collector this console is attached to (the header names it), or None."""

    # -- layout ---------------------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        yield StatusHeader()
        with Horizontal(id="filter-bar"):
            yield Static(id="filter-desc")
            yield Input(placeholder="search name or id…", id="search")
            yield Static(id="filter-count")  # its own cell: a long description is cut, never the count
        yield ComponentsTable(id="components")
        with Horizontal(id="bottom"):
            yield LatencyPanel(id="latency")
            yield AuditPane(id="audit")
        yield Footer(compact=True, show_command_palette=False)

    async def on_mount(self) -> None:
        self.query_one("#latency").border_title = "Latency"
        self.query_one("#audit").border_title = "Audit log"
        self.query_one("#search", Input).display = False
        self._subscriptions = [partial(self._published, index) for index in range(len(self.monitors))]
        for monitor, callback in zip(self.monitors, self._subscriptions, strict=True):
            monitor.store.subscribe(callback)
        self.query_one(AuditPane).add(self.audit_tail(60))
        self._states = [m.store.state for m in self.monitors]  # a first poll may have answered meanwhile
        self.render_state(combine(self._states))
        self.query_one(ComponentsTable).focus()
        if self.notice:
            small = self.size.width < NARROW or self.size.height < SHORT
            self.notify(shortened(self.notice) if small else self.notice, timeout=NOTICE_SECONDS)
        if not self._started:
            for monitor in self.monitors:
                await monitor.start()
        if self.tick > 0:
            self.set_interval(self.tick, self._on_tick)
        if self.autopoll:
            self.start_poll()

    def on_resize(self, event: Resize) -> None:
        self.set_class(event.size.width < NARROW, "narrow")
        self.set_class(event.size.height < SHORT, "short")
        self.call_after_refresh(self._on_tick)  # the header picks its words for the new width

    # -- polling --------------------------------------------------------------------------------------
    def start_poll(self, index: int | None = None) -> None:
        """Poll every target now (or one): each in its own worker, so a slow target never holds up another."""
        for i in range(len(self.monitors)) if index is None else (index,):
            timer = self._next_polls.pop(i, None)
            if timer is not None:
                timer.stop()
            if self.state.paused or self._polling(i):
                continue
            self._poll_workers[i] = self.run_worker(
                self._poll(i),
                name=f"poll-{i}",
                group=f"poll-{i}",
                exclusive=True,
                exit_on_error=False,
            )

    async def _poll(self, index: int) -> None:
        from tui_health.support.lock import StateDirectoryGone

        try:
            first = self._first_polls.pop(index, None)
            await (first if first is not None else self.monitors[index].poll())
        except StateDirectoryGone as exc:  # another instance may be starting: this one stops, and says why
            self.exit(3, return_code=3, message=f"tui-health: {exc.one_line()}")

    def _polling(self, index: int) -> bool:
        worker = self._poll_workers.get(index)
        return worker is not None and worker.state in (WorkerState.PENDING, WorkerState.RUNNING)

    @property
    def polling(self) -> bool:
        return any(self._polling(i) for i in range(len(self.monitors)))

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if not event.worker.group.startswith("poll-") or event.state not in (
            WorkerState.SUCCESS,
            WorkerState.ERROR,
            WorkerState.CANCELLED,
        ):
            return
        if event.state is WorkerState.ERROR:
            self.notify(f"poll crashed: {event.worker.error}", severity="error", timeout=8)
        # the target's next poll is scheduled after this one finished: its polls never overlap
        index = int(event.worker.group.removeprefix("poll-"))
        if self.autopoll and not self.state.paused:
            self._next_polls[index] = self.set_timer(
                self.monitors[index].interval, partial(self.start_poll, index)
            )

    # -- state → widgets ------------------------------------------------------------------------------
    def _published(self, index: int, state: MonitorState) -> None:
        self._states[index] = state
        self.post_message(StateUpdated(combine(self._states)))

    def audit_tail(self, count: int) -> list[AuditEvent]:
        """The last ``count`` audit events of every target, oldest first; targets sharing an audit file give
        the same events, which are kept once."""
        events = {e.id: e for m in self.monitors for e in m.audit_tail(count)}
        return sorted(events.values(), key=lambda e: e.timestamp)[-count:]

    def owner(self, component: ComponentView) -> tuple[Watched, str]:
        """The monitor a component belongs to, and its id there."""
        for monitor in self.monitors:
            if not component.target or monitor.region == component.target:
                return monitor, split_id(component.id, component.target)
        return self.monitor, component.id

    def on_unmount(self) -> None:
        """Pushed news may still be observed while the console closes: it no longer reaches these screens."""
        for monitor, callback in zip(self.monitors, getattr(self, "_subscriptions", []), strict=False):
            monitor.store.unsubscribe(callback)

    def on_state_updated(self, message: StateUpdated) -> None:
        if not self.query(StatusHeader):
            return  # closing: the screens are gone (a state published just before the unsubscription)
        self.render_state(message.state)

    def render_state(self, state: MonitorState) -> None:
        self.state = state
        now = self.now()
        self.query_one(StatusHeader).show(state, now, self._states, self.collector)
        self._render_rows(now)
        self.query_one(LatencyPanel).show(state.latency)
        pane = self.query_one(AuditPane)
        pane.now = now
        self._toast_answers(state.events)
        pane.add(state.events)
        self._refresh_footer()
        self._announce_down(state)

    def _toast_answers(self, events: Sequence[AuditEvent]) -> None:
        """A collector's answer to a silence this console asked for (``--attach``), once each."""
        for event in events:
            if event.source == CONSOLE and event.id not in self._toasted:
                self._toasted.add(event.id)
                refused = event.event_type == EventType.SILENCE_REFUSED
                self.notify(event.message, severity="error" if refused else "information", timeout=6)

    def _announce_down(self, state: MonitorState) -> None:
        """A component newly confirmed down: a toast that names it (and the bell with ``--bell``). Not for
        what was already down when the console opened, and never in replay (nothing there is new)."""
        if state.last_poll_at is None:
            return  # nothing polled yet: the first answer is the baseline, not news
        down = {c.id for c in state.components if c.status is Status.DOWN}
        fresh = down - (self._down or set())
        new = [c.name for c in state.components if c.id in fresh]
        first = self._down is None
        self._down = down
        if first or not new or state.replay:
            return
        if self.ring_bell:
            self.bell()
        names = ", ".join(new[:3]) + (f" and {len(new) - 3} more" if len(new) > 3 else "")
        self.notify(f"▼ DOWN: {names}", severity="error", timeout=10)

    def action_zone(self) -> None:
        """``z``: every time on screen in UTC, or in local time again."""
        shown = zone.toggle()
        self.query_one(ComponentsTable).redraw()
        self.query_one(AuditPane).redraw()
        self._on_tick()
        self.notify(
            f"times now in {'UTC' if shown == 'utc' else 'local time (' + zone.label() + ')'}", timeout=3
        )

    def _on_tick(self) -> None:
        if not self.query(StatusHeader) or not self.query(ComponentsTable):
            return  # closing: the interval (or a resize's call) can still fire while the screens are taken down
        now = self.now()
        self.query_one(StatusHeader).show(self.state, now, self._states, self.collector)
        self._render_rows(now)

    def now(self) -> datetime:
        return self.monitor.now()

    def _render_rows(self, now: datetime) -> None:
        """The table and the filter bar, from one pass of the filter.

        While the data is stale the rows are dimmed and their "For" counters stop at the last good answer.
        """
        rows = self._filtered()
        stale = stale_for(self.state, now) is not None
        as_of = self.state.last_ok_at if stale and self.state.last_ok_at else now
        self.query_one(ComponentsTable).show(
            rows,
            as_of,
            stale=stale,
            availability=self.state.availability,
            sort=(self.sort.column, self.sort.reverse),
        )
        order = "" if self.sort.is_default else f"  ·  {self.sort.describe()}"
        self.query_one("#filter-desc", Static).update(f" filter  {self.filter.describe()}{order}")
        self.query_one("#filter-count", Static).update(f"({len(rows)} of {len(self.state.components)} shown)")
        self.query_one("#filter-bar").set_class(not self.filter.is_default, "active")

    def _filtered(self) -> list[ComponentView]:
        """The components the filter lets through, in the sort's order, worked out again only when the
        components, the filter, the sort or the availability figures changed (the one-second tick reuses them)."""
        source, by, order, avail, rows = self._filter_cache
        state = self.state
        if (
            source is not state.components
            or by != self.filter
            or order != self.sort
            or avail is not state.availability
        ):
            rows = self.sort.apply(self.filter.apply(state.components), state.availability)
            self._filter_cache = (state.components, self.filter, self.sort, state.availability, rows)
        return rows

    def set_sort(self, new: Sort) -> None:
        self.sort = new
        self._render_rows(self.now())

    def action_sort(self, direction: int) -> None:
        skip: tuple[str, ...] = () if len(self.monitors) > 1 else ("target",)
        if not self._kinds():
            skip += ("kind",)
        self.set_sort(self.sort.step(direction, skip=skip))

    def action_target(self) -> None:
        self.set_filter(self.filter.next_target([m.region for m in self.monitors]))

    def _kinds(self) -> list[str]:
        """The kinds of the components shown (platform components count as ``platform`` when others have one)."""
        components = self.state.components
        cached = self._kinds_of
        if cached[0] is components:
            return list(cached[1])
        kinds = sorted({c.kind for c in components if c.kind})
        if kinds and any(c.kind is None for c in components):
            kinds.append(PLATFORM)
        self._kinds_of = (components, kinds)
        return list(kinds)

    def action_kind(self) -> None:
        self.set_filter(self.filter.next_kind(self._kinds()))

    def action_reverse_sort(self) -> None:
        self.set_sort(self.sort.flipped())

    @on(ComponentsTable.HeaderClicked)
    def _header_clicked(self, event: ComponentsTable.HeaderClicked) -> None:
        self.set_sort(self.sort.pick(event.column))

    def set_filter(self, new: Filter) -> None:
        self.filter = new
        self._render_rows(self.now())
        self._refresh_footer()

    DYNAMIC = (
        "target",
        "kind",
        "org_events",
        "clear_search",
        "incidents",
        "silences",
        "poll_now",
        "requeue",
        "pause",
    )
    """Actions whose availability follows the state (see check_action)."""

    def _refresh_footer(self) -> None:
        """Refresh the bindings (the footer is rebuilt) only when an action came or went: rebuilding it on every
        key and poll was most of what a filter key cost at 10,000 components."""
        offered = tuple(self.check_action(action, ()) for action in self.DYNAMIC)
        if offered != self._offered:
            self._offered = offered
            self.refresh_bindings()

    # -- actions --------------------------------------------------------------------------------------
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("details", "silence"):
            # always offered: hiding them whenever a filter matches nothing rebuilt the footer on such keys
            return True
        if action == "clear_search":
            return bool(self.filter.search) or self.query_one("#search", Input).display
        if action == "incidents":
            return bool(self.state.incidents)  # hidden from the footer while there is nothing to show
        if action == "target":
            return len(self.monitors) > 1  # only with several targets
        if action == "kind":
            return bool(self._kinds())  # only when some components are the org's own
        if action == "org_events":
            # offered when a source watches the org's events
            return any(s.extras.operational_events is not None for s in self.state.sources)
        if action == "silences":
            return bool(self.state.silences)
        if action in ("pause", "poll_now", "requeue") and all(m.passive for m in self.monitors):
            return False  # attached to a collector (or replaying): it polls and delivers, not this console
        if action == "poll_now":
            return None if self.state.paused else True
        if action == "requeue":
            return bool(self.state.outbox_failed)  # offered only while a receiver has refused something
        return True

    def action_toggle_status(self, key: str) -> None:
        self.set_filter(self.filter.toggle(key))

    def action_clear_filter(self) -> None:
        self.set_filter(self.filter.clear())

    def action_preset(self) -> None:
        self.set_filter(self.filter.next_preset())

    def action_critical(self) -> None:
        self.set_filter(replace(self.filter, critical_only=not self.filter.critical_only))

    def action_search(self) -> None:
        search = self.query_one("#search", Input)
        search.display = True
        search.focus()
        self.refresh_bindings()

    def action_clear_search(self) -> None:
        search = self.query_one("#search", Input)
        search.value = ""
        search.display = False
        self.set_filter(replace(self.filter, search=""))
        self.query_one(ComponentsTable).focus()

    @on(Input.Changed, "#search")
    def _search_changed(self, event: Input.Changed) -> None:
        self.set_filter(replace(self.filter, search=event.value))

    @on(Input.Submitted, "#search")
    def _search_done(self, event: Input.Submitted) -> None:
        if not event.value:
            self.action_clear_search()
            return
        self.query_one(ComponentsTable).focus()

    def selected(self) -> ComponentView | None:
        return self.query_one(ComponentsTable).selected_view

    @on(ComponentsTable.Selected)
    def _row_selected(self, event: ComponentsTable.Selected) -> None:
        self.action_details()

    def action_details(self) -> None:
        component = self.selected()
        if component is None:
            self.notify("no component is selected (the filter matches none)", timeout=3)
        else:
            self.show_details(component)

    def show_details(self, component: ComponentView) -> None:
        history = self.audit_tail(400) + list(self.state.events)
        unique = list({e.id: e for e in history}.values())
        monitor, cid = self.owner(component)
        timeline = monitor.timeline(cid)  # one component's week: a few ms of SQLite
        availability = self.state.availability.get(
            component.id
        )  # the table's figure: one source, one rounding
        self.push_screen(DetailsScreen(component, unique, self.now(), timeline, availability))

    def action_silence(self) -> None:
        component = self.selected()
        if component is None:
            self.notify("no component is selected (the filter matches none)", timeout=3)
            return

        def done(answer: tuple[float, str] | None) -> None:
            if answer:
                seconds, reason = answer
                monitor, cid = self.owner(component)
                monitor.silence(cid, seconds, reason=reason)
                if monitor.confirms_later:  # the collector's answer is toasted when it comes
                    self.notify(f"silence of {component.name} sent to the collector…", timeout=3)
                else:
                    self.notify(f"{component.name} silenced")
                self.refresh_bindings()

        self.push_screen(SilenceScreen(component.name), done)

    def action_silences(self) -> None:
        names = {c.id: c.name for c in self.state.components}
        silences = {cid: (names.get(cid, cid), until) for cid, until in self.state.silences}

        by_id = {c.id: c for c in self.state.components}

        def done(cid: str | None) -> None:
            if cid:
                view = by_id.get(cid)
                monitor, own = self.owner(view) if view else (self.monitor, cid)
                monitor.unsilence(own)
                self.notify(f"silence of {names.get(cid, cid)} lifted")

        self.push_screen(SilencesScreen(silences, self.now(), self.state.silence_notes), done)

    def action_pause(self) -> None:
        resume = self.state.paused
        for monitor in self.monitors:
            monitor.resume() if resume else monitor.pause()
        self._states = [m.store.state for m in self.monitors]
        self.render_state(combine(self._states))  # the poll below must see the resumed state
        if resume:
            self.start_poll()
            return
        for timer in self._next_polls.values():
            timer.stop()
        self._next_polls.clear()

    def action_poll_now(self) -> None:
        if self.polling:
            self.notify("a poll is already running")
            return
        self.start_poll()

    async def action_requeue(self) -> None:
        count = await self.monitor.requeue_failed()  # the outbox is shared by every target
        self.notify(f"{count} refused alert(s) queued again" if count else "nothing to requeue")

    def action_incidents(self) -> None:
        status = next((s.extras.page_status for s in self.state.sources if s.extras.page_status), None)
        page = status.as_dict() if status else None
        self.push_screen(IncidentsScreen(self.state.incidents, page))

    def org_events(self) -> list[dict[str, Any]]:
        """The recent operational events of every target's org, oldest first."""
        events = [e for s in self.state.sources for e in s.extras.operational_events or ()]
        return sorted(events, key=lambda e: str(e.get("at") or ""))

    def action_org_events(self) -> None:
        self.push_screen(OrgEventsScreen(self.org_events()))

    def action_audit(self) -> None:
        events = list({e.id: e for e in self.audit_tail(2000) + list(self.state.events)}.values())
        events.sort(key=lambda e: e.timestamp)

        def done(cid: str | None) -> None:
            if not cid:
                return
            view = self.component_view(cid)
            if view is None:
                self.notify(f"{cid} is not among the components shown now", timeout=4)
            else:
                self.show_details(view)

        self.push_screen(AuditViewer(events), done)

    def component_view(self, cid: str) -> ComponentView | None:
        """The component shown now with that id (its own, or ``target/id`` when several targets are shown)."""
        return next(
            (c for c in self.state.components if c.id == cid or split_id(c.id, c.target) == cid), None
        )

    def action_help(self) -> None:
        self.push_screen(HelpScreen())

    def action_copy_id(self) -> None:
        """``y``: the selected component's id to the clipboard, by OSC 52 (works over SSH and in tmux with
        ``set-clipboard on``; a terminal without it ignores the request)."""
        component = self.selected()
        if component is None:
            self.notify("no component is selected (the filter matches none)", timeout=3)
            return
        _, cid = self.owner(component)
        self.copy_to_clipboard(cid)
        self.notify(f"copied {cid}", timeout=3)

    async def action_quit(self) -> None:
        self.exit(0)

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        for item in ACTIONS:
            if item.palette:
                yield SystemCommand(
                    item.palette, f"{item.help} ({item.display})", partial(self.run_action, item.action)
                )
