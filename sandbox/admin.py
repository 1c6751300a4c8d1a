"""The sandbox's own JSON endpoints under ``/_admin/`` (the same operations as the in-process API).

GET/DELETE /_admin/requests[?account=]     the request log / clear it
GET/POST/DELETE /_admin/faults             list / add one rule (FaultRule fields as JSON) / clear
POST /_admin/hubspot/portals               {"token"?, "contacts"?, "seed"?, "companies"?, "rate_limit"?}
POST /_admin/salesforce/orgs               {"client_id"?, "client_secret"?, "leads"?, "contacts"?, "seed"?, ...}
POST /_admin/advance                       {"n"?: 50}
POST /_admin/reset
GET  /_admin/stats
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import orjson

from sandbox.faults import FaultRule, FaultSpecError
from sandbox.hubspot import RateLimits
from sandbox.wire import SandboxRequest, SandboxResponse

if TYPE_CHECKING:
    from sandbox.core import Sandbox

_PORTAL_KEYS = {"token", "contacts", "seed", "companies", "page_views", "rate_limit"}


def _error(status: int, message: str) -> SandboxResponse:
    return SandboxResponse.json(status, {"status": "error", "message": message})


def _body(request: SandboxRequest) -> dict[str, Any]:
    try:
        body = request.json()
    except orjson.JSONDecodeError as exc:
        raise ValueError(f"the body is not valid JSON: {exc}") from None
    if body is None:
        return {}
    if not isinstance(body, dict):
        raise ValueError("the body must be a JSON object")
    return body


def handle(sb: Sandbox, request: SandboxRequest) -> SandboxResponse:
    try:
        return _route(sb, request)
    except (ValueError, TypeError, FaultSpecError, RuntimeError) as exc:
        return _error(400, str(exc))


def _route(sb: Sandbox, request: SandboxRequest) -> SandboxResponse:
    route = (request.method, request.path.rstrip("/"))
    if route == ("GET", "/_admin/requests"):
        entries = sb.requests(request.param("account"))
        return SandboxResponse.json(200, {"results": [e.to_json() for e in entries]})
    if route == ("DELETE", "/_admin/requests"):
        sb.clear_requests()
        return SandboxResponse(204)
    if route == ("GET", "/_admin/faults"):
        return SandboxResponse.json(200, {"results": sb.faults.rules()})
    if route == ("POST", "/_admin/faults"):
        rule = sb.inject_fault(FaultRule.from_json(_body(request)))
        return SandboxResponse.json(201, rule.to_json())
    if route == ("DELETE", "/_admin/faults"):
        sb.clear_faults()
        return SandboxResponse(204)
    if route == ("POST", "/_admin/hubspot/portals"):
        return _add_portal(sb, _body(request))
    if route == ("POST", "/_admin/salesforce/orgs"):
        body = _body(request)
        org_id = sb.add_salesforce_org(**body)
        return SandboxResponse.json(201, {"orgId": org_id, "clientId": sb.salesforce_orgs[org_id]})
    if route == ("POST", "/_admin/advance"):
        return SandboxResponse.json(200, sb.advance_activity(int(_body(request).get("n", 50))))
    if route == ("POST", "/_admin/reset"):
        sb.reset()
        return SandboxResponse.json(200, {"status": "reset"})
    if route == ("GET", "/_admin/stats"):
        return SandboxResponse.json(200, sb.stats())
    return _error(404, f"no admin route for {request.method} {request.path}")


def _add_portal(sb: Sandbox, body: dict[str, Any]) -> SandboxResponse:
    unknown = set(body) - _PORTAL_KEYS
    if unknown:
        raise ValueError(f"unknown portal options: {', '.join(sorted(unknown))}; allowed: "
                         f"{', '.join(sorted(_PORTAL_KEYS))}")
    limits = RateLimits(**body["rate_limit"]) if body.get("rate_limit") else None
    portal_id = sb.add_hubspot_portal(body.get("token"), int(body.get("contacts", 500)), int(body.get("seed", 1)),
                                      companies=body.get("companies"), page_views=bool(body.get("page_views", True)),
                                      rate_limit=limits)
    return SandboxResponse.json(201, {"portalId": portal_id, "token": sb.hubspot_token(portal_id)})
