"""Bulk API 2.0: query jobs (CSV results with locators) and ingest update jobs. Jobs finish at once."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from typing import Any

from sandbox.salesforce import soql
from sandbox.salesforce.org import Org
from sandbox.salesforce.query import CompiledQuery
from sandbox.salesforce.schema import SCHEMA
from sandbox.salesforce.timefmt import format_datetime
from sandbox.salesforce.writes import Outcome, commit, prepare
from sandbox.wire import SandboxResponse


class BulkError(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


@dataclass
class Job:
    job_id: str
    kind: str                        # query | ingest
    operation: str
    sobject: str
    created: int
    version: str
    state: str
    polls_left: int
    compiled: CompiledQuery | None = None
    csv_text: str = ""
    results: list[tuple[dict[str, str], Outcome]] = field(default_factory=list)
    error_message: str | None = None

    def info(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "id": self.job_id, "operation": self.operation, "object": self.sobject,
            "createdById": "005000000000000AAA", "createdDate": format_datetime(self.created),
            "systemModstamp": format_datetime(self.created), "state": self.state, "concurrencyMode": "Parallel",
            "contentType": "CSV", "apiVersion": float(self.version), "lineEnding": "LF", "columnDelimiter": "COMMA",
        }
        if self.kind == "query":
            body["jobType"] = "V2Query"
            if self.state == "JobComplete" and self.compiled is not None:
                body["numberRecordsProcessed"] = len(self.compiled.rows)
        else:
            body["jobType"] = "V2Ingest"
            body["contentUrl"] = f"services/data/v{self.version}/jobs/ingest/{self.job_id}/batches"
            body["numberRecordsProcessed"] = sum(1 for _, o in self.results)
            body["numberRecordsFailed"] = sum(1 for _, o in self.results if not o.ok)
        if self.error_message:
            body["errorMessage"] = self.error_message
        return body

    def poll(self) -> None:
        if self.state in ("UploadComplete", "InProgress"):
            if self.polls_left > 0:
                self.polls_left -= 1
                self.state = "InProgress"
            elif self.state != "Failed":
                self.state = "JobComplete"


def create_query_job(org: Org, body: Any, version: str, now: int, polls: int,
                     fractional: bool) -> Job:
    if not isinstance(body, dict) or body.get("operation") not in ("query", "queryAll") or not body.get("query"):
        raise BulkError(400, "INVALIDJOB", "InvalidJob : operation must be query or queryAll and query is required")
    try:
        parsed = soql.parse(str(body["query"]), fractional_datetimes=fractional)
        compiled = CompiledQuery(org, parsed, include_deleted=body["operation"] == "queryAll", version=version,
                                 now=now)
    except soql.SoqlError as exc:
        raise BulkError(400, "API_ERROR" if exc.code == "MALFORMED_QUERY" else exc.code, exc.message) from None
    if parsed.count_only:
        raise BulkError(400, "API_ERROR", "Aggregate queries are not supported by Bulk API 2.0")
    job = Job(_job_id(org), "query", body["operation"], compiled.sobject.name, now, version, "UploadComplete",
              polls, compiled=compiled)
    org.jobs[job.job_id] = job
    return job


def create_ingest_job(org: Org, body: Any, version: str, now: int, polls: int) -> Job:
    if not isinstance(body, dict) or body.get("operation") != "update":
        raise BulkError(400, "FEATURENOTENABLED", "This sandbox supports Bulk 2.0 ingest jobs with operation update")
    sobject = body.get("object")
    if sobject not in SCHEMA:
        raise BulkError(400, "NOT_FOUND", f"InvalidJob : Invalid object: {sobject}")
    job = Job(_job_id(org), "ingest", "update", sobject, now, version, "Open", polls)
    org.jobs[job.job_id] = job
    return job


def _job_id(org: Org) -> str:
    return org.codec.make("Job", len(org.jobs))


def upload(job: Job, data: bytes) -> None:
    if job.kind != "ingest" or job.state != "Open":
        raise BulkError(409, "INVALIDJOBSTATE", f"Job {job.job_id} is not open for data upload")
    job.csv_text += data.decode("utf-8-sig")


def close(org: Org, job: Job, state: Any, now: int) -> None:
    if state == "Aborted":
        job.state = "Aborted"
        return
    if state != "UploadComplete" or job.kind != "ingest" or job.state != "Open":
        raise BulkError(409, "INVALIDJOBSTATE", f"Job {job.job_id} cannot move to state {state}")
    job.state = "UploadComplete"
    rows = list(csv.DictReader(io.StringIO(job.csv_text)))
    header = list(rows[0]) if rows else []
    unknown = [name for name in header if SCHEMA[job.sobject].field(name) is None]
    if unknown:
        job.state, job.error_message = "Failed", f"InvalidBatch : Field name not found : {unknown[0]}"
        return
    for values in rows:
        record_id = next((v for k, v in values.items() if k.lower() == "id"), None)
        changes = {k: (None if v == "#N/A" else v) for k, v in values.items() if k.lower() != "id" and v != ""}
        outcome = prepare(org, job.sobject, record_id, changes, from_text=True)
        if outcome.ok:
            commit(org, outcome, now)
        job.results.append((values, outcome))


def query_results(job: Job, max_records: int, locator: str | None, version: str) -> SandboxResponse:
    assert job.compiled is not None
    if version != job.version:
        raise BulkError(409, "INVALIDJOBSTATE", f"Job {job.job_id} was created with API version {job.version}; "
                                                f"read its results with the same version, not {version}")
    if job.state != "JobComplete":
        raise BulkError(409, "INVALIDJOBSTATE", f"Job {job.job_id} is not complete")
    start = int(locator) if locator and locator.isdigit() else 0
    rows = job.compiled.rows[start:start + max_records]
    end = start + len(rows)
    next_locator = str(end) if end < len(job.compiled.rows) else "null"
    return SandboxResponse.text(200, job.compiled.csv_rows(rows), "text/csv",
                                {"Sforce-NumberOfRecords": str(len(rows)), "Sforce-Locator": next_locator},
                                batch_size=len(rows))


def ingest_results(job: Job, which: str) -> SandboxResponse:
    if job.state not in ("JobComplete", "Failed", "Aborted"):
        raise BulkError(409, "INVALIDJOBSTATE", f"Job {job.job_id} is not complete")
    columns = list(job.results[0][0]) if job.results else []
    out = io.StringIO()
    writer = csv.writer(out, quoting=csv.QUOTE_ALL, lineterminator="\n")
    if which == "successfulResults":
        writer.writerow(["sf__Id", "sf__Created", *columns])
        for values, outcome in job.results:
            if outcome.ok:
                writer.writerow([outcome.record_id, "false", *values.values()])
    elif which == "failedResults":
        writer.writerow(["sf__Id", "sf__Error", *columns])
        for values, outcome in job.results:
            if not outcome.ok:
                first = outcome.errors[0]
                message = f"{first['statusCode']}:{first['message']}:{','.join(first['fields'])} --"
                writer.writerow(["", message, *values.values()])
    else:
        header = next(csv.reader(io.StringIO(job.csv_text)), [])
        writer.writerow(header)
        if job.state in ("Aborted", "Failed"):
            for row in list(csv.reader(io.StringIO(job.csv_text)))[1:]:
                writer.writerow(row)
    return SandboxResponse.text(200, out.getvalue(), "text/csv", batch_size=len(job.results))
