"""JWT bearer, the loopback transport, and the provision check."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs

import jwt
import pytest
import responses
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from config import parse_tenant

from .helpers import API, CRM_SESSION, ENV, TENANT, connector, records_page, tenant

UNTIL = datetime(2024, 6, 1, tzinfo=UTC)


def rsa_pem() -> tuple[str, Any]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption()).decode()
    return pem, key.public_key()


def test_jwt_bearer_assertion_is_signed_with_the_right_claims() -> None:
    pem, public = rsa_pem()
    crm = """
  kind: salesforce
  login_url: https://login.salesforce.com
  client_id: ${SF_ID}
  username: integration@acme.com
  private_key: ${SF_KEY}
  jwt_audience: https://test.salesforce.com
"""
    t = parse_tenant(TENANT.format(crm=crm.rstrip(), fields="  {}"), env={**ENV, "SF_KEY": pem})
    conn, _ = connector(t)
    with responses.RequestsMock() as rsps:
        rsps.add(responses.POST, "https://login.salesforce.com/services/oauth2/token",
                 json={"access_token": "jwt-tok", "instance_url": "https://acme.my.salesforce.com"})
        rsps.add(responses.GET, f"{API}/queryAll/", json=records_page([]))
        list(conn.pull("accounts", None, until=UNTIL))
        form = parse_qs(str(rsps.calls[0].request.body))
        assert rsps.calls[1].request.headers["Authorization"] == "Bearer jwt-tok"
    assert form["grant_type"] == ["urn:ietf:params:oauth:grant-type:jwt-bearer"]
    claims = jwt.decode(form["assertion"][0], public, algorithms=["RS256"], audience="https://test.salesforce.com")
    assert claims["iss"] == "cid-123"
    assert claims["sub"] == "integration@acme.com"


def test_plain_http_loopback_is_reached_over_http_only_for_loopback() -> None:
    crm = """
  kind: salesforce
  login_url: http://127.0.0.1:8765
  client_id: ${SF_ID}
  client_secret: ${SF_SECRET}
"""
    conn, _ = connector(tenant(crm))
    with responses.RequestsMock() as rsps:
        rsps.add(responses.POST, "http://127.0.0.1:8765/services/oauth2/token",
                 json={"access_token": "t", "instance_url": "http://127.0.0.1:8765"})
        rsps.add(responses.GET, "http://127.0.0.1:8765/services/data/v59.0/queryAll/", json=records_page([]))
        pages = list(conn.pull("accounts", None, until=UNTIL))
    assert len(pages) == 1


def describe(*fields: dict[str, Any]) -> dict[str, Any]:
    return {"name": "Lead", "fields": list(fields)}


def field(name: str, *, updateable: bool = True, kind: str = "double", values: tuple[str, ...] = ()) -> dict[str, Any]:
    return {"name": name, "type": kind, "updateable": updateable,
            "picklistValues": [{"value": v, "active": True} for v in values]}


def test_provision_reports_missing_read_only_and_wrong_mql_value() -> None:
    conn, _ = connector(tenant(CRM_SESSION))
    lead = describe(field("Fit_Score__c"), field("Score__c", updateable=False), field("MQL_Date__c", kind="date"),
                    field("Status", kind="picklist", values=("Open", "Working")))
    contact = describe(field("Fit_Score__c"), field("Score__c"), field("Grade__c", kind="picklist"),
                       field("MQL_Date__c", kind="date"),
                       field("Lifecycle_Stage__c", kind="picklist", values=("Lead", "MQL")))
    with responses.RequestsMock() as rsps:
        rsps.add(responses.GET, f"{API}/sobjects/Lead/describe", json=lead)
        rsps.add(responses.GET, f"{API}/sobjects/Contact/describe", json=contact)
        items = conn.provision(apply=False)
    states = {(i.object_type, i.field): i.state for i in items}
    assert states == {
        ("Lead", "Fit_Score__c"): "exists", ("Lead", "Score__c"): "not_updateable",
        ("Lead", "Grade__c"): "missing", ("Lead", "MQL_Date__c"): "exists", ("Lead", "Status"): "wrong",
        ("Contact", "Fit_Score__c"): "exists", ("Contact", "Score__c"): "exists",
        ("Contact", "Grade__c"): "exists", ("Contact", "MQL_Date__c"): "exists",
        ("Contact", "Lifecycle_Stage__c"): "exists",
    }
    wrong = next(i for i in items if i.state == "wrong")
    assert "'MQL' is not an active value of Lead.Status" in wrong.detail


def test_unknown_stream_is_a_clear_error() -> None:
    conn, _ = connector()
    with pytest.raises(ValueError, match="unknown Salesforce stream 'deals'"):
        conn.pull("deals", None, until=UNTIL)
    assert conn.streams() == ("accounts", "leads", "contacts", "campaign_members", "tasks", "events")
