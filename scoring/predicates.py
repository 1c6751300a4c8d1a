"""Conditions compiled into predicates: ``compile_condition(cond)(record) -> bool``.

A record is a mapping (person fields, or activity attributes). Semantics (CONTRACT.md section 1):

- empty = missing, ``None``, a text of only whitespace, or a list with no non-empty element; ``0`` and
  ``false`` are values. An empty field satisfies only ``exists: false``.
- a list value satisfies an operator when any of its (non-empty) elements does; each operator of a
  field is checked on its own (``{contains: a, contains: b}`` may hold through two elements).
- ``eq``/``in``: numbers when both sides are numbers or numeric texts, else case-insensitive text with
  surrounding whitespace ignored. ``contains``: case-insensitive substring. ``matches``: ``re.search``.
- ``gte``/``lte``/``between``: numeric, numeric texts converted; anything else never satisfies them.
- ``domain_in``: the text after the last ``@``, trimmed and lower-cased, equals a listed domain or
  ends with ``.`` + a listed domain.
- texts of non-text values: ``true``/``false`` for booleans, Python's ``str`` for numbers.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from typing import Any

from config.conditions import AnyOf, Condition, FieldTest, Not, Op

Record = Mapping[str, Any]
Predicate = Callable[[Record], bool]
ValueTest = Callable[[Any], bool]

_NUMERIC = re.compile(r"\s*[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?\s*")
_INTEGER = re.compile(r"\s*[+-]?\d+\s*")


def to_number(value: Any) -> int | float | None:
    """A number, or a numeric text as a number; ``None`` for anything else (booleans included)."""
    kind = type(value)
    if kind is int:
        return value  # type: ignore[no-any-return]
    if kind is float:
        return value if math.isfinite(value) else None
    if kind is str:
        if _INTEGER.fullmatch(value):
            return int(value)
        if _NUMERIC.fullmatch(value):
            number = float(value)
            return number if math.isfinite(number) else None
        return None
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return to_number(int(value) if isinstance(value, int) else float(value))
    return None


def to_text(value: Any) -> str:
    """The text an operator sees: texts as they are, booleans as ``true``/``false``, numbers via str."""
    if type(value) is str:
        return value
    if value is True:
        return "true"
    if value is False:
        return "false"
    return str(value)


def is_empty(value: Any) -> bool:
    """Missing, null, whitespace-only text or a list without a non-empty element."""
    if value is None:
        return True
    if type(value) is str:
        return not value or value.isspace()
    if isinstance(value, list | tuple):
        return all(is_empty(item) for item in value)
    return False


def compile_condition(condition: Condition | None) -> Predicate:
    """A predicate for ``condition``; ``None`` (no ``when``) matches everything."""
    if condition is None:
        return _always
    parts = [_compile_clause(clause) for clause in condition.clauses]
    if len(parts) == 1:
        return parts[0]

    def all_hold(record: Record) -> bool:
        return all(part(record) for part in parts)

    return all_hold


def _always(record: Record) -> bool:
    return True


def _compile_clause(clause: FieldTest | AnyOf | Not) -> Predicate:
    if isinstance(clause, AnyOf):
        options = [compile_condition(option) for option in clause.options]
        return lambda record: any(option(record) for option in options)
    if isinstance(clause, Not):
        inner = compile_condition(clause.inner)
        return lambda record: not inner(record)
    return _compile_field_test(clause)


def _compile_field_test(test: FieldTest) -> Predicate:
    field = test.field
    tests = tuple(_compile_op(op) for op in test.ops if op.name != "exists")
    exists = [op.value for op in test.ops if op.name == "exists"]
    # An empty value satisfies only `exists: false`; a non-empty one fails `exists: false`.
    when_empty = not tests and all(flag is False for flag in exists)
    if any(flag is False for flag in exists) and not when_empty:
        return lambda record: False   # `exists: false` together with a value test can never hold
    if not tests:
        return _exists_test(field, when_empty)
    if len(tests) == 1:
        return _one_op_test(field, test.ops[0] if test.ops[0].name != "exists" else test.ops[1], tests[0])

    def all_ops(record: Record) -> bool:
        value = record.get(field)
        if is_empty(value):
            return False
        if isinstance(value, list | tuple):
            items = [item for item in value if not is_empty(item)]
            return all(any(check(item) for item in items) for check in tests)
        return all(check(value) for check in tests)

    return all_ops


def _one_op_test(field: str, op: Op, check: ValueTest) -> Predicate:
    """The common case, one operator on one field, with a fast path for text values (no extra call)."""

    def other(value: Any) -> bool:
        if value is None:
            return False
        if isinstance(value, list | tuple):
            return any(check(item) for item in value if not is_empty(item))
        return check(value)

    if op.name == "matches":
        search = re.compile(op.value).search

        def matches(record: Record) -> bool:
            value = record.get(field)
            if type(value) is str:
                # the operator first: most values fail it; an empty text never holds
                return search(value) is not None and value != "" and not value.isspace()
            return other(value)

        return matches
    if op.name == "contains":
        needle = to_text(op.value).casefold()

        def contains(record: Record) -> bool:
            value = record.get(field)
            if type(value) is str:
                return needle in value.casefold() and value != "" and not value.isspace()
            return other(value)

        return contains
    if op.name in ("gte", "lte", "between"):
        low, high = _bounds(op)

        def numeric(record: Record) -> bool:
            value: Any = record.get(field)
            kind = type(value)
            if kind is int or kind is float:
                return bool(low <= value <= high and value - value == 0)      # finite numbers only
            return other(value)

        return numeric
    if op.name in ("eq", "in"):
        operands = (op.value,) if op.name == "eq" else tuple(op.value)
        if all(to_number(o) is None for o in operands):
            texts = frozenset(to_text(o).strip().casefold() for o in operands)

            def equals_text(record: Record) -> bool:
                value = record.get(field)
                if type(value) is str:
                    return value.strip().casefold() in texts and value != "" and not value.isspace()
                return other(value)

            return equals_text
    if op.name == "domain_in":
        exact = frozenset(op.value)
        suffixes = tuple("." + domain for domain in op.value)

        def domain_in(record: Record) -> bool:
            value = record.get(field)
            if type(value) is str:
                if not value or value.isspace():
                    return False
                domain = value.rpartition("@")[2].strip().lower()
                return domain in exact or domain.endswith(suffixes)
            return other(value)

        return domain_in

    def one_op(record: Record) -> bool:
        value = record.get(field)
        if type(value) is str:
            return bool(value) and not value.isspace() and check(value)
        return other(value)

    return one_op


def _bounds(op: Op) -> tuple[float, float]:
    if op.name == "gte":
        return (op.value, math.inf)
    if op.name == "lte":
        return (-math.inf, op.value)
    low, high = op.value
    return (low, high)


def _exists_test(field: str, when_empty: bool) -> Predicate:
    if when_empty:
        return lambda record: is_empty(record.get(field))
    return lambda record: not is_empty(record.get(field))


def _compile_op(op: Op) -> ValueTest:
    name, operand = op.name, op.value
    if name == "eq":
        return _equals_any((operand,))
    if name == "in":
        return _equals_any(tuple(operand))
    if name == "contains":
        needle = to_text(operand).casefold()
        return lambda value: needle in to_text(value).casefold()
    if name == "matches":
        search = re.compile(operand).search
        return lambda value: search(to_text(value)) is not None
    if name == "gte":
        low = operand
        return lambda value: _ge(to_number(value), low)
    if name == "lte":
        high = operand
        return lambda value: _le(to_number(value), high)
    if name == "between":
        low, high = operand
        return lambda value: _between(to_number(value), low, high)
    if name == "domain_in":
        return _domain_in(tuple(operand))
    raise ValueError(f"unknown operator {name!r}")


def _ge(number: int | float | None, low: float) -> bool:
    return number is not None and number >= low


def _le(number: int | float | None, high: float) -> bool:
    return number is not None and number <= high


def _between(number: int | float | None, low: float, high: float) -> bool:
    return number is not None and low <= number <= high


def _equals_any(operands: tuple[Any, ...]) -> ValueTest:
    numbers = frozenset(n for n in (to_number(o) for o in operands) if n is not None)
    texts = frozenset(to_text(o).strip().casefold() for o in operands if to_number(o) is None)

    def equals(value: Any) -> bool:
        number = to_number(value)
        if number is not None:
            return number in numbers
        return to_text(value).strip().casefold() in texts

    return equals


def _domain_in(domains: tuple[str, ...]) -> ValueTest:
    exact = frozenset(domains)
    suffixes = tuple("." + domain for domain in domains)

    def in_domains(value: Any) -> bool:
        domain = to_text(value).rpartition("@")[2].strip().lower()
        return domain in exact or domain.endswith(suffixes)

    return in_domains
