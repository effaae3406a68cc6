"""MonitorState as JSON and back, for consoles attached to a collector (``--serve`` / ``--attach``).

There is one description of the state: the model's dataclasses (``model/``). pydantic derives the writer and
the reader from them; how a field read from elsewhere is checked is its ``Annotated`` marker, beside the field
(``support/untrusted.py``), so a new field costs one edit, in ``model/``.

What comes back is treated like anything from the network, and validated like the Genesys client validates: a
value of the wrong shape (a number where a list belongs) makes the whole document invalid, with one line saying
where; every string is cleaned of control characters and cut; lists are bounded (more components than
``MAX_COMPONENTS`` is invalid, events and series keep their newest items); a timestamp that does not parse is
left out; an unknown status is ``unknown``; an audit event that does not read is left out, not the state. A
source carries what an attached console shows of it; what is written never holds NaN (JSON has none: ``null``).
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import TypeAdapter, ValidationError

from tui_health.model.latency import MAX_SERIES
from tui_health.model.state import MAX_COMPONENTS, MAX_EVENTS, MonitorState
from tui_health.support.text import clean

__all__ = [
    "MAX_COMPONENTS",
    "MAX_EVENTS",
    "MAX_SERIES",
    "invalid",
    "state_bytes",
    "state_from_json",
    "state_to_json",
]

STATE: TypeAdapter[MonitorState] = TypeAdapter(MonitorState)


def state_bytes(state: MonitorState) -> bytes:
    """The state as a JSON document (what ``/state.json`` and each ``state`` event carry): fields left at their
    defaults are left out (the reader has the same defaults), non-finite numbers are ``null``."""
    return STATE.dump_json(state, exclude_defaults=True)


def state_to_json(state: MonitorState) -> dict[str, Any]:
    """The document of :func:`state_bytes` as Python objects."""
    return dict(json.loads(state_bytes(state)))


def invalid(exc: ValidationError) -> str:
    """One line: where the first problem is and what it is (``components.3.status: not text``)."""
    first = exc.errors()[0]
    where = ".".join(str(part) for part in first["loc"]) or "the document"
    more = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
    # the model holds tuples; on the wire (JSON) they are lists
    what = first["msg"].lower().removeprefix("value error, ").replace("tuple", "list")
    return clean(f"{where}: {what}{more}", 300)


def state_from_json(data: Any) -> MonitorState:
    """A MonitorState from what a collector sent; raises ValueError (one line) when it is not a valid state."""
    if not isinstance(data, dict):
        raise ValueError("not a tui-health state (not a JSON object)")
    try:
        return STATE.validate_python(data)
    except ValidationError as exc:
        raise ValueError(f"not a valid tui-health state: {invalid(exc)}") from None
