"""Batch update (200/207/400), the 100-input cap, lifecycle forward-only, the properties API."""

from __future__ import annotations

import json
from typing import Any

import pytest
import requests
from hubspot.crm.contacts import BatchInputSimplePublicObjectBatchInput, BatchReadInputSimplePublicObjectId
from hubspot.crm.contacts.exceptions import ApiException
from hubspot.crm.properties import PropertyCreate, PropertyGroupCreate
from hubspot.crm.properties.exceptions import ApiException as PropertiesApiException

from sandbox import Sandbox
from tests.sandbox.conftest import auth


def _update(sb: Sandbox, inputs: list[dict[str, Any]], kind: str = "contacts") -> requests.Response:
    return requests.post(f"{sb.url}/crm/v3/objects/{kind}/batch/update", json={"inputs": inputs}, headers=auth(),
                         timeout=5)


def _get(sb: Sandbox, rid: str, *props: str) -> dict[str, Any]:
    resp = requests.get(f"{sb.url}/crm/v3/objects/contacts/{rid}", params={"properties": ",".join(props)},
                        headers=auth(), timeout=5)
    return resp.json()  # type: ignore[no-any-return]


def _create_fit_score(client: Any) -> None:
    client.crm.properties.groups_api.create("contacts", PropertyGroupCreate(name="lead_scoring", label="Lead scoring"))
    client.crm.properties.core_api.create("contacts", PropertyCreate(
        name="crmsync_fit_score", label="Fit score", type="number", field_type="number", group_name="lead_scoring"))
    client.crm.properties.core_api.create("contacts", PropertyCreate(
        name="crmsync_mql_status", label="MQL status", type="enumeration", field_type="select",
        group_name="lead_scoring", options=[{"label": "MQL", "value": "mql", "hidden": False, "displayOrder": 0},
                                            {"label": "Lead", "value": "lead", "hidden": False, "displayOrder": 1}]))


def test_batch_update_200_writes_and_bumps_modified(sb: Sandbox, portal: str, client: Any) -> None:
    _create_fit_score(client)
    before = _get(sb, "100005", "lastmodifieddate")
    inputs = [{"id": str(100001 + i), "properties": {"crmsync_fit_score": str(70 + i), "crmsync_mql_status": "mql"}}
              for i in range(10)]
    res = client.crm.contacts.batch_api.update(BatchInputSimplePublicObjectBatchInput(inputs=inputs))
    assert res.status == "COMPLETE"
    assert len(res.results) == 10
    by_id = {r.id: r for r in res.results}
    assert by_id["100003"].properties["crmsync_fit_score"] == "72"
    after = _get(sb, "100005", "lastmodifieddate", "crmsync_fit_score")
    assert after["properties"]["crmsync_fit_score"] == "74"
    assert after["properties"]["lastmodifieddate"] > before["properties"]["lastmodifieddate"]
    assert after["updatedAt"] == after["properties"]["lastmodifieddate"]
    # "" clears a value
    assert _update(sb, [{"id": "100005", "properties": {"crmsync_fit_score": ""}}]).status_code == 200
    assert _get(sb, "100005", "crmsync_fit_score")["properties"]["crmsync_fit_score"] is None


def test_batch_update_207_for_unknown_ids(sb: Sandbox, portal: str, client: Any) -> None:
    inputs = [{"id": "100001", "properties": {"firstname": "Ada"}},
              {"id": "999", "properties": {"firstname": "Nobody"}, "objectWriteTraceId": "t-1"}]
    res = client.crm.contacts.batch_api.update(BatchInputSimplePublicObjectBatchInput(inputs=inputs))
    assert res.num_errors == 1
    assert [r.id for r in res.results] == ["100001"]
    assert res.errors[0].category == "OBJECT_NOT_FOUND"
    assert res.errors[0].context == {"ids": ["999"]}
    raw = _update(sb, inputs)
    assert raw.status_code == 207
    assert raw.json()["numErrors"] == 1


def test_unknown_property_rejects_whole_request(sb: Sandbox, portal: str, client: Any) -> None:
    inputs = [{"id": "100001", "properties": {"firstname": "Ada"}},
              {"id": "100002", "properties": {"description": "x"}}]
    with pytest.raises(ApiException) as exc:
        client.crm.contacts.batch_api.update(BatchInputSimplePublicObjectBatchInput(inputs=inputs))
    assert exc.value.status == 400
    body = json.loads(exc.value.body)
    assert body["category"] == "VALIDATION_ERROR"
    assert body["errors"][0]["code"] == "PROPERTY_DOESNT_EXIST"
    assert body["errors"][0]["context"] == {"propertyName": ["description"]}
    embedded = json.loads(body["message"].split("Property values were not valid: ", 1)[1])
    assert embedded[0]["error"] == "PROPERTY_DOESNT_EXIST"
    assert embedded[0]["name"] == "description"
    assert _get(sb, "100001", "firstname")["properties"]["firstname"] != "Ada"   # nothing written


def test_bad_option_and_read_only_rejected(sb: Sandbox, portal: str) -> None:
    bad = _update(sb, [{"id": "100001", "properties": {"hs_lead_status": "MAYBE"}}])
    assert bad.status_code == 400
    assert bad.json()["errors"][0]["code"] == "INVALID_OPTION"
    assert "was not one of the allowed options" in bad.json()["errors"][0]["message"]
    ro = _update(sb, [{"id": "100001", "properties": {"hs_analytics_num_page_views": "5"}}])
    assert ro.status_code == 400
    assert ro.json()["errors"][0]["code"] == "READ_ONLY_VALUE"


def test_hundred_input_cap(sb: Sandbox, portal: str) -> None:
    inputs = [{"id": str(100001 + i), "properties": {"firstname": "X"}} for i in range(101)]
    resp = _update(sb, inputs)
    assert resp.status_code == 400
    assert resp.json()["message"].startswith("The maximum number of inputs supported in a batch is 100")
    assert _update(sb, inputs[:100]).status_code in (200, 207)


def test_lifecycle_forward_only(sb: Sandbox, portal: str) -> None:
    table = sb.hubspot.portals[portal].tables["contacts"]
    row = next(r for r in range(table.size) if table.get(r, "lifecyclestage") == "customer"
               and not table.archived[r])
    rid = table.id_of(row)
    back = _update(sb, [{"id": rid, "properties": {"lifecyclestage": "marketingqualifiedlead", "firstname": "B"}}])
    assert back.status_code == 207
    assert back.json()["errors"][0]["context"]["ids"] == [rid]
    after = _get(sb, rid, "lifecyclestage", "firstname")["properties"]
    assert after["lifecyclestage"] == "customer"
    assert after["firstname"] != "B"
    assert _update(sb, [{"id": rid, "properties": {"lifecyclestage": ""}}]).status_code == 200
    assert _update(sb, [{"id": rid, "properties": {"lifecyclestage": "marketingqualifiedlead"}}]).status_code == 200
    assert _get(sb, rid, "lifecyclestage")["properties"]["lifecyclestage"] == "marketingqualifiedlead"
    assert _update(sb, [{"id": rid, "properties": {"lifecyclestage": "salesqualifiedlead"}}]).status_code == 200


def test_batch_read_with_missing_ids(sb: Sandbox, portal: str, client: Any) -> None:
    req = BatchReadInputSimplePublicObjectId(inputs=[{"id": "100001"}, {"id": "100002"}, {"id": "5"}],
                                             properties=["email"], properties_with_history=[])
    res = client.crm.contacts.batch_api.read(req)
    assert {r.id for r in res.results} == {"100001", "100002"}
    assert res.num_errors == 1


def test_properties_api_create_list_and_409(sb: Sandbox, portal: str, client: Any) -> None:
    _create_fit_score(client)
    names = {p.name for p in client.crm.properties.core_api.get_all("contacts").results}
    assert {"crmsync_fit_score", "lifecyclestage", "email"} <= names
    with pytest.raises(PropertiesApiException) as exc:
        client.crm.properties.core_api.create("contacts", PropertyCreate(
            name="crmsync_fit_score", label="Fit", type="number", field_type="number", group_name="lead_scoring"))
    assert exc.value.status == 409
    assert json.loads(exc.value.body)["category"] == "OBJECT_ALREADY_EXISTS"
    dup_group = requests.post(f"{sb.url}/crm/v3/properties/contacts/groups", headers=auth(), timeout=5,
                              json={"name": "lead_scoring", "label": "again"})
    assert dup_group.status_code == 409
    lifecycle = requests.get(f"{sb.url}/crm/v3/properties/contacts/lifecyclestage", headers=auth(), timeout=5).json()
    assert [o["value"] for o in lifecycle["options"]][:3] == ["subscriber", "lead", "marketingqualifiedlead"]
    bad_enum = _update(sb, [{"id": "100001", "properties": {"crmsync_mql_status": "hot"}}])
    assert bad_enum.status_code == 400
    assert bad_enum.json()["errors"][0]["code"] == "INVALID_OPTION"
    missing = requests.post(f"{sb.url}/crm/v3/properties/contacts", headers=auth(), timeout=5,
                            json={"name": "x_y", "label": "X"})
    assert missing.status_code == 400
    assert "type" in missing.json()["message"]


def test_merge_and_archive(sb: Sandbox, portal: str) -> None:
    resp = requests.post(f"{sb.url}/crm/v3/objects/contacts/merge", headers=auth(), timeout=5,
                         json={"primaryObjectId": "100020", "objectIdToMerge": "100021"})
    assert resp.status_code == 200
    assert "100021" in resp.json()["properties"]["hs_merged_object_ids"].split(";")
    assert requests.get(f"{sb.url}/crm/v3/objects/contacts/100021", headers=auth(), timeout=5).status_code == 404
    archived = requests.get(f"{sb.url}/crm/v3/objects/contacts/100021?archived=true", headers=auth(), timeout=5)
    assert archived.status_code == 200
    assert archived.json()["archived"] is True
    assert requests.delete(f"{sb.url}/crm/v3/objects/contacts/100030", headers=auth(), timeout=5).status_code == 204
    # generated data already holds merged winners
    table = sb.hubspot.portals[portal].tables["contacts"]
    assert any(table.get(r, "hs_merged_object_ids") for r in range(table.size) if r != 19)
