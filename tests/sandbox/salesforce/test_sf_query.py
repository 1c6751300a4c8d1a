"""SOQL evaluation semantics of the emulator, through SalesforceApp.handle without HTTP."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sandbox.salesforce import SalesforceApp
from sandbox.wire import SandboxRequest


class Client:
    def __init__(self, app: SalesforceApp, client_id: str, secret: str) -> None:
        self.app = app
        response = app.handle(SandboxRequest("POST", "/services/oauth2/token", {}, {"host": "sandbox.test"},
                                             urlencode({"grant_type": "client_credentials", "client_id": client_id,
                                                        "client_secret": secret}).encode()))
        assert response is not None
        assert response.status == 200
        self.headers = {"authorization": "Bearer " + orjson.loads(response.body)["access_token"]}

    def call(self, method: str, path: str, query: dict[str, str] | None = None, body: Any = None) -> tuple[int, Any]:
        response = self.app.handle(SandboxRequest(method, path, {k: [v] for k, v in (query or {}).items()},
                                                  self.headers, orjson.dumps(body) if body is not None else b""))
        assert response is not None
        return response.status, orjson.loads(response.body) if response.body else None

    def query(self, soql: str, endpoint: str = "query") -> Any:
        status, body = self.call("GET", f"/services/data/v59.0/{endpoint}", {"q": soql})
        assert status == 200, body
        return body


@pytest.fixture(scope="module")
def client() -> Client:
    app = SalesforceApp(now=lambda: datetime(2026, 6, 1, 12, 0, 0, tzinfo=UTC))
    app.add_org(client_id="q", client_secret="s", leads=400, contacts=150, seed=11)
    return Client(app, "q", "s")


def _all(client: Client, sobject: str, fields: str) -> list[dict[str, Any]]:
    return list(client.query(f"SELECT {fields} FROM {sobject} LIMIT 2000")["records"])


def test_null_semantics(client: Client) -> None:
    leads = _all(client, "Lead", "Id, Industry")
    nulls = sum(r["Industry"] is None for r in leads)
    assert nulls > 0
    assert client.query("SELECT COUNT() FROM Lead WHERE Industry != 'Retail'")["totalSize"] == sum(
        r["Industry"] != "Retail" for r in leads)                 # != keeps nulls, as in SOQL
    assert client.query("SELECT COUNT() FROM Lead WHERE Industry < 'M'")["totalSize"] == sum(
        r["Industry"] is not None and r["Industry"].lower() < "m" for r in leads)
    assert client.query("SELECT COUNT() FROM Lead WHERE Industry IN ('Retail', null)")["totalSize"] == sum(
        r["Industry"] in ("Retail", None) for r in leads)
    assert client.query("SELECT COUNT() FROM Lead WHERE Industry NOT IN ('Retail')")["totalSize"] == sum(
        r["Industry"] != "Retail" for r in leads)


def test_id_keyset_paging(client: Client) -> None:
    ids = [r["Id"] for r in client.query("SELECT Id FROM Lead ORDER BY Id")["records"]]
    assert ids == sorted(ids)
    after = client.query(f"SELECT Id FROM Lead WHERE Id > '{ids[99]}' ORDER BY Id")["records"]
    assert [r["Id"] for r in after] == ids[100:]
    short = ids[5][:15]                                            # 15-character ids are accepted too
    assert client.query(f"SELECT Id FROM Lead WHERE Id = '{short}'")["records"][0]["Id"] == ids[5]
    status, body = client.call("GET", "/services/data/v59.0/query", {"q": "SELECT Id FROM Lead WHERE Id = 'x'"})
    assert status == 400
    assert body[0]["errorCode"] == "INVALID_QUERY_FILTER_OPERATOR"


def test_tie_safe_cursor_with_or(client: Client) -> None:
    rows = client.query("SELECT Id, SystemModstamp FROM Lead ORDER BY SystemModstamp, Id")["records"]
    pivot = rows[len(rows) // 3]
    stamp = datetime.fromisoformat(pivot["SystemModstamp"]).strftime("%Y-%m-%dT%H:%M:%SZ")
    page = client.query(f"SELECT Id FROM Lead WHERE (SystemModstamp > {stamp}) OR "
                        f"(SystemModstamp = {stamp} AND Id > '{pivot['Id']}') ORDER BY SystemModstamp, Id")
    assert [r["Id"] for r in page["records"]] == [r["Id"] for r in rows[len(rows) // 3 + 1:]]


def test_like_is_case_insensitive_with_escapes(client: Client) -> None:
    emails = [r["Email"] for r in _all(client, "Lead", "Email")]
    assert client.query("SELECT COUNT() FROM Lead WHERE Email LIKE '%@GMAIL.COM'")["totalSize"] == sum(
        e.endswith("@gmail.com") for e in emails)
    assert client.query("SELECT COUNT() FROM Lead WHERE Email LIKE '%\\_%'")["totalSize"] == sum(
        "_" in e for e in emails)


def test_polymorphic_who_and_date_literals(client: Client) -> None:
    tasks = client.query("SELECT Id, WhoId, Who.Type, Who.Name, ActivityDate FROM Task "
                         "WHERE ActivityDate >= 2026-01-01 ORDER BY ActivityDate DESC LIMIT 50")["records"]
    assert tasks
    for task in tasks:
        assert task["Who"]["Type"] == {"00Q": "Lead", "003": "Contact"}[task["WhoId"][:3]]
        assert task["ActivityDate"] >= "2026-01-01"
    status, body = client.call("GET", "/services/data/v59.0/query",
                               {"q": "SELECT Id FROM Task WHERE ActivityDate >= 2026-01-01T00:00:00Z"})
    assert status == 400
    assert body[0]["errorCode"] == "INVALID_FIELD"


def test_offset_and_count(client: Client) -> None:
    ids = [r["Id"] for r in client.query("SELECT Id FROM Contact ORDER BY Id")["records"]]
    page = client.query("SELECT Id FROM Contact ORDER BY Id LIMIT 10 OFFSET 20")["records"]
    assert [r["Id"] for r in page] == ids[20:30]
    status, body = client.call("GET", "/services/data/v59.0/query",
                               {"q": "SELECT Id FROM Contact LIMIT 10 OFFSET 2001"})
    assert status == 400
    assert body[0]["errorCode"] == "NUMBER_OUTSIDE_VALID_RANGE"


def test_invalid_query_locator(client: Client) -> None:
    status, body = client.call("GET", "/services/data/v59.0/query/01gNOPE-2000")
    assert status == 400
    assert body[0]["errorCode"] == "INVALID_QUERY_LOCATOR"


def test_writes_bump_modstamp_to_the_clock(client: Client) -> None:
    lead = client.query("SELECT Id FROM Lead WHERE IsConverted = false LIMIT 1")["records"][0]["Id"]
    status, body = client.call("PATCH", "/services/data/v59.0/composite/sobjects", body={
        "allOrNone": False, "records": [{"attributes": {"type": "Lead"}, "id": lead, "Score__c": 12}]})
    assert status == 200
    assert body[0]["success"] is True
    row = client.query(f"SELECT Score__c, SystemModstamp, LastModifiedDate FROM Lead WHERE Id = '{lead}'")
    record = row["records"][0]
    assert record["Score__c"] == 12.0
    assert record["SystemModstamp"] == record["LastModifiedDate"] == "2026-06-01T12:00:00.000+0000"


def test_member_status_update_marks_response(client: Client) -> None:
    member = client.query("SELECT Id FROM CampaignMember WHERE HasResponded = false LIMIT 1")["records"][0]["Id"]
    status, body = client.call("PATCH", "/services/data/v59.0/composite/sobjects", body={
        "records": [{"attributes": {"type": "CampaignMember"}, "id": member, "Status": "Responded"}]})
    assert status == 200
    assert body[0]["success"] is True
    row = client.query(f"SELECT HasResponded, FirstRespondedDate FROM CampaignMember WHERE Id = '{member}'")
    assert row["records"][0]["HasResponded"] is True
    assert row["records"][0]["FirstRespondedDate"] == "2026-06-01"


_WHERE = ["Id", "Email", "Industry", "NumberOfEmployees", "SystemModstamp", "MQL_Date__c", "IsConverted",
          "Owner.Name", "=", "!=", "<", ">=", "IN", "NOT", "LIKE", "AND", "OR", "(", ")", "'x%'", "null", "true",
          "3", "2.5", "2024-01-01", "2024-01-01T00:00:00Z", "('a', null)", "'00Q'"]


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.sampled_from(_WHERE), min_size=1, max_size=9))
def test_any_where_clause_answers_200_or_400(client: Client, pieces: list[str]) -> None:
    status, body = client.call("GET", "/services/data/v59.0/query",
                               {"q": "SELECT Id FROM Lead WHERE " + " ".join(pieces)})
    assert status in (200, 400)
    if status == 400:
        assert body[0]["errorCode"] in ("MALFORMED_QUERY", "INVALID_FIELD", "INVALID_QUERY_FILTER_OPERATOR")


def test_relative_date_literals(client: Client) -> None:
    tasks = _all(client, "Task", "Id, ActivityDate, CreatedDate")   # the clock stands at 2026-06-01 12:00 UTC
    last_30 = sum("2026-05-02" <= t["ActivityDate"] <= "2026-06-01" for t in tasks)
    assert client.query("SELECT COUNT() FROM Task WHERE ActivityDate = LAST_N_DAYS:30")["totalSize"] == last_30
    older = sum(t["CreatedDate"] < "2026-05-02" for t in tasks)
    assert client.query("SELECT COUNT() FROM Task WHERE CreatedDate < LAST_N_DAYS:30")["totalSize"] == older
    assert client.query("SELECT COUNT() FROM Task WHERE CreatedDate > TODAY")["totalSize"] == 0
    status, body = client.call("GET", "/services/data/v59.0/query",
                               {"q": "SELECT Id FROM Task WHERE Subject = TODAY"})
    assert status == 400
    assert body[0]["errorCode"] == "INVALID_FIELD"
