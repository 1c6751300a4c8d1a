"""The Salesforce side of the contract suite: a sandbox org, a tenant and a logged-in connector."""

from __future__ import annotations

import json
import urllib.parse
import urllib.request
from typing import Any

from config import parse_tenant
from connectors.salesforce import SalesforceConnector
from tests.contract.env import ContractEnv

CLIENT_ID = "3MVG9contract0salesforce0client"
CLIENT_SECRET = "contract-secret-0000"
TENANT = """
tenant: contract-salesforce
crm:
  kind: salesforce
  login_url: {url}
  client_id: ${{CONTRACT_SF_ID}}
  client_secret: ${{CONTRACT_SF_SECRET}}
  people: [Lead, Contact]
  daily_api_share: 0.5
scoring:
  fit:
    - label: Everyone
      points: 1
  mql: {{fit_min: 1}}
write_back:
  fields:
    fit: Fit_Score__c
    score: Score__c
    grade: Grade__c
    status: MQL_Status__c
    mql_at: MQL_Date__c
  lifecycle:
    field: {{Lead: Status, Contact: Lifecycle_Stage__c}}
    mql_value: MQL
"""


def _token(url: str) -> str:
    body = urllib.parse.urlencode({"grant_type": "client_credentials", "client_id": CLIENT_ID,
                                   "client_secret": CLIENT_SECRET}).encode()
    request = urllib.request.Request(f"{url}/services/oauth2/token", data=body, method="POST")  # noqa: S310
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310  (127.0.0.1 only)
        return str(json.loads(response.read())["access_token"])


def _patch(url: str, token: str, path: str, values: dict[str, Any]) -> None:
    request = urllib.request.Request(f"{url}/services/data/v59.0/{path}", data=json.dumps(values).encode(),  # noqa: S310
                                     method="PATCH", headers={"Authorization": f"Bearer {token}",
                                                              "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
        response.read()


def _object(record_id: str) -> str:
    return "Lead" if record_id.startswith("00Q") else "Contact"


def make_env(sb: Any) -> ContractEnv:
    org_id = sb.add_salesforce_org(client_id=CLIENT_ID, client_secret=CLIENT_SECRET, leads=300, contacts=200,
                                   seed=13)
    tenant = parse_tenant(TENANT.format(url=sb.url), env={"CONTRACT_SF_ID": CLIENT_ID,
                                                          "CONTRACT_SF_SECRET": CLIENT_SECRET})
    connector = SalesforceConnector(tenant)
    connector.check()              # logs in and reads the org's limits into the budget
    connector.take_usage()

    def touch(person_id: str) -> None:
        _patch(sb.url, _token(sb.url), f"sobjects/{_object(person_id)}/{person_id}",
               {"Title": "Head of Contract Tests"})

    def delete(person_id: str) -> None:
        app = sb.salesforce
        if hasattr(app, "delete_record"):
            app.delete_record(org_id, _object(person_id), person_id)
            return
        # The emulator has no delete endpoint (yet): mark the row deleted as Salesforce's recycle bin would.
        with app._lock:
            org = app._orgs[org_id]
            sobject = _object(person_id)
            row = org.codec.row_of(sobject, person_id)
            now = app._now()
            table = org.tables[sobject]
            table.set("IsDeleted", row, True)
            table.set("SystemModstamp", row, now)
            table.set("LastModifiedDate", row, now)

    return ContractEnv(
        name="salesforce", tenant=tenant, connector=connector, person_streams=("leads", "contacts"),
        activity_streams=("campaign_members", "tasks", "events"), account=org_id, touch_person=touch,
        delete_person=delete,
        write_fields={"Fit_Score__c": 42, "Grade__c": "A", "MQL_Status__c": "mql", "MQL_Date__c": "2026-11-02"},
        bad_write=("Grade__c", "Z"),
    )
