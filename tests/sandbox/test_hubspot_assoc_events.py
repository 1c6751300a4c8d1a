"""Associations v4, the events API, and new activity keeping the rollups consistent."""

from __future__ import annotations

from typing import Any

import requests
from hubspot.crm.associations.v4 import BatchInputPublicFetchAssociationsBatchRequest

from sandbox import HubSpotSettings, RateLimits, Sandbox, SandboxConfig
from tests.sandbox.conftest import NOW, TOKEN, auth


def _contact_with_company(sb: Sandbox, portal: str) -> str:
    p = sb.hubspot.portals[portal]
    row = next(r for r in range(len(p.contact_company)) if p.contact_company[r] >= 0
               and not p.tables["contacts"].archived[r])
    return p.tables["contacts"].id_of(row)


def test_contact_to_company_primary(sb: Sandbox, portal: str, client: Any) -> None:
    cid = _contact_with_company(sb, portal)
    res = client.crm.associations.v4.batch_api.get_page(
        "contacts", "companies", BatchInputPublicFetchAssociationsBatchRequest(inputs=[{"id": cid}]))
    item = res.results[0]
    assert item._from.id == cid
    types = {(t.type_id, t.label) for t in item.to[0].association_types}
    assert types == {(1, "Primary"), (279, None)}
    raw = requests.post(f"{sb.url}/crm/v4/associations/contacts/companies/batch/read", headers=auth(), timeout=5,
                        json={"inputs": [{"id": cid}]}).json()
    assert isinstance(raw["results"][0]["to"][0]["toObjectId"], int)


def test_missing_associations_are_207_errors_by_default(sb: Sandbox, portal: str) -> None:
    p = sb.hubspot.portals[portal]
    lonely = next(p.tables["contacts"].id_of(r) for r in range(len(p.contact_company))
                  if p.contact_company[r] < 0 and not p.tables["contacts"].archived[r])
    cid = _contact_with_company(sb, portal)
    resp = requests.post(f"{sb.url}/crm/v4/associations/contacts/companies/batch/read", headers=auth(), timeout=5,
                         json={"inputs": [{"id": cid}, {"id": lonely}]})
    assert resp.status_code == 207
    body = resp.json()
    assert body["numErrors"] == 1
    assert body["errors"][0]["category"] == "OBJECT_NOT_FOUND"
    assert [r["from"]["id"] for r in body["results"]] == [cid]


def test_missing_associations_empty_switch() -> None:
    config = SandboxConfig(now=NOW, hubspot=HubSpotSettings(limits=RateLimits(0, 0, 0),
                                                            missing_associations="empty"))
    with Sandbox(config).start(port=0) as sb:
        pid = sb.add_hubspot_portal(token=TOKEN, contacts=60, seed=1)
        table = sb.hubspot.portals[pid].tables["contacts"]
        live = [table.id_of(r) for r in range(table.size) if not table.archived[r]]
        resp = requests.post(f"{sb.url}/crm/v4/associations/contacts/meetings/batch/read", headers=auth(),
                             timeout=5, json={"inputs": [{"id": i} for i in live]})
        assert resp.status_code == 200
        results = resp.json()["results"]
        assert len(results) == len(live)
        assert any(r["to"] == [] for r in results)


def test_contact_to_engagements(sb: Sandbox, portal: str) -> None:
    p = sb.hubspot.portals[portal]
    row = p.engagement_contact["meetings"][0]
    cid = p.tables["contacts"].id_of(row)
    body = requests.post(f"{sb.url}/crm/v4/associations/contacts/meetings/batch/read", headers=auth(), timeout=5,
                         json={"inputs": [{"id": cid}]}).json()
    meeting_ids = {str(t["toObjectId"]) for t in body["results"][0]["to"]}
    assert p.tables["meetings"].id_of(0) in meeting_ids
    assert body["results"][0]["to"][0]["associationTypes"][0]["typeId"] == 199
    back = requests.post(f"{sb.url}/crm/v4/associations/meetings/contacts/batch/read", headers=auth(), timeout=5,
                         json={"inputs": [{"id": p.tables["meetings"].id_of(0)}]}).json()
    assert str(back["results"][0]["to"][0]["toObjectId"]) == cid
    too_many = requests.post(f"{sb.url}/crm/v4/associations/contacts/meetings/batch/read", headers=auth(),
                             timeout=5, json={"inputs": [{"id": "1"}] * 1001})
    assert too_many.status_code == 400


def test_events_api_page_views_match_rollups(sb: Sandbox, portal: str) -> None:
    p = sb.hubspot.portals[portal]
    contacts = p.tables["contacts"]
    row = max(range(contacts.size), key=lambda r: contacts.typed(r, "hs_analytics_num_page_views") or 0)
    cid = contacts.id_of(row)
    views = int(contacts.get(row, "hs_analytics_num_page_views") or 0)
    events: list[dict[str, Any]] = []
    params: dict[str, Any] = {"objectType": "contact", "objectId": cid, "limit": 3}
    while True:
        page = requests.get(f"{sb.url}/events/v3/events", params=params, headers=auth(), timeout=5).json()
        events += page["results"]
        if "paging" not in page:
            break
        params["after"] = page["paging"]["next"]["after"]
    assert len(events) == views > 3
    assert all(e["properties"]["hs_url"].startswith("https://") for e in events)
    assert events[-1]["occurredAt"] == contacts.get(row, "hs_analytics_last_visit_timestamp")
    assert all(e["eventType"] == "e_visited_page" and e["objectId"] == cid for e in events)


def test_advance_activity_updates_rollups_and_modified(sb: Sandbox, portal: str) -> None:
    p = sb.hubspot.portals[portal]
    contacts = p.tables["contacts"]
    before_views = sum(int(contacts.get(r, "hs_analytics_num_page_views") or 0) for r in range(contacts.size))
    before_events = len(p.events.at)
    before_meetings = p.tables["meetings"].size
    counts = sb.advance_activity(200)["hubspot"][portal]
    after_views = sum(int(contacts.get(r, "hs_analytics_num_page_views") or 0) for r in range(contacts.size))
    assert after_views - before_views == counts.get("page_view", 0) == len(p.events.at) - before_events
    assert p.tables["meetings"].size - before_meetings == counts.get("meeting", 0)
    # touched contacts show up in an incremental search from "a moment ago"
    cut = max(int(contacts.time_column("lastmodifieddate").values[r]) for r in range(contacts.size)) - 1
    found = requests.post(f"{sb.url}/crm/v3/objects/contacts/search", headers=auth(), timeout=5, json={
        "filterGroups": [{"filters": [{"propertyName": "lastmodifieddate", "operator": "GTE", "value": str(cut)}]}],
        "properties": ["recent_conversion_event_name", "hs_email_open"], "limit": 200}).json()
    assert found["total"] > 50
