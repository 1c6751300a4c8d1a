"""The CRM search endpoint's query language: filter groups, sorts, paging and the 10,000-result cap.

Filters AND within a group, groups OR. A single group with a range filter on a datetime/number property
(the incremental-pull pattern ``lastmodifieddate GTE x``) is answered from a sorted index instead of a
full scan. Whole result lists are cached per query until the table changes, so paging is cheap.
"""

from __future__ import annotations

import fnmatch
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import orjson

from sandbox.hubspot.columns import NumberColumn, TimeColumn
from sandbox.hubspot.errors import opaque_bad_request, validation_error
from sandbox.hubspot.table import SEARCH_CACHE_SIZE, ObjectTable

SEARCH_RESULT_CAP = 10_000
MAX_LIMIT = 200
MAX_GROUPS, MAX_FILTERS_PER_GROUP, MAX_FILTERS = 5, 10, 25
OPERATORS = frozenset({"EQ", "NEQ", "LT", "LTE", "GT", "GTE", "BETWEEN", "IN", "NOT_IN", "HAS_PROPERTY",
                       "NOT_HAS_PROPERTY", "CONTAINS_TOKEN", "NOT_CONTAINS_TOKEN"})
_RANGE_OPS = frozenset({"EQ", "GT", "GTE", "LT", "LTE", "BETWEEN"})
_QUERY_PROPS = {"contacts": ("email", "firstname", "lastname", "company", "phone"),
                "companies": ("name", "domain")}
_TOKEN_SPLIT = re.compile(r"[^0-9a-z@._-]+")

Typed = str | int | float
Predicate = Callable[[int], bool]


@dataclass(frozen=True)
class Filter:
    prop: str
    op: str
    value: Typed | None
    values: tuple[Typed, ...]
    high: Typed | None


@dataclass(frozen=True)
class SearchOptions:
    string_sorts: str = "ignore"        # "ignore" | "honor": sorts given as plain strings
    index_lag_ms: int = 0               # writes become searchable this long after they happen


@dataclass(frozen=True)
class SearchPage:
    total: int
    rows: list[int]
    next_after: str | None


def search(table: ObjectTable, body: dict[str, Any], options: SearchOptions) -> SearchPage:
    groups = _parse_groups(table, body.get("filterGroups") or [])
    sorts = _parse_sorts(table, body.get("sorts") or [], options)
    limit = _int(body.get("limit", 10), "limit")
    if limit > MAX_LIMIT or limit < 0:
        raise validation_error(f"limit must be between 0 and {MAX_LIMIT}, got {limit}")
    after = _int(body.get("after") or 0, "after")
    if after >= SEARCH_RESULT_CAP:
        raise validation_error(
            f"Paging past the first {SEARCH_RESULT_CAP} results is not supported (after={after}). "
            "Narrow the filters and search again.")
    query = str(body.get("query") or "").strip().lower()
    rows = _matching_rows(table, groups, sorts, query, options)
    page = rows[after:after + limit]
    nxt = after + limit
    return SearchPage(len(rows), page, str(nxt) if nxt < len(rows) and limit else None)


def _int(value: Any, name: str) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise validation_error(f"{name} must be an integer, got {value!r}") from None


def _parse_groups(table: ObjectTable, raw: Any) -> list[list[Filter]]:
    if not isinstance(raw, list):
        raise validation_error("filterGroups must be an array")
    if len(raw) > MAX_GROUPS:
        raise validation_error(f"Too many filter groups: {len(raw)} (at most {MAX_GROUPS})")
    groups: list[list[Filter]] = []
    total = 0
    for group in raw:
        filters = group.get("filters") or [] if isinstance(group, dict) else None
        if not isinstance(filters, list):
            raise validation_error("each filter group needs a filters array")
        if len(filters) > MAX_FILTERS_PER_GROUP:
            raise validation_error(f"Too many filters in a group: {len(filters)} (at most {MAX_FILTERS_PER_GROUP})")
        total += len(filters)
        groups.append([_parse_filter(table, f) for f in filters])
    if total > MAX_FILTERS:
        raise validation_error(f"Too many filters: {total} (at most {MAX_FILTERS})")
    return groups


def _parse_filter(table: ObjectTable, raw: Any) -> Filter:
    if not isinstance(raw, dict):
        raise validation_error("a filter must be an object")
    prop = str(raw.get("propertyName") or "")
    op = str(raw.get("operator") or "EQ").upper()
    if op not in OPERATORS:
        raise validation_error(f"Unknown operator {op!r}; allowed: {', '.join(sorted(OPERATORS))}")
    if prop not in table.props:
        raise validation_error(f"Property {prop!r} does not exist on {table.type.name}",
                               errors=[{"message": f"Property \"{prop}\" does not exist",
                                        "code": "PROPERTY_DOESNT_EXIST", "context": {"propertyName": [prop]}}])
    kind = table.props[prop].type

    def conv(value: Any) -> Typed:
        return _convert(kind, value)

    value = conv(raw["value"]) if raw.get("value") is not None else None
    values = tuple(conv(v) for v in raw.get("values") or ())
    high = conv(raw["highValue"]) if raw.get("highValue") is not None else None
    if op in ("IN", "NOT_IN") and not values and value is not None:
        values = (value,)
    if op in ("EQ", "NEQ", "LT", "LTE", "GT", "GTE", "CONTAINS_TOKEN", "NOT_CONTAINS_TOKEN") and value is None:
        raise validation_error(f"operator {op} on {prop} needs a value")
    if op == "BETWEEN" and (value is None or high is None):
        raise validation_error(f"operator BETWEEN on {prop} needs value and highValue")
    return Filter(prop, op, value, values, high)


def _convert(kind: str, value: Any) -> Typed:
    text = str(value).strip()
    if kind in ("datetime", "date"):
        if not text.lstrip("-").isdigit():
            raise opaque_bad_request()        # ISO dates are refused: epoch milliseconds only
        return int(text)
    if kind == "number":
        try:
            return float(text)
        except ValueError:
            raise opaque_bad_request() from None
    return text.lower()


def _parse_sorts(table: ObjectTable, raw: Any, options: SearchOptions) -> list[tuple[str, bool]]:
    if not isinstance(raw, list):
        raise validation_error("sorts must be an array")
    sorts: list[tuple[str, bool]] = []
    for item in raw:
        if isinstance(item, dict):
            prop = str(item.get("propertyName") or "")
            desc = str(item.get("direction") or "ASCENDING").upper().startswith("DESC")
        elif isinstance(item, str):
            if options.string_sorts != "honor":
                continue
            prop, desc = item.lstrip("-"), item.startswith("-")
        else:
            raise validation_error("a sort must be an object or a string")
        if prop not in table.props:
            raise validation_error(f"Cannot sort on unknown property {prop!r}")
        sorts.append((prop, desc))
    return sorts


def _matching_rows(table: ObjectTable, groups: list[list[Filter]], sorts: list[tuple[str, bool]], query: str,
                   options: SearchOptions) -> list[int]:
    key = orjson.dumps([[[f.prop, f.op, f.value, f.values, f.high] for f in g] for g in groups], option=0) + \
        orjson.dumps([sorts, query])
    now = time.time()
    cached = table.search_cache.get(key)
    if cached is not None:
        version, made_at, lagged, rows = cached
        if version == table.version and (not lagged or now - made_at < 0.25):
            table.search_cache.move_to_end(key)
            return rows  # type: ignore[no-any-return]
    rows, lagged = _evaluate(table, groups, sorts, query, options, int(now * 1000))
    table.search_cache[key] = (table.version, now, lagged, rows)
    while len(table.search_cache) > SEARCH_CACHE_SIZE:
        table.search_cache.popitem(last=False)
    return rows


def _evaluate(table: ObjectTable, groups: list[list[Filter]], sorts: list[tuple[str, bool]], query: str,
              options: SearchOptions, now_ms: int) -> tuple[list[int], bool]:
    archived = table.archived
    candidates, ordered_by = _candidates(table, groups)
    if ordered_by is not None and all(f.prop == ordered_by and f.op in _RANGE_OPS for f in groups[0]):
        preds = []        # the index range already satisfies every filter
    else:
        preds = [_group_predicate(table, g) for g in groups]
    if query:
        preds = preds or [lambda r: True]
        qp = _query_predicate(table, query)
        base = preds
        preds = [lambda r, b=b: b(r) and qp(r) for b in base]  # type: ignore[misc]
    if preds:
        rows = [r for r in candidates if not archived[r] and any(p(r) for p in preds)]
    else:
        rows = [r for r in candidates if not archived[r]]
    lagged = False
    if options.index_lag_ms > 0:
        cutoff = now_ms - options.index_lag_ms
        values = table.time_column(table.type.modified_prop).values
        before = len(rows)
        rows = [r for r in rows if values[r] <= cutoff]
        lagged = len(rows) != before
    if sorts:
        if not (len(sorts) == 1 and ordered_by == sorts[0][0] and not sorts[0][1]):
            for prop, desc in reversed(sorts):
                rows.sort(key=_sort_key(table, prop), reverse=desc)
    elif ordered_by not in (None, "hs_object_id"):
        rows.sort()
    return rows, lagged


def _sort_key(table: ObjectTable, prop: str) -> Callable[[int], tuple[bool, Typed]]:
    if prop == "hs_object_id":
        return lambda r: (True, r)
    col = table.column(prop)

    def key(r: int) -> tuple[bool, Typed]:
        v = col.typed(r)
        return (v is not None, (v.lower() if isinstance(v, str) else v) if v is not None else 0)

    return key


def _candidates(table: ObjectTable, groups: list[list[Filter]]) -> tuple[range | list[int], str | None]:
    """Rows worth testing, and the property they are already sorted by (None = by row)."""
    if len(groups) != 1:
        return range(table.size), None
    for f in groups[0]:
        if f.op not in _RANGE_OPS or not isinstance(f.value, int | float):
            continue
        low, low_incl, high, high_incl = _bounds(f)
        for g in groups[0]:   # narrow with a second bound on the same property
            if g is not f and g.prop == f.prop and g.op in _RANGE_OPS and isinstance(g.value, int | float):
                lo2, li2, hi2, hi2_incl = _bounds(g)
                if lo2 is not None and (low is None or lo2 > low):
                    low, low_incl = lo2, li2
                if hi2 is not None and (high is None or hi2 < high):
                    high, high_incl = hi2, hi2_incl
        if f.prop == "hs_object_id":
            base = table.type.id_base
            start = 0 if low is None else max(0, int(low) - base + (0 if low_incl else 1))
            stop = table.size if high is None else min(table.size, int(high) - base + (1 if high_incl else 0))
            return range(start, max(start, stop)), "hs_object_id"
        col = table.column(f.prop)
        if isinstance(col, TimeColumn | NumberColumn):
            return col.index().range(col.values, low, low_incl, high, high_incl), f.prop
    return range(table.size), None


def _bounds(f: Filter) -> tuple[float | None, bool, float | None, bool]:
    v = float(f.value) if isinstance(f.value, int | float) else None
    if f.op == "EQ":
        return v, True, v, True
    if f.op == "GT":
        return v, False, None, False
    if f.op == "GTE":
        return v, True, None, False
    if f.op == "LT":
        return None, False, v, False
    if f.op == "LTE":
        return None, False, v, True
    high = float(f.high) if isinstance(f.high, int | float) else None
    return v, True, high, True   # BETWEEN


def _group_predicate(table: ObjectTable, group: list[Filter]) -> Predicate:
    preds = [_filter_predicate(table, f) for f in group]
    if not preds:
        return lambda r: True
    if len(preds) == 1:
        return preds[0]
    return lambda r: all(p(r) for p in preds)


def _filter_predicate(table: ObjectTable, f: Filter) -> Predicate:
    if f.prop == "hs_object_id":
        base = table.type.id_base

        def get(r: int) -> Typed | None:
            return float(base + r)
    else:
        col = table.column(f.prop)
        if isinstance(col, TimeColumn | NumberColumn):
            numeric = col

            def get(r: int) -> Typed | None:
                return numeric.typed(r)
        else:
            def get(r: int) -> Typed | None:
                v = col.typed(r)
                return v.lower() if isinstance(v, str) else v
    op, target, high = f.op, f.value, f.high
    if op == "HAS_PROPERTY":
        return lambda r: get(r) is not None
    if op == "NOT_HAS_PROPERTY":
        return lambda r: get(r) is None
    if op == "EQ":
        return lambda r: get(r) == target
    if op == "NEQ":
        return lambda r: get(r) != target
    if op in ("IN", "NOT_IN"):
        wanted = frozenset(f.values)
        if op == "IN":
            return lambda r: get(r) in wanted
        return lambda r: get(r) not in wanted
    if op in ("CONTAINS_TOKEN", "NOT_CONTAINS_TOKEN"):
        match = _token_matcher(str(target))
        if op == "CONTAINS_TOKEN":
            return lambda r: match(get(r))
        return lambda r: not match(get(r))
    return _compare(get, op, target, high)


def _compare(get: Callable[[int], Typed | None], op: str, target: Any, high: Any) -> Predicate:
    def check(r: int) -> bool:
        v = get(r)
        if v is None:
            return False
        if op == "LT":
            return bool(v < target)
        if op == "LTE":
            return bool(v <= target)
        if op == "GT":
            return bool(v > target)
        if op == "GTE":
            return bool(v >= target)
        return bool(target <= v <= high)   # BETWEEN

    return check


def _token_matcher(token: str) -> Callable[[Typed | None], bool]:
    token = token.lower()
    wildcard = "*" in token

    def match(value: Typed | None) -> bool:
        if value is None:
            return False
        text = str(value).lower()
        if wildcard:
            return fnmatch.fnmatchcase(text, token) or any(fnmatch.fnmatchcase(t, token)
                                                           for t in _TOKEN_SPLIT.split(text))
        return text == token or token in _TOKEN_SPLIT.split(text)

    return match


def _query_predicate(table: ObjectTable, query: str) -> Predicate:
    props = [p for p in _QUERY_PROPS.get(table.type.name, ()) if p in table.props]

    def check(r: int) -> bool:
        for p in props:
            v = table.get(r, p)
            if v is not None and query in v.lower():
                return True
        return False

    return check

