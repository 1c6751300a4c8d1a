"""The HubSpot emulator: routes HubSpot REST paths to a portal chosen by the bearer token.

Handles ``/crm/v3/objects``, ``/crm/v3/properties``, ``/crm/v4/associations``, ``/crm/v4/objects/../associations``
and ``/events/v3/events``. Everything else returns None (not HubSpot's).
"""

from __future__ import annotations

import base64
import re
import secrets
import threading
import time
import uuid
from collections.abc import Callable
from typing import Any

import orjson

from sandbox.generate import generate
from sandbox.hubspot import properties_api
from sandbox.hubspot.columns import format_ms, parse_time
from sandbox.hubspot.errors import (
    HubSpotError,
    error_body,
    not_found,
    standard_error,
    unauthorized,
    validation_error,
)
from sandbox.hubspot.portal import Portal, WriteOptions, validate_properties
from sandbox.hubspot.ratelimit import RateLimits
from sandbox.hubspot.schema import resolve_type
from sandbox.hubspot.search import SearchOptions, search
from sandbox.hubspot.settings import HubSpotSettings
from sandbox.hubspot.table import ObjectTable
from sandbox.wire import SandboxRequest, SandboxResponse

LIST_MAX = 100
LIST_MAX_WITH_HISTORY = 50
BATCH_MAX = 100
ASSOCIATIONS_BATCH_MAX = 1000
EVENTS_MAX = 1000
_PREFIXES = ("/crm/", "/events/")
_TRUE = {"true", "1", "yes"}

Handler = Callable[["HubSpotApp", Portal, SandboxRequest, re.Match[str]], SandboxResponse]


SETTLED_MS = 300_000


def _now_ms() -> int:
    return int(time.time() * 1000)


def _iso_now() -> str:
    return format_ms(_now_ms())


def _multi(request: SandboxRequest, name: str) -> list[str]:
    """A query array given as repeated keys and/or comma-separated values."""
    out: list[str] = []
    for value in request.query.get(name, []):
        out.extend(v.strip() for v in value.split(",") if v.strip())
    return out


def _flag(request: SandboxRequest, name: str) -> bool:
    return (request.param(name) or "false").strip().lower() in _TRUE


def _body(request: SandboxRequest) -> dict[str, Any]:
    try:
        body = request.json()
    except orjson.JSONDecodeError:
        raise HubSpotError(400, error_body("VALIDATION_ERROR", "Invalid input JSON on line 1")) from None
    if body is None:
        return {}
    if not isinstance(body, dict):
        raise validation_error("The request body must be a JSON object")
    return body


def _encode_after(row: int) -> str:
    return base64.urlsafe_b64encode(str(row).encode()).decode()


def _decode_after(after: str | None) -> int:
    if not after:
        return 0
    try:
        return int(base64.urlsafe_b64decode(after.encode() + b"==").decode())
    except (ValueError, UnicodeDecodeError):
        raise validation_error(f"Invalid paging cursor: after={after!r}") from None


class HubSpotApp:
    """Several portals at once; each private-app token belongs to one portal."""

    def __init__(self, settings: HubSpotSettings | None = None, now_ms: int | None = None) -> None:
        self.settings = settings or HubSpotSettings()
        self.now_ms = now_ms                      # generation clock; None = real time
        self._lock = threading.Lock()
        self.portals: dict[str, Portal] = {}
        self._by_token: dict[str, Portal] = {}
        self._next_id = 10_000_001
        self.search_opts = SearchOptions(self.settings.string_sorts, int(self.settings.search_index_lag_s * 1000))
        self.write_opts = WriteOptions(self.settings.backward_lifecycle)

    # ---- accounts
    def add_portal(self, token: str | None = None, contacts: int = 500, seed: int = 1, *,
                   companies: int | None = None, page_views: bool = True,
                   limits: RateLimits | None = None, portal_id: str | None = None) -> Portal:
        # on the real clock the generated history ends SETTLED_MS before the portal exists: a first sync right
        # after (reading up to its start less its 60 s lag) sees all of it, its second cycle only its own writes
        now = self.now_ms if self.now_ms is not None else _now_ms() - SETTLED_MS
        data = generate(seed, contacts, companies=companies, now=now, with_page_views=page_views)
        with self._lock:
            pid = portal_id or str(self._next_id)
            self._next_id += 1
            if pid in self.portals:
                raise ValueError(f"portal {pid} already exists")
            token = token or f"pat-na1-{uuid.UUID(int=secrets.randbits(128), version=4)}"
            if token in self._by_token:
                raise ValueError("that access token already belongs to another portal")
        portal = Portal(pid, token, data, seed, limits or self.settings.limits)
        with self._lock:
            self.portals[pid] = portal
            self._by_token[token] = portal
        return portal

    def reset(self) -> None:
        with self._lock:
            self.portals.clear()
            self._by_token.clear()
            self._next_id = 10_000_001

    def advance_activity(self, n: int, now_ms: int | None = None) -> dict[str, dict[str, int]]:
        now = _now_ms() if now_ms is None else now_ms
        out = {}
        for portal in list(self.portals.values()):
            with portal.lock:
                out[portal.id] = portal.advance(n, now)
        return out

    def portal_for(self, request: SandboxRequest) -> Portal | None:
        auth = request.headers.get("authorization", "")
        if auth[:7].lower() != "bearer ":
            return None
        return self._by_token.get(auth[7:].strip())

    def account_of(self, request: SandboxRequest) -> str | None:
        portal = self.portal_for(request)
        return portal.id if portal is not None else None

    # ---- dispatch
    def handle(self, request: SandboxRequest) -> SandboxResponse | None:
        if not request.path.startswith(_PREFIXES):
            return None
        route = _match(request.method, request.path)
        portal = self.portal_for(request)
        try:
            if portal is None:
                raise unauthorized()
            is_search = route is not None and route[0] is _search
            verdict = portal.limiter.admit(is_search)
            headers = dict(verdict.headers) if (not is_search or self.settings.search_rate_headers) else {}
            if not verdict.allowed:
                if self.settings.retry_after:
                    headers["Retry-After"] = str(max(1, round(verdict.retry_after_s)))
                return SandboxResponse.json(429, verdict.body, headers, account=portal.id)
            if route is None:
                raise HubSpotError(404, error_body("OBJECT_NOT_FOUND", f"No route for {request.method} {request.path}"))
            handler, match = route
            with portal.lock:
                response = handler(self, portal, request, match)
            response.headers.update(headers)
            response.account = portal.id
            return response
        except HubSpotError as exc:
            return SandboxResponse.json(exc.status, exc.body, exc.headers,
                                        account=portal.id if portal is not None else None)

    # ---- helpers for handlers
    def table(self, portal: Portal, type_name: str) -> ObjectTable:
        resolved = resolve_type(type_name)
        if resolved is None:
            raise HubSpotError(400, error_body("VALIDATION_ERROR", f"Unable to infer object type from: {type_name}"))
        return portal.tables[resolved]


# ---- objects
def _requested(table: ObjectTable, names: list[str] | None) -> list[str]:
    return names if names else list(table.type.default_props)


def _with_history(table: ObjectTable, rec: dict[str, Any], row: int, names: list[str]) -> None:
    hist = {}
    for name in names:
        if name in table.props:
            value = table.get(row, name)
            hist[name] = [] if value is None else [{"value": value, "timestamp": rec["updatedAt"],
                                                    "sourceType": "API" if name in table.written.get(row, ())
                                                    else "CRM_UI"}]
    rec["propertiesWithHistory"] = hist


def _associations_json(portal: Portal, table: ObjectTable, row: int, to_types: list[str]) -> dict[str, Any]:
    out = {}
    for to in to_types:
        resolved = resolve_type(to)
        if resolved is None:
            continue
        to_table = portal.tables[resolved]
        items = portal.associations(table.type.name, resolved, row)
        if items:
            out[resolved] = {"results": [{"id": str(i["toObjectId"]),
                                          "type": f"{table.type.singular.lower()}_to_{to_table.type.singular.lower()}"}
                                         for i in items]}
    return out


def _list(app: HubSpotApp, portal: Portal, request: SandboxRequest, m: re.Match[str]) -> SandboxResponse:
    table = app.table(portal, m["type"])
    history = _multi(request, "propertiesWithHistory")
    cap = LIST_MAX_WITH_HISTORY if history else LIST_MAX
    try:
        limit = max(1, min(int(request.param("limit") or 10), cap))
    except ValueError:
        raise validation_error(f"limit must be an integer, got {request.param('limit')!r}") from None
    archived = _flag(request, "archived")
    props = _requested(table, _multi(request, "properties"))
    assoc = _multi(request, "associations")
    flags = table.archived
    want = b"\x01" if archived else b"\x00"
    pos = _decode_after(request.param("after"))
    rows: list[int] = []
    while len(rows) <= limit:
        pos = flags.find(want, pos)
        if pos < 0:
            break
        rows.append(pos)
        pos += 1
    more = len(rows) > limit
    rows = rows[:limit]
    results = []
    getters = table.getters(props)
    for row in rows:
        rec = table.record_json(row, props, getters)
        if history:
            _with_history(table, rec, row, history)
        if assoc:
            rec["associations"] = _associations_json(portal, table, row, assoc)
        results.append(rec)
    payload: dict[str, Any] = {"results": results}
    if more:
        after = _encode_after(rows[-1] + 1)
        payload["paging"] = {"next": {"after": after, "link": f"?after={after}"}}
    return SandboxResponse.json(200, payload, batch_size=len(results))


def _create(app: HubSpotApp, portal: Portal, request: SandboxRequest, m: re.Match[str]) -> SandboxResponse:
    table = app.table(portal, m["type"])
    body = _body(request)
    values = validate_properties(table, body.get("properties") or {})
    now = _now_ms()
    stamp = format_ms(now)
    values.setdefault(table.type.created_prop, stamp)
    values[table.type.modified_prop] = stamp
    row = table.append_row(values)
    table.written.setdefault(row, set()).update(k for k in values if k not in (table.type.created_prop,
                                                                             table.type.modified_prop))
    if table.type.name == "contacts":
        portal.contact_company.append(-1)
    return SandboxResponse.json(201, table.record_json(row, list(values)), batch_size=1)


def _lookup(table: ObjectTable, record_id: str, id_property: str | None, archived: bool) -> int | None:
    if id_property and id_property != "hs_object_id":
        if id_property not in table.props:
            raise validation_error(f"Property {id_property!r} does not exist")
        needle = record_id.lower()
        for row in range(table.size):
            value = table.get(row, id_property)
            if value is not None and value.lower() == needle and bool(table.archived[row]) == archived:
                return row
        return None
    found = table.row_of(record_id)
    return found if found is not None and bool(table.archived[found]) == archived else None


def _read_one(app: HubSpotApp, portal: Portal, request: SandboxRequest, m: re.Match[str]) -> SandboxResponse:
    table = app.table(portal, m["type"])
    row = _lookup(table, m["id"], request.param("idProperty"), _flag(request, "archived"))
    if row is None:
        raise not_found(f"Object not found.  objectId are usually numeric. ({m['id']})")
    rec = table.record_json(row, _requested(table, _multi(request, "properties")))
    history = _multi(request, "propertiesWithHistory")
    if history:
        _with_history(table, rec, row, history)
    assoc = _multi(request, "associations")
    if assoc:
        rec["associations"] = _associations_json(portal, table, row, assoc)
    return SandboxResponse.json(200, rec, batch_size=1)


def _update_one(app: HubSpotApp, portal: Portal, request: SandboxRequest, m: re.Match[str]) -> SandboxResponse:
    table = app.table(portal, m["type"])
    body = _body(request)
    outcome = portal.update(table.type.name, [{"id": m["id"], "properties": body.get("properties") or {}}],
                            _now_ms(), app.write_opts)
    if outcome.errors:
        err = outcome.errors[0]
        status = 404 if err["category"] == "OBJECT_NOT_FOUND" else 400
        raise HubSpotError(status, error_body(err["category"], err["message"], context=err["context"]))
    row = outcome.rows[0]
    props = list((body.get("properties") or {}).keys())
    return SandboxResponse.json(200, table.record_json(row, props), batch_size=1)


def _archive_one(app: HubSpotApp, portal: Portal, request: SandboxRequest, m: re.Match[str]) -> SandboxResponse:
    table = app.table(portal, m["type"])
    row = table.live_row(m["id"])
    if row is not None:
        portal.archive(table.type.name, row, _now_ms())
    return SandboxResponse(204, batch_size=1)


def _merge(app: HubSpotApp, portal: Portal, request: SandboxRequest, m: re.Match[str]) -> SandboxResponse:
    table = app.table(portal, m["type"])
    body = _body(request)
    winner = table.live_row(body.get("primaryObjectId"))
    loser = table.live_row(body.get("objectIdToMerge"))
    if winner is None or loser is None or winner == loser:
        raise validation_error("primaryObjectId and objectIdToMerge must be two different existing records")
    portal.merge(table.type.name, winner, loser, _now_ms())
    return SandboxResponse.json(200, table.record_json(winner, [*table.type.default_props, "hs_merged_object_ids"]),
                                batch_size=2)


def _search(app: HubSpotApp, portal: Portal, request: SandboxRequest, m: re.Match[str]) -> SandboxResponse:
    table = app.table(portal, m["type"])
    body = _body(request)
    page = search(table, body, app.search_opts)
    props = _requested(table, [str(p) for p in body.get("properties") or []])
    getters = table.getters(props)
    payload: dict[str, Any] = {"total": page.total,
                               "results": [table.record_json(r, props, getters) for r in page.rows]}
    if page.next_after is not None:
        payload["paging"] = {"next": {"after": page.next_after}}
    return SandboxResponse.json(200, payload, batch_size=len(page.rows))


def _inputs(body: dict[str, Any], cap: int) -> list[Any]:
    inputs = body.get("inputs")
    if not isinstance(inputs, list):
        raise validation_error("inputs must be an array")
    if len(inputs) > cap:
        raise validation_error(f"The maximum number of inputs supported in a batch is {cap}. Please reduce the "
                               "number of items and try again")
    return inputs


def _batch_payload(results: list[dict[str, Any]], errors: list[dict[str, Any]],
                   started: str) -> tuple[int, dict[str, Any]]:
    payload: dict[str, Any] = {"status": "COMPLETE", "results": results, "startedAt": started,
                               "completedAt": _iso_now()}
    if errors:
        payload["numErrors"] = len(errors)
        payload["errors"] = errors
        return 207, payload
    return 200, payload


def _batch_read(app: HubSpotApp, portal: Portal, request: SandboxRequest, m: re.Match[str]) -> SandboxResponse:
    started = _iso_now()
    table = app.table(portal, m["type"])
    body = _body(request)
    history = [str(p) for p in body.get("propertiesWithHistory") or []]
    inputs = _inputs(body, LIST_MAX_WITH_HISTORY if history else BATCH_MAX)
    archived = _flag(request, "archived")
    props = _requested(table, [str(p) for p in body.get("properties") or []])
    results, missing = [], []
    for item in inputs:
        rid = str(item.get("id")) if isinstance(item, dict) else str(item)
        row = _lookup(table, rid, body.get("idProperty"), archived)
        if row is None:
            missing.append(rid)
            continue
        rec = table.record_json(row, props)
        if history:
            _with_history(table, rec, row, history)
        results.append(rec)
    errors = []
    if missing:
        errors.append(standard_error(
            "OBJECT_NOT_FOUND", f"Could not get some {table.type.singular} objects, they may be deleted or not "
            "exist. Check that ids are valid.", {"ids": missing}))
    status, payload = _batch_payload(results, errors, started)
    return SandboxResponse.json(status, payload, batch_size=len(inputs))


def _batch_update(app: HubSpotApp, portal: Portal, request: SandboxRequest, m: re.Match[str]) -> SandboxResponse:
    started = _iso_now()
    table = app.table(portal, m["type"])
    body = _body(request)
    inputs = _inputs(body, BATCH_MAX)
    outcome = portal.update(table.type.name, inputs, _now_ms(), app.write_opts)
    by_id = {str(i.get("id")): i for i in inputs if isinstance(i, dict)}
    results = []
    for row in outcome.rows:
        sent = by_id.get(table.id_of(row), {}).get("properties") or {}
        names = [*sent, table.type.modified_prop, "hs_object_id"]
        results.append(table.record_json(row, [n for n in dict.fromkeys(names) if n in table.props]))
    status, payload = _batch_payload(results, outcome.errors, started)
    return SandboxResponse.json(status, payload, batch_size=len(inputs))


# ---- associations v4
def _assoc_batch(app: HubSpotApp, portal: Portal, request: SandboxRequest, m: re.Match[str]) -> SandboxResponse:
    started = _iso_now()
    from_table = app.table(portal, m["from"])
    to_table = app.table(portal, m["to"])
    inputs = _inputs(_body(request), ASSOCIATIONS_BATCH_MAX)
    results, missing, empty = [], [], []
    for item in inputs:
        rid = str(item.get("id")) if isinstance(item, dict) else str(item)
        row = from_table.live_row(rid)
        if row is None:
            missing.append(rid)
            continue
        to = portal.associations(from_table.type.name, to_table.type.name, row)
        if not to and app.settings.missing_associations == "error":
            empty.append(rid)
            continue
        results.append({"from": {"id": rid}, "to": to})
    errors = []
    for rid in missing + empty:
        errors.append(standard_error(
            "OBJECT_NOT_FOUND",
            f"No {to_table.type.singular.lower()} is associated with {from_table.type.singular.lower()} {rid}.",
            {"fromObjectId": [rid]}))
    status, payload = _batch_payload(results, errors, started)
    return SandboxResponse.json(status, payload, batch_size=len(inputs))


def _assoc_one(app: HubSpotApp, portal: Portal, request: SandboxRequest, m: re.Match[str]) -> SandboxResponse:
    from_table = app.table(portal, m["type"])
    to_table = app.table(portal, m["to"])
    row = from_table.live_row(m["id"])
    if row is None:
        raise not_found(f"{from_table.type.singular} {m['id']} not found")
    return SandboxResponse.json(200, {"results": portal.associations(from_table.type.name, to_table.type.name, row)},
                                batch_size=1)


# ---- events
def _events(app: HubSpotApp, portal: Portal, request: SandboxRequest, m: re.Match[str]) -> SandboxResponse:
    object_type = resolve_type(request.param("objectType") or "contacts")
    event_type = request.param("eventType")
    try:
        limit = max(1, min(int(request.param("limit") or 100), EVENTS_MAX))
    except ValueError:
        raise validation_error("limit must be an integer") from None
    if object_type != "contacts" or (event_type and event_type != "e_visited_page"):
        return SandboxResponse.json(200, {"results": []}, batch_size=0)
    contact = None
    if request.param("objectId"):
        contact = portal.tables["contacts"].row_of(request.param("objectId"))
        if contact is None:
            return SandboxResponse.json(200, {"results": []}, batch_size=0)
    bounds = []
    for name in ("occurredAfter", "occurredBefore"):
        raw = request.param(name)
        value = parse_time(raw) if raw else None
        if raw and value is None:
            raise validation_error(f"{name} must be an ISO 8601 datetime, got {raw!r}")
        bounds.append(value)
    descending = (request.param("sort") or "").startswith("-")
    results, nxt = portal.query_events(contact, bounds[0], bounds[1], _decode_after(request.param("after")), limit,
                                       descending)
    payload: dict[str, Any] = {"results": results}
    if nxt is not None:
        after = _encode_after(nxt)
        payload["paging"] = {"next": {"after": after, "link": f"?after={after}"}}
    return SandboxResponse.json(200, payload, batch_size=len(results))


_T = r"(?P<type>[^/]+)"
ROUTES: list[tuple[str, re.Pattern[str], Handler]] = [
    ("POST", re.compile(rf"/crm/v3/objects/{_T}/search/?"), _search),
    ("POST", re.compile(rf"/crm/v3/objects/{_T}/batch/read/?"), _batch_read),
    ("POST", re.compile(rf"/crm/v3/objects/{_T}/batch/update/?"), _batch_update),
    ("POST", re.compile(rf"/crm/v3/objects/{_T}/merge/?"), _merge),
    ("GET", re.compile(rf"/crm/v3/objects/{_T}/?"), _list),
    ("POST", re.compile(rf"/crm/v3/objects/{_T}/?"), _create),
    ("GET", re.compile(rf"/crm/v3/objects/{_T}/(?P<id>[^/]+)/?"), _read_one),
    ("PATCH", re.compile(rf"/crm/v3/objects/{_T}/(?P<id>[^/]+)/?"), _update_one),
    ("DELETE", re.compile(rf"/crm/v3/objects/{_T}/(?P<id>[^/]+)/?"), _archive_one),
    ("POST", re.compile(r"/crm/v4/associations/(?P<from>[^/]+)/(?P<to>[^/]+)/batch/read/?"), _assoc_batch),
    ("GET", re.compile(rf"/crm/v4/objects/{_T}/(?P<id>[^/]+)/associations/(?P<to>[^/]+)/?"), _assoc_one),
    ("GET", re.compile(r"/events/v3/events/?"), _events),
    *properties_api.ROUTES,
]


def _match(method: str, path: str) -> tuple[Handler, re.Match[str]] | None:
    for verb, pattern, handler in ROUTES:
        if verb == method:
            m = pattern.fullmatch(path)
            if m is not None:
                return handler, m
    return None
