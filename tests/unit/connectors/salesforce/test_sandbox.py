"""The connector against the in-process sandbox org: JWT login, session expiry, Bulk API 2.0 both ways."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from config import parse_tenant
from connectors.base import Update
from connectors.salesforce import SalesforceConnector
from tests.contract.salesforce_env import CLIENT_ID, CLIENT_SECRET
from tests.contract.salesforce_env import TENANT as CLIENT_TENANT

sandbox = pytest.importorskip("sandbox")

JWT_TENANT = CLIENT_TENANT.replace("""  client_secret: ${{CONTRACT_SF_SECRET}}""", """  username: jwt@contract.example
  private_key: ${{CONTRACT_SF_KEY}}""")


@pytest.fixture(scope="module")
def sb() -> Iterator[Any]:
    box = sandbox.Sandbox(sandbox.SandboxConfig(seed=7)).start(port=0)
    try:
        yield box
    finally:
        box.stop()


def now() -> datetime:
    return datetime.now(UTC)


def client_tenant(sb: Any, org_client: str) -> Any:
    text = CLIENT_TENANT.format(url=sb.url).replace("${CONTRACT_SF_ID}", org_client)
    text = text.replace("  daily_api_share: 0.5", "  daily_api_share: 0.5\n  bulk_threshold: 200")
    return parse_tenant(text, env={"CONTRACT_SF_SECRET": CLIENT_SECRET})


def records(conn: SalesforceConnector, stream: str, until: datetime) -> dict[str, object]:
    found: dict[str, object] = {}
    for page in conn.pull(stream, None, until=until, full=True):
        found.update({p.id: p for p in page.persons})
        found.update({a.id: a for a in page.activities})
        found.update({c.id: c for c in page.companies})
    return found


def test_jwt_login_against_the_sandbox(sb: Any) -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption()).decode()
    sb.add_salesforce_org(client_id="jwt-client", client_secret="unused-secret", leads=20, contacts=10, seed=5,
                          private_key_pem=pem, username="jwt@contract.example")
    tenant = parse_tenant(JWT_TENANT.format(url=sb.url), env={"CONTRACT_SF_ID": "jwt-client", "CONTRACT_SF_KEY": pem})
    conn = SalesforceConnector(tenant)
    result = conn.check()
    assert result.ok, result.detail
    assert sum(len(p.persons) for p in conn.pull("leads", None, until=now())) > 0
    conn.close()


def test_expired_session_is_refreshed_against_the_sandbox(sb: Any) -> None:
    org = sb.add_salesforce_org(client_id="refresh-client", client_secret=CLIENT_SECRET, leads=30, contacts=10,
                                seed=6)
    conn = SalesforceConnector(client_tenant(sb, "refresh-client"))
    first = [p.id for page in conn.pull("leads", None, until=now()) for p in page.persons]
    sb.salesforce.expire_sessions(org)
    again = [p.id for page in conn.pull("leads", None, until=now()) for p in page.persons]
    assert again == first
    assert conn.take_usage().calls["salesforce.oauth.token"] == 2
    conn.close()


def test_bulk_full_pull_matches_rest_and_push_bulk_writes(sb: Any) -> None:
    sb.add_salesforce_org(client_id=CLIENT_ID + "-bulk", client_secret=CLIENT_SECRET, leads=400, contacts=100, seed=8)
    tenant = client_tenant(sb, CLIENT_ID + "-bulk")
    rest = SalesforceConnector(tenant)
    bulk = SalesforceConnector(tenant, force_bulk=True, bulk_poll_s=0.01)
    until = now()
    for stream in bulk.streams():
        assert records(bulk, stream, until) == records(rest, stream, until), stream
    assert "salesforce.bulk2.query" in bulk.take_usage().calls

    leads = [p for page in rest.pull("leads", None, until=now(), full=True) for p in page.persons
             if not p.read_only and not p.deleted]
    updates = [Update(p.id, "Lead", {"Fit_Score__c": 7, "MQL_Date__c": "2026-11-02", "Grade__c": "B"})
               for p in leads[:250]]
    updates[3] = Update(leads[3].id, "Lead", {"Grade__c": "Z"})
    results = bulk.push_bulk(updates)          # 250 > bulk_threshold 200: one ingest job
    assert "salesforce.bulk2.ingest" in bulk.take_usage().calls
    assert [r.person_id for r in results] == [u.person_id for u in updates]
    assert results[3].outcome == "dead"
    assert results[3].code
    assert {r.outcome for i, r in enumerate(results) if i != 3} == {"done"}
    state = {p.id: p.crm_values for page in rest.pull("leads", None, until=now(), full=True) for p in page.persons}
    assert state[leads[0].id]["Fit_Score__c"] == 7
    assert state[leads[0].id]["MQL_Date__c"] == "2026-11-02"
    rest.close()
    bulk.close()


def test_a_large_first_pull_goes_through_bulk_and_reads_what_rest_reads(sb: Any) -> None:
    sb.add_salesforce_org(client_id=CLIENT_ID + "-big", client_secret=CLIENT_SECRET, leads=1500, contacts=900,
                          seed=9, activities_per_person=10.0)
    tenant = client_tenant(sb, CLIENT_ID + "-big")
    switching = SalesforceConnector(tenant.model_copy(update={"crm": tenant.crm.model_copy(
        update={"bulk_threshold": 2000})}), bulk_poll_s=0.01)
    rest = SalesforceConnector(tenant.model_copy(update={"crm": tenant.crm.model_copy(
        update={"bulk_threshold": 10**9})}))
    until = now()
    for stream in ("tasks", "leads"):
        via_bulk = [page for page in switching.pull(stream, None, until=until)]
        via_rest = [page for page in rest.pull(stream, None, until=until)]
        assert (sorted((r.id, r.deleted) for page in via_bulk for r in (*page.persons, *page.activities))
                == sorted((r.id, r.deleted) for page in via_rest for r in (*page.persons, *page.activities)))
        assert via_bulk[-1].cursor == via_rest[-1].cursor, stream
        assert max(len(page) for page in via_bulk) <= 2000
    calls = switching.take_usage().calls
    assert calls["salesforce.bulk2.query"] == 1          # tasks (> 8,000 rows) switched; leads stayed on REST
    assert calls["salesforce.query_all"] == 2
    switching.close()
    rest.close()


def test_the_echo_of_a_large_write_is_read_by_one_bulk_job_without_a_probe(sb: Any) -> None:
    import time
    sb.add_salesforce_org(client_id=CLIENT_ID + "-echo", client_secret=CLIENT_SECRET, leads=9000, contacts=10,
                          seed=11, activities_per_person=0.1)
    tenant = client_tenant(sb, CLIENT_ID + "-echo")
    tenant = tenant.model_copy(update={"crm": tenant.crm.model_copy(update={"bulk_threshold": 2000})})
    writer = SalesforceConnector(tenant, bulk_poll_s=0.01)
    pages = list(writer.pull("leads", None, until=now(), full=True))
    cursor, leads = pages[-1].cursor, [p.id for page in pages for p in page.persons]
    time.sleep(1.1)                                   # our writes land in a later second than the cursor
    written = set()
    for start in range(0, len(leads), 200):
        results = writer.push([Update(pid, "Lead", {"Fit_Score__c": 11}) for pid in leads[start:start + 200]])
        written |= {r.person_id for r in results if r.outcome == "done"}    # converted leads refuse writes
    assert len(written) > 8000
    until = now()
    writer.take_usage()

    echo = [p for page in writer.pull("leads", cursor, until=until) for p in page.persons]
    calls = writer.take_usage().calls
    assert calls.get("salesforce.bulk2.query") == 1 and "salesforce.query_all" not in calls
    assert {p.id for p in echo} >= written

    fresh = SalesforceConnector(tenant, bulk_poll_s=0.01)        # knows nothing of the writes: probes first
    again = [p for page in fresh.pull("leads", cursor, until=until) for p in page.persons]
    calls = fresh.take_usage().calls
    assert calls.get("salesforce.bulk2.query") == 1 and calls.get("salesforce.query_all") == 1
    assert {p.id for p in again} == {p.id for p in echo}
    writer.close()
    fresh.close()
