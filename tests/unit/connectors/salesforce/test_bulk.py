"""Bulk API 2.0 backfill and ingest through the real client against `responses`."""

from __future__ import annotations

from datetime import UTC, datetime

import responses

from connectors.base import Update
from connectors.salesforce.bulk import parse_bulk_error, rest_shape

from .helpers import API, add_token, connector, records_page

UNTIL = datetime(2024, 6, 1, tzinfo=UTC)
HEADER = "Id,SystemModstamp,IsDeleted,Name,Industry,NumberOfEmployees,AnnualRevenue,BillingCountry\n"


def test_full_pull_above_threshold_uses_bulk_and_keeps_cursor_until_the_last_page() -> None:
    conn, sleeps = connector(bulk_poll_s=0.5)
    saved = {"ts": "2024-01-01T00:00:00.000Z", "ids": ["001old"]}
    with responses.RequestsMock() as rsps:
        add_token(rsps)
        rsps.add(responses.GET, f"{API}/query/", json={"totalSize": 5000, "done": True, "records": []})
        rsps.add(responses.POST, f"{API}/jobs/query", json={"id": "750A", "state": "UploadComplete"})
        rsps.add(responses.GET, f"{API}/jobs/query/750A", json={"id": "750A", "state": "InProgress"})
        rsps.add(responses.GET, f"{API}/jobs/query/750A", json={"id": "750A", "state": "JobComplete"})
        rsps.add(responses.GET, f"{API}/jobs/query/750A/results", headers={"Sforce-Locator": "L2"},
                 body=HEADER + "0012,2024-05-02T00:00:00.000Z,false,Globex,Energy,500,1000000.5,DE\n")
        rsps.add(responses.GET, f"{API}/jobs/query/750A/results", headers={"Sforce-Locator": "null"},
                 body=HEADER + "0011,2024-05-01T00:00:00.000Z,false,Acme,,,,\n")
        pages = list(conn.pull("accounts", saved, until=UNTIL, full=True))
        count_soql = rsps.calls[1].request.url
        assert "COUNT" in str(count_soql)
        assert "locator=L2" in str(rsps.calls[6].request.url)
    assert sleeps == [0.5]
    assert [p.cursor for p in pages] == [saved, {"ts": "2024-05-02T00:00:00.000Z", "ids": ["0012"]}]
    globex = pages[0].companies[0]
    assert globex.fields == {"name": "Globex", "industry": "Energy", "employees": 500,
                             "annual_revenue": 1000000.5, "country": "DE"}
    assert pages[1].companies[0].fields["industry"] is None
    usage = conn.take_usage()
    assert usage.calls["salesforce.bulk2.query.poll"] == 2
    assert usage.calls["salesforce.bulk2.results"] == 2


def test_full_pull_below_threshold_uses_rest() -> None:
    conn, _ = connector()
    with responses.RequestsMock() as rsps:
        add_token(rsps)
        rsps.add(responses.GET, f"{API}/query/", json={"totalSize": 10, "done": True, "records": []})
        rsps.add(responses.GET, f"{API}/queryAll/", json=records_page([]))
        pages = list(conn.pull("accounts", None, until=UNTIL, full=True))
    assert len(pages) == 1


def test_push_bulk_uses_an_ingest_job_and_maps_results_by_id() -> None:
    conn, _ = connector()
    threshold = conn.crm.bulk_threshold
    updates = [Update(f"00Q{i:012d}", "Lead", {"Fit_Score__c": i, "MQL_Date__c": None}) for i in range(threshold + 2)]
    ok = "sf__Id,sf__Created,Id,Fit_Score__c\n" + "".join(f"{u.person_id},false,{u.person_id},1\n"
                                                         for u in updates[2:])
    failed = ("sf__Id,sf__Error,Id,Fit_Score__c\n"
              f",CANNOT_UPDATE_CONVERTED_LEAD:cannot reference converted lead:--,{updates[0].person_id},0\n")
    with responses.RequestsMock() as rsps:
        add_token(rsps)
        rsps.add(responses.POST, f"{API}/jobs/ingest", json={"id": "750B", "state": "Open"})
        rsps.add(responses.PUT, f"{API}/jobs/ingest/750B/batches", status=201)
        rsps.add(responses.PATCH, f"{API}/jobs/ingest/750B", json={"id": "750B", "state": "UploadComplete"})
        rsps.add(responses.GET, f"{API}/jobs/ingest/750B", json={"id": "750B", "state": "JobComplete"})
        rsps.add(responses.GET, f"{API}/jobs/ingest/750B/failedResults", body=failed)
        rsps.add(responses.GET, f"{API}/jobs/ingest/750B/successfulResults", body=ok)
        results = conn.push_bulk(updates)
        uploaded = rsps.calls[2].request.body
    assert isinstance(uploaded, bytes)
    lines = uploaded.decode().splitlines()
    assert lines[0] == "Id,Fit_Score__c,MQL_Date__c"
    assert lines[1] == "00Q000000000000,0,#N/A"
    assert len(results) == len(updates)
    assert (results[0].outcome, results[0].code) == ("dead", "CANNOT_UPDATE_CONVERTED_LEAD")
    assert (results[1].outcome, results[1].code) == ("retry", "UNPROCESSED")
    assert {r.outcome for r in results[2:]} == {"done"}


def test_bulk_helpers() -> None:
    assert parse_bulk_error("INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST:bad value:Grade__c") == (
        "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST", "bad value", ("Grade__c",))
    assert parse_bulk_error("UNABLE_TO_LOCK_ROW:unable to obtain exclusive access:--")[0] == "UNABLE_TO_LOCK_ROW"
    assert rest_shape({"Id": "003", "Account.Name": "Acme", "IsDeleted": "true", "Title": ""}) == {
        "Id": "003", "Account": {"Name": "Acme"}, "IsDeleted": True, "Title": None}


def test_a_large_first_pull_switches_from_rest_to_one_bulk_job() -> None:
    conn, _ = connector(bulk_poll_s=0.01)
    first_page = [{"attributes": {"type": "Account"}, "Id": f"001{i:04d}", "SystemModstamp": "2024-05-01T00:00:00.000+0000",
                   "IsDeleted": False, "Name": f"A{i}"} for i in range(2000)]
    with responses.RequestsMock() as rsps:
        add_token(rsps)
        rsps.add(responses.GET, f"{API}/queryAll/", json={"totalSize": 30_000, "done": False, "records": first_page,
                                                          "nextRecordsUrl": "/services/data/v59.0/query/01gX-2000"})
        rsps.add(responses.POST, f"{API}/jobs/query", json={"id": "750B", "state": "UploadComplete"})
        rsps.add(responses.GET, f"{API}/jobs/query/750B", json={"id": "750B", "state": "JobComplete"})
        rsps.add(responses.GET, f"{API}/jobs/query/750B/results", headers={"Sforce-Locator": "null"},
                 body=HEADER + "0011,2024-05-01T00:00:00.000Z,false,Acme,,,,\n"
                               "0012,2024-05-03T00:00:00.000Z,true,Gone,,,,\n")
        pages = list(conn.pull("accounts", None, until=UNTIL))
        job = rsps.calls[2].request.body
    assert b'"operation": "queryAll"' in job and b"ORDER BY" not in job     # deleted rows too; bulk is unsorted
    assert [(c.id, c.deleted) for page in pages for c in page.companies] == [("0011", False), ("0012", True)]
    assert pages[-1].cursor == {"ts": "2024-05-03T00:00:00.000Z", "ids": ["0012"]}
    assert conn.take_usage().calls == {"salesforce.oauth.token": 1, "salesforce.query_all": 1,
                                       "salesforce.bulk2.query": 1, "salesforce.bulk2.query.poll": 1,
                                       "salesforce.bulk2.results": 1}


def test_a_pull_just_above_the_threshold_stays_on_rest() -> None:
    conn, _ = connector()
    row = {"attributes": {"type": "Account"}, "Id": "0011", "SystemModstamp": "2024-05-01T00:00:00.000+0000",
           "IsDeleted": False, "Name": "A"}
    with responses.RequestsMock() as rsps:         # 6,000 rows: 2 more REST pages beat a bulk job (3 calls)
        add_token(rsps)
        rsps.add(responses.GET, f"{API}/queryAll/", json={"totalSize": 6000, "done": False, "records": [row] * 2000,
                                                          "nextRecordsUrl": "/services/data/v59.0/query/01gY-2000"})
        rsps.add(responses.GET, f"{API}/query/01gY-2000", json={"totalSize": 6000, "done": True, "records": []})
        list(conn.pull("accounts", None, until=UNTIL))
    assert "salesforce.bulk2.query" not in conn.take_usage().calls
