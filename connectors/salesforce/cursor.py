"""The incremental cursor of one stream: the newest ``SystemModstamp`` read and the ids read at it.

Queries filter ``SystemModstamp >= ts`` (never ``>``: that drops records sharing the timestamp) and sort
by ``SystemModstamp, Id``; records at exactly ``ts`` whose ids are in the cursor were read already and
are skipped, as is anything older than ``ts`` (the SOQL literal is whole seconds, so a query may return
a few records from earlier in the same second). Saved form: ``{"ts": ISO-8601 UTC, "ids": [...]}``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any


@dataclass(frozen=True)
class StreamCursor:
    ts: datetime | None = None
    ids: frozenset[str] = field(default_factory=frozenset)

    @classmethod
    def load(cls, saved: Mapping[str, Any] | None) -> StreamCursor:
        if not saved or not saved.get("ts"):
            return cls()
        ts = datetime.fromisoformat(str(saved["ts"]).replace("Z", "+00:00"))
        if ts.tzinfo is None:
            ts = ts.replace(tzinfo=UTC)
        return cls(ts.astimezone(UTC), frozenset(str(i) for i in saved.get("ids") or ()))

    def dump(self) -> dict[str, Any]:
        if self.ts is None:
            return {}
        stamp = self.ts.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
        return {"ts": stamp, "ids": sorted(self.ids)}

    def seen(self, record_id: str, ts: datetime) -> bool:
        """True when this record (at this timestamp) was read before this cursor was saved."""
        if self.ts is None:
            return False
        return ts < self.ts or (ts == self.ts and record_id in self.ids)

    def advance(self, record_id: str, ts: datetime) -> StreamCursor:
        """The cursor after reading one more record (records arrive sorted by timestamp, then id)."""
        if self.ts is None or ts > self.ts:
            return StreamCursor(ts, frozenset({record_id}))
        if ts == self.ts:
            return StreamCursor(ts, self.ids | {record_id})
        return self

    def at_least(self, floor: StreamCursor) -> StreamCursor:
        """This cursor, but never behind ``floor`` (a full re-read keeps the saved position)."""
        if floor.ts is None or (self.ts is not None and self.ts > floor.ts):
            return self
        if self.ts == floor.ts:
            return StreamCursor(self.ts, self.ids | floor.ids)
        return floor
