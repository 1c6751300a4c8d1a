"""Bulk API 2.0: query jobs for backfills, ingest jobs for large write batches.

Job polling waits through the Caller (a job still running is a RETRY with ``retry_after`` = the poll
interval), so nothing here sleeps. Query results arrive as CSV pages (``Sforce-Locator``); their rows
are turned back into the shape the REST API returns (relationship columns ``Account.Name`` nested,
booleans and numbers parsed) so the same converters apply. Ingest results are matched by record id;
rows in no result file (unprocessed) come back as ``retry``.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime
from typing import Any

import requests

from connectors.base import Outcome, Update, Value, WriteResult
from connectors.http import Action, Caller, Verdict
from connectors.salesforce.client import SalesforceClient
from connectors.salesforce.soql import check_name, check_object

TERMINAL_OK = "JobComplete"
TERMINAL_BAD = frozenset({"Failed", "Aborted"})
BOOLEAN_COLUMNS = frozenset({"IsDeleted", "IsConverted", "HasResponded"})
NULL = "#N/A"                       # Bulk API: set the field to null (an empty cell leaves it alone)
RETRY_CODES = frozenset({"UNABLE_TO_LOCK_ROW", "SERVER_UNAVAILABLE"})


class Bulk:
    """Bulk API 2.0 jobs of one client; ``poller`` is a Caller allowed to wait long for a job."""

    def __init__(self, client: SalesforceClient, poller: Caller, *, poll_s: float = 2.0,
                 page_rows: int = 50_000, chunk_rows: int = 2000) -> None:
        self.client = client
        self.poller = poller
        self.poll_s = poll_s
        self.page_rows = page_rows          # rows per result call (maxRecords)
        self.chunk_rows = chunk_rows        # rows per list yielded by :meth:`query` (a page of the cycle)
        self.horizon: datetime | None = None     # of the last query job (SalesforceClient.timed)

    # ------------------------------------------------------------------ jobs
    def _wait(self, kind: str, job_id: str) -> dict[str, Any]:
        def classify_job(outcome: object) -> Verdict:
            if isinstance(outcome, BaseException):
                return self.client.classify(outcome)
            state = outcome.get("state") if isinstance(outcome, dict) else None
            if state == TERMINAL_OK:
                return Verdict(Action.SUCCESS)
            if state in TERMINAL_BAD:
                message = outcome.get("errorMessage") if isinstance(outcome, dict) else ""
                return Verdict(Action.FAIL, "BULK_JOB_FAILED", f"bulk job {job_id} {state}: {message}")
            return Verdict(Action.RETRY, "BULK_JOB_RUNNING", f"bulk job {job_id} is {state}",
                           retry_after=self.poll_s)
        client = self.client
        result = self.poller.call(f"salesforce.bulk2.{kind}.poll",
                                  lambda: client.sf.restful(f"jobs/{kind}/{job_id}"), classify_job,
                                  refresh=client.refresh)
        return dict(result or {})

    # ------------------------------------------------------------------ query
    def query(self, soql: str, *, include_deleted: bool = False) -> Iterator[list[dict[str, Any]]]:
        """Rows of ``soql`` (REST-shaped dicts) in lists of at most ``chunk_rows``; a result call's CSV is
        parsed as the lists are taken, so only one chunk of dicts is alive at a time."""
        body = {"operation": "queryAll" if include_deleted else "query", "query": soql,
                "contentType": "CSV", "columnDelimiter": "COMMA", "lineEnding": "LF"}
        job = self.client.timed(lambda: self.client.restful("salesforce.bulk2.query", "jobs/query", method="POST",
                                                            json=body))
        self.horizon = self.client.horizon      # the job reads a snapshot taken after it was created
        job_id = str(job["id"])
        self._wait("query", job_id)
        locator: str | None = None
        while True:
            params: dict[str, Any] = {"maxRecords": self.page_rows}
            if locator:
                params["locator"] = locator
            response = self.client.raw("salesforce.bulk2.results", "GET", f"jobs/query/{job_id}/results",
                                       params=params)
            chunk: list[dict[str, Any]] = []
            # decoded as it is read: no second copy of the page as one str (a StringIO would hold it as
            # 4 bytes a character); newline="" keeps quoted line breaks inside values for the csv module
            text = io.TextIOWrapper(io.BytesIO(response.content), encoding="utf-8-sig", errors="replace",
                                    newline="")
            for row in csv.DictReader(text):
                chunk.append(rest_shape(row))
                if len(chunk) >= self.chunk_rows:
                    yield chunk
                    chunk = []
            if chunk:
                yield chunk
            locator = response.headers.get("Sforce-Locator")
            del text, response
            if not locator or locator == "null":
                return

    # ------------------------------------------------------------------ ingest
    def update(self, object_type: str, updates: Sequence[Update],
               format_value: Any) -> list[WriteResult]:
        """Update records of one object in one ingest job; one result per update, in input order."""
        check_object(object_type)
        columns = sorted({check_name(f) for u in updates for f in u.values})
        text = ingest_csv(updates, columns, format_value)
        job = self.client.restful("salesforce.bulk2.ingest", "jobs/ingest", method="POST", json={
            "object": object_type, "operation": "update", "contentType": "CSV", "lineEnding": "LF"})
        job_id = str(job["id"])
        self.client.raw("salesforce.bulk2.upload", "PUT", f"jobs/ingest/{job_id}/batches", data=text.encode(),
                        headers={"Content-Type": "text/csv"})
        self.client.restful("salesforce.bulk2.ingest", f"jobs/ingest/{job_id}", method="PATCH",
                            json={"state": "UploadComplete"})
        self._wait("ingest", job_id)
        failed = utf8(self.client.raw("salesforce.bulk2.results", "GET", f"jobs/ingest/{job_id}/failedResults"))
        done = utf8(self.client.raw("salesforce.bulk2.results", "GET",
                                    f"jobs/ingest/{job_id}/successfulResults"))
        return ingest_results(updates, done, failed)


def utf8(response: requests.Response) -> str:
    """Bulk CSV is UTF-8; ``response.text`` would guess ISO-8859-1 for ``text/csv`` without a charset."""
    return response.content.decode("utf-8-sig", "replace")


def ingest_csv(updates: Sequence[Update], columns: Sequence[str], format_value: Any) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["Id", *columns])
    for update in updates:
        row: list[str] = [update.person_id]
        for column in columns:
            if column not in update.values:
                row.append("")
                continue
            value: Value = format_value(column, update.values[column])
            row.append(NULL if value is None or value == "" else _cell(value))
        writer.writerow(row)
    return out.getvalue()


def _cell(value: Value) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def ingest_results(updates: Sequence[Update], done_csv: str, failed_csv: str) -> list[WriteResult]:
    done = {_row_id(r) for r in csv.DictReader(io.StringIO(done_csv))}
    failed: dict[str, Mapping[str, str]] = {}
    for row in csv.DictReader(io.StringIO(failed_csv)):
        failed[_row_id(row)] = row
    results = []
    for update in updates:
        key = update.person_id[:15]
        if key in done:
            results.append(WriteResult(update.person_id, "done"))
        elif key in failed:
            code, message, fields = parse_bulk_error(failed[key].get("sf__Error") or "")
            outcome: Outcome = "retry" if code in RETRY_CODES else "dead"
            results.append(WriteResult(update.person_id, outcome, code=code, message=message, fields=fields))
        else:
            results.append(WriteResult(update.person_id, "retry", code="UNPROCESSED",
                                       message="the bulk job did not process this record"))
    return results


def _row_id(row: Mapping[str, str]) -> str:
    return (row.get("Id") or row.get("sf__Id") or "")[:15]


def parse_bulk_error(text: str) -> tuple[str, str, tuple[str, ...]]:
    """``CODE:message:Field1,Field2`` (the fields part may be ``--`` or absent)."""
    parts = text.split(":")
    code = parts[0].strip() or "UNKNOWN_ERROR"
    fields: tuple[str, ...] = ()
    if len(parts) >= 3 and parts[-1].strip() not in ("", "--"):
        fields = tuple(f.strip() for f in parts[-1].split(",") if f.strip())
        message = ":".join(parts[1:-1]).strip()
    else:
        message = ":".join(parts[1:]).strip().removesuffix("--").rstrip(":").strip()
    return code, message, fields


def rest_shape(row: Mapping[str, str]) -> dict[str, Any]:
    """A bulk CSV row as the REST API would return it: empty -> None, booleans, nested relationships."""
    record: dict[str, Any] = {}
    for column, raw in row.items():
        value: Any = None if raw == "" else raw
        if column in BOOLEAN_COLUMNS and value is not None:
            value = value.lower() == "true"
        if "." in column:
            parent, child = column.split(".", 1)
            nested = record.setdefault(parent, {})
            if isinstance(nested, dict):
                nested[child] = value
        else:
            record[column] = value
    return record

