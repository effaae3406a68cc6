"""What the simulator sends for Genesys comes from here: recorded shapes, not our reading of them.

Every org-side body (list pages, the observation query, each topic's payload, subscription results, system
frames) is built from a fixture in ``tests/fixtures/genesys/`` (installed with the package as
``simulator/fixtures``). Each fixture names the SDK model or the recorded answer it copies, in its ``source``;
its ``body`` is the example. The simulator takes an example entity of the right kind and changes only the
values a scenario is about (ids, names, states, counts, times) — so the field names, nesting and types a parser
meets are Genesys', and a parser written from a wrong reading fails against the simulator too.
"""

from __future__ import annotations

import copy
import functools
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

FIXTURES = Path(__file__).with_name("fixtures")


@functools.cache
def _fixture(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))
    return data


def body(name: str) -> Any:
    """A fresh copy of fixture ``name``'s body (the caller may change it)."""
    return copy.deepcopy(_fixture(name)["body"])


def entity(name: str, pick: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
    """A fresh copy of the first entity of a listing fixture that ``pick`` accepts."""
    for item in _fixture(name)["body"]["entities"]:
        if pick(item):
            return copy.deepcopy(item)
    raise LookupError(f"fixture {name} has no such entity")


def frame(name: str, topic: str, event: dict[str, Any]) -> dict[str, Any]:
    """A WebSocket message in the envelope of fixture ``name`` (``topicName``, ``version``, ``eventBody``,
    ``metadata``), for ``topic`` with ``event`` as its body."""
    example = _fixture(name)["body"]
    envelope = copy.deepcopy(example[0] if isinstance(example, list) else example)
    envelope["topicName"] = topic
    envelope["eventBody"] = event
    return envelope


def listing(name: str, entities: list[dict[str, Any]], path: str, size: int, page: int) -> dict[str, Any]:
    """A page of a paged listing in the shape of fixture ``name`` (``entities``, ``pageSize``, ``pageNumber``,
    ``total``, ``pageCount``, the URIs), for ``entities`` (all of them; this page is cut from them)."""
    out = body(name)
    count = max(1, -(-len(entities) // size))
    out["entities"] = entities[(page - 1) * size : page * size]
    out.update(pageSize=size, pageNumber=page, total=len(entities), pageCount=count)
    if "totalNumberOfEntities" in out:
        out["totalNumberOfEntities"] = len(entities)
    for key, number in (("firstUri", 1), ("selfUri", page), ("lastUri", count)):
        out[key] = f"{path}?pageSize={size}&pageNumber={number}"
    for key, number, present in (("nextUri", page + 1, page < count), ("previousUri", page - 1, page > 1)):
        if present:
            out[key] = f"{path}?pageSize={size}&pageNumber={number}"
        else:
            out.pop(key, None)
    return out
