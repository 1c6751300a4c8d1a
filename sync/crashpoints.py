"""Test-only crash points: ``CRMSYNC_CRASH_AT=<point>:<n>`` kills the process (SIGKILL) the n-th time
the cycle reaches ``<point>``. Unset (always, in production) it does nothing.

Points: ``page_pulled`` (a page read, not stored), ``page_stored``, ``scored`` (a chunk of scores
stored), ``planned`` (intents committed, nothing pushed), ``pushed`` (a batch pushed, its outcome not
yet recorded), ``recorded`` (a batch's outcome recorded).
"""

from __future__ import annotations

import os
import signal
from collections import Counter

ENV = "CRMSYNC_CRASH_AT"


class CrashPoints:
    """Counts arrivals at named points; one instance per cycle."""

    def __init__(self, spec: str | None = None) -> None:
        point, _, count = (spec or "").partition(":")
        self.point = point.strip() or None
        self.at = int(count) if count.strip().isdigit() else 1
        self.seen: Counter[str] = Counter()

    @classmethod
    def from_env(cls) -> CrashPoints:
        return cls(os.environ.get(ENV))

    def reach(self, point: str) -> None:
        if self.point is None or point != self.point:
            return
        self.seen[point] += 1
        if self.seen[point] >= self.at:
            os.kill(os.getpid(), signal.SIGKILL)
