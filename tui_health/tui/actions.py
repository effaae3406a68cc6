"""Every console action, listed once: key, action, footer label, help text and command-palette title.

The app's BINDINGS, the footer, the help screen and the command palette are all built from :data:`ACTIONS`, so a
new action is one row here and one ``action_*`` method on the app.
"""

from __future__ import annotations

from dataclasses import dataclass

from textual.binding import Binding, BindingType


@dataclass(frozen=True, slots=True)
class Action:
    keys: str  # Textual key names, comma-separated
    action: str  # the app's action, with arguments: "toggle_status('1')"
    label: str  # footer label
    help: str  # help screen and palette description
    shown: str = ""  # the key as the help screen and palette show it (default: the first key)
    palette: str | None = None  # command palette title (None: not in the palette)
    footer: bool = True
    priority: bool = False

    @property
    def display(self) -> str:
        return self.shown or self.keys.split(",")[0]


ACTIONS: tuple[
    Action, ...
] = (  # footer order: what an on-call person reaches for first (Enter, s, i, a, ?), so 80 columns show it
    Action(
        "enter", "details", "Details", "details of the selected component", "Enter", "Details", footer=False
    ),  # the table's own Enter (shown first in the footer) does the same
    Action(
        "s",
        "silence",
        "Silence",
        "silence the selected component (asks for a duration, default 1h)",
        palette="Silence the selected component",
    ),
    Action(
        "i",
        "incidents",
        "Incidents",
        "status page incidents and scheduled maintenance",
        palette="Status page incidents and maintenance",
    ),
    Action(
        "a",
        "audit",
        "Audit",
        "audit viewer: search, filter by type, severity, component; Enter opens the component",
        palette="Audit log viewer",
    ),
    Action("question_mark", "help", "Help", "every key (this table)", "?", "Keys"),
    Action("q", "quit", "Quit", "quit (exit code 0, terminal restored)", palette="Quit"),
    Action("ctrl+c", "quit", "Quit", "quit, like q", "Ctrl+C", footer=False, priority=True),
    Action(
        "1", "toggle_status('1')", "Healthy", "toggle healthy in the status filter", palette="Filter: healthy"
    ),
    Action(
        "2",
        "toggle_status('2')",
        "Degraded",
        "toggle degraded in the status filter",
        palette="Filter: degraded",
    ),
    Action("3", "toggle_status('3')", "Down", "toggle down in the status filter", palette="Filter: down"),
    Action(
        "4",
        "toggle_status('4')",
        "Maint",
        "toggle maintenance+unknown in the status filter",
        palette="Filter: maintenance and unknown",
    ),
    Action("0", "clear_filter", "All", "clear the status filter (show all)", palette="Filter: show all"),
    Action(
        "f", "preset", "Preset", "cycle presets: all → problems → down only", palette="Filter: next preset"
    ),
    Action(
        "slash",
        "search",
        "Search",
        "search name or id as you type; Enter keeps it, Escape clears it",
        "/",
        "Search components",
    ),
    Action("escape", "clear_search", "Clear search", "clear the search", "Escape"),
    Action("c", "critical", "Critical", "critical components only (toggle)", palette="Filter: critical only"),
    Action(
        "t",
        "target",
        "Target",
        "one target's components: each target in turn, then all (with several targets)",
        palette="Filter: next target",
    ),
    Action(
        "K",
        "kind",
        "Kind",
        "one kind of component: edges, trunks, queues, the platform's in turn, then all (sort by Kind groups them)",
        palette="Filter: next kind",
    ),
    Action(
        "greater_than_sign",
        "sort(1)",
        "Sort",
        "sort by the next column (or click a header; click it again to reverse)",
        ">",
        "Sort by the next column",
    ),
    Action(
        "less_than_sign",
        "sort(-1)",
        "Sort",
        "sort by the previous column",
        "<",
        "Sort by the previous column",
        footer=False,
    ),
    Action(
        "v",
        "reverse_sort",
        "Reverse",
        "reverse the sort order",
        palette="Reverse the sort order",
        footer=False,
    ),
    Action("S", "silences", "Silences", "list silences and lift them", palette="List and lift silences"),
    Action(
        "o",
        "org_events",
        "Org events",
        "your org's operational events (the operational-events source)",
        palette="Operational events of your org",
    ),
    Action("p", "pause", "Pause", "pause / resume polling", palette="Pause or resume polling"),
    Action(
        "r",
        "poll_now",
        "Poll",
        "poll now (never sooner than poll.min_gap after the last)",
        palette="Poll now",
    ),
    Action(
        "z",
        "zone",
        "Zone",
        "show every time in UTC / in local time (the header names the zone)",
        palette="Toggle UTC / local time",
        footer=False,
    ),
    Action(
        "y",
        "copy_id",
        "Copy id",
        "copy the selected component's id to the clipboard (OSC 52)",
        palette="Copy the component id",
        footer=False,
    ),
    Action(
        "A",
        "requeue",
        "Requeue refused",
        "queue the alerts a receiver refused for good once more",
        palette="Requeue refused alerts",
    ),
)

EXTRA_HELP = (
    ("↑ ↓ / k j", "previous / next row"),
    ("PgUp / PgDn", "a screen up / down (here too)"),
    ("Home / End, g / G", "first / last row"),
    ("Ctrl+P", "command palette: the same actions by name"),
)
"""Keys the help screen lists that are not app actions (the table's own, Textual's palette)."""


def bindings() -> list[BindingType]:
    return [
        Binding(a.keys, a.action, a.label, show=a.footer, key_display=a.shown or None, priority=a.priority)
        for a in ACTIONS
    ]


def help_rows() -> list[tuple[str, str]]:
    """(keys, what they do) for the help screen; actions sharing an action are listed once."""
    rows: list[tuple[str, str]] = []
    seen: set[str] = set()
    for a in ACTIONS:
        if a.action in seen and a.action != "quit":
            continue
        seen.add(a.action)
        rows.append((a.display, a.help))
    return rows + list(EXTRA_HELP)
