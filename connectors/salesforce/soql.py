"""Safe SOQL text: names are checked against a strict pattern, values are quoted or formatted.

Field and object names come only from our own mapping and validated tenant settings; they are still
checked here so that a name can never carry SOQL syntax. Values are never pasted in raw: strings are
quoted and escaped, datetimes become SOQL datetime literals, dates date literals.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime

NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)?$")
_OBJECT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_ESCAPES = {"\\": "\\\\", "'": "\\'", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t",
            "\b": "\\b", "\f": "\\f"}


class UnsafeName(ValueError):
    """A field or object name that is not a plain (optionally one-dot relationship) identifier."""


def check_name(name: str) -> str:
    """Return ``name`` if it is a safe field name (``Email``, ``Account.Name``), else raise."""
    if not isinstance(name, str) or not NAME.fullmatch(name):
        raise UnsafeName(f"{name!r} is not a valid Salesforce field name (letters, digits and '_', "
                         "optionally one relationship like Account.Name)")
    return name


def check_object(name: str) -> str:
    if not isinstance(name, str) or not _OBJECT.fullmatch(name):
        raise UnsafeName(f"{name!r} is not a valid Salesforce object name")
    return name


def quote(value: str) -> str:
    """A SOQL string literal: ``O'Brien`` -> ``'O\\'Brien'``."""
    return "'" + "".join(_ESCAPES.get(ch, ch) for ch in value) + "'"


def datetime_literal(value: datetime) -> str:
    """A SOQL datetime literal in UTC, whole seconds: ``2024-01-03T23:52:01Z``.

    Fractions are dropped (rounded down): with ``>=`` that only re-reads records, never skips one.
    """
    if value.tzinfo is None:
        raise ValueError("datetimes sent to Salesforce must be timezone-aware")
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def date_literal(value: date) -> str:
    return value.strftime("%Y-%m-%d")


def literal(value: str | int | float | bool | datetime | date | None) -> str:
    """Format any supported value as a SOQL literal."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return datetime_literal(value)
    if isinstance(value, date):
        return date_literal(value)
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return quote(value)
    raise TypeError(f"cannot format {type(value).__name__} as a SOQL literal")


def in_list(values: Sequence[str]) -> str:
    return "(" + ", ".join(quote(v) for v in values) + ")"


@dataclass(frozen=True)
class Select:
    """``SELECT fields FROM object [WHERE a AND b] [ORDER BY ...] [LIMIT n]`` built from safe parts.

    ``where`` holds conditions made by :func:`condition` (or other helpers here); they are joined
    with AND.
    """

    object: str
    fields: tuple[str, ...]
    where: tuple[str, ...] = ()
    order_by: tuple[str, ...] = ()
    limit: int | None = None

    def text(self) -> str:
        fields = ", ".join(check_name(f) for f in _unique(self.fields))
        soql = f"SELECT {fields} FROM {check_object(self.object)}"
        if self.where:
            soql += " WHERE " + " AND ".join(self.where)
        if self.order_by:
            soql += " ORDER BY " + ", ".join(check_name(f) for f in self.order_by)
        if self.limit is not None:
            soql += f" LIMIT {int(self.limit)}"
        return soql


def condition(field: str, op: str, value: str | int | float | bool | datetime | date | None) -> str:
    """``field op literal`` with a checked field, an allowed operator and a formatted value."""
    if op not in ("=", "!=", "<", "<=", ">", ">="):
        raise ValueError(f"unsupported SOQL operator {op!r}")
    return f"{check_name(field)} {op} {literal(value)}"


def any_of(*conditions: str) -> str:
    """``(a OR b)`` of conditions built by this module."""
    return "(" + " OR ".join(conditions) + ")"


def in_condition(field: str, values: Sequence[str]) -> str:
    return f"{check_name(field)} IN {in_list(values)}"


def count(object_name: str, where: Sequence[str] = ()) -> str:
    soql = f"SELECT COUNT() FROM {check_object(object_name)}"
    if where:
        soql += " WHERE " + " AND ".join(where)
    return soql


def _unique(names: Sequence[str]) -> list[str]:
    seen: set[str] = set()
    out: list[str] = []
    for name in names:
        if name.lower() not in seen:
            seen.add(name.lower())
            out.append(name)
    return out
