"""Pull paging, cursor ties, deletes and activities; push results by position."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from urllib.parse import parse_qs, urlsplit

import responses

from connectors.base import Update

from .helpers import API, INSTANCE, add_token, connector, lead, records_page, sf_error

UNTIL = datetime(2024, 6, 1, tzinfo=UTC)
T1 = "2024-05-01T10:00:00.000+0000"
T2 = "2024-05-01T10:00:05.000+0000"


def soql_of(call: responses.Call) -> str:
    return parse_qs(urlsplit(str(call.request.url)).query)["q"][0]


def test_paging_follows_next_records_url_and_cursor_never_goes_back() -> None:
    conn, _ = connector()
    with responses.RequestsMock() as rsps:
        add_token(rsps)
        rsps.add(responses.GET, f"{API}/queryAll/", json=records_page(
            [lead("00Q1", T1), lead("00Q2", T1)], next_url="/services/data/v59.0/query/01g-2"))
        rsps.add(responses.GET, f"{INSTANCE}/services/data/v59.0/query/01g-2",
                 json=records_page([lead("00Q3", T1), lead("00Q4", T2, IsConverted=True)]))
        pages = list(conn.pull("leads", None, until=UNTIL))
        first = soql_of(rsps.calls[1])
    assert "SystemModstamp <= 2024-06-01T00:00:00Z" in first
    assert first.endswith("ORDER BY SystemModstamp, Id")
    assert "SystemModstamp >=" not in first          # no cursor: everything
    assert [p.cursor for p in pages] == [
        {"ts": "2024-05-01T10:00:00.000Z", "ids": ["00Q1", "00Q2"]},
        {"ts": "2024-05-01T10:00:05.000Z", "ids": ["00Q4"]},
    ]
    persons = [p for page in pages for p in page.persons]
    assert [p.id for p in persons] == ["00Q1", "00Q2", "00Q3", "00Q4"]
    assert persons[3].read_only
    assert not persons[0].read_only
    assert conn.take_usage().calls == {"salesforce.oauth.token": 1, "salesforce.query_all": 1,
                                       "salesforce.query_more": 1}


def test_incremental_pull_skips_ids_seen_at_the_cursor_and_sees_deletes() -> None:
    conn, _ = connector()
    cursor = {"ts": "2024-05-01T10:00:00.000Z", "ids": ["00Q1", "00Q2"]}
    with responses.RequestsMock() as rsps:
        add_token(rsps)
        rsps.add(responses.GET, f"{API}/queryAll/", json=records_page([
            lead("00Q1", T1), lead("00Q2", T1), lead("00Q5", T1), lead("00Q2", T2, IsDeleted=True)]))
        pages = list(conn.pull("leads", cursor, until=UNTIL))
        soql = soql_of(rsps.calls[1])
    assert "SystemModstamp >= 2024-05-01T10:00:00Z" in soql
    persons = pages[0].persons
    assert [(p.id, p.deleted) for p in persons] == [("00Q5", False), ("00Q2", True)]
    assert pages[0].cursor == {"ts": "2024-05-01T10:00:05.000Z", "ids": ["00Q2"]}


def test_no_change_costs_one_call_and_keeps_the_cursor() -> None:
    conn, _ = connector()
    cursor = {"ts": "2024-05-01T10:00:00.000Z", "ids": ["00Q1"]}
    with responses.RequestsMock() as rsps:
        add_token(rsps)
        rsps.add(responses.GET, f"{API}/queryAll/", json=records_page([lead("00Q1", T1)]))
        pages = list(conn.pull("leads", cursor, until=UNTIL))
    assert [len(p) for p in pages] == [0]
    assert pages[0].cursor == cursor
    assert conn.take_usage().calls == {"salesforce.oauth.token": 1, "salesforce.query_all": 1}


def test_person_fields_crm_values_and_company() -> None:
    conn, _ = connector()
    row = {"attributes": {"type": "Contact"}, "Id": "0031", "SystemModstamp": T1, "IsDeleted": False,
           "AccountId": "0011", "Email": "a@b.com", "FirstName": "Ada", "LastName": "L", "Title": "VP",
           "Account": {"Name": "Globex", "Industry": "Energy", "NumberOfEmployees": 500, "AnnualRevenue": 1e6},
           "MailingCountry": "DE", "LeadSource": "Web", "OwnerId": "005x", "Seniority__c": "Senior",
           "Lifecycle_Stage__c": "Lead", "Fit_Score__c": 12.0, "Score__c": None, "Grade__c": "B",
           "MQL_Date__c": None}
    with responses.RequestsMock() as rsps:
        add_token(rsps)
        rsps.add(responses.GET, f"{API}/queryAll/", json=records_page([row]))
        person = next(iter(conn.pull("contacts", None, until=UNTIL))).persons[0]
    assert person.fields["company"] == "Globex"
    assert person.fields["employees"] == 500
    assert person.fields["annual_revenue"] == 1e6
    assert person.fields["country"] == "DE"
    assert person.fields["seniority"] == "Senior"
    assert person.fields["lifecycle_stage"] == "Lead"
    assert person.company_id == "0011"
    assert person.object_type == "Contact"
    assert person.crm_values == {"Fit_Score__c": 12, "Score__c": None, "Grade__c": "B",
                                 "MQL_Date__c": None, "Lifecycle_Stage__c": "Lead"}


def test_activities_from_campaign_members_tasks_and_events() -> None:
    conn, _ = connector()
    member = {"Id": "00v1", "SystemModstamp": T1, "IsDeleted": False, "LeadId": "00Q1", "ContactId": None,
              "Status": "Attended", "HasResponded": True, "FirstRespondedDate": "2024-04-30",
              "Campaign": {"Name": "Scaling RevOps", "Type": "Webinar"}}
    tasks = [
        {"Id": "00T1", "SystemModstamp": T1, "IsDeleted": False, "WhoId": "0031", "Subject": "Discovery call",
         "TaskSubtype": "Call", "Status": "Completed", "CallType": "Outbound",
         "CompletedDateTime": "2024-04-29T08:00:00.000+0000"},
        {"Id": "00T2", "SystemModstamp": T1, "IsDeleted": False, "WhoId": "00Q1", "Subject": "Re: Pricing",
         "TaskSubtype": "Email", "Status": "Completed", "ActivityDate": "2024-04-28"},
        {"Id": "00T3", "SystemModstamp": T1, "IsDeleted": False, "WhoId": "00Q1", "Subject": "Intro",
         "TaskSubtype": "Email", "Status": "Completed", "ActivityDate": "2024-04-28"},
    ]
    event = {"Id": "00U1", "SystemModstamp": T1, "IsDeleted": False, "WhoId": "0031", "Subject": "Demo",
             "Type": "Meeting", "StartDateTime": "2024-04-27T15:00:00.000+0000"}
    with responses.RequestsMock() as rsps:
        add_token(rsps)
        rsps.add(responses.GET, f"{API}/queryAll/", json=records_page([member]))
        rsps.add(responses.GET, f"{API}/queryAll/", json=records_page(tasks))
        rsps.add(responses.GET, f"{API}/queryAll/", json=records_page([event]))
        got = {s: next(iter(conn.pull(s, None, until=UNTIL))).activities
               for s in ("campaign_members", "tasks", "events")}
        task_soql = soql_of(rsps.calls[2])
    assert "TaskSubtype IN ('Call', 'Email')" in task_soql
    (webinar,) = got["campaign_members"]
    assert webinar.type == "webinar_attended"
    assert webinar.person_id == "00Q1"
    assert webinar.at == datetime(2024, 4, 30, tzinfo=UTC)
    assert webinar.attributes["name"] == "Scaling RevOps"
    assert webinar.attributes["campaign_type"] == "Webinar"
    call, reply, outbound = got["tasks"]
    assert (call.type, call.attributes["direction"], call.deleted) == ("call", "outbound", False)
    assert (reply.type, reply.deleted, reply.attributes["subject"]) == ("email_reply", False, "Re: Pricing")
    assert outbound.deleted                       # outbound email: not engagement
    (meeting,) = got["events"]
    assert meeting.type == "meeting"
    assert meeting.attributes["title"] == "Demo"


def test_push_results_by_position_with_codes() -> None:
    conn, _ = connector()
    updates = [
        Update("00Q1", "Lead", {"Fit_Score__c": 72, "MQL_Date__c": "2024-05-01", "Grade__c": None}),
        Update("00Q2", "Lead", {"Status": "MQL"}),
        Update("00Q3", "Lead", {"Score__c": "10"}),
        Update("0031", "Contact", {"Grade__c": "Z"}),
    ]
    answer = [
        {"id": "00Q1", "success": True, "errors": []},
        {"success": False, "errors": [{"statusCode": "CANNOT_UPDATE_CONVERTED_LEAD",
                                       "message": "cannot reference converted lead", "fields": []}]},
        {"success": False, "errors": [{"statusCode": "UNABLE_TO_LOCK_ROW", "message": "locked", "fields": []}]},
        {"success": False, "errors": [{"statusCode": "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST",
                                       "message": "bad value", "fields": ["Grade__c"]}]},
    ]
    with responses.RequestsMock() as rsps:
        add_token(rsps)
        rsps.add(responses.PATCH, f"{API}/composite/sobjects", json=answer)
        results = conn.push(updates)
        body = json.loads(rsps.calls[1].request.body or b"{}")
    assert body["allOrNone"] is False
    assert body["records"][0] == {"attributes": {"type": "Lead"}, "id": "00Q1", "Fit_Score__c": 72,
                                  "MQL_Date__c": "2024-05-01", "Grade__c": None}
    assert body["records"][2]["Score__c"] == 10
    assert [(r.person_id, r.outcome, r.code) for r in results] == [
        ("00Q1", "done", None), ("00Q2", "dead", "CANNOT_UPDATE_CONVERTED_LEAD"),
        ("00Q3", "retry", "UNABLE_TO_LOCK_ROW"), ("0031", "dead", "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST")]
    assert results[3].fields == ("Grade__c",)


def test_whole_request_refusal_is_split_to_the_bad_record() -> None:
    conn, _ = connector()
    updates = [Update(f"00Q{i}", "Lead", {"Fit_Score__c": i}) for i in range(4)]
    updates[2] = Update("bad-id", "Lead", {"Fit_Score__c": 2})

    def answer(request: object) -> tuple[int, dict[str, str], str]:
        records = json.loads(getattr(request, "body"))["records"]  # noqa: B009
        if any(r["id"] == "bad-id" for r in records):
            return 400, {}, sf_error("MALFORMED_ID", "bad id bad-id")
        return 200, {}, json.dumps([{"id": r["id"], "success": True, "errors": []} for r in records])

    with responses.RequestsMock() as rsps:
        add_token(rsps)
        rsps.add_callback(responses.PATCH, f"{API}/composite/sobjects", callback=answer)
        results = conn.push(updates)
    assert [(r.person_id, r.outcome, r.code) for r in results] == [
        ("00Q0", "done", None), ("00Q1", "done", None), ("bad-id", "dead", "MALFORMED_ID"), ("00Q3", "done", None)]


def test_many_ties_at_the_cursor_are_skipped_by_keyset_in_one_call() -> None:
    conn, _ = connector()
    ids = [f"00Q{i:04d}" for i in range(150)]
    cursor = {"ts": "2024-05-01T10:00:00.000Z", "ids": ids}
    with responses.RequestsMock() as rsps:
        add_token(rsps)
        rsps.add(responses.GET, f"{API}/queryAll/", json=records_page([lead("00Q0200", T1), lead("00Q0001", T2)]))
        pages = list(conn.pull("leads", cursor, until=UNTIL))
        soql = soql_of(rsps.calls[1])
    assert "(SystemModstamp > 2024-05-01T10:00:00Z OR Id > '00Q0149')" in soql
    assert [p.id for p in pages[0].persons] == ["00Q0200", "00Q0001"]
    assert pages[0].cursor == {"ts": "2024-05-01T10:00:05.000Z", "ids": ["00Q0001"]}


def test_an_open_call_task_is_not_engagement() -> None:
    conn, _ = connector()
    task = {"Id": "00T9", "SystemModstamp": T1, "IsDeleted": False, "WhoId": "00Q1", "Subject": "Call",
            "TaskSubtype": "Call", "Status": "Not Started", "CallType": "Outbound", "ActivityDate": "2024-05-02"}
    with responses.RequestsMock() as rsps:
        add_token(rsps)
        rsps.add(responses.GET, f"{API}/queryAll/", json=records_page([task]))
        (activity,) = next(iter(conn.pull("tasks", None, until=UNTIL))).activities
    assert activity.deleted
