"""Compact property columns: one column per property, one slot per record (row).

HubSpot property values are strings on the wire. Stored compactly instead:
- :class:`TextColumn` interns each distinct value once and keeps a 2- or 4-byte code per row;
- :class:`TimeColumn` keeps epoch milliseconds (8 bytes per row) and renders ISO strings;
- :class:`NumberColumn` keeps a float per row and renders ``"17"`` or ``"17.5"``;
- :class:`DerivedColumn` computes its value from other data (e.g. generated e-mail addresses) and keeps
  only the values written through the API.

``typed(row)`` returns the comparable value the search filters use (str, int ms, float) or None.
Time and number columns can keep a sorted index for range filters (see :class:`SortedIndex`).
"""

from __future__ import annotations

import bisect
import math
from array import array
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Protocol

_NAN = float("nan")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@lru_cache(maxsize=8192)
def _day(days: int) -> str:
    return (_EPOCH + timedelta(days=days)).strftime("%Y-%m-%d")


def format_ms(ms: int) -> str:
    """Epoch milliseconds as HubSpot writes datetimes: ``2023-05-30T14:29:25.170Z``."""
    days, rest = divmod(ms, 86_400_000)
    secs, milli = divmod(rest, 1000)
    hours, secs = divmod(secs, 3600)
    minutes, secs = divmod(secs, 60)
    return f"{_day(days)}T{hours:02d}:{minutes:02d}:{secs:02d}.{milli:03d}Z"


def parse_time(value: str) -> int | None:
    """Epoch ms from ``"1700000000000"``, an ISO datetime or a ``YYYY-MM-DD`` date; None if unparseable."""
    text = value.strip()
    if text.lstrip("-").isdigit():
        return int(text)
    try:
        dt = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return int(dt.timestamp() * 1000)


def format_number(value: float) -> str:
    return str(int(value)) if value.is_integer() else repr(value)


class Column(Protocol):
    def get(self, row: int) -> str | None: ...

    def typed(self, row: int) -> str | int | float | None: ...

    def set(self, row: int, value: str | None) -> None: ...

    def append(self, value: str | None) -> None: ...


class TextColumn:
    """Interned strings: a code per row into ``vocab`` (code 0 = null)."""

    __slots__ = ("codes", "index", "vocab")

    def __init__(self, rows: int = 0) -> None:
        self.vocab: list[str | None] = [None]
        self.index: dict[str, int] = {}
        self.codes: array[int] = array("H", bytes(2 * rows))

    @classmethod
    def from_codes(cls, values: tuple[str, ...] | list[str], codes: Iterable[int],
                   offset: int = 0) -> TextColumn:
        """Build from codes into ``values``; a code below ``offset`` (e.g. -1 with offset 0) means null."""
        col = cls()
        col.vocab.extend(values)
        col.index = {v: i + 1 for i, v in enumerate(values)}
        typecode = "H" if len(values) < 65_535 else "I"
        col.codes = array(typecode, (c + 1 - offset if c >= offset else 0 for c in codes))
        return col

    def code_of(self, value: str) -> int:
        code = self.index.get(value)
        if code is None:
            code = len(self.vocab)
            self.vocab.append(value)
            self.index[value] = code
            if code >= 65_535 and self.codes.typecode == "H":
                self.codes = array("I", self.codes)
        return code

    def get(self, row: int) -> str | None:
        return self.vocab[self.codes[row]]

    def typed(self, row: int) -> str | None:
        return self.vocab[self.codes[row]]

    def set(self, row: int, value: str | None) -> None:
        self.codes[row] = self.code_of(value) if value else 0

    def append(self, value: str | None) -> None:
        self.codes.append(self.code_of(value) if value else 0)


class SortedIndex:
    """Rows ordered by a numeric column, for range filters and sorted search without a full scan.

    Kept valid under writes that only move values up to the current maximum (modified dates set to
    "now"): the row is appended again and its old entry goes stale (skipped on read). Any other write
    drops the index; the next query rebuilds it.
    """

    __slots__ = ("keys", "rows", "stale")

    def __init__(self, keys: array[int] | array[float], rows: array[int]) -> None:
        self.keys = keys
        self.rows = rows
        self.stale = 0

    def range(self, values: array[int] | array[float], low: float | None, low_incl: bool,
              high: float | None, high_incl: bool) -> list[int]:
        keys = self.keys
        lo = 0 if low is None else (bisect.bisect_left(keys, low) if low_incl else bisect.bisect_right(keys, low))
        hi = len(keys) if high is None else (
            bisect.bisect_right(keys, high) if high_incl else bisect.bisect_left(keys, high))
        rows = self.rows[lo:hi]
        if not self.stale:
            return list(rows)
        out: list[int] = []
        seen: set[int] = set()
        for k, r in zip(keys[lo:hi], rows, strict=True):
            if values[r] == k and r not in seen:
                seen.add(r)
                out.append(r)
        return out


class _NumericColumn:
    """Shared behaviour of time and number columns: an array of values plus an optional sorted index."""

    __slots__ = ("_index", "null", "values")

    def __init__(self, values: array[int] | array[float], null: float) -> None:
        self.values = values
        self.null = null
        self._index: SortedIndex | None = None

    def index(self) -> SortedIndex:
        if self._index is None or self._index.stale > len(self.values) // 2:
            vals = self.values
            order = sorted((r for r in range(len(vals)) if not _is_null(vals[r], self.null)), key=vals.__getitem__)
            self._index = SortedIndex(array(vals.typecode, (vals[r] for r in order)), array("l", order))
        return self._index

    def _store(self, row: int, raw: float) -> None:
        old = self.values[row]
        self.values[row] = raw  # type: ignore[call-overload]
        idx = self._index
        if idx is None or old == raw:
            return
        if not _is_null(raw, self.null) and (not idx.keys or raw >= idx.keys[-1]):
            idx.keys.append(raw)  # type: ignore[arg-type]
            idx.rows.append(row)
            idx.stale += 1
        else:
            self._index = None

    def _push(self, raw: float) -> None:
        self.values.append(raw)  # type: ignore[arg-type]
        idx = self._index
        if idx is None or _is_null(raw, self.null):
            return
        if not idx.keys or raw >= idx.keys[-1]:
            idx.keys.append(raw)  # type: ignore[arg-type]
            idx.rows.append(len(self.values) - 1)
        else:
            self._index = None


def _is_null(value: float, null: float) -> bool:
    return value != value if null != null else value == null  # NaN never equals itself


class TimeColumn(_NumericColumn):
    """Epoch milliseconds per row; 0 = null."""

    __slots__ = ()

    def __init__(self, values: array[int] | None = None, rows: int = 0) -> None:
        super().__init__(values if values is not None else array("q", bytes(8 * rows)), 0)

    def get(self, row: int) -> str | None:
        ms = self.values[row]
        return format_ms(int(ms)) if ms else None

    def typed(self, row: int) -> int | None:
        ms = int(self.values[row])
        return ms if ms else None

    def set(self, row: int, value: str | None) -> None:
        self._store(row, (parse_time(value) or 0) if value else 0)

    def set_ms(self, row: int, ms: int) -> None:
        self._store(row, ms)

    def append(self, value: str | None) -> None:
        self._push((parse_time(value) or 0) if value else 0)


class NumberColumn(_NumericColumn):
    """A float per row; NaN = null."""

    __slots__ = ()

    def __init__(self, values: array[float] | None = None, rows: int = 0) -> None:
        super().__init__(values if values is not None else array("d", [_NAN]) * rows, _NAN)

    def get(self, row: int) -> str | None:
        v = self.values[row]
        return None if math.isnan(v) else format_number(float(v))

    def typed(self, row: int) -> float | None:
        v = float(self.values[row])
        return None if math.isnan(v) else v

    def set(self, row: int, value: str | None) -> None:
        self._store(row, float(value) if value else _NAN)

    def add(self, row: int, delta: float) -> None:
        v = self.values[row]
        self._store(row, (0.0 if math.isnan(v) else v) + delta)

    def append(self, value: str | None) -> None:
        self._push(float(value) if value else _NAN)


class DerivedColumn:
    """Values computed by ``compute(row)`` (generated data), overridden per row by API writes."""

    __slots__ = ("compute", "overrides", "rows", "size")

    def __init__(self, compute: Callable[[int], str | None], rows: int) -> None:
        self.compute = compute
        self.rows = rows                 # rows with computed values
        self.size = rows                 # rows in the column, appended ones included
        self.overrides: dict[int, str | None] = {}

    def get(self, row: int) -> str | None:
        if row in self.overrides:
            return self.overrides[row]
        return self.compute(row) if row < self.rows else None

    def typed(self, row: int) -> str | None:
        return self.get(row)

    def set(self, row: int, value: str | None) -> None:
        self.overrides[row] = value or None

    def append(self, value: str | None) -> None:
        if value:
            self.overrides[self.size] = value
        self.size += 1
