"""Reading HubSpot incrementally: keyset search with re-anchoring, full list backfills, archived lists.

Search cursors (``{"ts": epoch_ms, "ids": [...], "crowd": id|None}``) mean: every record modified
before ``ts`` was read, and of those modified exactly at ``ts`` the ``ids`` (or, in crowd mode, every
id up to ``crowd``). The query is ``modified >= ts AND modified <= until`` sorted ascending, so ties
are never dropped; before ``after`` reaches HubSpot's 10,000-result cap the query is re-anchored at
the newest timestamp; when a whole window shares one timestamp, that timestamp is paged by
``hs_object_id`` (crowd mode). A full pass goes through the list endpoint and only moves the cursor
when it finishes (its intermediate cursors keep their ``after`` token to resume). Archived records
are read by a bounded sweep of the archived list (:func:`sweep_archived`).
"""

from __future__ import annotations

from collections.abc import Generator, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from connectors.base import Cursor
from connectors.hubspot.classify import Answer
from connectors.hubspot.client import HubSpotClient
from connectors.hubspot.mapping import OBJECT_ID, modified_at, parse_time, to_ms

SEARCH_LIMIT = 200
LIST_LIMIT = 100
SEARCH_CAP = 10_000

Record = Mapping[str, Any]


@dataclass(frozen=True)
class SearchSpec:
    object_type: str                 # "contacts", "companies", "meetings", ...
    modified: str                    # the last-modified property to filter and sort on
    properties: Sequence[str]
    limit: int = SEARCH_LIMIT
    where: Sequence[Mapping[str, Any]] = ()   # more filters (AND), e.g. incoming e-mails only


@dataclass
class Position:
    """Where an incremental read stands (see the module docstring)."""

    ts: int | None = None
    ids: list[str] | None = None
    crowd: str | None = None

    @classmethod
    def of(cls, cursor: Cursor | None) -> Position:
        cursor = cursor or {}
        ts = cursor.get("ts")
        return cls(ts=int(ts) if ts is not None else None, ids=list(cursor.get("ids") or []),
                   crowd=cursor.get("crowd"))

    def to_cursor(self) -> dict[str, Any]:
        cursor: dict[str, Any] = {"ts": self.ts, "ids": sorted(self.ids or [], key=_id_key)}
        if self.crowd is not None:
            cursor["crowd"] = self.crowd
        return cursor

    def see(self, record_ts: int, record_id: str) -> bool:
        """Advance past one record (sorted ascending); False when it was read before."""
        if self.ts is not None and record_ts < self.ts:
            return False      # older than the cursor: a late answer, never move back
        if record_ts == self.ts:
            ids = self.ids if self.ids is not None else []
            if record_id in ids or (self.crowd is not None and _id_key(record_id) <= _id_key(self.crowd)):
                return False
            ids.append(record_id)
            self.ids = ids
            return True
        self.ts, self.ids, self.crowd = record_ts, [record_id], None
        return True


def _id_key(record_id: str) -> tuple[int, str]:
    return (int(record_id), "") if record_id.isdigit() else (0, record_id)


def _results(answer: Answer) -> list[Record]:
    data = answer.data if isinstance(answer.data, dict) else {}
    return list(data.get("results") or [])


def _next_after(answer: Answer) -> str | None:
    data = answer.data if isinstance(answer.data, dict) else {}
    paging = data.get("paging") or {}
    after = (paging.get("next") or {}).get("after")
    return str(after) if after not in (None, "") else None


def search_changes(client: HubSpotClient, spec: SearchSpec, cursor: Cursor | None,
                   until_ms: int) -> Iterator[tuple[list[Record], dict[str, Any]]]:
    """Records modified since ``cursor`` up to ``until_ms``, as (new records, cursor after them) pairs."""
    pos = Position.of(cursor)
    if pos.ts is None:
        pos.ts = 0
    start = pos.to_cursor()
    last = start
    while True:
        if pos.crowd is not None:
            done = yield from _crowd(client, spec, pos, until_ms)
            last = pos.to_cursor()
            if done:
                return
            continue
        window_ts = pos.ts
        window_seen = 0
        after: str | None = None
        while True:
            answer = client.search(spec.object_type, _range_query(spec, window_ts or 0, until_ms, after))
            results = _results(answer)
            fresh = [r for r in results if pos.see(to_ms(modified_at(r, spec.modified)), str(r["id"]))]
            cursor_now = pos.to_cursor()
            if fresh or cursor_now != last:
                yield fresh, cursor_now
                last = cursor_now
            after = _next_after(answer)
            window_seen += len(results)
            if after is None or not results:
                return
            if window_seen + spec.limit > SEARCH_CAP:
                break                  # re-anchor before HubSpot refuses `after` >= 10,000
        if pos.ts == window_ts:
            pos.crowd = ""             # a whole window at one timestamp: page it by id


def _crowd(client: HubSpotClient, spec: SearchSpec, pos: Position,
           until_ms: int) -> Generator[tuple[list[Record], dict[str, Any]], None, bool]:
    """Page one crowded timestamp by hs_object_id; True when the stream is finished."""
    ts = pos.ts or 0
    seen = set(pos.ids or [])          # read before the crowd was noticed
    while True:
        filters: list[dict[str, Any]] = [{"propertyName": spec.modified, "operator": "EQ", "value": str(ts)},
                                         *map(dict, spec.where)]
        if pos.crowd:
            filters.append({"propertyName": OBJECT_ID, "operator": "GT", "value": pos.crowd})
        body = {"filterGroups": [{"filters": filters}],
                "sorts": [{"propertyName": OBJECT_ID, "direction": "ASCENDING"}],
                "properties": list(spec.properties), "limit": spec.limit}
        results = _results(client.search(spec.object_type, body))
        fresh = [r for r in results if str(r["id"]) not in seen]
        if results:
            pos.crowd = str(results[-1]["id"])
        pos.ids = []
        if len(results) < spec.limit:
            if ts + 1 <= until_ms:
                pos.ts, pos.ids, pos.crowd = ts + 1, [], None
            yield fresh, pos.to_cursor()
            return pos.crowd is not None     # stuck at `until`: finished for now
        yield fresh, pos.to_cursor()


def _range_query(spec: SearchSpec, since_ms: int, until_ms: int, after: str | None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "filterGroups": [{"filters": [
            {"propertyName": spec.modified, "operator": "GTE", "value": str(since_ms)},
            {"propertyName": spec.modified, "operator": "LTE", "value": str(until_ms)},
            *map(dict, spec.where),
        ]}],
        "sorts": [{"propertyName": spec.modified, "direction": "ASCENDING"}],
        "properties": list(spec.properties),
        "limit": spec.limit,
    }
    if after is not None:
        body["after"] = after
    return body


def grouped(source: Iterable[tuple[list[Record], dict[str, Any]]],
            limit: int) -> Iterator[tuple[list[Record], dict[str, Any]]]:
    """Consecutive (records, cursor) pairs joined while they stay within ``limit`` records.

    The joined pair carries the last cursor, which is safe after all of its records: one associations
    batch read (up to 1,000 ids) then serves five search pages or ten list pages.
    """
    records: list[Record] = []
    cursor: dict[str, Any] | None = None
    last = 0
    for part, after in source:
        if records and len(records) + max(last, len(part)) > limit:
            assert cursor is not None
            yield records, cursor
            records = []
        records += part
        cursor, last = after, max(last, len(part))
    if cursor is not None:
        yield records, cursor


def list_all(client: HubSpotClient, object_type: str, properties: Sequence[str], cursor: Cursor | None,
             until_ms: int) -> Iterator[tuple[list[Record], dict[str, Any]]]:
    """A full pass through the list endpoint; the cursor moves to ``until`` only when it finishes."""
    state = dict(cursor or {})
    full = dict(state.get("full") or {})
    started = int(full.get("until", until_ms))
    after: str | None = full.get("after")
    base = {k: v for k, v in state.items() if k != "full"}
    base.setdefault("ts", None)
    base.setdefault("ids", [])
    while True:
        answer = client.list_page(object_type, properties, after, limit=LIST_LIMIT)
        records = _results(answer)
        after = _next_after(answer)
        if after is None or not records:
            final_ts = max(started, int(base["ts"] or 0))
            yield records, {"ts": final_ts, "ids": []}
            return
        yield records, {**base, "full": {"after": after, "until": started}}


SEEN_MAX = 5000       # archived ids a sweep cursor remembers at most (forgetting one only re-reads it)


def sweep_archived(client: HubSpotClient, object_type: str, properties: Sequence[str], cursor: Cursor | None,
                   until_ms: int, *, full: bool = False) -> Iterator[tuple[list[Record], dict[str, Any]]]:
    """Archived records not reported before, by a bounded sweep of the archived list.

    HubSpot's archived list has no modified filter and no sort (it pages by id), so a deletion can
    appear anywhere in it. The list is read in rotations, from where the last call stopped (``after``
    in the cursor): at least one page per call, and the next page only while a page brought news (a
    bulk delete of an import is a run of ids), so a no-change cycle costs exactly one call and a
    deletion is seen within ``ceil(archived / 100)`` cycles at worst. The first rotation (no cursor, or
    ``full``) reads the whole list at once, every page being news.

    Which records are news: when a rotation starts, ``mark`` is ``until`` (the cycle start less the lag);
    when it ends, ``floor`` becomes that mark. Every record archived before ``floor`` was visible when
    the previous rotation started, so that rotation (which read the whole list afterwards) reported
    it. Records archived at or after ``floor`` are reported unless ``seen`` (id -> archivedAt, kept
    only from ``floor`` on) holds them. ``ts`` is the newest archivedAt reported (never goes back).
    """
    state = dict(cursor or {}) if not full else {}
    floor: int | None = state.get("floor")
    mark: int | None = state.get("mark")
    seen: dict[str, int] = {str(k): int(v) for k, v in (state.get("seen") or {}).items()}
    top: int | None = state.get("ts")
    after: str | None = state.get("after")
    if after is None:
        mark = until_ms                    # a rotation starts here
    while True:
        answer = client.list_page(object_type, properties, after, archived=True, limit=LIST_LIMIT)
        records = _results(answer)
        news: list[Record] = []
        for record in records:
            ms, rid = _archived_ms(record), str(record["id"])
            if (floor is not None and ms < floor) or seen.get(rid) == ms:
                continue
            news.append(record)
            top = ms if top is None else max(top, ms)
            if mark is not None and ms >= mark:
                seen[rid] = ms             # only these can be met again above the next floor
        after = _next_after(answer) if records else None
        if after is None:                  # the rotation ends: what it read is known from its mark on
            floor, mark = mark, None
            seen = {rid: ms for rid, ms in seen.items() if floor is None or ms >= floor}
        if len(seen) > SEEN_MAX:
            seen = dict(sorted(seen.items(), key=lambda item: item[1])[-SEEN_MAX:])
        out: dict[str, Any] = {"ts": top, "floor": floor, "mark": mark,
                               "seen": dict(sorted(seen.items(), key=lambda item: _id_key(item[0])))}
        if after is not None:
            out["after"] = after
        yield news, out
        if after is None or not news:
            return


def _archived_ms(record: Record) -> int:
    return to_ms(parse_time(record.get("archivedAt")) or modified_at(record, ""))
