"""The audit viewer (``a``): every recent audit event, full screen, searchable and filterable, lines wrapped.

``/`` searches as you type, ``t`` cycles the event type, ``l`` the least severity, ``c`` keeps only the
highlighted event's component (again: every component); ``Enter`` opens the highlighted event's component.
"""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Footer, Input, OptionList, Static
from textual.widgets.option_list import Option

from tui_health.model.domain import AuditEvent
from tui_health.tui.audit_filter import AuditFilter
from tui_health.tui.format import SEVERITY_STYLE, short_datetime, zoned

SHOWN = 2000
"""Events listed at most (the newest that match)."""

KEYS: tuple[tuple[str, str, str, str | None, str], ...] = (
    ("escape", "close", "Close", "Escape", "close the viewer (or clear the search being typed)"),
    ("slash", "search", "Search", "/", "search type, message, component and source as you type"),
    ("t", "type", "Type", None, "cycle the event type shown"),
    ("l", "level", "Severity", None, "cycle the least severity shown"),
    ("c", "component", "Component", None, "only the highlighted event's component (again: every component)"),
    ("x", "clear", "Clear filters", None, "clear every filter"),
    ("question_mark", "help", "Help", "?", "these keys"),
)
"""The viewer's keys, once: (key, action, footer label, key as shown, what it does) for the footer and ``?``."""


def event_text(event: AuditEvent) -> Text:
    """One event, wrapped to the screen: time, type, components, message, and where it came from."""
    style = SEVERITY_STYLE.get(event.severity, "")
    text = Text()
    text.append(short_datetime(event.timestamp, seconds=True) + "  ", style="dim")
    text.append(f"{event.event_type}", style=f"bold {style}".strip())
    if event.component_ids:
        text.append(f"  [{', '.join(event.component_ids)}]", style="cyan")
    text.append(f"\n  {zoned(event.message, event.timestamp)}", style=style)
    extra = [
        f"{label} {value}"
        for label, value in (
            ("status", event.status),
            ("was", event.previous_status),
            ("source", event.source),
            ("correlation", event.correlation_id),
        )
        if value
    ]
    if event.caused_by:
        extra.append(f"caused by {', '.join(event.caused_by)}")
    if extra:
        text.append("\n  " + " · ".join(extra), style="dim")
    return text


class AuditViewer(Screen[str | None]):
    """Dismissed with the component id to open (``Enter``), or ``None``."""

    BINDINGS = [Binding(key, action, label, key_display=shown) for key, action, label, shown, _ in KEYS]

    def __init__(self, events: list[AuditEvent]) -> None:
        super().__init__()
        self.events = events
        self.filter = AuditFilter()
        self._shown: list[AuditEvent] = []

    def compose(self) -> ComposeResult:
        yield Static(id="audit-viewer-bar")
        yield Input(placeholder="search type, message, component, source…", id="audit-search")
        yield OptionList(id="audit-list")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.query_one("#audit-search", Input).display = False
        self._show_events()
        self.query_one(OptionList).focus()

    def _show_events(self) -> None:
        self._shown = self.filter.apply(self.events)[:SHOWN]
        options = self.query_one(OptionList)
        options.clear_options()
        options.add_options([Option(event_text(e), id=str(i)) for i, e in enumerate(self._shown)])
        if self._shown:
            options.highlighted = 0
        else:
            options.add_option(Option(Text("no audit event matches", style="dim"), disabled=True))
        self.query_one("#audit-viewer-bar", Static).update(
            f" Audit log  {self.filter.describe()}   ({len(self._shown)} of {len(self.events)} shown)"
        )

    def set_filter(self, new: AuditFilter) -> None:
        self.filter = new
        self._show_events()

    def highlighted(self) -> AuditEvent | None:
        index = self.query_one(OptionList).highlighted
        return self._shown[index] if index is not None and index < len(self._shown) else None

    def action_search(self) -> None:
        search = self.query_one("#audit-search", Input)
        search.display = True
        search.focus()

    @on(Input.Changed, "#audit-search")
    def _search(self, event: Input.Changed) -> None:
        self.set_filter(
            AuditFilter(event.value, self.filter.event_type, self.filter.severity, self.filter.component)
        )

    @on(Input.Submitted, "#audit-search")
    def _searched(self, event: Input.Submitted) -> None:
        if not event.value:
            self.query_one("#audit-search", Input).display = False
        self.query_one(OptionList).focus()

    def action_type(self) -> None:
        self.set_filter(self.filter.next_type(self.events))

    def action_level(self) -> None:
        self.set_filter(self.filter.next_level())

    def action_component(self) -> None:
        if self.filter.component is not None:
            self.set_filter(AuditFilter(self.filter.search, self.filter.event_type, self.filter.severity))
            return
        event = self.highlighted()
        if event is not None and event.component_ids:
            self.set_filter(
                AuditFilter(
                    self.filter.search, self.filter.event_type, self.filter.severity, event.component_ids[0]
                )
            )
        else:
            self.notify("the highlighted event is about no component", timeout=3)

    def action_clear(self) -> None:
        self.query_one("#audit-search", Input).value = ""
        self.query_one("#audit-search", Input).display = False
        self.set_filter(AuditFilter())
        self.query_one(OptionList).focus()

    @on(OptionList.OptionSelected, "#audit-list")
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        chosen = self._shown[int(event.option.id or 0)] if event.option.id is not None else None
        if chosen is None or not chosen.component_ids:
            self.notify("this event is about no component", timeout=3)
            return
        self.dismiss(chosen.component_ids[0])

    def action_help(self) -> None:
        """``?`` here lists the audit viewer's own keys, not the console's."""
        from tui_health.tui.screens.help import HelpScreen

        rows = [(shown or key, what) for key, _, _, shown, what in KEYS]
        rows += [("↑ ↓ / PgUp PgDn / Home End", "move in the list"), ("Enter", "open the event's component")]
        self.app.push_screen(HelpScreen(rows, "Audit viewer keys"))

    def action_close(self) -> None:
        search = self.query_one("#audit-search", Input)
        if search.has_focus and search.value:
            search.value = ""
            return
        self.dismiss(None)
