"""A lean parse of a page that changed a little: decode only the entities whose text changed.

A poll of a calm org gets back pages that differ from the last poll's in one entity or two. Decoding every page in
full is most of a poll's CPU, so for a page seen before this module compares the new text with the old (common
prefix and suffix, compared in C), finds the entities the difference falls in (their positions were recorded when
the old text was decoded), decodes just those, and keeps every other entity — the *same objects* as last poll, so
what follows compares them by identity.

It is never trusted to be clever: the result is used only when the difference lies wholly inside the entities
array, covers whole entities, and the new text there decodes to a run of JSON values separated by commas that
ends exactly where the unchanged rest begins. Anything else — a changed envelope, odd whitespace, a page whose
entities are not the first key — falls back to a full ``json.loads`` (the caller's usual path), so the result is
always what a full decode would give.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any


def _reject(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


_DECODER = json.JSONDecoder(parse_constant=_reject)  # strict, as every decode of ours: no NaN or Infinity
_SPACE = " \t\n\r"
HEAD = ('{"entities": [', '{"entities":[')


@dataclass(frozen=True, slots=True)
class Decoded:
    """A page's text, what it decodes to, and where each entity is in the text."""

    text: str
    data: dict[str, Any]
    spans: tuple[tuple[int, int], ...]


def decode(text: str) -> Decoded | None:
    """The page decoded with its entities' positions; ``None`` when its shape is not the usual one or it is not
    (strict) JSON at all — the caller then decodes it in full, which says what is wrong."""
    head = next((h for h in HEAD if text.startswith(h)), None)
    if head is None:
        return None
    try:
        entities, spans, end = _values(text, len(head), "]")
        if end is None:
            return None
        envelope = json.loads(text[: len(head) - 1] + "[]" + text[end + 1 :], parse_constant=_reject)
    except (ValueError, RecursionError):
        return None
    if not isinstance(envelope, dict) or envelope.get("entities") != []:
        return None
    envelope["entities"] = entities
    return Decoded(text, envelope, tuple(spans))


def splice(old: Decoded, text: str) -> Decoded | None:
    """``text`` (the page's new text) decoded by reusing ``old`` wherever the text is the same; ``None`` when the
    change is not a run of whole entities (decode it in full)."""
    before = old.text
    spans = old.spans
    if not spans:
        return None
    prefix = _common_prefix(before, text)
    suffix = _common_suffix(before, text, limit=min(len(before), len(text)) - prefix)
    changed_end = len(before) - suffix  # the changed region in the old text: [prefix, changed_end)
    first = next((i for i, (_, end) in enumerate(spans) if end > prefix), None)
    last = next((i for i in range(len(spans) - 1, -1, -1) if spans[i][0] < changed_end), None)
    if first is None or last is None or first > last:
        return None
    start, stop = spans[first][0], spans[last][1]
    if (
        prefix < start or changed_end > stop
    ):  # the change reaches outside whole entities (separators, envelope)
        return None
    delta = len(text) - len(before)
    try:
        values, new_spans, end = _values(text, start, None, until=stop + delta)
    except (ValueError, RecursionError):
        return None
    if end is None or not values:
        return None
    entities = old.data["entities"]
    data = dict(old.data)
    data["entities"] = entities[:first] + values + entities[last + 1 :]
    shifted = tuple((a + delta, b + delta) for a, b in spans[last + 1 :])
    return Decoded(text, data, spans[:first] + tuple(new_spans) + shifted)


def _values(
    text: str, at: int, closer: str | None, *, until: int | None = None
) -> tuple[list[Any], list[tuple[int, int]], int | None]:
    """JSON values separated by commas from ``at``: up to ``closer`` (returned: its index) or exactly to ``until``
    (returned: ``until``); ``None`` as the end when the text is not such a run."""
    values: list[Any] = []
    spans: list[tuple[int, int]] = []
    i = at
    n = len(text)
    while i < n and text[i] in _SPACE:
        i += 1
    if closer is not None and i < n and text[i] == closer:
        return values, spans, i
    while i < n:
        value, end = _DECODER.raw_decode(text, i)
        values.append(value)
        spans.append((i, end))
        if until is not None and end >= until:
            return values, spans, until if end == until else None
        j = end
        while j < n and text[j] in _SPACE:
            j += 1
        if j < n and text[j] == ",":
            j += 1
            while j < n and text[j] in _SPACE:
                j += 1
            i = j
            if until is not None and i >= until:
                return values, spans, None
            continue
        if closer is not None and j < n and text[j] == closer:
            return values, spans, j
        return values, spans, None
    return values, spans, None


def _common_prefix(a: str, b: str) -> int:
    """Length of the longest common prefix, by halving (each comparison of slices runs in C)."""
    low, high = 0, min(len(a), len(b))
    while low < high:
        mid = (low + high + 1) // 2
        if a[low:mid] == b[low:mid]:
            low = mid
        else:
            high = mid - 1
    return low


def _common_suffix(a: str, b: str, *, limit: int) -> int:
    """Length of the longest common suffix, at most ``limit`` (so it never overlaps the common prefix)."""
    low, high = 0, max(0, limit)
    la, lb = len(a), len(b)
    while low < high:
        mid = (low + high + 1) // 2
        if a[la - mid : la - low] == b[lb - mid : lb - low]:
            low = mid
        else:
            high = mid - 1
    return low
