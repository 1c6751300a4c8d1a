"""HubSpot object types and their built-in properties (the subset the sandbox generates and serves).

A :class:`PropertyDef` renders to the Properties API's ``Property`` shape; custom properties created
through the API are PropertyDefs too (``hubspot_defined=False``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sandbox import vocab
from sandbox.hubspot.columns import format_ms

PROPERTY_TYPES = frozenset({"bool", "date", "datetime", "enumeration", "number", "phone_number", "string"})
FIELD_TYPES = frozenset({"booleancheckbox", "checkbox", "date", "file", "html", "number", "phonenumber", "radio",
                         "select", "text", "textarea", "calculation_equation"})


@dataclass(frozen=True)
class OptionDef:
    label: str
    value: str
    display_order: int = 0
    hidden: bool = False

    def to_json(self) -> dict[str, Any]:
        return {"label": self.label, "value": self.value, "displayOrder": self.display_order,
                "hidden": self.hidden, "description": ""}


@dataclass(frozen=True)
class PropertyDef:
    name: str
    label: str
    type: str
    field_type: str
    group: str
    options: tuple[OptionDef, ...] = ()
    read_only: bool = False
    hubspot_defined: bool = True
    description: str = ""
    has_unique_value: bool = False
    created_ms: int = 1_546_300_800_000          # 2019-01-01
    option_values: frozenset[str] = field(default=frozenset(), compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "option_values", frozenset(o.value for o in self.options))

    @property
    def is_enum(self) -> bool:
        return self.type == "enumeration" or self.type == "bool"

    def to_json(self) -> dict[str, Any]:
        stamp = format_ms(self.created_ms)
        return {
            "name": self.name, "label": self.label, "type": self.type, "fieldType": self.field_type,
            "description": self.description, "groupName": self.group,
            "options": [o.to_json() for o in self.options], "displayOrder": -1, "calculated": False,
            "externalOptions": False, "hasUniqueValue": self.has_unique_value, "hidden": False,
            "hubspotDefined": self.hubspot_defined, "formField": not self.read_only,
            "modificationMetadata": {"archivable": not self.hubspot_defined, "readOnlyDefinition": self.hubspot_defined,
                                     "readOnlyValue": self.read_only},
            "createdAt": stamp, "updatedAt": stamp, "archived": False,
        }


@dataclass(frozen=True)
class GroupDef:
    name: str
    label: str
    display_order: int = -1

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "label": self.label, "displayOrder": self.display_order, "archived": False}


@dataclass(frozen=True)
class ObjectType:
    name: str                 # plural API name: contacts, companies, meetings, ...
    singular: str             # CONTACT, COMPANY, ... (error messages)
    type_id: str              # 0-1, 0-2, ...
    modified_prop: str
    created_prop: str
    default_props: tuple[str, ...]
    id_base: int


def _opts(*values: str, labels: tuple[str, ...] | None = None) -> tuple[OptionDef, ...]:
    names = labels or tuple(v.replace("_", " ").title() for v in values)
    return tuple(OptionDef(lbl, v, i) for i, (v, lbl) in enumerate(zip(values, names, strict=True)))


_BOOL = (OptionDef("True", "true", 0), OptionDef("False", "false", 1))

LIFECYCLE_OPTIONS = _opts(*(s for s, _ in vocab.LIFECYCLE_STAGES), labels=(
    "Subscriber", "Lead", "Marketing Qualified Lead", "Sales Qualified Lead", "Opportunity", "Customer",
    "Evangelist", "Other"))
_OWNER_OPTIONS = tuple(OptionDef(f"{f} {last}", oid, i) for i, (oid, f, last) in enumerate(vocab.OWNERS))
_INDUSTRY_OPTIONS = _opts(*(v for v, _ in vocab.INDUSTRIES))


def _p(name: str, label: str, type_: str = "string", group: str = "contactinformation",
       options: tuple[OptionDef, ...] = (), read_only: bool = False, unique: bool = False) -> PropertyDef:
    field_type = {"string": "text", "number": "number", "datetime": "date", "date": "date",
                  "enumeration": "select", "bool": "booleancheckbox", "phone_number": "phonenumber"}[type_]
    return PropertyDef(name, label, type_, field_type, group, options, read_only, has_unique_value=unique)


def _common(created: str, modified: str, group: str) -> list[PropertyDef]:
    return [
        _p("hs_object_id", "Record ID", "number", group, read_only=True, unique=True),
        _p(created, "Create Date", "datetime", group, read_only=True),
        _p(modified, "Last Modified Date", "datetime", group, read_only=True),
        _p("hs_merged_object_ids", "Merged record IDs", "enumeration", group, read_only=True),
        _p("hubspot_owner_id", "Owner", "enumeration", group, _OWNER_OPTIONS),
    ]


_CONTACT_PROPS = [
    *_common("createdate", "lastmodifieddate", "contactinformation"),
    _p("hs_lastmodifieddate", "Object last modified date/time", "datetime", read_only=True),
    _p("email", "Email", unique=True), _p("firstname", "First Name"), _p("lastname", "Last Name"),
    _p("jobtitle", "Job Title"), _p("company", "Company Name"), _p("industry", "Industry"),
    _p("country", "Country/Region"), _p("annualrevenue", "Annual Revenue"), _p("phone", "Phone Number"),
    _p("lifecyclestage", "Lifecycle Stage", "enumeration", options=LIFECYCLE_OPTIONS),
    _p("hs_lead_status", "Lead Status", "enumeration", options=_opts(*vocab.LEAD_STATUSES)),
    _p("hs_analytics_source", "Original Source", "enumeration", "analyticsinformation",
       _opts(*(s for s, _ in vocab.SOURCES)), read_only=True),
    _p("hs_analytics_num_page_views", "Number of Pageviews", "number", "analyticsinformation", read_only=True),
    _p("hs_analytics_num_visits", "Number of Sessions", "number", "analyticsinformation", read_only=True),
    _p("hs_analytics_last_visit_timestamp", "Time of Last Session", "datetime", "analyticsinformation",
       read_only=True),
    _p("hs_email_delivered", "Marketing emails delivered", "number", "emailinformation", read_only=True),
    _p("hs_email_open", "Marketing emails opened", "number", "emailinformation", read_only=True),
    _p("hs_email_click", "Marketing emails clicked", "number", "emailinformation", read_only=True),
    _p("hs_email_last_open_date", "Last marketing email open date", "datetime", "emailinformation", read_only=True),
    _p("hs_email_last_click_date", "Last marketing email click date", "datetime", "emailinformation",
       read_only=True),
    _p("hs_email_last_email_name", "Last marketing email name", group="emailinformation", read_only=True),
    _p("num_conversion_events", "Number of Form Submissions", "number", "conversioninformation", read_only=True),
    _p("num_unique_conversion_events", "Number of Unique Forms Submitted", "number", "conversioninformation",
       read_only=True),
    _p("first_conversion_event_name", "First Conversion", group="conversioninformation", read_only=True),
    _p("first_conversion_date", "First Conversion Date", "datetime", "conversioninformation", read_only=True),
    _p("recent_conversion_event_name", "Recent Conversion", group="conversioninformation", read_only=True),
    _p("recent_conversion_date", "Recent Conversion Date", "datetime", "conversioninformation", read_only=True),
    _p("notes_last_updated", "Last Activity Date", "datetime", "sales_properties", read_only=True),
]

_COMPANY_PROPS = [
    *_common("createdate", "hs_lastmodifieddate", "companyinformation"),
    _p("name", "Company name", group="companyinformation"),
    _p("domain", "Company Domain Name", group="companyinformation"),
    _p("industry", "Industry", "enumeration", "companyinformation", _INDUSTRY_OPTIONS),
    _p("numberofemployees", "Number of Employees", "number", "companyinformation"),
    _p("annualrevenue", "Annual Revenue", "number", "companyinformation"),
    _p("country", "Country/Region", group="companyinformation"), _p("city", "City", group="companyinformation"),
]

_ENGAGEMENT_COMMON = [
    _p("hs_timestamp", "Activity date", "datetime", "engagement"),
    _p("hs_body_preview", "Body preview", group="engagement", read_only=True),
]
_MEETING_PROPS = [
    *_common("hs_createdate", "hs_lastmodifieddate", "meeting"), *_ENGAGEMENT_COMMON,
    _p("hs_meeting_title", "Meeting name", group="meeting"),
    _p("hs_meeting_body", "Meeting description", group="meeting"),
    _p("hs_meeting_start_time", "Start time", "datetime", "meeting"),
    _p("hs_meeting_end_time", "End time", "datetime", "meeting"),
    _p("hs_meeting_outcome", "Meeting outcome", "enumeration", "meeting", _opts(*vocab.MEETING_OUTCOMES)),
]
_CALL_PROPS = [
    *_common("hs_createdate", "hs_lastmodifieddate", "call"), *_ENGAGEMENT_COMMON,
    _p("hs_call_title", "Call title", group="call"), _p("hs_call_body", "Call notes", group="call"),
    _p("hs_call_direction", "Call direction", "enumeration", "call", _opts("INBOUND", "OUTBOUND")),
    _p("hs_call_status", "Call status", "enumeration", "call", _opts(*vocab.CALL_STATUSES)),
    _p("hs_call_duration", "Call duration", "number", "call"),
    _p("hs_call_disposition", "Call outcome", "enumeration", "call",
       tuple(OptionDef(lbl, guid, i) for i, (guid, lbl) in enumerate(vocab.CALL_DISPOSITIONS))),
]
_EMAIL_PROPS = [
    *_common("hs_createdate", "hs_lastmodifieddate", "email"), *_ENGAGEMENT_COMMON,
    _p("hs_email_direction", "Email direction", "enumeration", "email",
       _opts("EMAIL", "INCOMING_EMAIL", "FORWARDED_EMAIL")),
    _p("hs_email_status", "Email send status", "enumeration", "email",
       _opts("BOUNCED", "FAILED", "SCHEDULED", "SENDING", "SENT")),
    _p("hs_email_subject", "Email subject", group="email"), _p("hs_email_text", "Email body", group="email"),
]
_NOTE_PROPS = [*_common("hs_createdate", "hs_lastmodifieddate", "note"), *_ENGAGEMENT_COMMON,
               _p("hs_note_body", "Note body", group="note")]
_TASK_PROPS = [
    *_common("hs_createdate", "hs_lastmodifieddate", "task"), *_ENGAGEMENT_COMMON,
    _p("hs_task_subject", "Task title", group="task"), _p("hs_task_body", "Task notes", group="task"),
    _p("hs_task_status", "Task status", "enumeration", "task", _opts("NOT_STARTED", "IN_PROGRESS", "WAITING",
                                                                    "COMPLETED", "DEFERRED")),
    _p("hs_task_type", "Task type", "enumeration", "task", _opts("EMAIL", "CALL", "TODO")),
    _p("hs_task_priority", "Priority", "enumeration", "task", _opts("LOW", "MEDIUM", "HIGH")),
]

_ENGAGEMENT_DEFAULTS = ("hs_createdate", "hs_lastmodifieddate", "hs_object_id")
OBJECT_TYPES: dict[str, ObjectType] = {
    "contacts": ObjectType("contacts", "CONTACT", "0-1", "lastmodifieddate", "createdate",
                           ("createdate", "email", "firstname", "hs_object_id", "lastmodifieddate", "lastname"),
                           100_001),
    "companies": ObjectType("companies", "COMPANY", "0-2", "hs_lastmodifieddate", "createdate",
                            ("createdate", "domain", "hs_lastmodifieddate", "hs_object_id", "name"),
                            20_000_000_001),
    "meetings": ObjectType("meetings", "MEETING", "0-47", "hs_lastmodifieddate", "hs_createdate",
                           _ENGAGEMENT_DEFAULTS, 30_000_000_001),
    "calls": ObjectType("calls", "CALL", "0-48", "hs_lastmodifieddate", "hs_createdate", _ENGAGEMENT_DEFAULTS,
                        40_000_000_001),
    "emails": ObjectType("emails", "EMAIL", "0-49", "hs_lastmodifieddate", "hs_createdate", _ENGAGEMENT_DEFAULTS,
                         50_000_000_001),
    "notes": ObjectType("notes", "NOTE", "0-46", "hs_lastmodifieddate", "hs_createdate", _ENGAGEMENT_DEFAULTS,
                        60_000_000_001),
    "tasks": ObjectType("tasks", "TASK", "0-27", "hs_lastmodifieddate", "hs_createdate", _ENGAGEMENT_DEFAULTS,
                        70_000_000_001),
}

BUILTIN_PROPERTIES: dict[str, tuple[PropertyDef, ...]] = {
    "contacts": tuple(_CONTACT_PROPS), "companies": tuple(_COMPANY_PROPS), "meetings": tuple(_MEETING_PROPS),
    "calls": tuple(_CALL_PROPS), "emails": tuple(_EMAIL_PROPS), "notes": tuple(_NOTE_PROPS),
    "tasks": tuple(_TASK_PROPS),
}

BUILTIN_GROUPS: dict[str, tuple[GroupDef, ...]] = {
    "contacts": (GroupDef("contactinformation", "Contact information", 0),
                 GroupDef("analyticsinformation", "Web analytics history", 1),
                 GroupDef("emailinformation", "Email information", 2),
                 GroupDef("conversioninformation", "Conversion information", 3),
                 GroupDef("sales_properties", "Sales properties", 4)),
    "companies": (GroupDef("companyinformation", "Company information", 0),),
    "meetings": (GroupDef("meeting", "Meeting information", 0), GroupDef("engagement", "Engagement", 1)),
    "calls": (GroupDef("call", "Call information", 0), GroupDef("engagement", "Engagement", 1)),
    "emails": (GroupDef("email", "Email information", 0), GroupDef("engagement", "Engagement", 1)),
    "notes": (GroupDef("note", "Note information", 0), GroupDef("engagement", "Engagement", 1)),
    "tasks": (GroupDef("task", "Task information", 0), GroupDef("engagement", "Engagement", 1)),
}

_ALIASES = {"contact": "contacts", "company": "companies", "meeting": "meetings", "call": "calls",
            "email": "emails", "note": "notes", "task": "tasks"}
_ALIASES.update({t.type_id: t.name for t in OBJECT_TYPES.values()})


def resolve_type(name: str) -> str | None:
    """The plural object type for ``contacts``, ``contact``, ``0-1``...; None when unknown."""
    key = name.lower()
    if key in OBJECT_TYPES:
        return key
    return _ALIASES.get(key)


# Association type ids (HUBSPOT_DEFINED) from contacts to each type; the reverse direction mirrors them.
ASSOCIATION_TYPES: dict[tuple[str, str], int] = {
    ("contacts", "companies"): 279, ("companies", "contacts"): 280,
    ("contacts", "emails"): 197, ("emails", "contacts"): 198,
    ("contacts", "calls"): 193, ("calls", "contacts"): 194,
    ("contacts", "meetings"): 199, ("meetings", "contacts"): 200,
    ("contacts", "notes"): 201, ("notes", "contacts"): 202,
    ("contacts", "tasks"): 203, ("tasks", "contacts"): 204,
}
PRIMARY_COMPANY_TYPE_ID = 1
