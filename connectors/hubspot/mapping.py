"""HubSpot property names and their canonical meaning: the only place that spells them.

CONTRACT.md section 3 (standard mapping) and ARCHITECTURE.md (rollup counters, engagements).
Values arrive as strings (or null); these functions turn them into typed canonical values.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime
from typing import Any

from config.models import Tenant
from connectors.base import ActivityRecord, CompanyRecord, PersonRecord, Value

OBJECT_TYPE = "contact"                 # PersonRecord.object_type for HubSpot contacts
CONTACT_MODIFIED = "lastmodifieddate"   # contacts: filtering on hs_lastmodifieddate misbehaves
OBJECT_MODIFIED = "hs_lastmodifieddate"  # companies and engagements
OBJECT_ID = "hs_object_id"
MERGED_IDS = "hs_merged_object_ids"

# canonical person field -> contact property (CONTRACT.md section 3; employees come from the company)
PERSON_PROPERTIES: dict[str, str] = {
    "email": "email", "first_name": "firstname", "last_name": "lastname", "title": "jobtitle",
    "company": "company", "industry": "industry", "annual_revenue": "annualrevenue", "country": "country",
    "lead_source": "hs_analytics_source", "lifecycle_stage": "lifecyclestage", "lead_status": "hs_lead_status",
    "owner_id": "hubspot_owner_id",
}
COMPANY_PROPERTIES: dict[str, str] = {
    "name": "name", "industry": "industry", "employees": "numberofemployees",
    "annual_revenue": "annualrevenue", "country": "country",
}
# connectors.base.COUNTERS -> contact rollup property
COUNTER_PROPERTIES: dict[str, str] = {
    "page_views": "hs_analytics_num_page_views", "last_visit_at": "hs_analytics_last_visit_timestamp",
    "email_opens": "hs_email_open", "last_open_at": "hs_email_last_open_date",
    "email_clicks": "hs_email_click", "last_click_at": "hs_email_last_click_date",
    "first_conversion_name": "first_conversion_event_name", "first_conversion_at": "first_conversion_date",
    "recent_conversion_name": "recent_conversion_event_name", "recent_conversion_at": "recent_conversion_date",
}
_INT_COUNTERS = frozenset({"page_views", "email_opens", "email_clicks"})
_NAME_COUNTERS = frozenset({"first_conversion_name", "recent_conversion_name"})
_INT_FIELDS = frozenset({"employees"})
_NUMBER_FIELDS = frozenset({"annual_revenue"})
_NUMBER_OUTPUTS = frozenset({"fit", "engagement", "score"})

# Engagement objects: stream -> (object type, activity type, properties read)
ENGAGEMENTS: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "meetings": ("meetings", "meeting", ("hs_timestamp", "hs_meeting_title", "hs_meeting_outcome")),
    "calls": ("calls", "call", ("hs_timestamp", "hs_call_direction", "hs_call_status", "hs_call_disposition")),
    "emails": ("emails", "email_reply", ("hs_timestamp", "hs_email_direction", "hs_email_subject")),
}
INCOMING_EMAIL = "INCOMING_EMAIL"
# HubSpot's default call dispositions (outcome GUID -> label)
CALL_DISPOSITIONS: dict[str, str] = {
    "f240bbac-87c9-4f6e-bf70-924b57d47db7": "Connected", "73a0d17f-1163-4015-bdd5-ec830791da20": "No answer",
    "b2cf5968-551e-4856-9783-52b3da59a7d0": "Left voicemail",
    "a4c4c377-d246-4b32-a13b-75a56a4cd0ff": "Left live message",
    "9d9162e7-6cf3-4944-bf63-4dff82258764": "Busy", "17b47fee-58de-441e-a44c-c6300d46f273": "Wrong number",
}
EVENT_URL = "hs_url"
EVENT_TITLE = "hs_title"
PRIMARY_COMPANY_TYPE_ID = 1


# ------------------------------------------------------------------------------ values
def parse_time(value: Any) -> datetime | None:
    """HubSpot datetimes: ISO text (``2023-05-30T14:29:25.170Z``), a date, or epoch milliseconds."""
    if value is None or value == "":
        return None
    if isinstance(value, int | float) or (isinstance(value, str) and value.strip().lstrip("-").isdigit()):
        return datetime.fromtimestamp(int(value) / 1000, tz=UTC)
    text = str(value).strip()
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def to_ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def parse_int(value: Any) -> int | None:
    number = parse_number(value)
    return None if number is None else int(number)


def parse_number(value: Any) -> float | None:
    if value is None or value == "":
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if number == number and abs(number) != float("inf") else None


def _text(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value)
    return text if text.strip() else None


def format_value(value: Value) -> str:
    """A value as HubSpot wants it written: strings; ``""`` clears; integral floats without ``.0``."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, date | datetime):
        return value.strftime("%Y-%m-%d")
    return str(value)


def format_date(value: Any) -> str | None:
    moment = parse_time(value)
    return None if moment is None else moment.strftime("%Y-%m-%d")


# ------------------------------------------------------------------------------ tenant-specific names
def extra_fields(tenant: Tenant) -> dict[str, str]:
    """The tenant's ``fields:`` additions, canonical name -> contact property."""
    mapped: dict[str, str] = {}
    for name, target in tenant.fields.items():
        prop = target if isinstance(target, str) else (target.get("contact") or target.get(OBJECT_TYPE))
        if prop:
            mapped[name] = prop
    return mapped


def person_field_map(tenant: Tenant) -> dict[str, str]:
    return {**PERSON_PROPERTIES, **extra_fields(tenant)}


def write_fields(tenant: Tenant) -> dict[str, str]:
    """Write-back output -> contact property."""
    return tenant.write_back.fields.mapping()


def lifecycle_field(tenant: Tenant) -> str | None:
    lifecycle = tenant.write_back.lifecycle
    return lifecycle.field_for(OBJECT_TYPE) if lifecycle else None


def contact_properties(tenant: Tenant) -> list[str]:
    names = [CONTACT_MODIFIED, OBJECT_ID, MERGED_IDS, *person_field_map(tenant).values(),
             *COUNTER_PROPERTIES.values(), *write_fields(tenant).values()]
    lifecycle = lifecycle_field(tenant)
    if lifecycle:
        names.append(lifecycle)
    return list(dict.fromkeys(names))


def company_properties() -> list[str]:
    return [OBJECT_MODIFIED, OBJECT_ID, *COMPANY_PROPERTIES.values()]


# ------------------------------------------------------------------------------ records
def modified_at(record: Mapping[str, Any], prop: str) -> datetime:
    props = record.get("properties") or {}
    moment = parse_time(props.get(prop)) or parse_time(record.get("updatedAt")) or parse_time(
        record.get("archivedAt")) or parse_time(record.get("createdAt"))
    return moment or datetime.fromtimestamp(0, tz=UTC)


def to_person(record: Mapping[str, Any], tenant: Tenant, company_id: str | None) -> PersonRecord:
    props: Mapping[str, Any] = record.get("properties") or {}
    fields: dict[str, Any] = {}
    for name, prop in person_field_map(tenant).items():
        raw = props.get(prop)
        if name in _INT_FIELDS:
            fields[name] = parse_int(raw)
        elif name in _NUMBER_FIELDS:
            fields[name] = parse_number(raw)
        else:
            fields[name] = _text(raw)
    fields.setdefault("employees", None)
    return PersonRecord(
        id=str(record["id"]), object_type=OBJECT_TYPE, modified_at=modified_at(record, CONTACT_MODIFIED),
        fields=fields, crm_values=crm_values(props, tenant), company_id=company_id,
        counters=counters(props), deleted=bool(record.get("archived")),
    )


def crm_values(props: Mapping[str, Any], tenant: Tenant) -> dict[str, Any]:
    """Current values of the write-back fields and the lifecycle field, typed like the cycle writes them."""
    values: dict[str, Any] = {}
    for output, prop in write_fields(tenant).items():
        raw = props.get(prop)
        if output in _NUMBER_OUTPUTS:
            number = parse_number(raw)
            values[prop] = int(number) if number is not None and number.is_integer() else number
        elif output == "mql_at":
            values[prop] = format_date(raw)
        else:
            values[prop] = _text(raw)
    lifecycle = lifecycle_field(tenant)
    if lifecycle:
        values[lifecycle] = _text(props.get(lifecycle))
    return values


def counters(props: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, prop in COUNTER_PROPERTIES.items():
        raw = props.get(prop)
        if name in _INT_COUNTERS:
            out[name] = parse_int(raw) or 0
        elif name in _NAME_COUNTERS:
            out[name] = _text(raw)
        else:
            out[name] = parse_time(raw)
    return out


def merged_ids(record: Mapping[str, Any]) -> list[str]:
    """Ids merged away into this contact (``hs_merged_object_ids`` = ``"12;34"``)."""
    raw = (record.get("properties") or {}).get(MERGED_IDS) or ""
    own = str(record["id"])
    return [part.strip() for part in str(raw).split(";") if part.strip() and part.strip() != own]


def to_merged(merged_id: str, survivor: PersonRecord) -> PersonRecord:
    """The record a merge removed: gone from HubSpot, its pending writes dropped by the cycle."""
    return PersonRecord(id=merged_id, object_type=OBJECT_TYPE, modified_at=survivor.modified_at,
                        deleted=True, merged_into=survivor.id)


def to_archived(record: Mapping[str, Any]) -> PersonRecord:
    return PersonRecord(id=str(record["id"]), object_type=OBJECT_TYPE, deleted=True,
                        modified_at=parse_time(record.get("archivedAt")) or modified_at(record, CONTACT_MODIFIED))


def to_company(record: Mapping[str, Any]) -> CompanyRecord:
    props: Mapping[str, Any] = record.get("properties") or {}
    return CompanyRecord(
        id=str(record["id"]), modified_at=modified_at(record, OBJECT_MODIFIED),
        fields={"name": _text(props.get("name")), "industry": _text(props.get("industry")),
                "employees": parse_int(props.get("numberofemployees")),
                "annual_revenue": parse_number(props.get("annualrevenue")), "country": _text(props.get("country"))},
        deleted=bool(record.get("archived")),
    )


def primary_company(targets: Iterable[Mapping[str, Any]]) -> str | None:
    """The primary associated company (typeId 1 / label Primary), else the first one."""
    first: str | None = None
    for target in targets:
        company = str(target.get("toObjectId"))
        first = first or company
        for kind in target.get("associationTypes") or ():
            if kind.get("typeId") == PRIMARY_COMPANY_TYPE_ID or str(kind.get("label") or "").lower() == "primary":
                return company
    return first


def engagement_activity(stream: str, record: Mapping[str, Any], person_ids: Iterable[str]) -> list[ActivityRecord]:
    """One activity per associated contact; [] for engagements that are not engagement (outgoing emails)."""
    _, activity, _ = ENGAGEMENTS[stream]
    props: Mapping[str, Any] = record.get("properties") or {}
    at = parse_time(props.get("hs_timestamp")) or modified_at(record, OBJECT_MODIFIED)
    if stream == "meetings":
        attributes = {"title": _text(props.get("hs_meeting_title")), "outcome": _text(props.get("hs_meeting_outcome"))}
    elif stream == "calls":
        disposition = _text(props.get("hs_call_disposition"))
        outcome = CALL_DISPOSITIONS.get(disposition or "", disposition) or _text(props.get("hs_call_status"))
        attributes = {"direction": _text(props.get("hs_call_direction")), "outcome": outcome}
    else:
        if str(props.get("hs_email_direction") or "") != INCOMING_EMAIL:
            return []
        attributes = {"subject": _text(props.get("hs_email_subject"))}
    singular = stream[:-1]
    deleted = bool(record.get("archived"))
    return [ActivityRecord(id=f"{singular}:{record['id']}:{pid}", person_id=pid, type=activity,  # type: ignore[arg-type]
                           at=at, attributes=attributes, deleted=deleted) for pid in person_ids]


def page_view(event: Mapping[str, Any]) -> ActivityRecord | None:
    props: Mapping[str, Any] = event.get("properties") or {}
    at = parse_time(event.get("occurredAt"))
    if at is None or event.get("objectId") is None:
        return None
    return ActivityRecord(id=f"event:{event['id']}", person_id=str(event["objectId"]), type="page_view", at=at,
                          attributes={"url": _text(props.get(EVENT_URL)), "title": _text(props.get(EVENT_TITLE))})
