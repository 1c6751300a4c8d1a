"""The Salesforce emulator driven by the real simple-salesforce client over real HTTP."""

from __future__ import annotations

import itertools
import time
from datetime import UTC, datetime
from typing import Any, cast

import jwt
import pytest
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from simple_salesforce.api import Salesforce, SFType
from simple_salesforce.exceptions import (
    SalesforceError,
    SalesforceExpiredSession,
    SalesforceMalformedRequest,
    SalesforceRefusedRequest,
)

from sandbox import Sandbox
from sandbox.salesforce import SalesforceApp
from tests.sandbox.salesforce.conftest import CLIENT_ID, CLIENT_SECRET, connect, fetch_token


def _content(error: SalesforceError) -> Any:
    return cast(Any, error.content)


def _sobject(sf: Salesforce, name: str) -> SFType:
    return cast(SFType, getattr(sf, name))


# ---- OAuth ----


def test_client_credentials_token(base_url: str, org_id: str) -> None:
    token = fetch_token(base_url)
    assert token["token_type"] == "Bearer"
    assert token["instance_url"] == base_url
    assert token["access_token"].startswith(org_id[:15] + "!")
    assert token["issued_at"].isdigit()
    assert "refresh_token" not in token


def test_client_credentials_with_basic_auth(base_url: str, org_id: str) -> None:
    response = requests.post(f"{base_url}/services/oauth2/token", data={"grant_type": "client_credentials"},
                             auth=(CLIENT_ID, CLIENT_SECRET), timeout=10)
    assert response.status_code == 200
    assert response.json()["access_token"]


@pytest.mark.parametrize(("client_id", "secret", "error"), [
    (CLIENT_ID, "wrong", "invalid_client"),
    ("nobody", CLIENT_SECRET, "invalid_client_id"),
])
def test_bad_credentials(base_url: str, org_id: str, client_id: str, secret: str, error: str) -> None:
    response = requests.post(f"{base_url}/services/oauth2/token", timeout=10, data={
        "grant_type": "client_credentials", "client_id": client_id, "client_secret": secret})
    assert response.status_code == 400
    assert response.json()["error"] == error
    assert secret not in response.text


def _rsa_pem() -> bytes:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def test_jwt_bearer(app: SalesforceApp, base_url: str, session: requests.Session) -> None:
    pem, other = _rsa_pem(), _rsa_pem()
    app.add_org(client_id="jwt-app", client_secret="x", leads=20, contacts=10, private_key_pem=pem,
                username="integration@acme.example")

    def assertion(key: bytes, sub: str = "integration@acme.example", exp: float | None = None) -> str:
        claims = {"iss": "jwt-app", "sub": sub, "aud": "https://login.salesforce.com",
                  "exp": int(exp if exp is not None else time.time() + 180)}
        return jwt.encode(claims, key, algorithm="RS256")

    def post(token: str) -> requests.Response:
        return requests.post(f"{base_url}/services/oauth2/token", timeout=10, data={
            "grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer", "assertion": token})

    good = post(assertion(pem))
    assert good.status_code == 200, good.text
    sf = Salesforce(instance_url=good.json()["instance_url"], session_id=good.json()["access_token"],
                    session=session, version="59.0")
    assert sf.query("SELECT COUNT() FROM Lead")["totalSize"] > 0
    assert post(assertion(other)).json()["error"] == "invalid_grant"
    assert post(assertion(pem, exp=time.time() - 10)).json()["error"] == "invalid_grant"
    assert post(assertion(pem, sub="someone@else")).json()["error"] == "invalid_grant"


def test_tokens_are_bound_to_their_org(app: SalesforceApp, org_id: str, base_url: str,
                                       session: requests.Session) -> None:
    app.add_org(client_id="other", client_secret="pw", leads=7, contacts=0)
    first, second = connect(base_url, session), connect(base_url, session, "other", "pw")
    assert first.query("SELECT COUNT() FROM Lead")["totalSize"] != second.query("SELECT COUNT() FROM Lead")["totalSize"]
    lead_id = first.query("SELECT Id FROM Lead LIMIT 1")["records"][0]["Id"]
    assert second.query(f"SELECT Id FROM Lead WHERE Id = '{lead_id}'")["totalSize"] == 0


# ---- query ----


def test_query_paging_and_query_all_iter(sf: Salesforce) -> None:
    first = sf.query("SELECT Id, Subject, Who.Name FROM Task")
    total = first["totalSize"]
    assert total > 2000
    assert not first["done"]
    assert len(first["records"]) == 2000
    assert first["nextRecordsUrl"].startswith("/services/data/v59.0/query/")
    second = sf.query_more(first["nextRecordsUrl"], identifier_is_url=True)
    assert len(second["records"]) == min(2000, total - 2000)
    ids = [r["Id"] for r in sf.query_all_iter("SELECT Id FROM Task")]
    assert len(ids) == total == len(set(ids))


def test_batch_size_header(sf: Salesforce) -> None:
    page = sf.query("SELECT Id FROM Lead", headers={"Sforce-Query-Options": "batchSize=200"})
    assert len(page["records"]) == 200
    assert not page["done"]
    rest = sf.query_more(page["nextRecordsUrl"], identifier_is_url=True)
    assert len(rest["records"]) == min(200, page["totalSize"] - 200)
    assert {r["Id"] for r in rest["records"]}.isdisjoint(r["Id"] for r in page["records"])


def test_relationship_fields_nest_like_salesforce(sf: Salesforce) -> None:
    record = sf.query("SELECT Id, Email, Account.Name, Account.Industry FROM Contact "
                      "WHERE AccountId != null LIMIT 1")["records"][0]
    assert record["attributes"]["type"] == "Contact"
    assert record["attributes"]["url"] == f"/services/data/v59.0/sobjects/Contact/{record['Id']}"
    assert record["Account"]["attributes"]["type"] == "Account"
    assert set(record["Account"]) == {"attributes", "Name", "Industry"}
    member = sf.query("SELECT Id, Campaign.Name, Campaign.Type, Status, HasResponded, FirstRespondedDate "
                      "FROM CampaignMember WHERE HasResponded = true AND Campaign.Type = 'Webinar' LIMIT 5")
    assert member["totalSize"] > 0
    for row in member["records"]:
        assert row["Campaign"]["Type"] == "Webinar"
        assert row["Status"] in ("Registered", "Attended")
        assert datetime.fromisoformat(row["FirstRespondedDate"])
    demo = sf.query("SELECT COUNT() FROM CampaignMember WHERE Campaign.Name = 'Demo Request'")
    assert demo["totalSize"] > 0


def test_incremental_cursor_with_ties(sf: Salesforce) -> None:
    records = list(sf.query_all_iter("SELECT Id, SystemModstamp FROM Lead ORDER BY SystemModstamp, Id"))
    stamps = [r["SystemModstamp"] for r in records]
    assert stamps == sorted(stamps)
    assert stamps[0].endswith(".000+0000")
    assert len(stamps) > len(set(stamps)), "generated data has records sharing one timestamp"
    middle = stamps[len(stamps) // 2]
    cursor = datetime.fromisoformat(middle).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    after = list(sf.query_all_iter(f"SELECT Id, SystemModstamp FROM Lead WHERE SystemModstamp >= {cursor} "
                                   "ORDER BY SystemModstamp, Id"))
    assert [r["Id"] for r in after] == [r["Id"] for r in records if r["SystemModstamp"] >= middle]
    ids = [r["Id"] for r in after]
    for earlier, later in itertools.pairwise(after):
        if earlier["SystemModstamp"] == later["SystemModstamp"]:
            assert earlier["Id"] < later["Id"]
    assert ids


def test_query_all_returns_deleted_rows(sf: Salesforce) -> None:
    live = sf.query("SELECT COUNT() FROM Lead")["totalSize"]
    everything = sf.query_all("SELECT Id, IsDeleted FROM Lead", include_deleted=True)
    deleted = [r for r in everything["records"] if r["IsDeleted"]]
    assert deleted
    assert everything["totalSize"] == live + len(deleted)
    assert sf.query(f"SELECT Id FROM Lead WHERE Id = '{deleted[0]['Id']}'")["totalSize"] == 0


def test_where_operators(sf: Salesforce) -> None:
    leads = sf.query_all("SELECT Id, Status, Email, Industry, NumberOfEmployees FROM Lead")["records"]

    def count(where: str) -> int:
        return int(sf.query(f"SELECT COUNT() FROM Lead WHERE {where}")["totalSize"])
    assert count("Status IN ('Open - Not Contacted', 'Working - Contacted')") == sum(
        r["Status"] in ("Open - Not Contacted", "Working - Contacted") for r in leads)
    assert count("Email LIKE '%@gmail.com'") == sum(r["Email"].endswith("@gmail.com") for r in leads)
    assert count("Industry = null") == sum(r["Industry"] is None for r in leads)
    assert count("NumberOfEmployees >= 1000") == sum((r["NumberOfEmployees"] or 0) >= 1000 for r in leads)
    assert count("NOT (Industry = 'Technology')") == sum(r["Industry"] != "Technology" for r in leads)
    assert count("status = 'open - not contacted'") == sum(r["Status"] == "Open - Not Contacted" for r in leads)
    ordered = sf.query("SELECT Id, NumberOfEmployees FROM Lead ORDER BY NumberOfEmployees DESC NULLS LAST, Id "
                       "LIMIT 3000")["records"]
    sizes = [r["NumberOfEmployees"] for r in ordered]
    non_null = [s for s in sizes if s is not None]
    assert sizes[:len(non_null)] == sorted(non_null, reverse=True)
    assert sizes[-1] is None


@pytest.mark.parametrize(("soql", "code"), [
    ("SELECT Idd FROM Lead", "INVALID_FIELD"),
    ("SELECT Id FROM Lead WHERE CreatedDate > '2024-01-01'", "INVALID_FIELD"),
    ("SELECT Id FROM Lead WHERE CreatedDate > 2024-01-01", "INVALID_FIELD"),
    ("SELECT Account.Nope FROM Contact", "INVALID_FIELD"),
    ("SELECT Id FROM Nope", "INVALID_TYPE"),
    ("SELECT Id FROM Lead WHERE SystemModstamp > 2024-01-01T00:00:00.5Z", "MALFORMED_QUERY"),
    ("SELECT Id FROM Lead ORDER", "MALFORMED_QUERY"),
])
def test_bad_soql_is_400(sf: Salesforce, soql: str, code: str) -> None:
    with pytest.raises(SalesforceMalformedRequest) as info:
        sf.query(soql)
    assert info.value.status == 400
    assert _content(info.value)[0]["errorCode"] == code


def test_plus_offset_must_be_encoded(sf: Salesforce) -> None:
    ok = sf.query("SELECT COUNT() FROM Lead WHERE SystemModstamp >= 2020-01-01T01:00:00+01:00")
    assert ok["totalSize"] > 0


# ---- describe, records, limits ----


def test_describe_lead_and_contact(sf: Salesforce) -> None:
    lead = _sobject(sf, "Lead").describe()
    fields = {f["name"]: f for f in lead["fields"]}
    assert lead["keyPrefix"] == "00Q"
    assert fields["Grade__c"]["custom"]
    assert fields["Grade__c"]["restrictedPicklist"]
    assert [v["value"] for v in fields["Grade__c"]["picklistValues"]] == ["A", "B", "C", "D"]
    assert [v["value"] for v in fields["MQL_Status__c"]["picklistValues"]] == ["disqualified", "lead", "engaged",
                                                                             "mql"]
    assert fields["MQL_Reason__c"]["type"] == "textarea"
    assert fields["MQL_Reason__c"]["length"] == 255
    assert fields["MQL_Date__c"]["type"] == "date"
    assert fields["Fit_Score__c"]["type"] == "double"
    assert {"Open - Not Contacted", "Working - Contacted", "MQL", "Closed - Converted",
            "Closed - Not Converted"} <= {v["value"] for v in fields["Status"]["picklistValues"]}
    assert not fields["IsConverted"]["updateable"]
    assert fields["Title"]["updateable"]
    contact = {f["name"]: f for f in _sobject(sf, "Contact").describe()["fields"]}
    assert {"MQL", "SQL", "Opportunity", "Customer"} <= {v["value"] for v in
                                                        contact["Lifecycle_Stage__c"]["picklistValues"]}
    assert contact["AccountId"]["relationshipName"] == "Account"


def test_record_get_and_patch(sf: Salesforce, app: SalesforceApp, org_id: str) -> None:
    lead_id = sf.query("SELECT Id FROM Lead WHERE IsConverted = false LIMIT 1")["records"][0]["Id"]
    assert _sobject(sf, "Lead").get(lead_id)["Id"] == lead_id
    assert _sobject(sf, "Lead").update(lead_id, {"Grade__c": "A"}) == 204
    assert app.record(org_id, "Lead", lead_id)["Grade__c"] == "A"  # type: ignore[index]


def test_limits_and_api_usage(sf: Salesforce, app: SalesforceApp, org_id: str) -> None:
    sf.query("SELECT COUNT() FROM Lead")
    used, limit = app.api_usage(org_id)
    assert sf.api_usage["api-usage"].used == used
    assert sf.api_usage["api-usage"].total == limit == 15000
    limits = sf.limits()
    assert limits["DailyApiRequests"]["Max"] == 15000
    assert limits["DailyApiRequests"]["Remaining"] == 15000 - used - 1


def test_daily_limit_is_enforced(app: SalesforceApp, base_url: str, session: requests.Session) -> None:
    app.add_org(client_id="tiny", client_secret="pw", leads=5, contacts=0, daily_api_limit=3)
    sf = connect(base_url, session, "tiny", "pw")
    for _ in range(3):
        sf.query("SELECT COUNT() FROM Lead")
    with pytest.raises(SalesforceRefusedRequest) as info:
        sf.query("SELECT COUNT() FROM Lead")
    assert info.value.status == 403
    assert _content(info.value) == [{"message": "TotalRequests Limit exceeded.", "errorCode": "REQUEST_LIMIT_EXCEEDED"}]


def test_session_expiry(app: SalesforceApp, base_url: str, session: requests.Session, org_id: str) -> None:
    app.add_org(client_id="short", client_secret="pw", leads=5, contacts=0, session_ttl_calls=2)
    sf = connect(base_url, session, "short", "pw")
    sf.query("SELECT COUNT() FROM Lead")
    sf.query("SELECT COUNT() FROM Lead")
    with pytest.raises(SalesforceExpiredSession) as info:
        sf.query("SELECT COUNT() FROM Lead")
    assert _content(info.value) == [{"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}]
    main = connect(base_url, session)
    main.query("SELECT COUNT() FROM Lead")
    app.expire_sessions(org_id)
    with pytest.raises(SalesforceExpiredSession):
        main.query("SELECT COUNT() FROM Lead")
    assert connect(base_url, session).query("SELECT COUNT() FROM Lead")["totalSize"] > 0


# ---- sObject Collections ----


def _ids(sf: Salesforce, where: str, n: int, sobject: str = "Lead") -> list[str]:
    return [r["Id"] for r in sf.query(f"SELECT Id FROM {sobject} WHERE {where} LIMIT {n}")["records"]]


def _update(sf: Salesforce, records: list[dict[str, Any]], all_or_none: bool = False) -> Any:
    return sf.restful("composite/sobjects", method="PATCH", json={"allOrNone": all_or_none, "records": records})


def test_collections_update_per_record_results(sf: Salesforce, app: SalesforceApp, org_id: str) -> None:
    good, other = _ids(sf, "IsConverted = false", 2)
    converted = _ids(sf, "IsConverted = true", 1)[0]
    contact = _ids(sf, "Id != null", 1, "Contact")[0]
    before = app.record(org_id, "Lead", good)
    assert before is not None
    results = _update(sf, [
        {"attributes": {"type": "Lead"}, "id": good, "Fit_Score__c": 72, "Grade__c": "B",
         "MQL_Status__c": "mql", "MQL_Date__c": "2024-05-01", "Status": "MQL"},
        {"attributes": {"type": "Lead"}, "id": converted, "Fit_Score__c": 1},
        {"attributes": {"type": "Lead"}, "id": other, "Grade__c": "Z"},
        {"attributes": {"type": "Contact"}, "id": contact, "Lifecycle_Stage__c": "MQL"},
    ])
    assert results[0] == {"id": good, "success": True, "errors": []}
    assert results[1]["success"] is False
    assert "id" not in results[1]
    assert results[1]["errors"][0]["statusCode"] == "CANNOT_UPDATE_CONVERTED_LEAD"
    assert results[2]["errors"][0]["statusCode"] == "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST"
    assert results[2]["errors"][0]["fields"] == ["Grade__c"]
    assert results[3]["success"] is True
    after = app.record(org_id, "Lead", good)
    assert after is not None
    assert (after["Fit_Score__c"], after["Grade__c"], after["MQL_Date__c"], after["Status"]) == (
        72.0, "B", "2024-05-01", "MQL")
    assert after["SystemModstamp"] >= before["SystemModstamp"]
    assert after["LastModifiedDate"] == after["SystemModstamp"]


def test_collections_all_or_none_rolls_back(sf: Salesforce, app: SalesforceApp, org_id: str) -> None:
    good, bad = _ids(sf, "IsConverted = false", 2)
    results = _update(sf, [{"attributes": {"type": "Lead"}, "id": good, "Grade__c": "A"},
                           {"attributes": {"type": "Lead"}, "id": bad, "Grade__c": "nope"}], all_or_none=True)
    assert results[0]["errors"][0]["statusCode"] == "ALL_OR_NONE_OPERATION_ROLLED_BACK"
    assert results[1]["errors"][0]["statusCode"] == "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST"
    assert app.record(org_id, "Lead", good)["Grade__c"] != "A"  # type: ignore[index]


def test_collections_too_long_reason_and_read_only_field(sf: Salesforce) -> None:
    first, second = _ids(sf, "IsConverted = false", 2)
    results = _update(sf, [{"attributes": {"type": "Lead"}, "id": first, "MQL_Reason__c": "x" * 256},
                           {"attributes": {"type": "Lead"}, "id": second, "IsConverted": True}])
    assert results[0]["errors"][0]["statusCode"] == "STRING_TOO_LONG"
    assert results[1]["errors"][0]["statusCode"] == "INVALID_FIELD_FOR_INSERT_UPDATE"


def test_collections_cap_and_unknown_field(sf: Salesforce) -> None:
    lead = _ids(sf, "IsConverted = false", 1)[0]
    with pytest.raises(SalesforceMalformedRequest) as info:
        _update(sf, [{"attributes": {"type": "Lead"}, "id": lead, "Grade__c": "A"}] * 201)
    assert _content(info.value)[0]["errorCode"] == "EXCEEDED_ID_LIMIT"
    with pytest.raises(SalesforceMalformedRequest) as info:
        _update(sf, [{"attributes": {"type": "Lead"}, "id": lead, "Nope__c": 1}])
    assert _content(info.value)[0]["errorCode"] == "INVALID_FIELD"
    assert len(_update(sf, [{"attributes": {"type": "Lead"}, "id": lead, "Grade__c": "A"}] * 200)) == 200


def test_unknown_field_per_record_switch(base_url: str, session: requests.Session) -> None:
    lenient = SalesforceApp(strict=False)
    org = lenient.add_org(client_id="c", client_secret="s", leads=5, contacts=0)
    lead = lenient.records(org, "Lead", include_deleted=False)[0]["Id"]
    from sandbox.wire import SandboxRequest
    token = lenient.handle(SandboxRequest("POST", "/services/oauth2/token", {}, {"host": "x"},
                                          b"grant_type=client_credentials&client_id=c&client_secret=s"))
    assert token is not None
    import orjson
    access = orjson.loads(token.body)["access_token"]
    response = lenient.handle(SandboxRequest(
        "PATCH", "/services/data/v59.0/composite/sobjects", {}, {"authorization": f"Bearer {access}"},
        orjson.dumps({"records": [{"attributes": {"type": "Lead"}, "id": lead, "Nope__c": 1}]})))
    assert response is not None
    assert response.status == 200
    assert orjson.loads(response.body)[0]["errors"][0]["statusCode"] == "INVALID_FIELD"
    assert response.account == org
    assert response.batch_size == 1


# ---- new activity ----


def test_advance_activity_is_seen_incrementally(sf: Salesforce, app: SalesforceApp, org_id: str) -> None:
    moment = datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC)
    counts = app.advance_activity(org_id, 40, moment)
    assert sum(counts.values()) == 40
    since = "2030-01-02T03:04:05Z"
    tasks = sf.query(f"SELECT COUNT() FROM Task WHERE SystemModstamp >= {since}")["totalSize"]
    events = sf.query(f"SELECT COUNT() FROM Event WHERE SystemModstamp >= {since}")["totalSize"]
    members = sf.query(f"SELECT COUNT() FROM CampaignMember WHERE SystemModstamp >= {since} "
                       "AND HasResponded = true")["totalSize"]
    people = (sf.query(f"SELECT COUNT() FROM Lead WHERE SystemModstamp >= {since}")["totalSize"]
              + sf.query(f"SELECT COUNT() FROM Contact WHERE SystemModstamp >= {since}")["totalSize"])
    assert (tasks, events, members) == (counts["tasks"], counts["events"], counts["campaign_responses"])
    assert 0 < people <= counts["field_edits"]


def test_generation_is_reproducible() -> None:
    first, second = SalesforceApp(), SalesforceApp()
    a = first.add_org(client_id="a", client_secret="s", leads=50, contacts=30, seed=7)
    b = second.add_org(client_id="a", client_secret="s", leads=50, contacts=30, seed=7)
    assert first.records(a, "Lead") == second.records(b, "Lead")
    assert first.records(a, "Task")[:20] == second.records(b, "Task")[:20]


def test_sandbox_request_log_names_org_and_batch(sandbox_server: Sandbox, sf: Salesforce, org_id: str) -> None:
    sf.query("SELECT Id FROM Lead", headers={"Sforce-Query-Options": "batchSize=200"})
    entries = [e for e in sandbox_server.requests(account=org_id) if e.path.rstrip("/").endswith("/query")]
    assert entries[-1].account == org_id
    assert entries[-1].batch_size == 200
    assert entries[-1].status == 200
