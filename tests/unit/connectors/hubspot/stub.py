"""A small in-memory HubSpot served over real HTTP on 127.0.0.1, for the connector's unit tests.

Enough of the wire (CRM_APIS.md section 1) to drive hubspot-api-client: search with filters, sorts,
`after` offsets and the 10,000 cap, list pages (archived too), batch update with whole-request 400s
on a bad option, associations v4 batch read, properties and groups. Faults: queue statuses to answer.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import orjson

TOKEN = "pat-na1-stub-token"
ENUMS = {"crmsync_grade": {"A", "B", "C", "D"}, "crmsync_status": {"disqualified", "lead", "engaged", "mql"}}


@dataclass
class Stub:
    objects: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)   # type -> id -> record
    associations: dict[tuple[str, str], dict[str, list[str]]] = field(default_factory=dict)
    properties: dict[str, dict[str, Any]] = field(default_factory=dict)
    groups: set[str] = field(default_factory=set)
    faults: list[tuple[int, dict[str, str], dict[str, Any]]] = field(default_factory=list)
    log: list[tuple[str, str, int]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    url: str = ""
    cap: int = 10_000                       # search refuses `after` >= cap (HubSpot: 10,000)

    def add(self, object_type: str, rid: str, modified_ms: int, archived_ms: int | None = None,
            **props: Any) -> None:
        key = "lastmodifieddate" if object_type == "contacts" else "hs_lastmodifieddate"
        record = {"id": rid, "properties": {"hs_object_id": rid, key: str(modified_ms),
                                            **{k: None if v is None else str(v) for k, v in props.items()}},
                  "archived": archived_ms is not None}
        if archived_ms is not None:
            record["archivedAt"] = f"{_iso(archived_ms)}"
        self.objects.setdefault(object_type, {})[rid] = record

    # ------------------------------------------------------------------ handlers
    def handle(self, method: str, path: str, query: dict[str, list[str]], body: Any,
               headers: dict[str, str]) -> tuple[int, Any, dict[str, str]]:
        if headers.get("authorization") != f"Bearer {TOKEN}":
            return 401, {"status": "error", "category": "INVALID_AUTHENTICATION", "message": "bad token"}, {}
        if self.faults:
            status, extra, payload = self.faults.pop(0)
            return status, payload, extra
        parts = path.strip("/").split("/")
        if parts[:3] == ["crm", "v3", "objects"] and len(parts) == 5 and parts[4] == "search":
            return self._search(parts[3], body)
        if parts[:3] == ["crm", "v3", "objects"] and len(parts) == 4 and method == "GET":
            return self._list(parts[3], query)
        if parts[:3] == ["crm", "v3", "objects"] and parts[4:] == ["batch", "update"]:
            return self._update(parts[3], body)
        if parts[:3] == ["crm", "v4", "associations"] and parts[5:] == ["batch", "read"]:
            links = self.associations.get((parts[3], parts[4]), {})
            results = [{"from": {"id": i["id"]}, "to": [{"toObjectId": int(t), "associationTypes": [
                {"category": "HUBSPOT_DEFINED", "typeId": 279, "label": None}]} for t in links[i["id"]]]}
                for i in body["inputs"] if links.get(i["id"])]
            return 200, {"status": "COMPLETE", "results": results}, {}
        if parts[:3] == ["crm", "v3", "properties"]:
            return self._properties(method, parts[3:], body)
        return 404, {"status": "error", "category": "OBJECT_NOT_FOUND", "message": f"no route {path}"}, {}

    def _search(self, object_type: str, body: dict[str, Any]) -> tuple[int, Any, dict[str, str]]:
        after = int(body.get("after") or 0)
        if after >= self.cap:
            return 400, {"status": "error", "message": "There was a problem with the request."}, {}
        rows = [r for r in self.objects.get(object_type, {}).values()
                if not r["archived"] and all(_match(r, f) for g in body.get("filterGroups") or [{}]
                                             for f in g.get("filters") or [])]
        for sort in reversed(body.get("sorts") or []):
            name = str(sort["propertyName"])
            rows.sort(key=lambda r: int(r["properties"].get(name) or 0))
        limit = int(body.get("limit") or 10)
        page = rows[after:after + limit]
        payload: dict[str, Any] = {"total": len(rows), "results": [_project(r, body.get("properties")) for r in page]}
        if after + limit < len(rows):
            payload["paging"] = {"next": {"after": str(after + limit)}}
        return 200, payload, {}

    def _list(self, object_type: str, query: dict[str, list[str]]) -> tuple[int, Any, dict[str, str]]:
        archived = (query.get("archived") or ["false"])[0].lower() == "true"
        rows = sorted((r for r in self.objects.get(object_type, {}).values() if r["archived"] == archived),
                      key=lambda r: int(r["id"]))
        after = int((query.get("after") or ["0"])[0])
        limit = int((query.get("limit") or ["10"])[0])
        props = [p for v in query.get("properties", []) for p in v.split(",")]
        payload: dict[str, Any] = {"results": [_project(r, props) for r in rows[after:after + limit]]}
        if after + limit < len(rows):
            payload["paging"] = {"next": {"after": str(after + limit)}}
        return 200, payload, {"X-HubSpot-RateLimit-Remaining": "50"}

    def _update(self, object_type: str, body: dict[str, Any]) -> tuple[int, Any, dict[str, str]]:
        for item in body["inputs"]:
            for name, value in item["properties"].items():
                if name in ENUMS and value not in ENUMS[name] and value != "":
                    return 400, {"status": "error", "category": "VALIDATION_ERROR",
                                 "message": f"{value} was not one of the allowed options",
                                 "errors": [{"code": "INVALID_OPTION", "message": "bad option",
                                             "context": {"propertyName": [name]}}]}, {}
        records = self.objects.get(object_type, {})
        results, missing = [], []
        for item in reversed(body["inputs"]):
            record = records.get(item["id"])
            if record is None:
                missing.append(item["id"])
                continue
            record["properties"].update(item["properties"])
            results.append({"id": item["id"], "properties": item["properties"]})
        payload: dict[str, Any] = {"status": "COMPLETE", "results": results}
        if missing:
            payload.update(numErrors=1, errors=[{"status": "error", "category": "OBJECT_NOT_FOUND",
                                                 "message": "Could not get some CONTACT objects",
                                                 "context": {"ids": missing}}])
            return 207, payload, {}
        return 200, payload, {}

    def _properties(self, method: str, parts: list[str], body: Any) -> tuple[int, Any, dict[str, str]]:
        if parts[1:] == ["groups"]:
            if method == "GET":
                return 200, {"results": [{"name": g} for g in sorted(self.groups)]}, {}
            if body["name"] in self.groups:
                return 409, {"status": "error", "category": "OBJECT_ALREADY_EXISTS", "message": "exists"}, {}
            self.groups.add(body["name"])
            return 201, body, {}
        if method == "GET":
            return 200, {"results": list(self.properties.values())}, {}
        if body["name"] in self.properties:
            return 409, {"status": "error", "category": "OBJECT_ALREADY_EXISTS", "message": "exists"}, {}
        self.properties[body["name"]] = body
        return 201, body, {}


def _iso(ms: int) -> str:
    from datetime import UTC, datetime
    return datetime.fromtimestamp(ms / 1000, tz=UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}Z"


def _match(record: dict[str, Any], flt: dict[str, Any]) -> bool:
    raw = record["properties"].get(flt["propertyName"])
    if not str(flt.get("value") or "0").lstrip("-").isdigit():          # text: EQ only
        return flt["operator"] == "EQ" and raw == flt.get("value")
    value = int(raw or 0)
    target = int(flt.get("value") or 0)
    return {"GTE": value >= target, "LTE": value <= target, "EQ": value == target, "GT": value > target,
            "LT": value < target}[flt["operator"]]


def _project(record: dict[str, Any], props: list[str] | None) -> dict[str, Any]:
    wanted = props or list(record["properties"])
    out = {k: v for k, v in record.items() if k != "properties"}
    out["properties"] = {p: record["properties"].get(p) for p in wanted}
    return out


def serve(stub: Stub) -> Iterator[Stub]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _go(self) -> None:
            parts = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            headers = {k.lower(): v for k, v in self.headers.items()}
            with stub.lock:
                status, payload, extra = stub.handle(self.command, parts.path, parse_qs(parts.query),
                                                     orjson.loads(raw) if raw else None, headers)
                stub.log.append((self.command, parts.path, status))
            data = orjson.dumps(payload)
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for key, value in extra.items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = do_PATCH = _go

        def log_message(self, format: str, *args: Any) -> None:
            return None

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    stub.url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield stub
    finally:
        server.shutdown()
        server.server_close()
