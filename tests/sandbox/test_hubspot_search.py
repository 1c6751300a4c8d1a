"""Search: operators, groups, sorts, paging, the 10,000-result cap, date formats, index lag."""

from __future__ import annotations

from typing import Any

import pytest
import requests
from hubspot.crm.contacts import PublicObjectSearchRequest
from hubspot.crm.contacts.exceptions import ApiException

from sandbox import HubSpotSettings, RateLimits, Sandbox, SandboxConfig
from sandbox.hubspot.columns import parse_time
from tests.sandbox.conftest import NOW, TOKEN, auth


def _search(sb: Sandbox, body: dict[str, Any], kind: str = "contacts", token: str = TOKEN) -> requests.Response:
    return requests.post(f"{sb.url}/crm/v3/objects/{kind}/search", json=body, headers=auth(token), timeout=10)


def _all(sb: Sandbox, body: dict[str, Any], kind: str = "contacts") -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    body = {**body, "limit": 100}
    while True:
        page = _search(sb, body, kind).json()
        out += page["results"]
        if "paging" not in page:
            return out
        body["after"] = page["paging"]["next"]["after"]


def _f(prop: str, op: str, value: Any = None, **kw: Any) -> dict[str, Any]:
    f = {"propertyName": prop, "operator": op, **kw}
    if value is not None:
        f["value"] = value
    return f


def test_incremental_pattern_sorted_and_complete(sb: Sandbox, portal: str) -> None:
    body = {"filterGroups": [{"filters": [_f("lastmodifieddate", "GTE", "0")]}],
            "sorts": [{"propertyName": "lastmodifieddate", "direction": "ASCENDING"}],
            "properties": ["lastmodifieddate"]}
    rows = _all(sb, body)
    stamps = [parse_time(r["properties"]["lastmodifieddate"]) or 0 for r in rows]
    assert stamps == sorted(stamps)
    table = sb.hubspot.portals[portal].tables["contacts"]
    assert len(rows) == table.size - table.archived.count(1)
    middle = rows[len(rows) // 2]["properties"]["lastmodifieddate"]
    cut = str(parse_time(middle))
    later = _all(sb, {**body, "filterGroups": [{"filters": [_f("lastmodifieddate", "GTE", cut)]}]})
    assert later
    assert all((parse_time(r["properties"]["lastmodifieddate"]) or 0) >= int(cut) for r in later)
    first = _search(sb, {**body, "limit": 5}).json()
    assert first["total"] == len(rows)
    assert first["paging"]["next"]["after"] == "5"


def test_operators(sb: Sandbox, portal: str) -> None:
    def ids(*filters: dict[str, Any]) -> set[str]:
        return {r["id"] for r in _all(sb, {"filterGroups": [{"filters": list(filters)}]})}

    everyone = ids()
    leads = ids(_f("lifecyclestage", "EQ", "lead"))
    not_leads = ids(_f("lifecyclestage", "NEQ", "lead"))
    assert leads
    assert leads | not_leads == everyone
    assert not leads & not_leads
    assert ids(_f("lifecyclestage", "IN", values=["lead", "customer"])) == \
        leads | ids(_f("lifecyclestage", "EQ", "customer"))
    assert ids(_f("lifecyclestage", "NOT_IN", values=["lead"])) == not_leads
    with_status = ids(_f("hs_lead_status", "HAS_PROPERTY"))
    assert with_status | ids(_f("hs_lead_status", "NOT_HAS_PROPERTY")) == everyone
    assert with_status
    views = ids(_f("hs_analytics_num_page_views", "GT", "3"))
    assert views == ids(_f("hs_analytics_num_page_views", "GTE", "4"))
    assert ids(_f("hs_analytics_num_page_views", "BETWEEN", "1", highValue="3")) == \
        ids(_f("hs_analytics_num_page_views", "GTE", "1"), _f("hs_analytics_num_page_views", "LTE", "3"))
    assert ids(_f("hs_analytics_num_page_views", "LT", "1")) == ids(_f("hs_analytics_num_page_views", "EQ", "0"))
    gmail = ids(_f("email", "CONTAINS_TOKEN", "*@gmail.com"))
    assert gmail
    assert gmail.isdisjoint(ids(_f("email", "NOT_CONTAINS_TOKEN", "*@gmail.com")))
    assert ids(_f("jobtitle", "CONTAINS_TOKEN", "intern")) >= ids(_f("jobtitle", "EQ", "Intern"))
    # strings compare case-insensitively
    assert ids(_f("lifecyclestage", "EQ", "LEAD")) == leads


def test_groups_or_filters_and(sb: Sandbox, portal: str) -> None:
    a = {r["id"] for r in _all(sb, {"filterGroups": [{"filters": [_f("lifecyclestage", "EQ", "customer")]}]})}
    b = {r["id"] for r in _all(sb, {"filterGroups": [{"filters": [_f("country", "EQ", "Germany")]}]})}
    both = {r["id"] for r in _all(sb, {"filterGroups": [{"filters": [_f("lifecyclestage", "EQ", "customer"),
                                                                     _f("country", "EQ", "Germany")]}]})}
    either = {r["id"] for r in _all(sb, {"filterGroups": [{"filters": [_f("lifecyclestage", "EQ", "customer")]},
                                                          {"filters": [_f("country", "EQ", "Germany")]}]})}
    assert both == a & b
    assert either == a | b


def test_sorts_dict_descending_and_string_form_ignored(sb: Sandbox, portal: str) -> None:
    desc = _search(sb, {"sorts": [{"propertyName": "createdate", "direction": "DESCENDING"}], "limit": 50,
                        "properties": ["createdate"]}).json()["results"]
    stamps = [r["properties"]["createdate"] for r in desc]
    assert stamps == sorted(stamps, reverse=True)
    as_string = _search(sb, {"sorts": ["-createdate"], "limit": 50}).json()["results"]
    assert [r["id"] for r in as_string] == sorted((r["id"] for r in as_string), key=int)  # default order


def test_keyset_by_object_id(sb: Sandbox, portal: str) -> None:
    body = {"filterGroups": [{"filters": [_f("hs_object_id", "GT", "100100")]}],
            "sorts": [{"propertyName": "hs_object_id", "direction": "ASCENDING"}], "limit": 10}
    ids = [int(r["id"]) for r in _search(sb, body).json()["results"]]
    assert ids == sorted(ids)
    assert ids[0] > 100100


def test_iso_date_value_is_opaque_400_epoch_ms_works(sb: Sandbox, portal: str) -> None:
    bad = _search(sb, {"filterGroups": [{"filters": [_f("lastmodifieddate", "GTE", "2020-11-15")]}]})
    assert bad.status_code == 400
    assert bad.json()["message"] == "There was a problem with the request."
    assert "category" not in bad.json()
    good = _search(sb, {"filterGroups": [{"filters": [_f("lastmodifieddate", "GTE", "1605398400000")]}]})
    assert good.status_code == 200


def test_contacts_hs_lastmodifieddate_misbehaves_companies_use_it(sb: Sandbox, portal: str) -> None:
    body = {"filterGroups": [{"filters": [_f("hs_lastmodifieddate", "GTE", "0")]}]}
    assert _search(sb, body).json()["total"] == 0
    assert _search(sb, body, "companies").json()["total"] > 0
    assert _search(sb, {"filterGroups": [{"filters": [_f("lastmodifieddate", "GTE", "0")]}]}, "companies") \
        .status_code == 400   # companies have no lastmodifieddate


def test_ten_thousand_cap(sb: Sandbox) -> None:
    sb.add_hubspot_portal(token="pat-na1-big", contacts=10_300, seed=3, page_views=False)
    body: dict[str, Any] = {"limit": 200, "after": "9800"}
    page = _search(sb, body, token="pat-na1-big").json()
    assert page["total"] > 10_000
    assert page["paging"]["next"]["after"] == "10000"
    capped = _search(sb, {**body, "after": "10000"}, token="pat-na1-big")
    assert capped.status_code == 400
    assert capped.json()["category"] == "VALIDATION_ERROR"
    assert _search(sb, {"limit": 201}, token="pat-na1-big").status_code == 400


def test_limits_on_filters(sb: Sandbox, portal: str) -> None:
    groups = [{"filters": [_f("email", "HAS_PROPERTY")]} for _ in range(6)]
    assert _search(sb, {"filterGroups": groups}).status_code == 400
    assert _search(sb, {"filterGroups": [{"filters": [_f("nope", "EQ", "x")]}]}).status_code == 400
    assert _search(sb, {"filterGroups": [{"filters": [_f("email", "LIKE", "x")]}]}).status_code == 400


def test_client_search_and_empty_body(sb: Sandbox, portal: str, client: Any) -> None:
    req = PublicObjectSearchRequest(filter_groups=[{"filters": [{"propertyName": "lifecyclestage", "operator": "EQ",
                                                                 "value": "customer"}]}],
                                    sorts=[{"propertyName": "lastmodifieddate", "direction": "ASCENDING"}],
                                    properties=["email", "lifecyclestage"], limit=20)
    res = client.crm.contacts.search_api.do_search(public_object_search_request=req)
    assert res.total > 0
    assert all(r.properties["lifecyclestage"] == "customer" for r in res.results)
    assert _search(sb, {}).json()["total"] > 0
    with pytest.raises(ApiException) as exc:
        client.crm.contacts.search_api.do_search(public_object_search_request=PublicObjectSearchRequest(
            filter_groups=[{"filters": [{"propertyName": "createdate", "operator": "GT", "value": "2024-01-01"}]}]))
    assert exc.value.status == 400


def test_engagement_search_by_hs_lastmodifieddate(sb: Sandbox, portal: str) -> None:
    body = {"filterGroups": [{"filters": [_f("hs_lastmodifieddate", "GTE", "0")]}],
            "sorts": [{"propertyName": "hs_lastmodifieddate", "direction": "ASCENDING"}],
            "properties": ["hs_timestamp", "hs_meeting_title"]}
    rows = _all(sb, body, "meetings")
    assert rows
    assert len(rows) == sb.hubspot.portals[portal].tables["meetings"].size


def test_index_lag_hides_fresh_writes() -> None:
    config = SandboxConfig(now=NOW, hubspot=HubSpotSettings(limits=RateLimits(0, 0, 0), search_index_lag_s=30))
    with Sandbox(config).start(port=0) as sb:
        sb.add_hubspot_portal(token=TOKEN, contacts=50, seed=1)
        body = {"filterGroups": [{"filters": [_f("firstname", "EQ", "Zed")]}]}
        requests.post(f"{sb.url}/crm/v3/objects/contacts/batch/update", headers=auth(), timeout=5,
                      json={"inputs": [{"id": "100003", "properties": {"firstname": "Zed"}}]})
        assert _search(sb, body).json()["total"] == 0          # not indexed yet
        got = requests.get(f"{sb.url}/crm/v3/objects/contacts/100003?properties=firstname", headers=auth(),
                           timeout=5).json()
        assert got["properties"]["firstname"] == "Zed"         # reads see it at once
