"""The ``when:`` condition language of tenant files, parsed into frozen data.

A condition is a mapping from a field (or activity attribute) to operators; every key must hold.
``any: [cond, ...]`` holds when one of its conditions does; ``not: cond`` inverts the whole inner
condition. A bare value means ``eq`` (a bare list means ``in``). The scoring package compiles these
into fast predicates; this module only checks and normalises them.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

OPERATORS = ("eq", "in", "contains", "matches", "gte", "lte", "between", "exists", "domain_in")

Scalar = str | int | float | bool


@dataclass(frozen=True)
class Op:
    """One operator with its (already checked) operand."""

    name: str
    value: Any            # eq/contains: scalar; in/domain_in: tuple; matches: str; between: (lo, hi); exists: bool


@dataclass(frozen=True)
class FieldTest:
    field: str
    ops: tuple[Op, ...]   # every one must hold


@dataclass(frozen=True)
class AnyOf:
    options: tuple[Condition, ...]


@dataclass(frozen=True)
class Not:
    inner: Condition


Clause = FieldTest | AnyOf | Not


@dataclass(frozen=True)
class Condition:
    """All clauses must hold. An empty clause list never comes from a file (``when: {}`` is refused)."""

    clauses: tuple[Clause, ...]

    def fields(self) -> set[str]:
        """Every field name the condition reads, at any depth."""
        out: set[str] = set()
        for clause in self.clauses:
            if isinstance(clause, FieldTest):
                out.add(clause.field)
            elif isinstance(clause, AnyOf):
                for option in clause.options:
                    out |= option.fields()
            else:
                out |= clause.inner.fields()
        return out

    def to_data(self) -> dict[str, Any]:
        """A canonical plain-data form (used to fingerprint the scoring model)."""
        data: dict[str, Any] = {}
        for clause in self.clauses:
            if isinstance(clause, FieldTest):
                data[clause.field] = {op.name: _plain(op.value) for op in clause.ops}
            elif isinstance(clause, AnyOf):
                data["any"] = [option.to_data() for option in clause.options]
            else:
                data["not"] = clause.inner.to_data()
        return data


def _plain(value: Any) -> Any:
    return list(value) if isinstance(value, tuple) else value


class ConditionError(Exception):
    """A problem at ``path`` (relative to the ``when`` key) inside a condition."""

    def __init__(self, path: tuple[str | int, ...], message: str) -> None:
        self.path = path
        self.message = message
        super().__init__(message)


def parse_condition(raw: Any, allowed_fields: Callable[[str], bool], field_help: str,
                    path: tuple[str | int, ...] = ()) -> tuple[Condition, list[ConditionError]]:
    """Parse a raw ``when`` value; return the condition and every error found (empty when valid)."""
    errors: list[ConditionError] = []
    condition = _parse_mapping(raw, allowed_fields, field_help, path, errors)
    return condition, errors


def _parse_mapping(raw: Any, allowed: Callable[[str], bool], field_help: str,
                   path: tuple[str | int, ...], errors: list[ConditionError]) -> Condition:
    if not isinstance(raw, Mapping):
        errors.append(ConditionError(path, "a condition must be a mapping of field -> operators, "
                                           "e.g. {title: {matches: \"(?i)director\"}}"))
        return Condition(())
    if not raw:
        errors.append(ConditionError(path, "empty condition: leave the key out to match everything, "
                                           "or give at least one field"))
        return Condition(())
    clauses: list[Clause] = []
    for key, value in raw.items():
        here = (*path, key)
        if key == "any":
            if not isinstance(value, list) or not value:
                errors.append(ConditionError(here, "`any` takes a non-empty list of conditions"))
                continue
            options = tuple(_parse_mapping(item, allowed, field_help, (*here, i), errors)
                            for i, item in enumerate(value))
            clauses.append(AnyOf(options))
        elif key == "not":
            clauses.append(Not(_parse_mapping(value, allowed, field_help, here, errors)))
        elif not allowed(key):
            errors.append(ConditionError(here, f"unknown field `{key}`; allowed: {field_help}"))
        else:
            ops = _parse_ops(value, here, errors)
            if ops:
                clauses.append(FieldTest(key, ops))
    return Condition(tuple(clauses))


def _parse_ops(value: Any, path: tuple[str | int, ...], errors: list[ConditionError]) -> tuple[Op, ...]:
    if isinstance(value, list):
        value = {"in": value}
    elif not isinstance(value, Mapping):
        value = {"eq": value}
    if not value:
        errors.append(ConditionError(path, f"no operator given; allowed: {', '.join(OPERATORS)}"))
        return ()
    ops: list[Op] = []
    for name, operand in value.items():
        here = (*path, name)
        if name not in OPERATORS:
            errors.append(ConditionError(here, f"unknown operator `{name}`; allowed: {', '.join(OPERATORS)}"))
            continue
        try:
            ops.append(Op(name, _check_operand(name, operand)))
        except ValueError as exc:
            errors.append(ConditionError(here, str(exc)))
    return tuple(ops)


def _is_scalar(value: Any) -> bool:
    return isinstance(value, str | int | float | bool) and not (
        isinstance(value, float) and not math.isfinite(value))


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _check_operand(name: str, operand: Any) -> Any:
    if name in ("eq", "contains"):
        if not _is_scalar(operand):
            raise ValueError(f"`{name}` takes a single text, number or true/false value")
        if name == "contains" and not isinstance(operand, str):
            return str(operand)
        return operand
    if name in ("in", "domain_in"):
        if not isinstance(operand, list) or not operand:
            raise ValueError(f"`{name}` takes a non-empty list, e.g. [a, b]")
        if not all(_is_scalar(item) for item in operand):
            raise ValueError(f"`{name}` list items must be texts or numbers")
        if name == "domain_in":
            domains = tuple(str(item).strip().lower().lstrip("@") for item in operand)
            bad = [d for d in domains if not re.fullmatch(r"[a-z0-9-]+(\.[a-z0-9-]+)+", d)]
            if bad:
                raise ValueError(f"`domain_in` needs domain names like gmail.com; not a domain: {bad[0]!r}")
            return domains
        return tuple(operand)
    if name == "matches":
        if not isinstance(operand, str):
            raise ValueError("`matches` takes a regular expression as text")
        try:
            re.compile(operand)
        except re.error as exc:
            raise ValueError(f"invalid regular expression {operand!r}: {exc}") from None
        return operand
    if name in ("gte", "lte"):
        if not _is_number(operand):
            raise ValueError(f"`{name}` takes a number")
        return operand
    if name == "between":
        if (not isinstance(operand, list) or len(operand) != 2
                or not all(_is_number(x) for x in operand)):
            raise ValueError("`between` takes two numbers [low, high]")
        if operand[0] > operand[1]:
            raise ValueError(f"`between` needs low <= high, got [{operand[0]}, {operand[1]}]")
        return (operand[0], operand[1])
    # exists
    if not isinstance(operand, bool):
        raise ValueError("`exists` takes true or false")
    return operand
