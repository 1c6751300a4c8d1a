"""The HubSpot emulator: :class:`HubSpotApp` serves HubSpot's REST paths for several portals at once."""

from __future__ import annotations

from sandbox.hubspot.app import HubSpotApp
from sandbox.hubspot.portal import Portal
from sandbox.hubspot.ratelimit import RateLimits
from sandbox.hubspot.settings import HubSpotSettings

__all__ = ["HubSpotApp", "HubSpotSettings", "Portal", "RateLimits"]
