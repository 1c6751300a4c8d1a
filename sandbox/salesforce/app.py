"""SalesforceApp: the emulated Salesforce REST, OAuth and Bulk 2.0 APIs behind ``/services/``."""

from __future__ import annotations

import random
import re
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

from sandbox.salesforce import bulk, soql
from sandbox.salesforce import seed as datagen
from sandbox.salesforce.auth import Session, issue_token, public_key_of
from sandbox.salesforce.ids import IdCodec, to_base62
from sandbox.salesforce.org import Cursor, Org
from sandbox.salesforce.query import CompiledQuery
from sandbox.salesforce.schema import SCHEMA, describe, describe_global
from sandbox.salesforce.timefmt import epoch_seconds
from sandbox.salesforce.writes import RequestError, check_fields, commit, prepare, unknown_field_message
from sandbox.wire import SandboxRequest, SandboxResponse

Clock = Callable[[], datetime]
_VERSIONED = re.compile(r"^/services/data/v(\d{2}\.\d)(?:/(.*))?$")
_PAGE_DEFAULT = 2000
MAX_COLLECTION = 200


def _errors(status: int, code: str, message: str, fields: list[str] | None = None,
            **kw: Any) -> SandboxResponse:
    entry: dict[str, Any] = {"message": message, "errorCode": code}
    if fields:
        entry["fields"] = fields
    return SandboxResponse.json(status, [entry], **kw)


class SalesforceApp:
    """Many orgs at once, each reached by its OAuth client id; tokens are bound to their org.

    ``now`` is the generation clock: a datetime (time then runs on from it at the real pace, so writes
    still move SystemModstamp forward) or a callable returning the current time; None = real time.
    ``strict`` picks the stricter side of every behaviour CRM_APIS.md leaves UNVERIFIED: fractional
    seconds in SOQL datetime literals are refused, and an unknown field in a collections update rejects
    the whole request. Each can be overridden on its own.
    """

    def __init__(self, strict: bool = True, now: Clock | datetime | None = None, *,
                 fractional_datetimes: bool | None = None, unknown_field_per_record: bool | None = None,
                 bulk_polls: int = 0) -> None:
        self.fractional_datetimes = (not strict) if fractional_datetimes is None else fractional_datetimes
        self.unknown_field_per_record = (not strict) if unknown_field_per_record is None else unknown_field_per_record
        self.bulk_polls = bulk_polls
        self._clock: Clock = lambda: datetime.now(UTC)
        self.set_clock(now)                  # generation clock: a datetime runs on at the real pace
        self._lock = threading.RLock()
        self._orgs: dict[str, Org] = {}
        self._sessions: dict[str, Session] = {}

    # ---- administration (tests, demo, benchmarks) ----

    def set_clock(self, now: Clock | datetime | None) -> None:
        """Replace the org clock: a callable (e.g. ``lambda: frozen`` to stop time), a datetime (time runs
        on from it at the real pace) or None (real time). Tests use it for same-second edits."""
        if isinstance(now, datetime):
            start, real_start = now, time.monotonic()
            self._clock = lambda: start + timedelta(seconds=time.monotonic() - real_start)
        else:
            self._clock = now or (lambda: datetime.now(UTC))

    def add_org(self, client_id: str, client_secret: str, leads: int = 300, contacts: int = 200, seed: int = 2,
                daily_api_limit: int = 15000, session_ttl_calls: int | None = None,
                private_key_pem: str | bytes | None = None, username: str | None = None,
                activities_per_person: float = 4.0) -> str:
        """Create an org with seeded data; returns its org id (``00D...``).

        ``daily_api_limit`` is the org's DailyApiRequests (403 REQUEST_LIMIT_EXCEEDED beyond it);
        ``session_ttl_calls`` makes every token INVALID_SESSION_ID after that many calls; with
        ``private_key_pem`` (or a public key PEM) JWT bearer assertions must be RS256-signed by it, and
        ``username`` must then be their ``sub``. ``activities_per_person`` is the mean number of campaign
        memberships, tasks and events per lead or contact.
        """
        with self._lock:
            if any(o.client_id == client_id for o in self._orgs.values()):
                raise ValueError(f"an org with client id {client_id!r} exists already")
            codec = IdCodec(to_base62(len(self._orgs) + 1, 2))
            org_id = codec.make("Organization", 0)
            org = Org(org_id, codec, client_id, client_secret, daily_api_limit, session_ttl_calls,
                      public_key_of(private_key_pem) if private_key_pem else None, username, random.Random(seed))
            datagen.populate(org, leads=leads, contacts=contacts, now=self._now(),
                                 activities_per_person=activities_per_person)
            self._orgs[org_id] = org
            return org_id

    def reset(self) -> None:
        with self._lock:
            self._orgs.clear()
            self._sessions.clear()

    def records(self, org_id: str, sobject: str, include_deleted: bool = True) -> list[dict[str, Any]]:
        """Every record of one object, all fields, as the REST API renders them (deleted ones included)."""
        with self._lock:
            org = self._orgs[org_id]
            fields = ", ".join(SCHEMA[sobject].fields)
            compiled = CompiledQuery(org, soql.parse(f"SELECT {fields} FROM {sobject}"),
                                     include_deleted=include_deleted, version="59.0")
            return [compiled.render(row) for row in compiled.rows]

    def record(self, org_id: str, sobject: str, record_id: str) -> dict[str, Any] | None:
        with self._lock:
            org = self._orgs[org_id]
            row = org.codec.row_of(sobject, record_id)
            if row is None or row >= org.tables[sobject].size:
                return None
            fields = ", ".join(SCHEMA[sobject].fields)
            compiled = CompiledQuery(org, soql.parse(f"SELECT {fields} FROM {sobject} WHERE Id = '{record_id}'"),
                                     include_deleted=True, version="59.0")
            return compiled.render(compiled.rows[0]) if compiled.rows else None

    def advance_activity(self, org_id: str, n: int, now: datetime | None = None) -> dict[str, int]:
        with self._lock:
            moment = epoch_seconds(now) if now is not None else self._now()
            return datagen.advance(self._orgs[org_id], n, moment)

    def expire_sessions(self, org_id: str) -> None:
        with self._lock:
            for session in self._sessions.values():
                if session.org_id == org_id:
                    session.valid = False

    def api_usage(self, org_id: str) -> tuple[int, int]:
        org = self._orgs[org_id]
        return org.api_used, org.daily_api_limit

    def _now(self) -> int:
        return epoch_seconds(self._clock())

    # ---- HTTP ----

    def account_of(self, request: SandboxRequest) -> str | None:
        """The org a request is for (the sandbox's request log and per-account faults), without side effects."""
        if not request.path.startswith("/services/"):
            return None
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() in ("bearer", "oauth"):
            session = self._sessions.get(token.strip())
            return session.org_id if session is not None else None
        return None

    def handle(self, request: SandboxRequest) -> SandboxResponse | None:
        response = self._handle(request)
        if response is not None:        # as Salesforce does; on the org's clock (second resolution)
            response.headers["Date"] = format_datetime(datetime.fromtimestamp(self._now(), UTC), usegmt=True)
        return response

    def _handle(self, request: SandboxRequest) -> SandboxResponse | None:
        if not request.path.startswith("/services/"):
            return None
        with self._lock:
            if request.path.rstrip("/") == "/services/oauth2/token":
                if request.method != "POST":
                    return _errors(405, "METHOD_NOT_ALLOWED", "HTTP Method 'GET' not allowed. Allowed are POST")
                return issue_token(request, self._orgs, self._sessions)
            if request.path.rstrip("/") == "/services/data":
                return SandboxResponse.json(200, [{"label": "Winter '24", "url": "/services/data/v59.0",
                                                   "version": "59.0"}])
            match = _VERSIONED.match(request.path)
            if match is None:
                return _errors(404, "NOT_FOUND", "The requested resource does not exist")
            org_or_response = self._authorize(request)
            if isinstance(org_or_response, SandboxResponse):
                return org_or_response
            org = org_or_response
            if org.api_used >= org.daily_api_limit:
                response = _errors(403, "REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded.")
            else:
                org.api_used += 1
                try:
                    response = self._route(org, request, match.group(1), (match.group(2) or "").strip("/"))
                except RequestError as exc:
                    response = _errors(400, exc.code, exc.message, exc.fields)
                except bulk.BulkError as exc:
                    response = _errors(exc.status, exc.code, exc.message)
            response.account = org.org_id
            response.headers["Sforce-Limit-Info"] = f"api-usage={org.api_used}/{org.daily_api_limit}"
            return response

    def _authorize(self, request: SandboxRequest) -> Org | SandboxResponse:
        header = request.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        session = self._sessions.get(token.strip()) if scheme.lower() in ("bearer", "oauth") else None
        if session is not None and session.valid:
            org = self._orgs.get(session.org_id)
            session.calls += 1
            if org is not None and (org.session_ttl_calls is None or session.calls <= org.session_ttl_calls):
                return org
            session.valid = False
        return _errors(401, "INVALID_SESSION_ID", "Session expired or invalid")

    def _route(self, org: Org, request: SandboxRequest, version: str, rest: str) -> SandboxResponse:
        parts = rest.split("/") if rest else []
        method = request.method
        head = parts[0] if parts else ""
        if not parts and method == "GET":
            return SandboxResponse.json(200, {name: f"/services/data/v{version}/{name}" for name in
                                              ("query", "queryAll", "sobjects", "limits", "composite", "jobs")})
        if head == "limits" and method == "GET":
            return self._limits(org)
        if head in ("query", "queryAll") and method == "GET":
            if len(parts) == 2:
                return self._query_more(org, parts[1])
            return self._query(org, request, version, include_deleted=head == "queryAll")
        if head == "sobjects":
            return self._sobjects(org, request, version, parts[1:])
        if parts == ["composite", "sobjects"] and method == "PATCH":
            return self._collections_update(org, request)
        if head == "jobs" and len(parts) >= 2:
            return self._jobs(org, request, version, parts[1:])
        return _errors(404, "NOT_FOUND", "The requested resource does not exist")

    def _limits(self, org: Org) -> SandboxResponse:
        remaining = org.daily_api_limit - org.api_used

        def limit(maximum: int, used: int = 0) -> dict[str, int]:
            return {"Max": maximum, "Remaining": maximum - used}
        return SandboxResponse.json(200, {
            "DailyApiRequests": {"Max": org.daily_api_limit, "Remaining": remaining,
                                 "crmsync": {"Max": 0, "Remaining": 0}},
            "DailyBulkV2QueryJobs": limit(10000, sum(1 for j in org.jobs.values() if j.kind == "query")),
            "DailyBulkV2QueryFileStorageMB": limit(976562),
            "DailyBulkApiBatches": limit(15000, sum(1 for j in org.jobs.values() if j.kind == "ingest")),
            "DataStorageMB": limit(1024), "FileStorageMB": limit(1024),
            "ConcurrentAsyncGetReportInstances": limit(200), "HourlyODataCallout": limit(10000),
        })

    # ---- query ----

    def _query(self, org: Org, request: SandboxRequest, version: str, include_deleted: bool) -> SandboxResponse:
        text = request.param("q")
        if text is None:
            return _errors(400, "MALFORMED_QUERY", "A query string has to be specified")
        try:
            parsed = soql.parse(text, fractional_datetimes=self.fractional_datetimes)
            compiled = CompiledQuery(org, parsed, include_deleted=include_deleted, version=version,
                                     now=self._now())
        except soql.SoqlError as exc:
            return _errors(400, exc.code, exc.message)
        if parsed.count_only:
            return SandboxResponse.json(200, {"totalSize": len(compiled.rows), "done": True, "records": []},
                                        batch_size=0)
        batch = _batch_size(request.headers.get("sforce-query-options", ""))
        cursor = Cursor(compiled.sobject.name, compiled.rows, compiled.render, batch, version)
        key = org.add_cursor(cursor) if len(compiled.rows) > batch else ""
        return _page(cursor, key, 0, version)

    def _query_more(self, org: Org, locator: str) -> SandboxResponse:
        key, _, offset = locator.rpartition("-")
        cursor = org.cursors.get(key)
        if cursor is None or not offset.isdigit():
            return _errors(400, "INVALID_QUERY_LOCATOR", "invalid query locator")
        org.cursors.move_to_end(key)
        return _page(cursor, key, int(offset), cursor.version)

    # ---- sobjects ----

    def _sobjects(self, org: Org, request: SandboxRequest, version: str, parts: list[str]) -> SandboxResponse:
        if not parts:
            return SandboxResponse.json(200, describe_global(version))
        sobject = SCHEMA.get(parts[0])
        if sobject is None:
            return _errors(404, "NOT_FOUND", "The requested resource does not exist")
        if parts[1:] == ["describe"]:
            return SandboxResponse.json(200, describe(sobject, version))
        if len(parts) == 2 and request.method == "GET":
            record = self._record_or_none(org, sobject.name, parts[1])
            if record is None:
                return _errors(404, "NOT_FOUND", "The requested resource does not exist")
            return SandboxResponse.json(200, record, batch_size=1)
        if len(parts) == 2 and request.method == "PATCH":
            values = request.json()
            if not isinstance(values, dict):
                return _errors(400, "JSON_PARSER_ERROR", "The request body must be a JSON object")
            values.pop("attributes", None)
            if not self.unknown_field_per_record:
                check_fields(sobject.name, list(values))
            outcome = prepare(org, sobject.name, parts[1], values)
            if not outcome.ok:
                first = outcome.errors[0]
                return SandboxResponse.json(400, [{"message": first["message"], "errorCode": first["statusCode"],
                                                   "fields": first["fields"]}], batch_size=1)
            commit(org, outcome, self._now())
            return SandboxResponse(204, batch_size=1)
        if len(parts) == 1:
            return SandboxResponse.json(200, {"objectDescribe": {"name": sobject.name, "keyPrefix":
                                                                 sobject.key_prefix}, "recentItems": []})
        return _errors(404, "NOT_FOUND", "The requested resource does not exist")

    def _record_or_none(self, org: Org, sobject: str, record_id: str) -> dict[str, Any] | None:
        row = org.codec.row_of(sobject, record_id)
        if row is None or row >= org.tables[sobject].size or org.tables[sobject].is_deleted(row):
            return None
        fields = ", ".join(SCHEMA[sobject].fields)
        compiled = CompiledQuery(org, soql.parse(f"SELECT {fields} FROM {sobject}"), include_deleted=False,
                                 version="59.0")
        return compiled.render(row)

    def _collections_update(self, org: Org, request: SandboxRequest) -> SandboxResponse:
        try:
            body = request.json()
        except ValueError:
            return _errors(400, "JSON_PARSER_ERROR", "Unexpected character in the request body")
        records = body.get("records") if isinstance(body, dict) else None
        if not isinstance(records, list):
            return _errors(400, "JSON_PARSER_ERROR", "The request body must hold a records array")
        if len(records) > MAX_COLLECTION:
            return _errors(400, "EXCEEDED_ID_LIMIT", "record limit reached. cannot submit more than 200 records "
                                                     "into this call", batch_size=len(records))
        all_or_none = bool(body.get("allOrNone", False))
        parsed: list[tuple[str, Any, dict[str, Any]]] = []
        for record in records:
            if not isinstance(record, dict):
                return _errors(400, "JSON_PARSER_ERROR", "Each record must be a JSON object")
            values = dict(record)
            attributes = values.pop("attributes", None)
            sobject = attributes.get("type") if isinstance(attributes, dict) else None
            if sobject not in SCHEMA:
                return _errors(400, "INVALID_TYPE", "Must specify a valid sObject type in attributes for each "
                                                    "record", batch_size=len(records))
            record_id = values.pop("id", None) or values.pop("Id", None)
            if not self.unknown_field_per_record:
                for name in values:
                    if SCHEMA[sobject].field(name) is None:
                        return _errors(400, "INVALID_FIELD", unknown_field_message(sobject, name), [name],
                                       batch_size=len(records))
            parsed.append((sobject, record_id, values))
        outcomes = [prepare(org, sobject, record_id, values) for sobject, record_id, values in parsed]
        failed = any(not o.ok for o in outcomes)
        now = self._now()
        results: list[dict[str, Any]] = []
        for outcome in outcomes:
            if not outcome.ok:
                results.append({"success": False, "errors": outcome.errors})
            elif all_or_none and failed:
                results.append({"success": False, "errors": [{
                    "statusCode": "ALL_OR_NONE_OPERATION_ROLLED_BACK", "message": "Record rolled back because "
                    "not all records were valid and the request was using AllOrNone header", "fields": []}]})
            else:
                commit(org, outcome, now)
                results.append({"id": outcome.record_id, "success": True, "errors": []})
        return SandboxResponse.json(200, results, batch_size=len(records))

    # ---- Bulk API 2.0 ----

    def _jobs(self, org: Org, request: SandboxRequest, version: str, parts: list[str]) -> SandboxResponse:
        kind, method = parts[0], request.method
        if kind not in ("query", "ingest"):
            return _errors(404, "NOT_FOUND", "The requested resource does not exist")
        if len(parts) == 1 and method == "POST":
            try:
                body = request.json()
            except ValueError:
                return _errors(400, "JSON_PARSER_ERROR", "The request body is not valid JSON")
            if kind == "query":
                job = bulk.create_query_job(org, body, version, self._now(), self.bulk_polls,
                                            self.fractional_datetimes)
            else:
                job = bulk.create_ingest_job(org, body, version, self._now(), self.bulk_polls)
            return SandboxResponse.json(200, job.info())
        found = org.jobs.get(parts[1]) if len(parts) >= 2 else None
        if found is None or found.kind != kind:
            return _errors(404, "NOT_FOUND", "The requested resource does not exist")
        job = found
        if len(parts) == 2 and method == "GET":
            job.poll()
            return SandboxResponse.json(200, job.info())
        if len(parts) == 2 and method == "PATCH":
            state = (request.json() or {}).get("state")
            if kind == "query":
                if state != "Aborted":
                    raise bulk.BulkError(400, "INVALIDJOBSTATE", f"Query jobs can only be aborted, not {state}")
                job.state = "Aborted"
            else:
                bulk.close(org, job, state, self._now())
            return SandboxResponse.json(200, job.info(), batch_size=len(job.results) or None)
        if len(parts) == 2 and method == "DELETE":
            del org.jobs[job.job_id]
            return SandboxResponse(204)
        if parts[2:] == ["results"] and kind == "query" and method == "GET":
            text = request.param("maxRecords") or "50000"
            if not text.isdigit():
                return _errors(400, "INVALIDURL", f"maxRecords must be a positive integer, not {text!r}")
            max_records = int(text)
            return bulk.query_results(job, max(1, max_records), request.param("locator"), version)
        if parts[2:] == ["batches"] and kind == "ingest" and method == "PUT":
            bulk.upload(job, request.body)
            return SandboxResponse(201)
        if len(parts) == 3 and kind == "ingest" and method == "GET" and parts[2] in (
                "successfulResults", "failedResults", "unprocessedrecords"):
            return bulk.ingest_results(job, parts[2])
        return _errors(404, "NOT_FOUND", "The requested resource does not exist")


def _batch_size(options: str) -> int:
    match = re.search(r"batchSize\s*=\s*(\d+)", options)
    if match is None:
        return _PAGE_DEFAULT
    return min(_PAGE_DEFAULT, max(200, int(match.group(1))))


def _page(cursor: Cursor, key: str, offset: int, version: str) -> SandboxResponse:
    rows = cursor.rows[offset:offset + cursor.batch_size]
    end = offset + len(rows)
    body: dict[str, Any] = {"totalSize": len(cursor.rows), "done": end >= len(cursor.rows)}
    if not body["done"]:
        body["nextRecordsUrl"] = f"/services/data/v{version}/query/{key}-{end}"
    body["records"] = [cursor.render(row) for row in rows]
    return SandboxResponse.json(200, body, batch_size=len(rows))
