"""Switches of the HubSpot emulator. Behaviours CRM_APIS.md marks UNVERIFIED default to the stricter case."""

from __future__ import annotations

from dataclasses import dataclass, field

from sandbox.hubspot.ratelimit import RateLimits


@dataclass(frozen=True)
class HubSpotSettings:
    limits: RateLimits = field(default_factory=RateLimits)
    # 429 answers carry Retry-After (UNVERIFIED; absent is stricter: the client's urllib3 then never waits).
    retry_after: bool = False
    # A lifecycle write that moves backward: "error" = per-record error in a 207, "ignore" = silently kept.
    backward_lifecycle: str = "error"
    # Sorts given as plain strings ("createdate", "-createdate"): "ignore" them (stricter) or "honor" them.
    string_sorts: str = "ignore"
    # Associations batch read for an id with none: "error" = 207 OBJECT_NOT_FOUND, "empty" = a result with to=[].
    missing_associations: str = "error"
    # Search answers carry the X-HubSpot-RateLimit headers (UNVERIFIED; omitted is stricter).
    search_rate_headers: bool = False
    # Writes become visible to search this many seconds later (UNVERIFIED index lag; >0 is stricter).
    search_index_lag_s: float = 1.0
