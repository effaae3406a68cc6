"""Untrusted text made inert: what a server sends never drives the terminal it is shown on.

Every string that comes from the network (names, ids, groups, error messages, incident texts) passes through
:func:`clean` where it enters the core, so no view, log line, Nagios line or stderr message can carry an escape
sequence, a carriage return that overwrites a line, a backspace, or a bidi override that reorders what is shown.
"""

from __future__ import annotations

import math
import re
from typing import Any

# C0 controls (tab, newline and CR included: one field is one line), DEL, C1 controls, and the Unicode
# format characters that reorder or hide text: LRM/RLM/ALM, the bidi embeddings/overrides/isolates,
# zero-width joiners and spaces, the BOM, and the interlinear annotation marks.
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff\ufff9-\ufffb]")
MAX_TEXT = 500
"""The longest string any single field keeps (a name, a message); the rest is cut with an ellipsis."""
MAX_DEPTH = 6
"""Nesting kept in a server-given ``details`` map; deeper levels are summarised."""
MAX_ITEMS = 50
"""Keys or items kept per level of a ``details`` map."""


def clean(value: object, limit: int = MAX_TEXT) -> str:
    """``value`` as a one-line string without control or reordering characters, at most ``limit`` long."""
    text = value if isinstance(value, str) else str(value)
    if text.isprintable() and len(text) <= limit:
        return text  # the common case, decided in C: every unsafe character is Cc or Cf, never printable
    if _UNSAFE.search(text):
        text = _UNSAFE.sub(lambda m: " " if m.group() in "\t\n\r" else "", text)
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    return text


def clean_data(value: Any, depth: int = 0) -> Any:
    """A JSON-like value with every string cleaned and its size bounded (``details`` maps, incident fields)."""
    if isinstance(value, str):
        return clean(value)
    if value is None or isinstance(value, bool | int):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if depth >= MAX_DEPTH:
        return "…"
    if isinstance(value, dict):
        items = list(value.items())
        out = {
            clean(k, 100): v
            if type(v) is int or (type(v) is str and v.isprintable() and len(v) <= MAX_TEXT)
            # plain ints and short printable strings, the usual content, are kept as they are without a call
            else clean_data(v, depth + 1)
            for k, v in items[:MAX_ITEMS]
        }
        if len(items) > MAX_ITEMS:
            out["…"] = f"{len(items) - MAX_ITEMS} more"
        return out
    if isinstance(value, list | tuple):
        kept = [clean_data(v, depth + 1) for v in value[:MAX_ITEMS]]
        if len(value) > MAX_ITEMS:
            kept.append(f"… {len(value) - MAX_ITEMS} more")
        return kept
    return clean(value)
