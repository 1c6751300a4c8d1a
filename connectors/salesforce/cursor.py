"""The incremental cursor of one stream: the newest ``SystemModstamp`` read and what was read at it.

Queries filter ``SystemModstamp >= ts`` (never ``>``: that drops records sharing the timestamp) and sort
by ``SystemModstamp, Id``; records at exactly ``ts`` that were read already are skipped, as is anything
older than ``ts`` (the SOQL literal is whole seconds, so a query may return a few records from earlier in
the same second).

What "read already at ts" means:

* fewer than :data:`KEYSET_MIN_TIES` records at ``ts``: their ids (``ids``);
* that many or more, at a whole second: the largest id read at ``ts`` (``after``); rows at ``ts`` come
  sorted by Id, so every id up to it was read, and the next query asks only for ``Id > after`` there.
  The cursor stays small however many records share one second (a mass update, our own write-back).

SystemModstamp has whole-second resolution, so a record modified again within the second the cursor
stands at keeps the same stamp: skipping it by id would lose that change. A cursor therefore claims
records at ``ts`` only when that second had ended (on the CRM's clock) before the query ran; otherwise
it is saved *open* (``ts`` alone) and the next pull reads the whole second again. Re-reading is harmless:
the store's content hash sees unchanged records as unchanged.

Saved form: ``{"ts": ISO-8601 UTC, "ids": [...]}`` plus ``"after": id`` in keyset form.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

KEYSET_MIN_TIES = 100


@dataclass(frozen=True)
class StreamCursor:
    ts: datetime | None = None
    ids: frozenset[str] = field(default_factory=frozenset)
    after: str | None = None

    @classmethod
    def load(cls, saved: Mapping[str, Any] | None) -> StreamCursor:
        if not saved or not saved.get("ts"):
            return cls()
        ts = datetime.fromisoformat(str(saved["ts"]).replace("Z", "+00:00"))
        if ts.tzinfo is None:
            ts = ts.replace(tzinfo=UTC)
        ids = frozenset(str(i) for i in saved.get("ids") or ())
        after = str(saved["after"]) if saved.get("after") else None
        return cls(ts.astimezone(UTC), ids, after).compact()

    def dump(self) -> dict[str, Any]:
        if self.ts is None:
            return {}
        stamp = self.ts.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
        saved: dict[str, Any] = {"ts": stamp, "ids": sorted(self.ids)}
        if self.after is not None:
            saved["after"] = self.after
        return saved

    @property
    def keyset(self) -> bool:
        """Rows at ``ts`` up to ``after`` were read (the query filters ``Id > after`` there)."""
        return self.after is not None

    def seen(self, record_id: str, ts: datetime) -> bool:
        """True when this record (at this timestamp) was read before this cursor was saved."""
        if self.ts is None:
            return False
        if ts != self.ts:
            return ts < self.ts
        return record_id in self.ids or (self.after is not None and record_id <= self.after)

    def advance(self, record_id: str, ts: datetime) -> StreamCursor:
        """The cursor after reading one more record (records arrive sorted by timestamp, then id).

        Copies the id set: for a long run of reads use :class:`CursorTracker`.
        """
        tracker = CursorTracker(self)
        tracker.add(record_id, ts)
        return tracker.cursor()

    def compact(self) -> StreamCursor:
        """Keyset form once :data:`KEYSET_MIN_TIES` ids share a whole-second ``ts``."""
        if self.ts is None or self.ts.microsecond or (len(self.ids) < KEYSET_MIN_TIES and self.after is None):
            return self
        return StreamCursor(self.ts, frozenset(), max((*self.ids, *((self.after,) if self.after else ()))))

    def opened(self, horizon: datetime | None) -> StreamCursor:
        """This cursor, claiming nothing at ``ts`` when ``ts`` is past ``horizon`` (the last second known
        to have ended on the CRM's clock before the query ran): the next pull reads that second again."""
        if horizon is None or self.ts is None or self.ts <= horizon or (not self.ids and self.after is None):
            return self
        return StreamCursor(self.ts)

    def at_least(self, floor: StreamCursor) -> StreamCursor:
        """This cursor, but never behind ``floor`` (a full re-read keeps the saved position)."""
        if floor.ts is None or (self.ts is not None and self.ts > floor.ts):
            return self
        if self.ts == floor.ts:
            afters = [a for a in (self.after, floor.after) if a is not None]
            return StreamCursor(self.ts, self.ids | floor.ids, max(afters) if afters else None).compact()
        return floor


class CursorTracker:
    """A cursor being advanced record by record during one pull, in constant time per record."""

    def __init__(self, start: StreamCursor | None = None) -> None:
        start = start or StreamCursor()
        self.ts = start.ts
        self.ids: set[str] = set(start.ids)
        self.after = start.after

    def add(self, record_id: str, ts: datetime) -> None:
        if self.ts is None or ts > self.ts:
            self.ts, self.ids, self.after = ts, {record_id}, None
        elif ts == self.ts:
            if self.after is not None:
                self.after = max(self.after, record_id)
                return
            self.ids.add(record_id)
            if len(self.ids) >= KEYSET_MIN_TIES and not ts.microsecond:
                self.after, self.ids = max(self.ids), set()

    def cursor(self) -> StreamCursor:
        return StreamCursor(self.ts, frozenset(self.ids), self.after)
