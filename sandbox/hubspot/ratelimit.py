"""HubSpot's per-token rate limits: a rolling 10-second window, a per-second search limit and a daily cap.

Search is exempt from the ten-secondly window (the spec's ``x-hubspot-rate-limit-exemptions``) and has
its own secondly limit. Refused calls do not count. Every answer carries the real header set.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from dataclasses import dataclass
from typing import Any

from sandbox.hubspot.errors import correlation_id

WINDOW_S = 10.0


@dataclass(frozen=True)
class RateLimits:
    per_10s: int = 100           # 0 = unlimited
    search_per_s: int = 5        # 0 = unlimited
    daily: int = 250_000         # 0 = unlimited


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    headers: dict[str, str]
    body: dict[str, Any] | None = None      # the 429 body when refused
    retry_after_s: float = 0.0


class RateLimiter:
    """Counts one token's calls. Thread-safe."""

    def __init__(self, limits: RateLimits, portal_id: str) -> None:
        self.limits = limits
        self.portal_id = portal_id
        self._lock = threading.Lock()
        self._window: deque[float] = deque()
        self._search: deque[float] = deque()
        self._daily = 0

    def admit(self, search: bool, now: float | None = None) -> Verdict:
        now = time.monotonic() if now is None else now
        lim = self.limits
        with self._lock:
            while self._window and self._window[0] <= now - WINDOW_S:
                self._window.popleft()
            while self._search and self._search[0] <= now - 1.0:
                self._search.popleft()
            if lim.daily and self._daily >= lim.daily:
                return self._refuse("DAILY", "You have reached your daily limit.", 3600.0, now)
            if search:
                if lim.search_per_s and len(self._search) >= lim.search_per_s:
                    wait = self._search[0] + 1.0 - now
                    return self._refuse("SECONDLY", "You have reached your secondly limit.", wait, now)
                if lim.search_per_s:
                    self._search.append(now)
            else:
                if lim.per_10s and len(self._window) >= lim.per_10s:
                    wait = self._window[0] + WINDOW_S - now
                    return self._refuse("TEN_SECONDLY_ROLLING", "You have reached your ten_secondly_rolling limit.",
                                        wait, now)
                if lim.per_10s:
                    self._window.append(now)
            self._daily += 1
            return Verdict(True, self._headers(now))

    def _refuse(self, policy: str, message: str, wait: float, now: float) -> Verdict:
        body = {"status": "error", "message": message, "errorType": "RATE_LIMIT", "correlationId": correlation_id(),
                "policyName": policy, "groupName": f"publicapi:private-app-api-calls:{self.portal_id}"}
        return Verdict(False, self._headers(now), body, max(wait, 0.0))

    def _headers(self, now: float) -> dict[str, str]:
        lim = self.limits
        per_10s = lim.per_10s or 1_000_000
        secondly = max(1, per_10s // 10)
        recent = sum(1 for t in self._window if t > now - 1.0) if lim.per_10s else 0
        daily = lim.daily or 1_000_000_000
        return {
            "X-HubSpot-RateLimit-Daily": str(daily),
            "X-HubSpot-RateLimit-Daily-Remaining": str(max(0, daily - self._daily)),
            "X-HubSpot-RateLimit-Interval-Milliseconds": "10000",
            "X-HubSpot-RateLimit-Max": str(per_10s),
            "X-HubSpot-RateLimit-Remaining": str(max(0, per_10s - len(self._window))),
            "X-HubSpot-RateLimit-Secondly": str(secondly),
            "X-HubSpot-RateLimit-Secondly-Remaining": str(max(0, secondly - recent)),
        }
