"""The HubSpot side of the contract suite: a sandbox portal, a tenant and a provisioned connector."""

from __future__ import annotations

import json
import urllib.request
from typing import Any

from config import parse_tenant
from connectors.hubspot import HubSpotConnector
from tests.contract.env import ContractEnv

TOKEN = "pat-na1-00000000-0000-4000-8000-00000000c0de"
TENANT = """
tenant: contract-hubspot
crm:
  kind: hubspot
  base_url: {url}
  access_token: ${{CONTRACT_HS_TOKEN}}
  rate_limit: {{per_10s: 100, search_per_s: 5}}
scoring:
  fit:
    - label: Everyone
      points: 1
  mql: {{fit_min: 1}}
"""


def _account(portal: Any) -> str:
    return str(getattr(portal, "id", None) or getattr(portal, "portal_id", None) or portal)


def _send(url: str, method: str, body: dict[str, Any] | None = None) -> None:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method, headers={  # noqa: S310  (127.0.0.1 only)
        "Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
        response.read()


def make_env(sb: Any) -> ContractEnv:
    portal = sb.add_hubspot_portal(token=TOKEN, contacts=300, seed=11)
    tenant = parse_tenant(TENANT.format(url=sb.url), env={"CONTRACT_HS_TOKEN": TOKEN})
    connector = HubSpotConnector(tenant)
    connector.provision()
    connector.take_usage()
    base = f"{sb.url}/crm/v3/objects/contacts"

    def touch(person_id: str) -> None:
        _send(f"{base}/{person_id}", "PATCH", {"properties": {"jobtitle": "Head of Contract Tests"}})

    def delete(person_id: str) -> None:
        _send(f"{base}/{person_id}", "DELETE")

    return ContractEnv(
        name="hubspot", tenant=tenant, connector=connector, person_streams=("contacts", "archived_contacts"),
        activity_streams=("meetings", "calls", "emails"), account=_account(portal), touch_person=touch,
        delete_person=delete, write_fields={"crmsync_fit_score": 42, "crmsync_grade": "A",
                                            "crmsync_status": "mql", "crmsync_mql_date": "2026-11-02"},
        bad_write=("crmsync_grade", "Z"),
    )
