"""Local HubSpot and Salesforce emulators with generated B2B data, fault injection and a request log.

``sandbox`` imports nothing from the rest of the project: it stands for the CRMs.

    from sandbox import Sandbox, SandboxConfig
    with Sandbox(SandboxConfig(seed=7)).start(port=0) as sb:
        portal = sb.add_hubspot_portal(token="pat-na1-...", contacts=500, seed=1)
        ...  # point hubspot.Client.create(access_token=..., host=sb.url) at it

See docs/sandbox.md.
"""

from __future__ import annotations

from sandbox.core import Sandbox, SandboxConfig
from sandbox.faults import FaultRule, FaultSpecError, parse_fault_spec
from sandbox.hubspot import HubSpotSettings, RateLimits
from sandbox.requestlog import RequestLogEntry

__all__ = ["FaultRule", "FaultSpecError", "HubSpotSettings", "RateLimits", "RequestLogEntry", "Sandbox",
           "SandboxConfig", "parse_fault_spec"]
