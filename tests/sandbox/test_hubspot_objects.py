"""List, read and paging through the real hubspot-api-client and plain requests."""

from __future__ import annotations

from typing import Any

import requests

from sandbox import Sandbox
from tests.sandbox.conftest import TOKEN, auth


def _live(sb: Sandbox, portal: str) -> int:
    table = sb.hubspot.portals[portal].tables["contacts"]
    return table.size - table.archived.count(1)


def test_get_all_reads_every_live_contact(sb: Sandbox, portal: str, client: Any) -> None:
    contacts = client.crm.contacts.get_all(properties=["email", "lifecyclestage"])
    assert len(contacts) == _live(sb, portal)
    assert len({c.id for c in contacts}) == len(contacts)
    first = contacts[0]
    assert "@" in first.properties["email"]
    assert first.created_at is not None
    assert first.updated_at is not None


def test_page_wire_shape_and_last_page_has_no_paging(sb: Sandbox, portal: str) -> None:
    url = f"{sb.url}/crm/v3/objects/contacts"
    page = requests.get(url, params={"limit": "100", "properties": "email,firstname", "archived": "False"},
                        headers=auth(), timeout=5).json()
    assert len(page["results"]) == 100
    rec = page["results"][0]
    assert set(rec) == {"id", "properties", "createdAt", "updatedAt", "archived"}
    assert set(rec["properties"]) == {"email", "firstname"}
    assert rec["createdAt"].endswith("Z")
    assert "T" in rec["createdAt"]
    after = page["paging"]["next"]["after"]
    seen = 100
    while True:
        page = requests.get(url, params={"limit": 100, "after": after}, headers=auth(), timeout=5).json()
        seen += len(page["results"])
        if "paging" not in page:
            break
        after = page["paging"]["next"]["after"]
    assert seen == _live(sb, portal)


def test_properties_repeated_and_comma_separated_and_unknown_ignored(sb: Sandbox, portal: str) -> None:
    url = f"{sb.url}/crm/v3/objects/contacts?limit=3&properties=email&properties=jobtitle,no_such_prop" \
          "&properties=hs_lead_status"
    page = requests.get(url, headers=auth(), timeout=5).json()
    for rec in page["results"]:
        assert set(rec["properties"]) == {"email", "jobtitle", "hs_lead_status"}
    # requested-but-empty properties come back as null, values are strings
    values = [r["properties"]["hs_lead_status"] for r in requests.get(
        f"{sb.url}/crm/v3/objects/contacts?limit=100&properties=hs_lead_status", headers=auth(), timeout=5
    ).json()["results"]]
    assert None in values
    assert any(isinstance(v, str) for v in values)


def test_default_properties_when_none_requested(sb: Sandbox, portal: str) -> None:
    rec = requests.get(f"{sb.url}/crm/v3/objects/contacts?limit=1", headers=auth(), timeout=5).json()["results"][0]
    assert set(rec["properties"]) == {"createdate", "email", "firstname", "hs_object_id", "lastmodifieddate",
                                      "lastname"}
    assert rec["properties"]["hs_object_id"] == rec["id"]


def test_archived_true_returns_only_archived(sb: Sandbox, portal: str, client: Any) -> None:
    archived = client.crm.contacts.get_all(archived=True)
    table = sb.hubspot.portals[portal].tables["contacts"]
    assert len(archived) == table.archived.count(1) > 0
    assert all(c.archived for c in archived)
    assert all(c.archived_at is not None for c in archived)


def test_numbers_as_strings_and_single_read(sb: Sandbox, portal: str, client: Any) -> None:
    rec = client.crm.contacts.basic_api.get_by_id("100010", properties=["hs_analytics_num_page_views",
                                                                        "hs_analytics_last_visit_timestamp"])
    views = rec.properties["hs_analytics_num_page_views"]
    assert isinstance(views, str)
    assert views.isdigit()
    missing = requests.get(f"{sb.url}/crm/v3/objects/contacts/999999999", headers=auth(), timeout=5)
    assert missing.status_code == 404
    assert missing.json()["category"] == "OBJECT_NOT_FOUND"


def test_companies_and_engagements_lists(sb: Sandbox, portal: str, client: Any) -> None:
    companies = client.crm.companies.basic_api.get_page(limit=5, properties=["name", "numberofemployees",
                                                                              "industry", "hs_lastmodifieddate"])
    assert all(c.properties["numberofemployees"].isdigit() for c in companies.results)
    meetings = client.crm.objects.meetings.basic_api.get_page(limit=5, properties=["hs_timestamp",
                                                                                   "hs_meeting_title",
                                                                                   "hs_meeting_outcome"])
    assert meetings.results
    assert all(m.properties["hs_timestamp"] for m in meetings.results)
    emails = requests.get(f"{sb.url}/crm/v3/objects/emails?limit=100&properties=hs_email_direction",
                          headers=auth(), timeout=5).json()["results"]
    assert {e["properties"]["hs_email_direction"] for e in emails} <= {"EMAIL", "INCOMING_EMAIL"}


def test_unknown_token_is_401(sb: Sandbox, portal: str) -> None:
    resp = requests.get(f"{sb.url}/crm/v3/objects/contacts", headers=auth("pat-na1-wrong"), timeout=5)
    assert resp.status_code == 401
    assert resp.json()["category"] == "INVALID_AUTHENTICATION"
    assert requests.get(f"{sb.url}/crm/v3/objects/contacts", timeout=5).status_code == 401
    assert TOKEN not in resp.text


def test_two_portals_are_isolated(sb: Sandbox, portal: str) -> None:
    other = sb.add_hubspot_portal(token="pat-na1-other", contacts=40, seed=2)
    assert other != portal
    ours = requests.get(f"{sb.url}/crm/v3/objects/contacts?limit=100", headers=auth(), timeout=5).json()
    theirs = requests.get(f"{sb.url}/crm/v3/objects/contacts?limit=100", headers=auth("pat-na1-other"),
                          timeout=5).json()
    assert len(theirs["results"]) < 40 + 1
    assert "paging" not in theirs
    assert ours["results"][0]["properties"]["email"] != theirs["results"][0]["properties"]["email"]
    requests.post(f"{sb.url}/crm/v3/objects/contacts/batch/update", headers=auth("pat-na1-other"), timeout=5,
                  json={"inputs": [{"id": "100001", "properties": {"firstname": "Other"}}]})
    mine = requests.get(f"{sb.url}/crm/v3/objects/contacts/100001?properties=firstname", headers=auth(),
                        timeout=5).json()
    assert mine["properties"]["firstname"] != "Other"
    assert {e.account for e in sb.requests()} == {portal, other}


def test_reset_forgets_accounts(sb: Sandbox, portal: str) -> None:
    sb.reset()
    assert requests.get(f"{sb.url}/crm/v3/objects/contacts", headers=auth(), timeout=5).status_code == 401
    assert sb.hubspot.portals == {}


def test_same_seed_same_portal_data(sb: Sandbox) -> None:
    a = sb.add_hubspot_portal(token="pat-na1-a", contacts=120, seed=9)
    b = sb.add_hubspot_portal(token="pat-na1-b", contacts=120, seed=9)
    c = sb.add_hubspot_portal(token="pat-na1-c", contacts=120, seed=10)
    url = f"{sb.url}/crm/v3/objects/contacts?limit=100&properties=email,jobtitle,lifecyclestage,lastmodifieddate"

    def page(token: str) -> list[dict[str, Any]]:
        return requests.get(url, headers=auth(token), timeout=5).json()["results"]  # type: ignore[no-any-return]

    assert page("pat-na1-a") == page("pat-na1-b")
    assert page("pat-na1-a") != page("pat-na1-c")
    assert len({a, b, c}) == 3


def test_advance_reaches_salesforce_orgs(sb: Sandbox, portal: str) -> None:
    org = sb.add_salesforce_org(client_id="cid-adv", client_secret="s", leads=20, contacts=10, seed=4)
    out = sb.advance_activity(30)
    assert sum(out["hubspot"][portal].values()) <= 30
    assert sum(out["salesforce"][org].values()) == 30
