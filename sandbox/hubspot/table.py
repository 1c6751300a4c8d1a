"""One object type's records in one portal, stored as property columns (see :mod:`sandbox.hubspot.columns`).

Rows are numbered from 0; a record's id is ``id_base + row``, so ids ascend with rows.
"""

from __future__ import annotations

from array import array
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from sandbox.hubspot.columns import Column, NumberColumn, TextColumn, TimeColumn, format_ms
from sandbox.hubspot.schema import ObjectType, PropertyDef

SEARCH_CACHE_SIZE = 8


def _none(row: int) -> None:
    return None


def new_column(prop: PropertyDef, rows: int) -> Column:
    if prop.type in ("datetime", "date"):
        return TimeColumn(rows=rows)
    if prop.type == "number":
        return NumberColumn(rows=rows)
    return TextColumn(rows)


class ObjectTable:
    """Records of one type: property definitions, value columns, archive flags and write bookkeeping."""

    def __init__(self, otype: ObjectType, props: tuple[PropertyDef, ...], rows: int = 0) -> None:
        self.type = otype
        self.props: dict[str, PropertyDef] = {p.name: p for p in props}
        self.columns: dict[str, Column] = {}
        self.size = rows
        self.archived = bytearray(rows)
        self.archived_at: array[int] = array("q", bytes(8 * rows))
        self.version = 0                                   # bumped by every write; keys the search cache
        self.written: dict[int, set[str]] = {}             # row -> properties written through the API
        self.search_cache: OrderedDict[bytes, Any] = OrderedDict()

    # ---- ids and rows
    def id_of(self, row: int) -> str:
        return str(self.type.id_base + row)

    def row_of(self, record_id: object) -> int | None:
        try:
            row = int(str(record_id)) - self.type.id_base
        except ValueError:
            return None
        return row if 0 <= row < self.size else None

    def live_row(self, record_id: object) -> int | None:
        row = self.row_of(record_id)
        return row if row is not None and not self.archived[row] else None

    # ---- columns and values
    def column(self, name: str) -> Column:
        col = self.columns.get(name)
        if col is None:
            col = new_column(self.props[name], self.size)
            self.columns[name] = col
        return col

    def time_column(self, name: str) -> TimeColumn:
        col = self.column(name)
        assert isinstance(col, TimeColumn)
        return col

    def number_column(self, name: str) -> NumberColumn:
        col = self.column(name)
        assert isinstance(col, NumberColumn)
        return col

    def bump(self, name: str, row: int, delta: float = 1) -> None:
        self.number_column(name).add(row, delta)

    def set_ms(self, name: str, row: int, ms: int) -> None:
        self.time_column(name).set_ms(row, ms)

    def get(self, row: int, name: str) -> str | None:
        if name == "hs_object_id":
            return self.id_of(row)
        col = self.columns.get(name)
        return col.get(row) if col is not None else None

    def typed(self, row: int, name: str) -> str | int | float | None:
        if name == "hs_object_id":
            return self.type.id_base + row
        col = self.columns.get(name)
        return col.typed(row) if col is not None else None

    def modified_ms(self, row: int) -> int:
        return int(self.time_column(self.type.modified_prop).values[row])

    def touch(self, row: int, ms: int) -> None:
        """Bump the modified date(s) of ``row`` to ``ms``."""
        self.time_column(self.type.modified_prop).set_ms(row, ms)
        self.version += 1

    def append_row(self, values: dict[str, str | None]) -> int:
        row = self.size
        for name, prop in self.props.items():
            if name == "hs_object_id":
                continue
            col = self.columns.get(name)
            if col is None:
                if name not in values:
                    continue
                col = self.columns[name] = new_column(prop, row)
            col.append(values.get(name))
        self.size += 1
        self.archived.append(0)
        self.archived_at.append(0)
        self.version += 1
        return row

    # ---- wire shape
    def getters(self, properties: list[str]) -> list[tuple[str, Callable[[int], str | None]]]:
        """(name, value-of-row) for each requested property that exists; read once per page."""
        out: list[tuple[str, Callable[[int], str | None]]] = []
        for name in properties:
            if name not in self.props:
                continue
            if name == "hs_object_id":
                out.append((name, self.id_of))
            else:
                col = self.columns.get(name)
                out.append((name, col.get if col is not None else _none))
        return out

    def record_json(self, row: int, properties: list[str],
                    getters: list[tuple[str, Callable[[int], str | None]]] | None = None) -> dict[str, Any]:
        props = {name: get(row) for name, get in (getters if getters is not None else self.getters(properties))}
        created = self.typed(row, self.type.created_prop)
        updated = self.modified_ms(row)
        rec: dict[str, Any] = {
            "id": self.id_of(row), "properties": props,
            "createdAt": format_ms(int(created)) if isinstance(created, int) else format_ms(updated),
            "updatedAt": format_ms(updated), "archived": bool(self.archived[row]),
        }
        if self.archived[row]:
            rec["archivedAt"] = format_ms(self.archived_at[row])
        return rec

    def properties_of(self, row: int) -> dict[str, str | None]:
        """Every defined property of ``row`` with its value (the HTML view's record page)."""
        return {name: self.get(row, name) for name in self.props}
