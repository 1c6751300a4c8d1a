"""Running a parsed SOQL query over an org's tables, and rendering its rows as REST JSON or Bulk CSV."""

from __future__ import annotations

import csv
import io
import operator
import re
from array import array
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, cast

from sandbox.salesforce.ids import ref_row, ref_type
from sandbox.salesforce.org import Org
from sandbox.salesforce.schema import SCHEMA, Field, SObject
from sandbox.salesforce.soql import BoolOp, Compare, Cond, FieldRef, Literal, Not, Query, SoqlError
from sandbox.salesforce.table import Getter
from sandbox.salesforce.timefmt import format_date, format_datetime, format_datetime_bulk, parse_date, parse_datetime

Predicate = Callable[[int], bool]
_NO_RECORD = -2
_POLYMORPHIC_TYPE = Field("Type", "picklist", length=40, updateable=False)
_MAX_OFFSET = 2000
_COMPARE = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge}
_TYPE_NAMES = {"datetime": "dateTime", "date": "date", "boolean": "boolean", "int": "int", "double": "double",
               "currency": "currency", "percent": "percent"}


@dataclass(frozen=True)
class Resolved:
    path: tuple[str, ...]            # canonical names: ("Account", "Name")
    field: Field
    getter: Getter                   # row of the queried object -> storage value
    ref_getter: Getter | None        # for relationship paths: row -> the related record's ref


def _invalid_field(sobject: str, name: str) -> SoqlError:
    return SoqlError("INVALID_FIELD",
                     f"No such column '{name}' on entity '{sobject}'. If you are attempting to use a custom "
                     "field, be sure to append the '__c' after the custom field name. Please reference your "
                     "WSDL or the describe call for the appropriate names.")


def resolve(org: Org, sobject: SObject, ref: FieldRef) -> Resolved:
    table = org.tables[sobject.name]
    if len(ref.path) == 1:
        field = sobject.field(ref.path[0])
        if field is None:
            raise _invalid_field(sobject.name, ref.path[0])
        return Resolved((field.name,), field, table.getter(field), None)
    if len(ref.path) != 2:
        raise SoqlError("INVALID_FIELD", f"Didn't understand relationship '{ref.path[0]}' in field path. "
                                         "Only one level of relationship is supported by this sandbox.")
    link = sobject.relationship(ref.path[0])
    if link is None:
        raise SoqlError("INVALID_FIELD", f"Didn't understand relationship '{ref.path[0]}' in field path. If "
                                         "you are attempting to use a custom relationship, be sure to append "
                                         "the '__r' after the custom relationship name.")
    link_getter = table.getter(link)
    if len(link.reference_to) > 1 and ref.path[1].lower() == "type":     # polymorphic Who.Type
        def related_type(row: int) -> str | None:
            value = link_getter(row)
            return None if value is None else ref_type(value)
        return Resolved((link.relationship or link.name, "Type"), _POLYMORPHIC_TYPE, related_type, link_getter)
    targets: dict[str, Getter] = {}
    target_field: Field | None = None
    for target in link.reference_to:
        found = SCHEMA[target].field(ref.path[1])
        if found is None:
            raise _invalid_field(target if len(link.reference_to) == 1 else "Name", ref.path[1])
        target_field = found
        targets[target] = org.tables[target].getter(found)
    assert target_field is not None

    def related(row: int) -> Any:
        value = link_getter(row)
        return None if value is None else targets[ref_type(value)](ref_row(value))
    return Resolved((link.relationship or link.name, target_field.name), target_field, related, link_getter)


def _literal_value(org: Org, resolved: Resolved, literal: Literal) -> Any:
    field = resolved.field
    if literal.kind == "null":
        return None
    if literal.kind == "relative":
        raise SoqlError("MALFORMED_QUERY", "relative date literals are allowed only with = != < <= > >=")
    name, storage = ".".join(resolved.path), field.storage
    expected = {"datetime": "datetime", "date": "date"}.get(field.type)
    if expected is None:
        expected = {"str": "string", "float": "number", "int": "number", "bool": "bool",
                    "ref": "string", "id": "string"}[storage]
    if literal.kind != expected and not (expected == "number" and literal.kind == "number"):
        quoted = ("and should not be enclosed in quotes" if literal.kind == "string"
                  else "and should be enclosed in quotes")
        if expected == "string":
            raise SoqlError("INVALID_FIELD", f"value of filter criterion for field '{name}' must be of type "
                                             f"{field.type} {quoted}")
        raise SoqlError("INVALID_FIELD", f"value of filter criterion for field '{name}' must be of type "
                                         f"{_TYPE_NAMES.get(field.type, field.type)} {quoted}")
    if field.type == "datetime":
        return parse_datetime(str(literal.value))
    if field.type == "date":
        return parse_date(str(literal.value))
    if storage in ("ref", "id"):
        text = str(literal.value)
        encoded = org.codec.encode_ref(text)
        if encoded is None and len(text) in (15, 18) and text.isalnum():
            return _NO_RECORD          # well formed, but no record of this org has it
        if encoded is None:
            raise SoqlError("INVALID_QUERY_FILTER_OPERATOR", f"invalid ID field: {literal.value}")
        return encoded
    if storage == "str":
        return str(literal.value).lower()
    return literal.value


def _like(pattern: str) -> re.Pattern[str]:
    out, i = [], 0
    while i < len(pattern):
        char = pattern[i]
        if char == "\\" and i + 1 < len(pattern):
            out.append(re.escape(pattern[i + 1]))
            i += 2
            continue
        out.append(".*" if char == "%" else "." if char == "_" else re.escape(char))
        i += 1
    return re.compile("".join(out), re.IGNORECASE | re.DOTALL)


def compile_condition(org: Org, sobject: SObject, cond: Cond, now: int = 0) -> Predicate:
    if isinstance(cond, BoolOp):
        parts = [compile_condition(org, sobject, p, now) for p in cond.parts]
        if cond.op == "AND":
            return lambda row: all(p(row) for p in parts)
        return lambda row: any(p(row) for p in parts)
    if isinstance(cond, Not):
        inner = compile_condition(org, sobject, cond.part, now)
        return lambda row: not inner(row)
    if isinstance(cond.value, Literal) and cond.value.kind == "relative":
        return _compile_relative(org, sobject, cond, now)
    return _compile_compare(org, sobject, cond)


def relative_range(word: str, days: int, now: int) -> tuple[int, int]:
    """[first, last] second of a relative date literal (TODAY, LAST_N_DAYS:n...), in UTC."""
    today = now // 86400 * 86400
    first, last = {
        "TODAY": (today, today), "YESTERDAY": (today - 86400, today - 86400),
        "TOMORROW": (today + 86400, today + 86400), "LAST_N_DAYS": (today - days * 86400, today),
        "NEXT_N_DAYS": (today + 86400, today + days * 86400), "N_DAYS_AGO": (today - days * 86400,) * 2,
    }[word]
    return first, last + 86399


def _compile_relative(org: Org, sobject: SObject, cond: Compare, now: int) -> Predicate:
    resolved = resolve(org, sobject, cond.field)
    assert isinstance(cond.value, Literal)
    word, days = cast(tuple[str, int], cond.value.value)
    if resolved.field.type not in ("date", "datetime") or cond.op in ("LIKE", "IN", "NOT IN"):
        raise SoqlError("INVALID_FIELD", f"{word} can only be compared with date and dateTime fields, not "
                                         f"'{'.'.join(resolved.path)}' with {cond.op}")
    first, last = relative_range(word, days, now)
    if resolved.field.type == "date":
        first, last = first // 86400, last // 86400
    get = resolved.getter
    tests: dict[str, Callable[[Any], bool]] = {
        "=": lambda v: first <= v <= last, "<": lambda v: v < first, "<=": lambda v: v <= last,
        ">": lambda v: v > last, ">=": lambda v: v >= first}
    if cond.op == "!=":
        return lambda row: (v := get(row)) is None or not first <= v <= last
    test = tests[cond.op]
    return lambda row: (v := get(row)) is not None and test(v)


def _compile_compare(org: Org, sobject: SObject, cond: Compare) -> Predicate:
    resolved = resolve(org, sobject, cond.field)
    raw = resolved.getter
    is_str = resolved.field.storage == "str"

    def get(row: int) -> Any:
        value = raw(row)
        return value.lower() if is_str and value is not None else value
    if cond.op == "LIKE":
        assert isinstance(cond.value, Literal)
        if not is_str:
            raise SoqlError("INVALID_FIELD", f"invalid operator on id field: {'.'.join(resolved.path)}")
        pattern = _like(str(cond.value.value))
        return lambda row: (v := raw(row)) is not None and pattern.fullmatch(v) is not None
    if cond.op in ("IN", "NOT IN"):
        assert isinstance(cond.value, tuple)
        values = {_literal_value(org, resolved, lit) for lit in cond.value}
        if cond.op == "IN":
            return lambda row: get(row) in values
        return lambda row: get(row) not in values
    assert isinstance(cond.value, Literal)
    target = _literal_value(org, resolved, cond.value)
    if cond.op == "=":
        return lambda row: get(row) == target
    if cond.op == "!=":
        return lambda row: get(row) != target
    if target is None:
        return lambda row: False
    compare = _COMPARE[cond.op]
    return lambda row: (v := get(row)) is not None and compare(v, target)


def _order_key(resolved: Resolved, descending: bool, nulls_last: bool) -> Callable[[int], tuple[int, Any]]:
    raw, is_str = resolved.getter, resolved.field.storage == "str"
    null_flag = (0 if nulls_last else 1) if descending else (1 if nulls_last else 0)
    value_flag = 1 - null_flag

    def key(row: int) -> tuple[int, Any]:
        value = raw(row)
        if value is None:
            return (null_flag, 0)
        return (value_flag, value.lower() if is_str else value)
    return key


class CompiledQuery:
    """A query resolved against one org: its matching rows and how to render one of them."""

    def __init__(self, org: Org, query: Query, *, include_deleted: bool, version: str, now: int = 0) -> None:
        sobject = SCHEMA.get(query.sobject)
        if sobject is None:
            lowered = query.sobject.lower()
            sobject = next((o for o in SCHEMA.values() if o.name.lower() == lowered), None)
        if sobject is None:
            raise SoqlError("INVALID_TYPE", f"\n{query.sobject}\n^\nERROR at Row:1:Column:{query.sobject_pos + 1}"
                                            f"\nsObject type '{query.sobject}' is not supported. If you are "
                                            "attempting to use a custom object, be sure to append the '__c' "
                                            "after the entity name. Please reference your WSDL or the describe "
                                            "call for the appropriate names.")
        self.org, self.sobject, self.query, self.version = org, sobject, query, version
        if (query.offset or 0) > _MAX_OFFSET:
            raise SoqlError("NUMBER_OUTSIDE_VALID_RANGE", f"Maximum SOQL offset allowed is {_MAX_OFFSET}")
        self.columns = [resolve(org, sobject, ref) for ref in query.fields]
        self.count_only = query.count_only
        predicate = compile_condition(org, sobject, query.where, now) if query.where is not None else None
        orders = [(resolve(org, sobject, o.field), o) for o in query.order]
        self.rows = self._rows(include_deleted, predicate, orders)

    def _rows(self, include_deleted: bool, predicate: Predicate | None,
              orders: list[tuple[Resolved, Any]]) -> array[int]:
        table = self.org.tables[self.sobject.name]
        deleted = table.columns["IsDeleted"].data
        rows = [r for r in range(table.size)
                if (include_deleted or not deleted[r]) and (predicate is None or predicate(r))]
        for resolved, order in reversed(orders):
            rows.sort(key=_order_key(resolved, order.descending, order.nulls_last), reverse=order.descending)
        start = self.query.offset or 0
        end = None if self.query.limit is None else start + self.query.limit
        return array("q", rows[start:end])     # 8 bytes a row: open cursors stay small

    def render(self, row: int) -> dict[str, Any]:
        codec, version = self.org.codec, self.version
        record: dict[str, Any] = {"attributes": _attributes(self.sobject.name, codec.make(self.sobject.name, row),
                                                            version)}
        for column in self.columns:
            value = _json_value(self.org, column.field, column.getter(row))
            if column.ref_getter is None:
                record[column.path[0]] = value
                continue
            link = column.ref_getter(row)
            if link is None:
                record[column.path[0]] = None
                continue
            nested = record.get(column.path[0])
            if nested is None:
                nested = {"attributes": _attributes(ref_type(link), codec.decode_ref(link) or "", version)}
                record[column.path[0]] = nested
            nested[column.path[1]] = value
        return record

    def csv_header(self) -> list[str]:
        return [".".join(c.path) for c in self.columns]

    def csv_rows(self, rows: Sequence[int]) -> str:
        out = io.StringIO()
        writer = csv.writer(out, quoting=csv.QUOTE_ALL, lineterminator="\n")
        writer.writerow(self.csv_header())
        for row in rows:
            writer.writerow([_csv_value(self.org, c.field, c.getter(row)) for c in self.columns])
        return out.getvalue()


def _attributes(sobject: str, record_id: str, version: str) -> dict[str, str]:
    return {"type": sobject, "url": f"/services/data/v{version}/sobjects/{sobject}/{record_id}"}


def _json_value(org: Org, field: Field, value: Any) -> Any:
    if value is None:
        return None
    if field.type == "datetime":
        return format_datetime(value)
    if field.type == "date":
        return format_date(value)
    if field.storage in ("ref", "id"):
        return org.codec.decode_ref(value)
    return value


def _csv_value(org: Org, field: Field, value: Any) -> str:
    if value is None:
        return ""
    if field.type == "datetime":
        return format_datetime_bulk(value)
    if field.type == "boolean":
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    rendered = _json_value(org, field, value)
    return str(rendered)
