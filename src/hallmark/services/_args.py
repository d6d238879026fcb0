"""Argument checks every service shares: each turns a wrong type or value into an InputError
about the named field, so that a Python caller never meets a TypeError from deep inside."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from hallmark.errors import HallmarkError, InputError
from hallmark.store.clock import today

if TYPE_CHECKING:
    from pydantic import BaseModel

T = TypeVar("T")

MAX_TEXT = 10_000  # longer than any name, id or purpose a caller means
MAX_REF = 400  # a party or asset reference: a name, an id or a path


def renamed(exc: HallmarkError, field: str) -> HallmarkError:
    """The same error, about `field`."""
    return type(exc)(exc.message, field=field, line=exc.line)


def text(value: object, field: str, *, empty: bool = False, most: int = MAX_TEXT) -> str:
    """`value` if it is a string (non-blank unless `empty`) of at most `most` characters."""
    if not isinstance(value, str):
        raise InputError(f"must be text (got {type(value).__name__})", field=field)
    if not empty and not value.strip():
        raise InputError("must not be empty", field=field)
    if len(value) > most or "\x00" in value:
        raise InputError(f"must be at most {most} characters, without NUL", field=field)
    return value


def optional_text(value: object, field: str, **kwargs: Any) -> str | None:
    """`text(value)`, or None."""
    return None if value is None else text(value, field, **kwargs)


def path(value: object, field: str) -> Path:
    """A path the caller named (str or Path, not blank, no NUL byte), with ~ expanded."""
    if not isinstance(value, str | Path):
        raise InputError(f"expected a path, got {type(value).__name__}", field=field)
    if not str(value).strip():
        raise InputError("must name a file", field=field)
    if "\x00" in str(value):
        raise InputError("a path cannot hold a NUL byte", field=field)
    return Path(value).expanduser()


def optional_path(value: object, field: str) -> Path | None:
    """`path(value)`, or None."""
    return None if value is None else path(value, field)


def sequence(value: object, field: str) -> list[Any]:
    """The items of a list, tuple or set (a string is one value, not a sequence of letters)."""
    if isinstance(value, str | bytes | Path) or not isinstance(value, Sequence | set | frozenset):
        raise InputError(f"must be a list (got {type(value).__name__})", field=field)
    return list(value)


def items_of(value: object, kind: type[T], field: str) -> list[T]:
    """A sequence whose every item is a `kind`."""
    found = sequence(value, field)
    for i, item in enumerate(found):
        if not isinstance(item, kind):
            raise InputError(f"item {i} must be a {kind.__name__} (got {type(item).__name__})",
                             field=field)
    return found


def integer(value: object, field: str, *, least: int = 0, most: int = 2**62) -> int:
    """An int (not a bool) within [least, most]."""
    if not isinstance(value, int) or isinstance(value, bool):
        raise InputError(f"must be an integer (got {type(value).__name__})", field=field)
    if not least <= value <= most:
        raise InputError(f"must lie in {least}..{most} (got {value})", field=field)
    return value


def past_day(value: object, field: str) -> date:
    """A calendar day (YYYY-MM-DD or a date) that is not in the future."""
    from hallmark.agreements.schema import parse_date  # (YAML loads only where dates are)

    if isinstance(value, datetime):  # a date and time is not a calendar day
        raise InputError(f"expected a date as YYYY-MM-DD, got {value!r}", field=field)
    try:
        day = parse_date(value)
    except ValueError as exc:
        raise InputError(str(exc), field=field) from None
    if day > today():
        raise InputError(f"{day} is in the future", field=field)
    return day


def refs(values: object, field: str, what: str, most: int | None = None) -> list[str]:
    """Non-empty names of things (parties, assets) of at most MAX_REF characters each."""
    # A bare string would otherwise be read as a list of one-letter names.
    if isinstance(values, str) or not isinstance(values, Sequence):
        raise InputError(f"expected a list of {what}", field=field)
    if any(not isinstance(v, str) or not v.strip() or len(v) > MAX_REF for v in values):
        raise InputError(f"each of the {what} is a non-empty name of at most {MAX_REF} "
                         "characters", field=field)
    if most is not None and not 1 <= len(values) <= most:
        raise InputError(f"name 1 to {most} {what}", field=field)
    return [str(v) for v in values]


M = TypeVar("M", bound="BaseModel")


def model(value: object, kind: type[M], field: str) -> M:
    """A pydantic model given as itself or as a dict of its fields (unknown keys named)."""
    if isinstance(value, kind):
        return value
    if isinstance(value, dict):
        unknown = sorted(map(repr, set(value) - set(kind.model_fields)))
        if unknown:
            raise InputError(f"unknown option {', '.join(unknown)} (one of "
                             f"{', '.join(kind.model_fields)})", field=field)
        return kind(**value)
    raise InputError(f"must be {kind.__name__} (or a dict of its fields)", field=field)
