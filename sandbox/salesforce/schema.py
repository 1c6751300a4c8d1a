"""The emulated objects and their fields: the single source for storage, SOQL, writes and describe."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sandbox.salesforce import vocab
from sandbox.salesforce.ids import PREFIXES

STRING_TYPES = frozenset({"string", "picklist", "email", "textarea", "phone", "url", "combobox"})
NUMBER_TYPES = frozenset({"int", "double", "currency", "percent"})


@dataclass(frozen=True)
class Field:
    name: str
    type: str                               # describe type: id, string, picklist, reference, datetime...
    label: str = ""
    updateable: bool = True
    custom: bool = False
    length: int = 0                         # strings only
    reference_to: tuple[str, ...] = ()
    relationship: str | None = None         # Account for AccountId, Who for WhoId
    picklist: tuple[str, ...] = ()
    restricted: bool = False
    computed: bool = False                  # Name: derived from FirstName and LastName, never stored

    @property
    def storage(self) -> str:
        """How the column stores values: str, float, int (datetime s, date days, ints), bool, ref, id."""
        if self.type in STRING_TYPES:
            return "str"
        if self.type in ("double", "currency", "percent"):
            return "float"
        if self.type in ("int", "datetime", "date"):
            return "int"
        if self.type == "boolean":
            return "bool"
        if self.type == "reference":
            return "ref"
        return "id"

    def describe(self) -> dict[str, Any]:
        soap = {"id": "tns:ID", "reference": "tns:ID", "boolean": "xsd:boolean", "int": "xsd:int",
                "double": "xsd:double", "currency": "xsd:double", "percent": "xsd:double",
                "datetime": "xsd:dateTime", "date": "xsd:date"}.get(self.type, "xsd:string")
        return {
            "name": self.name,
            "label": self.label or self.name.removesuffix("__c").replace("_", " "),
            "type": self.type,
            "soapType": soap,
            "length": self.length,
            "byteLength": self.length * 3,
            "precision": 18 if self.type in ("double", "currency", "percent") else 0,
            "scale": 2 if self.type in ("currency", "double") else 0,
            "digits": 9 if self.type == "int" else 0,
            "nillable": self.type not in ("id", "boolean") and self.name not in ("LastName", "Company", "Name"),
            "createable": self.updateable,
            "updateable": self.updateable,
            "custom": self.custom,
            "calculated": self.computed,
            "filterable": True,
            "sortable": self.type != "textarea",
            "groupable": self.type not in ("double", "currency", "textarea", "datetime"),
            "unique": False,
            "externalId": False,
            "idLookup": self.type == "id" or self.name == "Email",
            "defaultedOnCreate": self.type in ("id", "boolean") or self.name in
            ("CreatedDate", "LastModifiedDate", "SystemModstamp", "OwnerId"),
            "defaultValue": False if self.type == "boolean" else None,
            "referenceTo": list(self.reference_to),
            "relationshipName": self.relationship,
            "restrictedPicklist": self.restricted,
            "picklistValues": [
                {"active": True, "defaultValue": False, "label": value, "value": value, "validFor": None}
                for value in self.picklist
            ],
        }


@dataclass(frozen=True)
class SObject:
    name: str
    label: str
    fields: dict[str, Field]

    @property
    def key_prefix(self) -> str:
        return PREFIXES[self.name]

    def field(self, name: str) -> Field | None:
        """Field by name, case-insensitively as SOQL and the REST API match them."""
        found = self.fields.get(name)
        if found is not None:
            return found
        lowered = name.lower()
        return next((f for f in self.fields.values() if f.name.lower() == lowered), None)

    def relationship(self, name: str) -> Field | None:
        lowered = name.lower()
        return next((f for f in self.fields.values()
                     if f.relationship is not None and f.relationship.lower() == lowered), None)

    def stored_fields(self) -> list[Field]:
        return [f for f in self.fields.values() if f.type != "id" and not f.computed]


def _text(name: str, length: int = 255, **kw: Any) -> Field:
    return Field(name, kw.pop("type", "string"), length=length, **kw)


def _pick(name: str, values: tuple[str, ...], restricted: bool = False, **kw: Any) -> Field:
    return Field(name, "picklist", length=255, picklist=values, restricted=restricted, **kw)


def _ref(name: str, *targets: str, relationship: str, updateable: bool = True) -> Field:
    return Field(name, "reference", length=18, reference_to=targets, relationship=relationship,
                 updateable=updateable)


def _system_fields() -> list[Field]:
    return [
        Field("Id", "id", label="Record ID", updateable=False, length=18),
        Field("IsDeleted", "boolean", label="Deleted", updateable=False),
        Field("CreatedDate", "datetime", label="Created Date", updateable=False),
        Field("LastModifiedDate", "datetime", label="Last Modified Date", updateable=False),
        Field("SystemModstamp", "datetime", label="System Modstamp", updateable=False),
    ]


def _scoring_fields() -> list[Field]:
    """The custom fields crmsync writes back, present on Lead and Contact."""
    return [
        Field("Fit_Score__c", "double", label="Fit Score", custom=True),
        Field("Engagement_Score__c", "double", label="Engagement Score", custom=True),
        Field("Score__c", "double", label="Score", custom=True),
        _pick("Grade__c", vocab.GRADES, restricted=True, label="Grade", custom=True),
        _pick("MQL_Status__c", vocab.MQL_STATUSES, restricted=True, label="MQL Status", custom=True),
        _text("MQL_Reason__c", 255, type="textarea", label="MQL Reason", custom=True),
        Field("MQL_Date__c", "date", label="MQL Date", custom=True),
    ]


def _person_name_fields() -> list[Field]:
    return [
        _text("FirstName", 40, label="First Name"),
        _text("LastName", 80, label="Last Name"),
        _text("Name", 121, label="Full Name", updateable=False, computed=True),
    ]


def _build(name: str, label: str, fields: list[Field]) -> SObject:
    return SObject(name, label, {f.name: f for f in fields})


def build_schema() -> dict[str, SObject]:
    owner = _ref("OwnerId", "User", relationship="Owner")
    who = _ref("WhoId", "Contact", "Lead", relationship="Who")
    objects = [
        _build("User", "User", [*_system_fields(), *_person_name_fields(),
                                _text("Email", 80, type="email"), _text("Title", 80),
                                Field("IsActive", "boolean", label="Active")]),
        _build("Account", "Account", [
            *_system_fields(), _text("Name", 255, label="Account Name"),
            _pick("Industry", vocab.INDUSTRIES), Field("NumberOfEmployees", "int", label="Employees"),
            Field("AnnualRevenue", "currency", label="Annual Revenue"),
            _text("BillingCountry", 80, label="Billing Country"), _text("Website", 255, type="url"), owner]),
        _build("Lead", "Lead", [
            *_system_fields(), *_person_name_fields(), _text("Email", 80, type="email"), _text("Title", 128),
            _text("Company", 255), _pick("Industry", vocab.INDUSTRIES),
            Field("NumberOfEmployees", "int", label="Employees"),
            Field("AnnualRevenue", "currency", label="Annual Revenue"), _text("Country", 80),
            _pick("LeadSource", vocab.LEAD_SOURCES, label="Lead Source"),
            _pick("Status", vocab.LEAD_STATUSES, restricted=True, label="Lead Status"),
            _pick("Rating", vocab.RATINGS), Field("IsConverted", "boolean", label="Converted", updateable=False),
            _ref("ConvertedContactId", "Contact", relationship="ConvertedContact", updateable=False),
            _ref("ConvertedAccountId", "Account", relationship="ConvertedAccount", updateable=False),
            Field("ConvertedDate", "date", label="Converted Date", updateable=False),
            owner, *_scoring_fields()]),
        _build("Contact", "Contact", [
            *_system_fields(), _ref("AccountId", "Account", relationship="Account"), *_person_name_fields(),
            _text("Email", 80, type="email"), _text("Title", 128),
            _pick("LeadSource", vocab.LEAD_SOURCES, label="Lead Source"),
            _text("MailingCountry", 80, label="Mailing Country"), owner,
            _pick("Lifecycle_Stage__c", vocab.LIFECYCLE_STAGES, restricted=True, label="Lifecycle Stage",
                  custom=True),
            *_scoring_fields()]),
        _build("Campaign", "Campaign", [
            *_system_fields(), _text("Name", 80, label="Campaign Name"), _pick("Type", vocab.CAMPAIGN_TYPES),
            _pick("Status", vocab.CAMPAIGN_STATUSES), Field("StartDate", "date", label="Start Date"),
            Field("EndDate", "date", label="End Date"), Field("IsActive", "boolean", label="Active"), owner]),
        _build("CampaignMember", "Campaign Member", [
            *_system_fields(), _ref("CampaignId", "Campaign", relationship="Campaign", updateable=False),
            _ref("LeadId", "Lead", relationship="Lead", updateable=False),
            _ref("ContactId", "Contact", relationship="Contact", updateable=False),
            _ref("LeadOrContactId", "Contact", "Lead", relationship="LeadOrContact", updateable=False),
            _pick("Status", vocab.MEMBER_STATUSES),
            Field("HasResponded", "boolean", label="Responded", updateable=False),
            Field("FirstRespondedDate", "date", label="First Responded Date", updateable=False)]),
        _build("Task", "Task", [
            *_system_fields(), who, _text("Subject", 255, type="combobox"),
            _pick("TaskSubtype", vocab.TASK_SUBTYPES, label="Task Subtype", updateable=False),
            _pick("Type", vocab.TASK_TYPES), _pick("Status", vocab.TASK_STATUSES, restricted=True),
            _pick("Priority", ("High", "Normal", "Low")), Field("ActivityDate", "date", label="Due Date Only"),
            Field("CompletedDateTime", "datetime", label="Completed Date/Time", updateable=False),
            Field("CallDurationInSeconds", "int", label="Call Duration"),
            _pick("CallType", ("Internal", "Inbound", "Outbound"), label="Call Type"), owner]),
        _build("Event", "Event", [
            *_system_fields(), who, _text("Subject", 255, type="combobox"), _pick("Type", vocab.EVENT_TYPES),
            _pick("EventSubtype", ("Event",), label="Event Subtype", updateable=False),
            Field("ActivityDateTime", "datetime", label="Due Date Time"),
            Field("StartDateTime", "datetime", label="Start Date Time"),
            Field("EndDateTime", "datetime", label="End Date Time"),
            Field("DurationInMinutes", "int", label="Duration"),
            Field("ActivityDate", "date", label="Due Date Only"), owner]),
    ]
    return {o.name: o for o in objects}


SCHEMA: dict[str, SObject] = build_schema()   # immutable after import: frozen dataclasses only


def describe(sobject: SObject, version: str) -> dict[str, Any]:
    base = f"/services/data/v{version}/sobjects/{sobject.name}"
    return {
        "name": sobject.name,
        "label": sobject.label,
        "labelPlural": sobject.label + "s",
        "custom": False,
        "keyPrefix": sobject.key_prefix,
        "createable": True,
        "updateable": True,
        "deletable": True,
        "queryable": True,
        "searchable": True,
        "retrieveable": True,
        "fields": [f.describe() for f in sobject.fields.values()],
        "urls": {"sobject": base, "describe": base + "/describe", "rowTemplate": base + "/{ID}"},
    }


def describe_global(version: str) -> dict[str, Any]:
    return {
        "encoding": "UTF-8",
        "maxBatchSize": 200,
        "sobjects": [
            {"name": o.name, "label": o.label, "keyPrefix": o.key_prefix, "custom": False, "queryable": True,
             "updateable": True, "urls": {"sobject": f"/services/data/v{version}/sobjects/{o.name}",
                                          "describe": f"/services/data/v{version}/sobjects/{o.name}/describe"}}
            for o in SCHEMA.values()
        ],
    }
