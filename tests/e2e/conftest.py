"""End-to-end cycles against the sandbox CRMs (a real server on 127.0.0.1, the real connectors)."""

from __future__ import annotations

import base64
import json
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from config import Tenant, parse_tenant
from connectors.registry import create_connector
from sandbox import HubSpotSettings, Sandbox, SandboxConfig
from sync.store import Store

INDEX_LAG = 0.2
HS_TOKEN = "pat-na1-00000000-0000-4000-8000-0000000e2e01"
SCORING = """
scoring:
  fit:
    - label: Senior title
      when: {title: {matches: "(?i)\\\\b(vp|vice president|director|head of|chief)\\\\b"}}
      points: 30
    - label: Software
      when: {industry: {contains: software}}
      points: 10
  engagement:
    - label: Page view
      activity: page_view
      points: 3
      max_count: 5
    - label: Meeting
      activity: meeting
      points: 20
    - label: Form
      activity: form_submission
      points: 15
  disqualify:
    - label: Student
      when: {title: {matches: "(?i)\\\\b(student|intern)\\\\b"}}
  decay: {half_life_days: 30, window_days: 180}
  mql: {fit_min: 20, engagement_min: 15}
  grades: {A: 40, B: 25, C: 10}
"""
HUBSPOT_TENANT = """
tenant: e2e-hubspot
crm:
  kind: hubspot
  base_url: {url}
  access_token: ${{E2E_HS_TOKEN}}
  rate_limit: {{per_10s: 1000, search_per_s: 50}}
""" + SCORING.replace("{", "{{").replace("}", "}}")


@dataclass
class HubSpotWorld:
    sb: Sandbox
    portal: str
    tenant: Tenant
    tenant_text: str
    env: dict[str, str]

    def contact(self, person_id: str, properties: list[str]) -> dict[str, Any]:
        url = f"{self.sb.url}/crm/v3/objects/contacts/{person_id}?properties={','.join(properties)}"
        return dict(_http(url, "GET")["properties"])

    def patch(self, person_id: str, properties: dict[str, Any]) -> None:
        _http(f"{self.sb.url}/crm/v3/objects/contacts/{person_id}", "PATCH", {"properties": properties})

    def all_values(self, properties: list[str]) -> dict[str, dict[str, Any]]:
        """Every contact's values of these properties, by id (the list endpoint, page by page)."""
        out: dict[str, dict[str, Any]] = {}
        after = ""
        while True:
            answer = _http(f"{self.sb.url}/crm/v3/objects/contacts?limit=100&properties={','.join(properties)}"
                           + (f"&after={after}" if after else ""), "GET")
            out.update((r["id"], r["properties"]) for r in answer["results"])
            after = ((answer.get("paging") or {}).get("next") or {}).get("after", "")
            if not after:
                return out

    def writes(self) -> list[Any]:
        return [e for e in self.sb.requests(self.portal) if e.path.endswith("/batch/update")]

    def write_tenant(self, folder: Path) -> Path:
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / "e2e-hubspot.yaml"
        path.write_text(self.tenant_text)
        return folder


def _http(url: str, method: str, body: dict[str, Any] | None = None) -> Any:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method, headers={  # noqa: S310  (127.0.0.1 only)
        "Authorization": f"Bearer {HS_TOKEN}", "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
        raw = response.read()
    return json.loads(raw) if raw else None


@pytest.fixture
def hubspot() -> Iterator[HubSpotWorld]:
    yield from hubspot_world()


@pytest.fixture
def hubspot_twin() -> Iterator[HubSpotWorld]:
    """A second, identical portal in its own sandbox (for clean-vs-faulty comparisons)."""
    yield from hubspot_world()


def hubspot_world() -> Iterator[HubSpotWorld]:
    # search sees writes INDEX_LAG seconds later (as HubSpot's index does); tests wait that long
    with Sandbox(SandboxConfig(hubspot=HubSpotSettings(search_index_lag_s=INDEX_LAG))) as sb:
        portal = sb.add_hubspot_portal(token=HS_TOKEN, contacts=150, seed=5)
        text = HUBSPOT_TENANT.format(url=sb.url)
        env = {"E2E_HS_TOKEN": HS_TOKEN}
        tenant = parse_tenant(text, env=env)
        connector = create_connector(tenant)
        connector.provision()
        connector.close()
        sb.clear_requests()
        yield HubSpotWorld(sb, portal, tenant, text, env)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = Store.open(f"sqlite:///{tmp_path}/e2e.db")
    yield s
    s.close()


SF_ID, SF_SECRET = "3MVG9e2e-client", "e2e-client-secret-0001"
SALESFORCE_TENANT = """
tenant: e2e-salesforce
crm:
  kind: salesforce
  login_url: {url}
  client_id: ${{E2E_SF_ID}}
  client_secret: ${{E2E_SF_SECRET}}
  people: [Lead, Contact]
""" + SCORING.replace("{", "{{").replace("}", "}}") + """
write_back:
  fields: {{fit: Fit_Score__c, engagement: Engagement_Score__c, score: Score__c, grade: Grade__c,
           status: MQL_Status__c, mql_reason: MQL_Reason__c, mql_at: MQL_Date__c}}
  lifecycle:
    field: {{Lead: Status, Contact: Lifecycle_Stage__c}}
    mql_value: MQL
    protected: [Working - Contacted, Closed - Converted, Closed - Not Converted, SQL, Opportunity, Customer]
"""


@dataclass
class SalesforceWorld:
    sb: Sandbox
    org: str
    tenant: Tenant

    def record(self, sobject: str, record_id: str) -> dict[str, Any]:
        assert self.sb.salesforce is not None
        found = self.sb.salesforce.record(self.org, sobject, record_id)
        assert found is not None
        return found

    def patch(self, sobject: str, record_id: str, values: dict[str, Any]) -> None:
        basic = base64.b64encode(f"{SF_ID}:{SF_SECRET}".encode()).decode()
        request = urllib.request.Request(  # noqa: S310  (127.0.0.1 only)
            f"{self.sb.url}/services/oauth2/token", data=b"grant_type=client_credentials", method="POST",
            headers={"Authorization": f"Basic {basic}", "Content-Type": "application/x-www-form-urlencoded"})
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            token = json.loads(response.read())["access_token"]
        request = urllib.request.Request(  # noqa: S310
            f"{self.sb.url}/services/data/v59.0/sobjects/{sobject}/{record_id}", data=json.dumps(values).encode(),
            method="PATCH", headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            response.read()

    def writes(self) -> list[Any]:
        return [e for e in self.sb.requests(self.org) if "/composite/sobjects" in e.path and e.method == "PATCH"]


@pytest.fixture
def salesforce() -> Iterator[SalesforceWorld]:
    with Sandbox() as sb:
        org = sb.add_salesforce_org(client_id=SF_ID, client_secret=SF_SECRET, leads=120, contacts=80, seed=4)
        env = {"E2E_SF_ID": SF_ID, "E2E_SF_SECRET": SF_SECRET}
        tenant = parse_tenant(SALESFORCE_TENANT.format(url=sb.url), env=env)
        sb.clear_requests()
        yield SalesforceWorld(sb, org, tenant)
