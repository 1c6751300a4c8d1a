"""Tenants and canned Salesforce answers for the unit tests (responses + the real simple-salesforce)."""

from __future__ import annotations

import json
import random
from typing import Any

import responses

from config import Tenant, parse_tenant
from connectors.salesforce import SalesforceConnector

LOGIN = "https://acme.my.salesforce.com"
INSTANCE = "https://acme.my.salesforce.com"
API = f"{INSTANCE}/services/data/v59.0"
TOKEN_URL = f"{LOGIN}/services/oauth2/token"

CRM_CLIENT = """
  kind: salesforce
  login_url: https://acme.my.salesforce.com
  client_id: ${SF_ID}
  client_secret: ${SF_SECRET}
"""
CRM_SESSION = """
  kind: salesforce
  instance_url: https://acme.my.salesforce.com
  access_token: ${SF_TOKEN}
"""

TENANT = """
tenant: acme
crm:
{crm}
fields:
{fields}
scoring:
  fit:
    - label: Any
      points: 1
  mql: {{total_min: 1}}
write_back:
  fields:
    fit: Fit_Score__c
    score: Score__c
    grade: Grade__c
    mql_at: MQL_Date__c
  lifecycle:
    field: {{Lead: Status, Contact: Lifecycle_Stage__c}}
    mql_value: MQL
"""
ENV = {"SF_ID": "cid-123", "SF_SECRET": "s3cret-value", "SF_TOKEN": "ready-token-xyz"}


def tenant(crm: str = CRM_CLIENT, fields: str = "  seniority: Seniority__c") -> Tenant:
    return parse_tenant(TENANT.format(crm=crm.rstrip(), fields=fields), env=ENV)


def connector(t: Tenant | None = None, **kw: Any) -> tuple[SalesforceConnector, list[float]]:
    sleeps: list[float] = []
    conn = SalesforceConnector(t or tenant(), sleep=sleeps.append, rng=random.Random(1), **kw)
    return conn, sleeps


def add_token(rsps: responses.RequestsMock, token: str = "tok-1",  # noqa: S107
              status: int = 200, body: dict[str, Any] | None = None) -> None:
    rsps.add(responses.POST, TOKEN_URL, status=status,
             json=body if body is not None else {"access_token": token, "instance_url": INSTANCE,
                                                 "token_type": "Bearer"})


def records_page(records: list[dict[str, Any]], next_url: str | None = None) -> dict[str, Any]:
    page: dict[str, Any] = {"totalSize": len(records), "done": next_url is None, "records": records}
    if next_url:
        page["nextRecordsUrl"] = next_url
    return page


def lead(record_id: str, stamp: str, **fields: Any) -> dict[str, Any]:
    base = {"attributes": {"type": "Lead"}, "Id": record_id, "SystemModstamp": stamp, "IsDeleted": False,
            "IsConverted": False, "Email": f"{record_id}@example.com", "LastName": "L"}
    base.update(fields)
    return base


def sf_error(code: str, message: str = "") -> str:
    return json.dumps([{"errorCode": code, "message": message or code}])
