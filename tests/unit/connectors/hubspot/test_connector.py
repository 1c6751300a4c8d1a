"""The HubSpot connector, through the real hubspot-api-client, against a local stub server."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from connectors.base import AuthError, Page, Unreachable, Update
from connectors.hubspot import HubSpotConnector, pull
from tests.unit.connectors.hubspot.conftest import FakeClock, make_tenant
from tests.unit.connectors.hubspot.stub import Stub

UNTIL = datetime(2030, 1, 1, tzinfo=UTC)
UNTIL_MS = int(UNTIL.timestamp() * 1000)
LATER = datetime(2030, 1, 2, tzinfo=UTC)
LATER_MS = int(LATER.timestamp() * 1000)
T0 = 1_700_000_000_000


def drain(conn: HubSpotConnector, stream: str, cursor: Any = None, full: bool = False,
          until: datetime = UNTIL) -> list[Page]:
    return list(conn.pull(stream, cursor, until=until, full=full))


def ids(pages: list[Page]) -> list[str]:
    return [p.id for page in pages for p in page.persons]


def test_full_then_incremental_contacts(stub: Stub, connector: HubSpotConnector) -> None:
    stub.add("companies", "900", T0, name="Acme", numberofemployees="250")
    for i in range(1, 251):
        stub.add("contacts", str(i), T0 + i, email=f"p{i}@acme.com", jobtitle="VP Sales", annualrevenue="1000.5",
                 hs_analytics_num_page_views="3", hs_email_last_open_date=str(T0), hs_seniority="senior",
                 crmsync_fit_score="72", crmsync_mql_date="2026-11-02", lifecyclestage="lead")
    stub.associations[("contacts", "companies")] = {"1": ["900"]}
    pages = drain(connector, "contacts")
    assert sorted(ids(pages), key=int) == [str(i) for i in range(1, 251)]
    first = pages[0].persons[0]
    assert first.fields["email"] == "p1@acme.com"
    assert first.fields["title"] == "VP Sales"
    assert first.fields["annual_revenue"] == 1000.5
    assert first.fields["seniority"] == "senior"
    assert first.company_id == "900"
    assert first.counters["page_views"] == 3
    assert first.counters["last_open_at"] == datetime.fromtimestamp(T0 / 1000, tz=UTC)
    assert first.crm_values["crmsync_fit_score"] == 72
    assert first.crm_values["crmsync_mql_date"] == "2026-11-02"
    assert first.crm_values["lifecyclestage"] == "lead"
    cursor = pages[-1].cursor
    assert cursor == {"ts": int(UNTIL.timestamp() * 1000), "ids": []}
    assert all("full" in p.cursor for p in pages[:-1])
    # incremental from an earlier point: ties at one timestamp are kept, nothing read twice
    for i in (300, 301, 302):
        stub.add("contacts", str(i), T0 + 500)
    pages = drain(connector, "contacts", {"ts": T0 + 250, "ids": ["250"]})
    assert ids(pages) == ["300", "301", "302"]
    assert pages[-1].cursor == {"ts": T0 + 500, "ids": ["300", "301", "302"]}
    stub.log.clear()
    connector.take_usage()
    assert drain(connector, "contacts", pages[-1].cursor) == []
    assert connector.take_usage().calls == {"hubspot.contacts.search": 1}
    assert len(stub.log) == 1


def test_search_reanchors_before_the_cap_and_pages_a_crowded_timestamp(
        stub: Stub, connector: HubSpotConnector, monkeypatch: pytest.MonkeyPatch) -> None:
    # HubSpot's cap is 10,000; the same logic at a cap of 1,000 keeps the test fast
    monkeypatch.setattr(pull, "SEARCH_CAP", 1_000)
    stub.cap = 1_000
    for i in range(1, 501):                          # spread: needs re-anchoring
        stub.add("contacts", str(i), T0 - 2000 + i // 3)
    for i in range(1001, 2301):                      # 1,300 contacts at one timestamp: crowd mode
        stub.add("contacts", str(i), T0)
    for i in range(20_001, 20_011):
        stub.add("contacts", str(i), T0 + 5)
    pages = drain(connector, "contacts", {"ts": T0 - 5000, "ids": []})
    got = ids(pages)
    assert len(got) == len(set(got)) == 500 + 1300 + 10
    spec = pull.SearchSpec("contacts", "lastmodifieddate", ["lastmodifieddate"])    # pages join 1,000 records
    assert any(c.get("crowd") for _, c in pull.search_changes(connector.client, spec, {"ts": T0 - 5000}, UNTIL_MS))
    assert not any(status == 400 for _, _, status in stub.log)
    stamps = [(p.cursor["ts"], p.cursor.get("crowd") or "") for p in pages]
    assert [s[0] for s in stamps] == sorted(s[0] for s in stamps)
    assert pages[-1].cursor == {"ts": T0 + 5, "ids": [str(i) for i in range(20_001, 20_011)]}


def test_archived_and_merged(stub: Stub, connector: HubSpotConnector) -> None:
    stub.add("contacts", "7", T0, archived_ms=T0 + 100)
    stub.add("contacts", "8", T0 + 200, hs_merged_object_ids="5;6")
    pages = drain(connector, "archived_contacts", {"ts": T0, "ids": []})
    assert [(p.id, p.deleted) for page in pages for p in page.persons] == [("7", True)]
    again = drain(connector, "archived_contacts", pages[-1].cursor)     # the sweep reads the page again
    assert [len(page) for page in again] == [0]
    assert again[-1].cursor["ts"] == pages[-1].cursor["ts"] == T0 + 100
    merged = [p for page in drain(connector, "contacts", {"ts": T0 + 150, "ids": []}) for p in page.persons]
    assert [(p.id, p.merged_into) for p in merged] == [("8", None), ("5", "8"), ("6", "8")]


def test_archived_sweep_reads_one_page_per_cycle_and_more_while_pages_bring_news(
        stub: Stub, connector: HubSpotConnector) -> None:
    for i in range(1, 251):                                  # 3 pages of the archived list
        stub.add("contacts", str(i), T0, archived_ms=T0 + i)
    first = drain(connector, "archived_contacts")            # the first rotation reads the whole list
    assert sorted(ids(first), key=int) == [str(i) for i in range(1, 251)]
    cursor = first[-1].cursor
    assert (cursor["ts"], cursor["floor"], cursor["seen"], "after" in cursor) == (T0 + 250, UNTIL_MS, {}, False)
    connector.take_usage()
    for _ in range(4):                                       # no news: one call a cycle, round the list
        pages = drain(connector, "archived_contacts", cursor)
        assert [len(page) for page in pages] == [0]
        cursor = pages[-1].cursor
    assert connector.take_usage().calls == {"hubspot.contacts.list_archived": 4}
    assert "after" in cursor                                 # 4 calls over 3 pages: after the first page
    # a bulk delete in the middle of the list: the sweep goes on while pages hold news
    for i in range(120, 200):
        stub.objects["contacts"].pop(str(i))
        stub.add("contacts", str(i), T0, archived_ms=UNTIL_MS + 1000 + i)
    pages = drain(connector, "archived_contacts", cursor)
    assert sorted(ids(pages), key=int) == [str(i) for i in range(120, 200)]
    assert len(pages) == 2                                   # pages 2 and 3, the end of the rotation
    assert all(p.deleted for page in pages for p in page.persons)
    cursor = pages[-1].cursor
    assert cursor["ts"] == UNTIL_MS + 1199
    # the next rotation does not report them again, and remembers them until its end
    for _ in range(3):
        pages = drain(connector, "archived_contacts", cursor, until=LATER)
        assert [len(page) for page in pages] == [0]
        cursor = pages[-1].cursor
    assert cursor["floor"] == LATER_MS and cursor["seen"] == {}
    # a deletion behind the sweep is found in the next rotation
    stub.objects["contacts"].pop("3")
    stub.add("contacts", "3", T0, archived_ms=LATER_MS + 5)
    found = [ids(drain(connector, "archived_contacts", c, until=LATER)) for c in (cursor,)]
    assert found == [["3"]]


def test_archived_first_rotation_resumes_after_a_crash(stub: Stub, connector: HubSpotConnector) -> None:
    for i in range(1, 251):
        stub.add("contacts", str(i), T0, archived_ms=T0 + 300 - i)
    first = drain(connector, "archived_contacts")
    resumed = drain(connector, "archived_contacts", first[0].cursor)     # as if it crashed after page 1
    assert sorted(ids(first[:1]) + ids(resumed), key=int) == [str(i) for i in range(1, 251)]
    assert [len(page) for page in drain(connector, "archived_contacts", resumed[-1].cursor)] == [0]


def test_one_associations_read_serves_up_to_1000_records(stub: Stub, connector: HubSpotConnector) -> None:
    for i in range(1, 1101):
        stub.add("contacts", str(i), T0 + i)
    connector.take_usage()
    pages = drain(connector, "contacts")                     # 11 list pages of 100
    assert [len(page) for page in pages] == [1000, 100]
    assert connector.take_usage().calls == {"hubspot.contacts.list": 11, "hubspot.associations.contacts_companies": 2}
    pages = drain(connector, "contacts", {"ts": T0, "ids": []})    # 6 search pages of 200
    assert [len(page) for page in pages] == [1000, 100]
    assert pages[-1].cursor == {"ts": T0 + 1100, "ids": ["1100"]}
    assert connector.take_usage().calls == {"hubspot.contacts.search": 6, "hubspot.associations.contacts_companies": 2}


def test_engagements_become_activities_per_contact(stub: Stub, connector: HubSpotConnector) -> None:
    stub.add("meetings", "41", T0, hs_timestamp="2026-11-02T10:00:00Z", hs_meeting_title="Demo",
             hs_meeting_outcome="COMPLETED")
    stub.add("emails", "51", T0, hs_timestamp=str(T0), hs_email_direction="INCOMING_EMAIL", hs_email_subject="Re: hi")
    stub.add("emails", "52", T0, hs_timestamp=str(T0), hs_email_direction="EMAIL", hs_email_subject="Hi")
    stub.add("calls", "61", T0, hs_timestamp=str(T0), hs_call_direction="INBOUND",
             hs_call_disposition="f240bbac-87c9-4f6e-bf70-924b57d47db7")
    stub.associations[("meetings", "contacts")] = {"41": ["1", "2"]}
    stub.associations[("emails", "contacts")] = {"51": ["1"], "52": ["1"]}
    stub.associations[("calls", "contacts")] = {"61": ["3"]}
    meetings = [a for p in drain(connector, "meetings", {"ts": 0, "ids": []}) for a in p.activities]
    assert [(a.person_id, a.type, a.attributes["title"], a.attributes["outcome"]) for a in meetings] == [
        ("1", "meeting", "Demo", "COMPLETED"), ("2", "meeting", "Demo", "COMPLETED")]
    assert meetings[0].at == datetime(2026, 11, 2, 10, tzinfo=UTC)
    emails = [a for p in drain(connector, "emails", {"ts": 0, "ids": []}) for a in p.activities]
    assert [(a.type, a.attributes) for a in emails] == [("email_reply", {"subject": "Re: hi"})]
    calls = [a for p in drain(connector, "calls", {"ts": 0, "ids": []}) for a in p.activities]
    assert calls[0].attributes == {"direction": "INBOUND", "outcome": "Connected"}


def test_push_maps_results_by_id_and_isolates_bad_records(stub: Stub, connector: HubSpotConnector) -> None:
    for i in range(1, 6):
        stub.add("contacts", str(i), T0)
    updates = [Update(str(i), "contact", {"crmsync_fit_score": 10.0 * i, "crmsync_grade": "A",
                                           "crmsync_mql_reason": None}) for i in range(1, 6)]
    updates[2] = Update("3", "contact", {"crmsync_grade": "Z"})
    updates.append(Update("999", "contact", {"crmsync_grade": "B"}))
    results = connector.push(updates)
    assert [r.person_id for r in results] == ["1", "2", "3", "4", "5", "999"]
    assert [r.outcome for r in results] == ["done", "done", "dead", "done", "done", "dead"]
    assert results[2].code == "INVALID_OPTION"
    assert results[2].fields == ("crmsync_grade",)
    assert results[5].code == "OBJECT_NOT_FOUND"
    props = stub.objects["contacts"]["1"]["properties"]
    assert props["crmsync_fit_score"] == "10"
    assert props["crmsync_mql_reason"] == ""
    assert stub.objects["contacts"]["3"]["properties"].get("crmsync_grade") is None
    with pytest.raises(ValueError, match="at most 100"):
        connector.push([Update(str(i), "contact", {}) for i in range(101)])


def test_rate_limit_and_server_errors_are_retried(stub: Stub, connector: HubSpotConnector,
                                                   clock: FakeClock) -> None:
    stub.add("contacts", "1", T0)
    stub.faults = [(429, {}, {"status": "error", "message": "You have reached your ten_secondly_rolling limit.",
                              "errorType": "RATE_LIMIT", "policyName": "TEN_SECONDLY_ROLLING"}),
                   (429, {"Retry-After": "3"}, {"status": "error", "message": "You have reached your secondly limit.",
                                                "policyName": "SECONDLY"}),
                   (502, {}, {"message": "bad gateway"})]
    assert ids(drain(connector, "contacts", {"ts": 0, "ids": []})) == ["1"]
    usage = connector.take_usage()
    assert usage.throttled == 2
    assert usage.retries == 3
    assert clock.sleeps[:2] == [10.0, 3.0]
    stub.faults = [(503, {}, {"message": "down"})] * 6
    with pytest.raises(Unreachable, match="acme"):
        drain(connector, "contacts", {"ts": 0, "ids": []})


def test_bad_token_is_an_auth_error_without_the_token(stub: Stub, clock: FakeClock) -> None:
    conn = HubSpotConnector(make_tenant(stub.url, token="pat-na1-wrong-secret"), sleep=clock.sleep, clock=clock)
    result = conn.check()
    assert not result.ok
    assert "pat-na1-wrong-secret" not in result.detail
    with pytest.raises(AuthError) as info:
        drain(conn, "contacts", {"ts": 0, "ids": []})
    assert info.value.code == "INVALID_AUTHENTICATION"
    conn.close()


def test_check_and_provision_are_idempotent(stub: Stub, connector: HubSpotConnector) -> None:
    assert connector.check().ok
    stub.properties["lifecyclestage"] = {"name": "lifecyclestage", "type": "enumeration",
                                         "options": [{"value": "lead"}, {"value": "marketingqualifiedlead"}]}
    checked = connector.provision(apply=False)
    assert {i.state for i in checked if i.field != "lifecyclestage"} == {"missing"}
    created = connector.provision()
    assert [i.state for i in created].count("created") == 8          # the group and seven properties
    assert stub.properties["crmsync_grade"]["type"] == "enumeration"
    assert [o["value"] for o in stub.properties["crmsync_status"]["options"]] == [
        "disqualified", "lead", "engaged", "mql"]
    assert stub.properties["crmsync_mql_reason"]["fieldType"] == "textarea"
    assert stub.properties["crmsync_mql_date"]["type"] == "date"
    again = connector.provision()
    assert {i.state for i in again} == {"exists"}
    stub.properties["crmsync_grade"]["options"] = [{"value": "A"}]
    assert {i.field: i.state for i in connector.provision()}["crmsync_grade"] == "wrong"


def test_search_paging_keeps_its_anchor(stub: Stub, connector: HubSpotConnector) -> None:
    for i in range(1, 451):                         # distinct timestamps over three search pages
        stub.add("contacts", str(i), T0 + 1000 * i)
    pages = drain(connector, "contacts", {"ts": 0, "ids": []})
    assert sorted(ids(pages), key=int) == [str(i) for i in range(1, 451)]
    assert connector.take_usage().calls["hubspot.contacts.search"] == 3
