"""How a field of ours is read when it comes from elsewhere: small markers for ``Annotated[...]`` fields of the
model's dataclasses, from which pydantic derives the one reader (and writer) of the collector's state
(``serve/codec.py``): the dataclass says what a field is, its marker says how a copy from the network is
checked. A new field costs one edit, there.

- :class:`Text` — cleaned of control characters (:func:`~tui_health.support.text.clean`) and cut to its bound;
  a number or a bool is taken as its text, anything else (a list, an object) is not text: the document is
  invalid.
- :class:`Data` — a JSON object (``details``, an incident): cleaned and bounded by
  :func:`~tui_health.support.text.clean_data`.
- :class:`Moment` — an RFC 3339 time; one that does not parse is left out (``None``), or, where the field
  needs a time, replaced (``otherwise``) or the item holding it left out (:class:`LeaveOut`).
- :class:`KnownOr` — a member of a string enum (case-insensitive), or ``otherwise`` when it is not one.
- :class:`Newest` — a list of which the newest ``count`` items are kept (the tail: events, series).
- :class:`LeaveOut` — a list of which the items that cannot be read are left out, not the whole document
  (an item is unreadable when its only faults are ones a marker calls so: a time that a silence needs, an
  audit event that does not parse); a wrong shape elsewhere in an item still makes the document invalid.
- :data:`Local` — a field that stays with the process that made it: never written, and whatever is sent for
  it is ignored (its default is used).
- :data:`FINITE`, :data:`COUNT` — a float that is a number (NaN and infinities are invalid; written, they
  are ``null``), an int that counts something (0 … 10¹²); :data:`Finite`, :data:`Count` and :data:`Time`
  (an optional :class:`Moment`) name the usual fields.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from typing import Annotated, Any, TypeVar, get_args

from annotated_types import Interval
from pydantic import Field, GetCoreSchemaHandler
from pydantic.types import AllowInfNan
from pydantic_core import PydanticCustomError, PydanticUseDefault, ValidationError, core_schema

from tui_health.support.clock import read_rfc3339
from tui_health.support.text import MAX_TEXT, clean, clean_data

LEFT_OUT = "left_out"
"""The error type of a fault that leaves its item out (:class:`LeaveOut`) rather than the whole document."""

FINITE = AllowInfNan(False)
COUNT = Interval(ge=0, le=10**12)

T = TypeVar("T")
Handler = GetCoreSchemaHandler
Schema = core_schema.CoreSchema


def left_out(why: str) -> PydanticCustomError:
    return PydanticCustomError(LEFT_OUT, why)


def _text(value: Any, limit: int) -> Any:
    if isinstance(value, str):
        return clean(value, limit)
    if value is None:
        return None  # the field's own type says whether None is allowed
    if isinstance(value, bool | int | float):
        return clean(value, limit)
    raise ValueError("not text")


@dataclass(frozen=True, slots=True)
class Text:
    """Text cleaned of control characters and cut to ``limit`` characters."""

    limit: int = MAX_TEXT

    def __get_pydantic_core_schema__(self, source: Any, handler: Handler) -> Schema:
        limit = self.limit

        def read(value: Any) -> Any:
            if type(value) is str and len(value) <= limit and value.isprintable():
                return value  # the usual text, decided without a call (as clean() decides it)
            return _text(value, limit)

        return core_schema.no_info_before_validator_function(read, handler(source))


@dataclass(frozen=True, slots=True)
class Data:
    """A JSON object, its strings cleaned and its depth, keys and lengths bounded."""

    def __get_pydantic_core_schema__(self, source: Any, handler: Handler) -> Schema:
        def read(value: Any) -> Any:
            if value is None:
                return None
            if not isinstance(value, dict):
                raise ValueError("not an object")
            return clean_data(value)

        return core_schema.no_info_before_validator_function(read, handler(source))


@dataclass(frozen=True, slots=True)
class Moment:
    """An RFC 3339 time (any offset, read as UTC). One that does not parse is ``None`` where the field allows it;
    else ``otherwise()`` when given (``since``: when it was read), else the item holding it is left out."""

    otherwise: Callable[[], datetime] | None = None

    def __get_pydantic_core_schema__(self, source: Any, handler: Handler) -> Schema:
        optional = type(None) in get_args(source)
        otherwise = self.otherwise

        def read(value: Any) -> datetime | None:
            moment = read_rfc3339(value)
            if moment is not None or optional:
                return moment
            if otherwise is not None:
                return otherwise()
            raise left_out("not a time")

        return core_schema.no_info_before_validator_function(read, handler(source))


@dataclass(frozen=True, slots=True)
class KnownOr:
    """A member of ``otherwise``'s enum (its value, any case, spaces around), or ``otherwise``; not text at all
    (a list, an object) is invalid."""

    otherwise: Enum

    def __get_pydantic_core_schema__(self, source: Any, handler: Handler) -> Schema:
        otherwise = self.otherwise
        kind = type(otherwise)
        members = {str(member.value): member for member in kind}

        def read(value: Any) -> Any:
            if type(value) is str and value in members:
                return members[value]  # the usual: a member's value, as written
            if isinstance(value, kind):
                return value
            text = _text(value, 60)
            try:
                return kind(text.strip().lower()) if isinstance(text, str) else otherwise
            except ValueError:
                return otherwise

        return core_schema.no_info_before_validator_function(read, handler(source))


@dataclass(frozen=True, slots=True)
class Newest:
    """A list cut to its newest (last) ``count`` items before anything else is checked."""

    count: int

    def __get_pydantic_core_schema__(self, source: Any, handler: Handler) -> Schema:
        count = self.count
        return core_schema.no_info_before_validator_function(
            lambda value: value[-count:] if isinstance(value, list | tuple) else value, handler(source)
        )


_GONE = object()


def _all_left_out(exc: ValidationError) -> bool:
    return all(error["type"] == LEFT_OUT for error in exc.errors())


@dataclass(frozen=True, slots=True)
class LeaveOut:
    """A list (``tuple[X, ...]``) whose unreadable items are left out (faults of type :data:`LEFT_OUT` only)."""

    def __get_pydantic_core_schema__(self, source: Any, handler: Handler) -> Schema:
        schema = handler(source)
        if schema["type"] != "tuple" or schema.get("variadic_item_index") != 0:
            raise TypeError(f"LeaveOut goes on a tuple[X, ...], not {source}")

        def item(value: Any, read: core_schema.ValidatorFunctionWrapHandler) -> Any:
            try:
                return read(value)
            except ValidationError as exc:
                if _all_left_out(exc):
                    return _GONE
                raise

        [inner] = schema["items_schema"]
        schema = {**schema, "items_schema": [core_schema.no_info_wrap_validator_function(item, inner)]}

        def kept(items: tuple[Any, ...]) -> tuple[Any, ...]:
            return tuple(i for i in items if i is not _GONE) if any(i is _GONE for i in items) else items

        return core_schema.no_info_after_validator_function(kept, schema)


def coded(read: Callable[[Any], T], write: Callable[[T], Any]) -> core_schema.CoreSchema:
    """A type with a reader and writer of its own (an audit event's line): ``write`` out, ``read`` in; what
    ``read`` cannot read (it raises) is left out of its list (:class:`LeaveOut`) — or, elsewhere, invalid."""

    def validate(value: Any) -> T:
        try:
            return read(value)
        except (KeyError, ValueError, TypeError, AttributeError, OverflowError) as exc:
            raise left_out(f"unreadable: {clean(exc, 100)}") from None

    return core_schema.no_info_plain_validator_function(
        validate, serialization=core_schema.plain_serializer_function_ser_schema(write)
    )


class _Ignored:
    def __get_pydantic_core_schema__(self, source: Any, handler: Handler) -> Schema:
        def ignore(value: Any) -> Any:
            raise PydanticUseDefault()

        return core_schema.no_info_before_validator_function(ignore, handler(source))


Local = Annotated[T, Field(exclude=True), _Ignored()]
"""A field that stays where it was made: never written, and what is sent for it is ignored (its default)."""

# The usual fields, named
Time = Annotated[datetime | None, Moment()]
"""A time, or ``None`` (also for one read from elsewhere that does not parse)."""
Count = Annotated[int, COUNT]
Finite = Annotated[float, FINITE]
