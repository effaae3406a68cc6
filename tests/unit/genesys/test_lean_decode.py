"""The lean decode of a page that changed a little gives exactly what a full decode gives, or steps aside."""

from __future__ import annotations

import json

import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st

from tui_health.genesys import lean

TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=12)
ENTITY = st.fixed_dictionaries(
    {"id": TEXT, "status": st.sampled_from(["healthy", "down", "degraded"])},
    optional={"details": st.dictionaries(TEXT, st.integers() | TEXT, max_size=3), "n": st.integers()},
)


def page(entities: list, extra: int = 3) -> str:
    return json.dumps({"entities": entities, "pageSize": 100, "pageNumber": 1, "total": extra})


@settings(max_examples=300, deadline=None)
@given(st.lists(ENTITY, min_size=1, max_size=8), st.data())
def test_a_spliced_page_is_what_a_full_decode_gives(entities, data):
    """A splice equals a full decode, and it steps aside only where it may. It must splice the changes it
    exists for -- one entity edited, one inserted before a different one, one removed from before a different
    one -- and the change back; it must step aside from a changed envelope. Only ambiguous changes (a twin
    inserted beside its twin, the last entity removed with the comma before it, no change at all) may go
    either way; a splice that always stepped aside used to pass this test."""
    before = lean.decode(page(entities))
    assert before is not None and before.data == json.loads(page(entities))
    changed = [dict(e) for e in entities]
    how = data.draw(st.sampled_from(["edit", "insert", "delete", "envelope", "same-length"]))
    index = data.draw(st.integers(0, len(changed) - 1))
    if how == "edit":
        changed[index]["status"] = data.draw(TEXT)
    elif how == "insert":
        changed.insert(index, data.draw(ENTITY))
    elif how == "delete" and len(changed) > 1:
        del changed[index]
    elif how == "same-length":
        changed[index]["id"] = changed[index]["id"][::-1]
    text = page(changed, extra=4 if how == "envelope" else 3)
    after = lean.splice(before, text)
    if how == "envelope":
        assert after is None
        return
    differs = changed != entities
    if how == "insert":  # the new one is at index, the one it went before at index + 1
        must = changed[index] != changed[index + 1]
    elif how == "delete":  # the one after the removed one is now at index
        must = differs and index < len(changed) and entities[index] != changed[index]
    else:
        must = differs
    event(f"{how}: {'must splice' if must else 'may step aside'}, {'spliced' if after else 'stepped aside'}")
    assert after is not None or not must, f"{how} at {index} was not spliced"
    if after is None:
        return
    assert after.data == json.loads(text)
    again = lean.splice(after, page(entities))  # the change back: its positions are right for the next one
    assert again is not None or not must, f"{how} at {index}, undone, was not spliced"
    if again is not None:
        assert again.data == json.loads(page(entities))


def test_unchanged_entities_are_the_same_objects_and_oddities_step_aside():
    entities = [{"id": f"c{i}", "status": "healthy"} for i in range(5)]
    before = lean.decode(page(entities))
    assert before is not None
    entities[2] = {"id": "c2", "status": "down"}
    after = lean.splice(before, page(entities))
    assert after is not None and after.data["entities"][2] == {"id": "c2", "status": "down"}
    assert all(after.data["entities"][i] is before.data["entities"][i] for i in (0, 1, 3, 4))
    assert lean.splice(before, page(entities, extra=9)) is None  # the envelope changed: decode it all
    assert lean.decode('{"total": 1, "entities": []}') is None  # entities not first: the usual path
    assert lean.decode('{"entities": [NaN]}') is None  # not strict JSON: the full decode says what is wrong
    assert lean.decode('{"entities": [' + "[" * 100_000 + "]" * 100_000 + "]}") is None


def test_positions_follow_a_change_in_length_for_the_next_splice():
    entities = [{"id": f"c{i}", "status": "healthy"} for i in range(6)]
    first = lean.decode(page(entities))
    assert first is not None
    entities[1] = {"id": "c1", "status": "degraded, and for a long while now"}
    second = lean.splice(first, page(entities))
    entities[4] = {"id": "c4", "status": "down"}
    entities.insert(5, {"id": "new", "status": "healthy"})
    third = lean.splice(second, page(entities)) if second is not None else None
    assert third is not None and third.data == json.loads(page(entities))
    assert third.data["entities"][1] is second.data["entities"][1]  # type: ignore[union-attr]


@pytest.mark.parametrize(
    "bad",
    [
        '{"entities": [{"id": "c0"}], "total": NaN}',  # a constant JSON does not have, in the envelope
        '{"entities": [{"id": "c0"}]} and more',  # text after the document
        '{"entities": [{"id": "c0"},]}',  # a trailing comma
        '{"entities": [{"id": "c0"} {"id": "c1"}]}',  # no comma between two entities
        '{"entities": [{"id": "c0\nc1"}]}',  # a raw line break inside a string
    ],
)
def test_a_page_that_is_not_json_is_refused(bad):
    assert lean.decode(bad) is None


@pytest.mark.parametrize(
    "entity", ['{"id": "c2", "status": NaN}', '{"id": "c2", "status": down}', '{"id": "c2",']
)
def test_a_changed_entity_that_is_not_json_is_refused(entity):
    """Only the changed entity is decoded leanly: it is held to strict JSON like the whole page."""
    entities = [{"id": f"c{i}", "status": "healthy"} for i in range(5)]
    before = lean.decode(page(entities))
    assert before is not None
    text = page(entities).replace(json.dumps(entities[2]), entity)
    assert lean.splice(before, text) is None
