"""Column storage for one object of one org: compact enough for 100,000 people and a million activities.

Values go in and come out in the *storage domain*: str, float, int (datetimes as epoch seconds, dates as
epoch days), bool, and ids and references as encoded ints (see ids.py); None is null everywhere. Row index = id.
"""

from __future__ import annotations

import math
from array import array
from collections.abc import Callable, Mapping
from typing import Any

from sandbox.salesforce.ids import NULL_REF, ref
from sandbox.salesforce.schema import Field, SObject

_NULL_INT = -(2**63)

Getter = Callable[[int], Any]


def _keep(value: Any) -> Any:
    return value


_ENCODERS: dict[str, Callable[[Any], Any]] = {
    "float": lambda v: math.nan if v is None else float(v),
    "bool": lambda v: 1 if v else 0,
    "ref": lambda v: NULL_REF if v is None else v,
    "int": lambda v: _NULL_INT if v is None else int(v),
}


class Column:
    """One field's values. Strings live in a list; numbers, flags and references in typed arrays."""

    def __init__(self, storage: str) -> None:
        self.storage = storage
        self.data: Any
        if storage == "str":
            self.data = []
        elif storage == "float":
            self.data = array("d")
        elif storage == "bool":
            self.data = bytearray()
        else:
            self.data = array("q")
        self.encode: Callable[[Any], Any] = _ENCODERS.get(storage, _keep)

    def append(self, value: Any) -> None:
        self.data.append(self.encode(value))

    def set(self, row: int, value: Any) -> None:
        self.data[row] = self.encode(value)

    def getter(self) -> Getter:
        data = self.data
        if self.storage == "str":
            return data.__getitem__  # type: ignore[no-any-return]
        if self.storage == "float":
            def get_float(row: int) -> float | None:
                value: float = data[row]
                return None if value != value else value
            return get_float
        if self.storage == "bool":
            def get_bool(row: int) -> bool:
                return bool(data[row] == 1)
            return get_bool
        null = NULL_REF if self.storage == "ref" else _NULL_INT

        def get_int(row: int) -> int | None:
            value: int = data[row]
            return None if value == null else value
        return get_int


class Table:
    def __init__(self, sobject: SObject) -> None:
        self.sobject = sobject
        self.size = 0
        self.columns = {f.name: Column(f.storage) for f in sobject.stored_fields()}
        self._names = frozenset(self.columns)
        self._appenders = [(name, c.data.append, c.encode) for name, c in self.columns.items()]

    def append(self, values: Mapping[str, Any]) -> int:
        if not values.keys() <= self._names:
            raise KeyError(f"{self.sobject.name} has no stored fields {sorted(values.keys() - self._names)}")
        get = values.get
        for name, append, encode in self._appenders:
            append(encode(get(name)))
        self.size += 1
        return self.size - 1

    def set(self, name: str, row: int, value: Any) -> None:
        self.columns[name].set(row, value)

    def getter(self, field: Field) -> Getter:
        if field.type == "id":
            code = ref(self.sobject.name, 0)

            def get_id(row: int) -> int:
                return code | row
            return get_id
        if field.computed:
            first, last = self.getter_by_name("FirstName"), self.getter_by_name("LastName")

            def full_name(row: int) -> str | None:
                parts = [p for p in (first(row), last(row)) if p]
                return " ".join(parts) or None
            return full_name
        return self.columns[field.name].getter()

    def getter_by_name(self, name: str) -> Getter:
        return self.getter(self.sobject.fields[name])

    def get(self, name: str, row: int) -> Any:
        return self.getter_by_name(name)(row)

    def is_deleted(self, row: int) -> bool:
        return bool(self.columns["IsDeleted"].data[row] == 1)
