"""Reading HubSpot incrementally: keyset search with re-anchoring, full list backfills, archived lists.

Search cursors (``{"ts": epoch_ms, "ids": [...], "crowd": id|None}``) mean: every record modified
before ``ts`` was read, and of those modified exactly at ``ts`` the ``ids`` (or, in crowd mode, every
id up to ``crowd``). The query is ``modified >= ts AND modified <= until`` sorted ascending, so ties
are never dropped; before ``after`` reaches HubSpot's 10,000-result cap the query is re-anchored at
the newest timestamp; when a whole window shares one timestamp, that timestamp is paged by
``hs_object_id`` (crowd mode). A full pass goes through the list endpoint and only moves the cursor
when it finishes (its intermediate cursors keep their ``after`` token to resume).
"""

from __future__ import annotations

from collections.abc import Generator, Iterator, Mapping, Sequence
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
        filters: list[dict[str, Any]] = [{"propertyName": spec.modified, "operator": "EQ", "value": str(ts)}]
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
        ]}],
        "sorts": [{"propertyName": spec.modified, "direction": "ASCENDING"}],
        "properties": list(spec.properties),
        "limit": spec.limit,
    }
    if after is not None:
        body["after"] = after
    return body


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


def list_archived(client: HubSpotClient, object_type: str, properties: Sequence[str], cursor: Cursor | None,
                  until_ms: int) -> Iterator[tuple[list[Record], dict[str, Any]]]:
    """Archived records newer than the cursor. The list is unsorted: the cursor moves at the end."""
    pos = Position.of(cursor)
    start_ts, start_ids = pos.ts, set(pos.ids or [])
    new_pos = Position(ts=pos.ts, ids=list(pos.ids or []))
    after: str | None = None
    batches: list[list[Record]] = []
    while True:
        answer = client.list_page(object_type, properties, after, archived=True, limit=LIST_LIMIT)
        fresh: list[Record] = []
        for record in _results(answer):
            at = parse_time(record.get("archivedAt")) or modified_at(record, "")
            ms = to_ms(at)
            if ms > until_ms or (start_ts is not None and (ms < start_ts or (
                    ms == start_ts and str(record["id"]) in start_ids))):
                continue
            fresh.append(record)
        batches.append(fresh)
        after = _next_after(answer)
        if after is None:
            break
    for record in sorted((r for batch in batches for r in batch), key=lambda r: (
            to_ms(parse_time(r.get("archivedAt")) or modified_at(r, "")), _id_key(str(r["id"])))):
        new_pos.see(to_ms(parse_time(record.get("archivedAt")) or modified_at(record, "")), str(record["id"]))
    unchanged = Position.of(cursor).to_cursor()
    for batch in batches[:-1]:
        if batch:
            yield batch, unchanged
    final = new_pos.to_cursor()
    if batches[-1] or final != unchanged:
        yield batches[-1], final
