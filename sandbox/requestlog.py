"""The request log: every request the sandbox answered (method, path, status, batch size, account, time).

Entries are kept in a bounded ring (the newest ``limit``); the per-account counters never drop anything.
"""

from __future__ import annotations

import threading
from collections import Counter, deque
from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class RequestLogEntry:
    method: str
    path: str
    status: int
    batch_size: int | None
    account: str | None
    at: float                      # epoch seconds
    duration_ms: float = 0.0

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


class RequestLog:
    def __init__(self, limit: int = 100_000) -> None:
        self._entries: deque[RequestLogEntry] = deque(maxlen=limit)
        self._lock = threading.Lock()
        self._by_account: Counter[str] = Counter()
        self._by_status: Counter[int] = Counter()
        self._records: Counter[str] = Counter()

    def add(self, entry: RequestLogEntry) -> None:
        key = entry.account or "-"
        with self._lock:
            self._entries.append(entry)
            self._by_account[key] += 1
            self._by_status[entry.status] += 1
            if entry.batch_size:
                self._records[key] += entry.batch_size

    def entries(self, account: str | None = None) -> list[RequestLogEntry]:
        with self._lock:
            items = list(self._entries)
        return items if account is None else [e for e in items if e.account == account]

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._by_account.clear()
            self._by_status.clear()
            self._records.clear()

    def stats(self) -> dict[str, Any]:
        with self._lock:
            return {"requests": sum(self._by_account.values()), "by_account": dict(self._by_account),
                    "by_status": {str(k): v for k, v in sorted(self._by_status.items())},
                    "records": dict(self._records)}
