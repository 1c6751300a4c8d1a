"""Seeded, reproducible B2B data for one org, and the new activity that arrives later."""

from __future__ import annotations

import random
import unicodedata
from typing import Any

from sandbox.salesforce import vocab
from sandbox.salesforce.ids import ref, ref_row, ref_type
from sandbox.salesforce.org import Org
from sandbox.salesforce.timefmt import day_of

YEAR = 365 * 86400
# Generated history ends this long before the org is created: a first sync cycle right after it (which
# reads up to its start less a 60 s lag) sees all of it, and its second cycle sees only its own writes.
SETTLED_S = 300


def _ascii(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower().replace("'", "")


def _company(rng: random.Random) -> tuple[str, str]:
    part, kind = rng.choice(vocab.NAME_PARTS), rng.choice(vocab.NAME_SUFFIXES)
    name = f"{part} {kind} {rng.choice(vocab.LEGAL_FORMS)}".strip()
    return name, f"{_ascii(part)}{_ascii(kind)}.com"


def _title(rng: random.Random) -> str | None:
    roll = rng.random()
    if roll < 0.2:
        return rng.choice(vocab.SENIOR_TITLES)
    if roll < 0.9:
        return rng.choice(vocab.MID_TITLES)
    if roll < 0.96:
        return rng.choice(vocab.JUNIOR_TITLES)
    return None


def _email(rng: random.Random, first: str, last: str, domain: str) -> str:
    roll = rng.random()
    if roll < 0.08:
        domain = rng.choice(vocab.FREE_MAIL)
    elif roll < 0.10:
        domain = rng.choice(vocab.COMPETITORS)
    return f"{_ascii(first)}.{_ascii(last)}{rng.randrange(100) if roll < 0.3 else ''}@{domain}"


def _stamps(rng: random.Random, now: int, import_at: int) -> dict[str, int]:
    if rng.random() < 0.1:        # a list import: many records share one timestamp
        return {"CreatedDate": import_at, "LastModifiedDate": import_at, "SystemModstamp": import_at}
    created = now - rng.randrange(2 * YEAR)
    modified = created + rng.randrange(max(1, now - created))
    return {"CreatedDate": created, "LastModifiedDate": modified, "SystemModstamp": modified}


def populate(org: Org, *, leads: int, contacts: int, now: int, activities_per_person: float) -> None:
    rng, tables = org.rng, org.tables
    now -= SETTLED_S
    import_at = now - rng.randrange(YEAR)
    owners = [tables["User"].append({
        "FirstName": rng.choice(vocab.FIRST_NAMES), "LastName": rng.choice(vocab.LAST_NAMES),
        "Email": f"owner{i}@example-sales.com", "Title": "Account Executive", "IsActive": True,
        "CreatedDate": now - 2 * YEAR, "LastModifiedDate": now - 2 * YEAR, "SystemModstamp": now - 2 * YEAR,
    }) for i in range(8)]
    accounts: list[tuple[str, str, str]] = []
    for _ in range(max(3, contacts // 3 + 1)):
        name, domain = _company(rng)
        employees = rng.choice((5, 20, 50, 120, 300, 800, 2500, 10000)) + rng.randrange(40)
        country = rng.choice(vocab.COUNTRIES)
        tables["Account"].append({
            "Name": name, "Industry": rng.choice(vocab.INDUSTRIES), "NumberOfEmployees": employees,
            "AnnualRevenue": float(employees * rng.randrange(50, 300) * 1000), "BillingCountry": country,
            "Website": "www." + domain, "OwnerId": ref("User", rng.choice(owners)),
            **_stamps(rng, now, import_at)})
        accounts.append((name, domain, country))
    stages = ("Subscriber", "Lead", "Lead", "Lead", "Lead", "MQL", "SQL", "Opportunity", "Customer", "Customer")
    for _ in range(contacts):
        account = rng.randrange(len(accounts))
        first, last = rng.choice(vocab.FIRST_NAMES), rng.choice(vocab.LAST_NAMES)
        tables["Contact"].append({
            "AccountId": ref("Account", account), "FirstName": first, "LastName": last,
            "Email": _email(rng, first, last, accounts[account][1]), "Title": _title(rng),
            "LeadSource": rng.choice(vocab.LEAD_SOURCES), "MailingCountry": accounts[account][2],
            "OwnerId": ref("User", rng.choice(owners)), "Lifecycle_Stage__c": rng.choice(stages),
            "IsDeleted": rng.random() < 0.01, **_stamps(rng, now, import_at)})
    statuses = ("Open - Not Contacted",) * 4 + ("Working - Contacted",) * 3 + ("Nurturing", "Closed - Not Converted")
    for _ in range(leads):
        first, last = rng.choice(vocab.FIRST_NAMES), rng.choice(vocab.LAST_NAMES)
        company, domain = _company(rng)
        size: int | None = rng.choice((None, 3, 15, 60, 150, 400, 1200, 5000, 20000))
        values: dict[str, Any] = {
            "FirstName": first, "LastName": last, "Email": _email(rng, first, last, domain),
            "Title": _title(rng), "Company": company,
            "Industry": rng.choice(vocab.INDUSTRIES) if rng.random() < 0.9 else None,
            "NumberOfEmployees": size,
            "AnnualRevenue": float(size * rng.randrange(40, 400) * 1000) if size else None,
            "Country": rng.choice(vocab.COUNTRIES), "LeadSource": rng.choice(vocab.LEAD_SOURCES),
            "Status": rng.choice(statuses), "Rating": rng.choice((*vocab.RATINGS, None)),
            "OwnerId": ref("User", rng.choice(owners)), "IsDeleted": rng.random() < 0.02,
            **_stamps(rng, now, import_at)}
        if contacts and rng.random() < 0.05:
            contact = rng.randrange(contacts)
            values.update(IsConverted=True, Status="Closed - Converted",
                          ConvertedContactId=ref("Contact", contact),
                          ConvertedAccountId=tables["Contact"].get("AccountId", contact),
                          ConvertedDate=day_of(values["LastModifiedDate"]))
        tables["Lead"].append(values)
    campaigns = _add_campaigns(org, now, owners)
    people = [ref("Lead", r) for r in range(leads)] + [ref("Contact", r) for r in range(contacts)]
    for person in people:
        count = int(rng.random() * 2 * activities_per_person + 0.5)
        for _ in range(count):
            roll = rng.random()
            if roll < 0.3:
                _add_member(org, person, rng.choice(campaigns), now, dedupe=False)
            elif roll < 0.8:
                _add_task(org, person, now - rng.randrange(YEAR), owners, 0.01)
            else:
                _add_event(org, person, now - rng.randrange(YEAR), owners)
        if rng.random() < 0.03:
            _add_member(org, person, campaigns[0], now, dedupe=False)


def _add_campaigns(org: Org, now: int, owners: list[int]) -> list[int]:
    rng, table = org.rng, org.tables["Campaign"]
    plan = [("Demo Request", "Website"), ("Contact Us", "Website")]
    plan += [(f"Webinar: {t}", "Webinar") for t in vocab.WEBINAR_TOPICS[:4]]
    plan += [(name, "Trade Show") for name in vocab.EVENT_NAMES[:2]]
    plan += [(name, "Content") for name in vocab.CONTENT_TITLES[:3]]
    plan += [(name, "Email") for name in vocab.EMAIL_NAMES[:2]]
    rows = []
    for name, kind in plan:
        start = now - rng.randrange(YEAR)
        rows.append(table.append({
            "Name": name, "Type": kind, "Status": "In Progress" if kind == "Website" else "Completed",
            "StartDate": day_of(now - YEAR) if kind == "Website" else day_of(start),
            "EndDate": None if kind == "Website" else day_of(start) + 1, "IsActive": True,
            "OwnerId": ref("User", rng.choice(owners)), "CreatedDate": start - 86400 * 30,
            "LastModifiedDate": start, "SystemModstamp": start}))
    return rows


_MEMBER_STATUSES = {"Webinar": ("Sent", "Registered", "Attended", "Attended"),
                    "Trade Show": ("Registered", "Attended", "Attended"), "Email": ("Sent", "Sent", "Responded"),
                    "Content": ("Sent", "Responded", "Responded"), "Website": ("Responded",)}


def _add_member(org: Org, person: int, campaign: int, now: int, *, dedupe: bool,
                responded: bool = False) -> int:
    rng, tables = org.rng, org.tables
    kind = tables["Campaign"].get("Type", campaign)
    if dedupe:
        index = _members_index(org)
        for row in index.get(person, []):
            if tables["CampaignMember"].get("CampaignId", row) == ref("Campaign", campaign):
                _respond(org, row, now)
                return row
    if responded:
        status = "Attended" if kind in ("Webinar", "Trade Show") else "Responded"
        at = now
    else:
        status = rng.choice(_MEMBER_STATUSES.get(kind, ("Sent", "Responded")))
        start = tables["Campaign"].get("CreatedDate", campaign) + 30 * 86400
        at = min(now, start + rng.randrange(86400 * (300 if kind == "Website" else 3)))
    is_lead = ref_type(person) == "Lead"
    row = tables["CampaignMember"].append({
        "CampaignId": ref("Campaign", campaign), "LeadId": person if is_lead else None,
        "ContactId": None if is_lead else person, "LeadOrContactId": person, "Status": status,
        "HasResponded": status in vocab.RESPONDED_STATUSES,
        "FirstRespondedDate": day_of(at) if status in vocab.RESPONDED_STATUSES else None,
        "CreatedDate": at, "LastModifiedDate": at, "SystemModstamp": at})
    if org.members_by_person is not None:
        org.members_by_person.setdefault(person, []).append(row)
    return row


def _respond(org: Org, row: int, now: int) -> None:
    table = org.tables["CampaignMember"]
    if not table.get("HasResponded", row):
        table.set("HasResponded", row, True)
        table.set("Status", row, "Responded")
        table.set("FirstRespondedDate", row, day_of(now))
    table.set("LastModifiedDate", row, now)
    table.set("SystemModstamp", row, now)


def _members_index(org: Org) -> dict[int, list[int]]:
    if org.members_by_person is None:
        table = org.tables["CampaignMember"]
        get = table.getter_by_name("LeadOrContactId")
        index: dict[int, list[int]] = {}
        for row in range(table.size):
            index.setdefault(get(row), []).append(row)
        org.members_by_person = index
    return org.members_by_person


def _add_task(org: Org, person: int, at: int, owners: list[int], deleted_rate: float = 0.0) -> int:
    rng = org.rng
    roll = rng.random()
    subtype = "Email" if roll < 0.5 else "Call" if roll < 0.85 else "Task"
    done = rng.random() < 0.85
    subject = (rng.choice(vocab.EMAIL_SUBJECTS) if subtype == "Email" else
               rng.choice(vocab.CALL_SUBJECTS) if subtype == "Call" else "Follow up")
    return org.tables["Task"].append({
        "WhoId": person, "Subject": subject, "TaskSubtype": subtype,
        "Type": {"Email": "Email", "Call": "Call"}.get(subtype, "Other"),
        "Status": "Completed" if done else "Not Started", "Priority": "Normal", "ActivityDate": day_of(at),
        "CompletedDateTime": at if done else None,
        "CallDurationInSeconds": rng.randrange(20, 1800) if subtype == "Call" else None,
        "CallType": rng.choice(("Inbound", "Outbound")) if subtype == "Call" else None,
        "OwnerId": ref("User", rng.choice(owners)), "IsDeleted": rng.random() < deleted_rate,
        "CreatedDate": at, "LastModifiedDate": at, "SystemModstamp": at})


def _add_event(org: Org, person: int, at: int, owners: list[int]) -> int:
    rng = org.rng
    minutes = rng.choice((15, 30, 45, 60))
    return org.tables["Event"].append({
        "WhoId": person, "Subject": rng.choice(vocab.MEETING_SUBJECTS), "Type": "Meeting",
        "EventSubtype": "Event", "ActivityDateTime": at, "StartDateTime": at, "EndDateTime": at + minutes * 60,
        "DurationInMinutes": minutes, "ActivityDate": day_of(at), "OwnerId": ref("User", rng.choice(owners)),
        "CreatedDate": at, "LastModifiedDate": at, "SystemModstamp": at})


def _live_person(org: Org) -> int | None:
    rng = org.rng
    leads, contacts = org.tables["Lead"], org.tables["Contact"]
    for _ in range(50):
        if rng.random() < leads.size / max(1, leads.size + contacts.size):
            row = rng.randrange(leads.size)
            if not leads.is_deleted(row) and not leads.get("IsConverted", row):
                return ref("Lead", row)
        elif contacts.size:
            row = rng.randrange(contacts.size)
            if not contacts.is_deleted(row):
                return ref("Contact", row)
    return None


def advance(org: Org, n: int, now: int) -> dict[str, int]:
    """n new pieces of activity dated ``now``; returns how many of each kind arrived."""
    rng, counts = org.rng, {"campaign_responses": 0, "tasks": 0, "events": 0, "field_edits": 0}
    owners = list(range(org.tables["User"].size))
    campaigns = org.tables["Campaign"].size
    for _ in range(n):
        person = _live_person(org)
        if person is None:
            break
        roll = rng.random()
        if roll < 0.3 and campaigns:
            _add_member(org, person, rng.randrange(campaigns), now, dedupe=True, responded=True)
            counts["campaign_responses"] += 1
        elif roll < 0.6:
            _add_task(org, person, now, owners)
            counts["tasks"] += 1
        elif roll < 0.75:
            _add_event(org, person, now, owners)
            counts["events"] += 1
        else:
            table = org.tables[ref_type(person)]
            table.set("Title", ref_row(person), _title(rng))
            table.set("LastModifiedDate", ref_row(person), now)
            table.set("SystemModstamp", ref_row(person), now)
            counts["field_edits"] += 1
    return counts
