"""Every Salesforce field name crmsync reads or writes, and the conversions to canonical records.

CONTRACT.md section 3 gives the standard person mapping; a tenant's ``fields:`` adds more (one CRM
field for every object, or a mapping object -> field where ``null`` means "not on this object").
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime
from typing import Any

from config.models import Tenant
from connectors.base import ActivityRecord, CompanyRecord, PersonRecord, Value
from connectors.salesforce.soql import check_name

MODSTAMP = "SystemModstamp"
ID = "Id"
IS_DELETED = "IsDeleted"
SYSTEM_FIELDS = (ID, MODSTAMP, IS_DELETED)
ID_PREFIXES = {"Lead": "00Q", "Contact": "003", "Account": "001"}
OBJECT_BY_PREFIX = {prefix: name for name, prefix in ID_PREFIXES.items()}

STANDARD: dict[str, dict[str, str]] = {
    "Lead": {
        "email": "Email", "first_name": "FirstName", "last_name": "LastName", "title": "Title",
        "company": "Company", "industry": "Industry", "employees": "NumberOfEmployees",
        "annual_revenue": "AnnualRevenue", "country": "Country", "lead_source": "LeadSource",
        "lead_status": "Status", "owner_id": "OwnerId",
    },
    "Contact": {
        "email": "Email", "first_name": "FirstName", "last_name": "LastName", "title": "Title",
        "company": "Account.Name", "industry": "Account.Industry",
        "employees": "Account.NumberOfEmployees", "annual_revenue": "Account.AnnualRevenue",
        "country": "MailingCountry", "lead_source": "LeadSource", "owner_id": "OwnerId",
    },
}
# Per-object fields read for the record itself (not canonical fields).
PERSON_EXTRA: dict[str, tuple[str, ...]] = {
    "Lead": ("IsConverted", "ConvertedContactId"),
    "Contact": ("AccountId",),
}
COMPANY: dict[str, str] = {
    "name": "Name", "industry": "Industry", "employees": "NumberOfEmployees",
    "annual_revenue": "AnnualRevenue", "country": "BillingCountry",
}
INTEGERS = frozenset({"employees"})
NUMBERS = frozenset({"annual_revenue"})

CAMPAIGN_MEMBER_FIELDS = ("LeadId", "ContactId", "Status", "HasResponded", "FirstRespondedDate",
                          "Campaign.Name", "Campaign.Type")
TASK_FIELDS = ("WhoId", "Subject", "TaskSubtype", "Status", "CallType", "ActivityDate",
               "CompletedDateTime", "CreatedDate")
TASK_SUBTYPES = ("Call", "Email")
EVENT_FIELDS = ("WhoId", "Subject", "Type", "StartDateTime", "ActivityDateTime", "CreatedDate")
# A logged email Task has no direction field; a reply prefix on the subject marks an inbound reply.
REPLY_PREFIX = re.compile(r"^\s*(re|aw|sv|antw|réf|rif)\s*:", re.IGNORECASE)

# Write-back outputs whose values are numbers or dates (CONTRACT.md section 2b).
NUMBER_OUTPUTS = frozenset({"fit", "engagement", "score"})
DATE_OUTPUTS = frozenset({"mql_at"})


# --------------------------------------------------------------------------- field lists
def person_fields(tenant: Tenant, object_type: str) -> dict[str, str]:
    """Canonical name -> CRM field for one person object (standard, lifecycle, tenant additions)."""
    mapping = dict(STANDARD[object_type])
    lifecycle = lifecycle_field(tenant, object_type)
    if lifecycle:
        mapping["lifecycle_stage"] = lifecycle
    for name, target in tenant.fields.items():
        crm_field = target.get(object_type) if isinstance(target, dict) else target
        if crm_field:
            mapping[name] = crm_field
    return {name: check_name(crm) for name, crm in mapping.items()}


def lifecycle_field(tenant: Tenant, object_type: str) -> str | None:
    lifecycle = tenant.write_back.lifecycle
    return None if lifecycle is None else lifecycle.field_for(object_type)


def write_fields(tenant: Tenant) -> dict[str, str]:
    """Our output name -> CRM field, checked."""
    return {out: check_name(crm) for out, crm in tenant.write_back.fields.mapping().items()}


def crm_value_fields(tenant: Tenant, object_type: str) -> tuple[str, ...]:
    """The CRM fields whose current values ride along in ``PersonRecord.crm_values``."""
    names = list(write_fields(tenant).values())
    lifecycle = lifecycle_field(tenant, object_type)
    if lifecycle:
        names.append(check_name(lifecycle))
    return tuple(dict.fromkeys(names))


def person_select(tenant: Tenant, object_type: str) -> tuple[str, ...]:
    names = [*SYSTEM_FIELDS, *PERSON_EXTRA[object_type], *person_fields(tenant, object_type).values(),
             *crm_value_fields(tenant, object_type)]
    return tuple(dict.fromkeys(names))


def company_select() -> tuple[str, ...]:
    return (*SYSTEM_FIELDS, *COMPANY.values())


# --------------------------------------------------------------------------- values
def parse_datetime(value: Any) -> datetime | None:
    """``2024-01-03T23:52:01.000+0000`` (or ISO with Z) -> aware UTC datetime."""
    if value is None or value == "":
        return None
    text = str(value)
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    parsed = datetime.fromisoformat(text)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def parse_date(value: Any) -> datetime | None:
    """A Salesforce date ``2024-01-03`` -> midnight UTC that day."""
    if value is None or value == "":
        return None
    day = date.fromisoformat(str(value)[:10])
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def read_path(record: Mapping[str, Any], path: str) -> Any:
    """``Account.Name`` reads record["Account"]["Name"]; a missing relationship gives None."""
    value: Any = record
    for part in path.split("."):
        if not isinstance(value, Mapping):
            return None
        value = value.get(part)
    return value


def canonical_value(name: str, value: Any) -> Any:
    if value is None or value == "":
        return None
    if name in INTEGERS:
        try:
            return int(float(value))
        except (TypeError, ValueError):
            return None
    if name in NUMBERS:
        try:
            return float(value)
        except (TypeError, ValueError):
            return None
    return value


def _number_if(numeric: bool, value: Any) -> Any:
    """Score fields as numbers: bulk CSV rows carry text, REST rows doubles (``42.0``); whole numbers
    become ints, as the cycle writes them."""
    if not numeric or value is None or isinstance(value, bool):
        return value
    try:
        number = float(value)
    except (TypeError, ValueError):
        return value
    return int(number) if number.is_integer() else number


def format_value(output: str | None, value: Value) -> Value:
    """The JSON value sent for one write: numbers as numbers, dates as ``YYYY-MM-DD``, None clears."""
    if value is None:
        return None
    if output in NUMBER_OUTPUTS and isinstance(value, str):
        number = float(value)
        return int(number) if number.is_integer() else number
    if output in DATE_OUTPUTS and isinstance(value, str):
        return value[:10] if value else None
    if isinstance(value, float) and value.is_integer() and output in NUMBER_OUTPUTS:
        return int(value)
    return value


def outputs_by_field(tenant: Tenant) -> dict[str, str]:
    """CRM field -> our output name (to know how to format a value)."""
    return {crm: out for out, crm in write_fields(tenant).items()}


# --------------------------------------------------------------------------- records
def object_of(record_id: str | None) -> str | None:
    """Lead / Contact / Account from an id's key prefix."""
    if not record_id:
        return None
    return OBJECT_BY_PREFIX.get(record_id[:3])


def modified_at(record: Mapping[str, Any]) -> datetime:
    stamp = parse_datetime(record.get(MODSTAMP))
    if stamp is None:
        raise ValueError(f"record {record.get(ID)} has no {MODSTAMP}")
    return stamp


def to_person(tenant: Tenant, object_type: str, record: Mapping[str, Any]) -> PersonRecord:
    record_id = str(record[ID])
    if record.get(IS_DELETED):
        return PersonRecord(id=record_id, object_type=object_type, modified_at=modified_at(record),
                            deleted=True)
    fields = {name: canonical_value(name, read_path(record, crm))
              for name, crm in person_fields(tenant, object_type).items()}
    numbers = {crm for crm, out in outputs_by_field(tenant).items() if out in NUMBER_OUTPUTS}
    crm_values = {crm: _number_if(crm in numbers, read_path(record, crm))
                  for crm in crm_value_fields(tenant, object_type)}
    company_id = record.get("AccountId") if object_type == "Contact" else None
    return PersonRecord(
        id=record_id, object_type=object_type, modified_at=modified_at(record), fields=fields,
        crm_values=crm_values, company_id=company_id or None,
        read_only=bool(record.get("IsConverted")),
    )


def to_company(record: Mapping[str, Any]) -> CompanyRecord:
    if record.get(IS_DELETED):
        return CompanyRecord(id=str(record[ID]), modified_at=modified_at(record), deleted=True)
    fields = {name: canonical_value(name, record.get(crm)) for name, crm in COMPANY.items()}
    return CompanyRecord(id=str(record[ID]), modified_at=modified_at(record), fields=fields)


def member_person(tenant: Tenant, record: Mapping[str, Any]) -> str | None:
    """The scored person of a campaign member: its Contact, else its Lead (if that object is scored)."""
    people = tenant.crm.people if tenant.crm.kind == "salesforce" else ()
    if record.get("ContactId") and "Contact" in people:
        return str(record["ContactId"])
    if record.get("LeadId") and "Lead" in people:
        return str(record["LeadId"])
    return None


def to_campaign_activity(tenant: Tenant, record: Mapping[str, Any]) -> ActivityRecord | None:
    """A responded campaign member -> one activity dated FirstRespondedDate (midnight UTC)."""
    person = member_person(tenant, record)
    if person is None or tenant.crm.kind != "salesforce":
        return None
    at = parse_date(record.get("FirstRespondedDate"))
    gone = bool(record.get(IS_DELETED)) or not record.get("HasResponded") or at is None
    name = read_path(record, "Campaign.Name")
    ctype = read_path(record, "Campaign.Type")
    status = record.get("Status")
    kind = tenant.crm.campaign_activity(ctype, status)
    attributes = {"campaign": name, "campaign_type": ctype, "status": status, "name": name}
    if kind == "content_download":
        attributes["asset"] = name
    return ActivityRecord(id=str(record[ID]), person_id=person, type=kind,  # type: ignore[arg-type]
                          at=at or modified_at(record), attributes=attributes, deleted=gone)


def to_task_activity(tenant: Tenant, record: Mapping[str, Any]) -> ActivityRecord | None:
    """Completed call tasks -> ``call``; completed email tasks whose subject marks a reply -> ``email_reply``.

    Outbound emails (no reply prefix) are our own outreach and open tasks are to-dos, not engagement:
    they come back as deleted, so an activity that stops qualifying (reopened, subject edited) is
    withdrawn.
    """
    person = _scored_who(tenant, record.get("WhoId"))
    if person is None:
        return None
    at = (parse_datetime(record.get("CompletedDateTime")) or parse_date(record.get("ActivityDate"))
          or parse_datetime(record.get("CreatedDate")) or modified_at(record))
    subject = record.get("Subject") or ""
    done = record.get("Status") == "Completed" or bool(record.get("CompletedDateTime"))
    deleted = bool(record.get(IS_DELETED)) or not done      # an open Task is a to-do, not engagement
    if record.get("TaskSubtype") == "Call":
        direction = (record.get("CallType") or "").lower() or None
        return ActivityRecord(id=str(record[ID]), person_id=person, type="call", at=at,
                              attributes={"direction": direction, "outcome": record.get("Status"),
                                          "subject": subject}, deleted=deleted)
    inbound = bool(REPLY_PREFIX.match(subject))
    return ActivityRecord(id=str(record[ID]), person_id=person, type="email_reply", at=at,
                          attributes={"subject": subject}, deleted=deleted or not inbound)


def to_event_activity(tenant: Tenant, record: Mapping[str, Any]) -> ActivityRecord | None:
    person = _scored_who(tenant, record.get("WhoId"))
    if person is None:
        return None
    at = (parse_datetime(record.get("StartDateTime")) or parse_datetime(record.get("ActivityDateTime"))
          or parse_datetime(record.get("CreatedDate")) or modified_at(record))
    return ActivityRecord(id=str(record[ID]), person_id=person, type="meeting", at=at,
                          attributes={"title": record.get("Subject"), "outcome": None},
                          deleted=bool(record.get(IS_DELETED)))


def _scored_who(tenant: Tenant, who: Any) -> str | None:
    if not who or tenant.crm.kind != "salesforce":
        return None
    return str(who) if object_of(str(who)) in tenant.crm.people else None


def check_all(names: Sequence[str]) -> tuple[str, ...]:
    return tuple(check_name(n) for n in names)
