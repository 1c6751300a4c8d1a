"""Bulk API 2.0 of the emulator through simple-salesforce's sf.bulk2."""

from __future__ import annotations

import csv
import io
from typing import Any, cast

import orjson
import pytest
from simple_salesforce.api import Salesforce
from simple_salesforce.exceptions import SalesforceMalformedRequest, SalesforceOperationError

from sandbox.salesforce import SalesforceApp
from sandbox.wire import SandboxRequest


def _bulk(sf: Salesforce, name: str) -> Any:
    """sf.bulk2.<name>; typed Any because the library's stubs say int where it takes float waits."""
    return getattr(sf.bulk2, name)


def _rows(chunks: list[str]) -> list[dict[str, str]]:
    return [row for chunk in chunks for row in csv.DictReader(io.StringIO(chunk))]


def test_bulk_query_pages_with_locator(sf: Salesforce) -> None:
    expected = sf.query("SELECT COUNT() FROM Lead")["totalSize"]
    chunks = list(_bulk(sf, "Lead").query("SELECT Id, Email, Owner.Name, SystemModstamp, IsConverted FROM Lead",
                                          max_records=100, wait=0.01))
    rows = _rows(chunks)
    assert len(chunks) == -(-expected // 100)
    assert len(rows) == expected == len({r["Id"] for r in rows})
    assert set(rows[0]) == {"Id", "Email", "Owner.Name", "SystemModstamp", "IsConverted"}
    assert rows[0]["SystemModstamp"].endswith(".000Z")
    assert {r["IsConverted"] for r in rows} == {"true", "false"}
    assert chunks[0].startswith('"Id","Email"')


def test_bulk_query_all_includes_deleted(sf: Salesforce) -> None:
    live = _rows(list(_bulk(sf, "Lead").query("SELECT Id, IsDeleted FROM Lead", wait=0.01)))
    every = _rows(list(_bulk(sf, "Lead").query_all("SELECT Id, IsDeleted FROM Lead", wait=0.01)))
    assert len(every) > len(live)
    assert {r["IsDeleted"] for r in every} == {"true", "false"}


def test_bulk_query_bad_soql_fails_job_creation(sf: Salesforce) -> None:
    with pytest.raises(SalesforceMalformedRequest) as info:
        list(_bulk(sf, "Lead").query("SELECT Nope__c FROM Lead", wait=0.01))
    assert cast(Any, info.value.content)[0]["errorCode"] == "INVALID_FIELD"


def test_bulk_update_with_failures(sf: Salesforce, app: SalesforceApp, org_id: str) -> None:
    good = [r["Id"] for r in sf.query("SELECT Id FROM Lead WHERE IsConverted = false LIMIT 3")["records"]]
    converted = sf.query("SELECT Id FROM Lead WHERE IsConverted = true LIMIT 1")["records"][0]["Id"]
    records: list[dict[str, Any]] = [{"Id": i, "Score__c": "55.5", "Grade__c": "B"} for i in good]
    records.append({"Id": converted, "Score__c": "1", "Grade__c": "A"})
    records.append({"Id": good[0], "Score__c": "2", "Grade__c": "Z"})
    result = _bulk(sf, "Lead").update(records=records, wait=0.01)
    assert result[0]["numberRecordsProcessed"] == 5
    assert result[0]["numberRecordsFailed"] == 2
    assert result[0]["numberRecordsTotal"] == 5
    job_id = result[0]["job_id"]
    failed = list(csv.DictReader(io.StringIO(_bulk(sf, "Lead").get_failed_records(job_id))))
    assert [f["sf__Error"].split(":")[0] for f in failed] == ["CANNOT_UPDATE_CONVERTED_LEAD",
                                                             "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST"]
    assert all(f["sf__Id"] == "" for f in failed)
    ok = list(csv.DictReader(io.StringIO(_bulk(sf, "Lead").get_successful_records(job_id))))
    assert [r["sf__Id"] for r in ok] == good
    for lead_id in good[1:]:
        record = app.record(org_id, "Lead", lead_id)
        assert record is not None
        assert (record["Score__c"], record["Grade__c"]) == (55.5, "B")


def test_bulk_update_unknown_column_fails_the_job(sf: Salesforce) -> None:
    lead = sf.query("SELECT Id FROM Lead LIMIT 1")["records"][0]["Id"]
    with pytest.raises(SalesforceOperationError, match="Field name not found : Nope__c"):
        _bulk(sf, "Lead").update(records=[{"Id": lead, "Nope__c": "1"}], wait=0.01)


def test_bulk_jobs_can_be_slowed_down() -> None:
    slow = SalesforceApp(bulk_polls=2)
    slow.add_org(client_id="x", client_secret="y", leads=10, contacts=0)
    token = slow.handle(SandboxRequest("POST", "/services/oauth2/token", {}, {"host": "h"},
                                       b"grant_type=client_credentials&client_id=x&client_secret=y"))
    assert token is not None
    headers = {"authorization": "Bearer " + orjson.loads(token.body)["access_token"]}
    created = slow.handle(SandboxRequest("POST", "/services/data/v59.0/jobs/query", {}, headers,
                                         orjson.dumps({"operation": "query", "query": "SELECT Id FROM Lead"})))
    assert created is not None
    job_id = orjson.loads(created.body)["id"]
    assert job_id.startswith("750")
    states = []
    for _ in range(3):
        polled = slow.handle(SandboxRequest("GET", f"/services/data/v59.0/jobs/query/{job_id}", {}, headers))
        assert polled is not None
        states.append(orjson.loads(polled.body)["state"])
    assert states == ["InProgress", "InProgress", "JobComplete"]
