"""Record updates with Salesforce's per-record validation, shared by collections, sObject PATCH and Bulk 2.0."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sandbox.salesforce.org import Org
from sandbox.salesforce.schema import NUMBER_TYPES, SCHEMA, STRING_TYPES, Field
from sandbox.salesforce.timefmt import day_of, parse_date, parse_datetime
from sandbox.salesforce.vocab import RESPONDED_STATUSES


class RequestError(Exception):
    """The whole request is refused (HTTP 400 with an error array)."""

    def __init__(self, code: str, message: str, fields: list[str] | None = None) -> None:
        super().__init__(message)
        self.code, self.message, self.fields = code, message, fields or []


@dataclass
class Outcome:
    record_id: str | None
    errors: list[dict[str, Any]] = field(default_factory=list)
    changes: dict[str, Any] = field(default_factory=dict)    # field -> storage value, applied on commit
    sobject: str = ""
    row: int = -1

    @property
    def ok(self) -> bool:
        return not self.errors


def error(code: str, message: str, fields: list[str] | None = None) -> dict[str, Any]:
    return {"statusCode": code, "message": message, "fields": fields or []}


def unknown_field_message(sobject: str, name: str) -> str:
    return f"No such column '{name}' on sobject of type {sobject}"


def _convert(field: Field, value: Any, from_text: bool) -> Any:
    """Storage value for a written value; raises ValueError with a user-facing message."""
    if value is None:
        return None
    if field.type in STRING_TYPES:
        if not isinstance(value, str) and not from_text:
            value = str(value)
        text: str = value
        if field.length and len(text) > field.length:
            raise ValueError(f"STRING_TOO_LONG|{field.name}: data value too large: {text[:30]}... "
                             f"(max length={field.length})")
        if field.restricted and text not in field.picklist:
            raise ValueError(f"INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST|bad value for restricted picklist "
                             f"field: {text}")
        return text or None
    if field.type in NUMBER_TYPES:
        if isinstance(value, bool):
            raise ValueError(f"INVALID_TYPE_ON_FIELD_IN_RECORD|{field.name}: value not of required type: {value}")
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise ValueError(f"INVALID_TYPE_ON_FIELD_IN_RECORD|{field.name}: value not of required type: "
                             f"{value}") from None
        return int(number) if field.type == "int" else number
    if field.type == "boolean":
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in ("true", "false"):
            return value.lower() == "true"
        raise ValueError(f"INVALID_TYPE_ON_FIELD_IN_RECORD|{field.name}: value not of required type: {value}")
    if field.type in ("date", "datetime"):
        parsed = parse_date(str(value)) if field.type == "date" else parse_datetime(str(value))
        if parsed is None:
            raise ValueError(f"INVALID_TYPE_ON_FIELD_IN_RECORD|{field.name}: value not of required type: {value}")
        return parsed
    raise ValueError(f"INVALID_FIELD_FOR_INSERT_UPDATE|Unable to create/update fields: {field.name}.")


def check_fields(sobject: str, names: list[str]) -> None:
    """Whole-request INVALID_FIELD for a field name the object does not have."""
    schema = SCHEMA[sobject]
    for name in names:
        if schema.field(name) is None:
            raise RequestError("INVALID_FIELD", unknown_field_message(sobject, name), [name])


def prepare(org: Org, sobject: str, record_id: Any, values: dict[str, Any], *, from_text: bool = False) -> Outcome:
    """Validate one update; the returned Outcome holds either errors or the changes to commit."""
    outcome = Outcome(record_id if isinstance(record_id, str) else None, sobject=sobject)
    schema = SCHEMA[sobject]
    if not isinstance(record_id, str) or not record_id:
        outcome.errors.append(error("MISSING_ARGUMENT", "Id not specified in an update call", ["Id"]))
        return outcome
    parsed = org.codec.parse(record_id)
    if parsed is None or parsed[0] != sobject:
        outcome.errors.append(error("MALFORMED_ID", f"{sobject} ID: id value of incorrect type: {record_id}", ["Id"]))
        return outcome
    table = org.tables[sobject]
    row = parsed[1]
    if row >= table.size:
        outcome.errors.append(error("INVALID_CROSS_REFERENCE_KEY", "invalid cross reference id"))
        return outcome
    if table.is_deleted(row):
        outcome.errors.append(error("ENTITY_IS_DELETED", "entity is deleted"))
        return outcome
    if sobject == "Lead" and table.get("IsConverted", row):
        outcome.errors.append(error("CANNOT_UPDATE_CONVERTED_LEAD", "cannot reference converted lead"))
        return outcome
    outcome.row = row
    for name, value in values.items():
        found = schema.field(name)
        if found is None:
            outcome.errors.append(error("INVALID_FIELD", unknown_field_message(sobject, name), [name]))
            continue
        if not found.updateable:
            outcome.errors.append(error(
                "INVALID_FIELD_FOR_INSERT_UPDATE", f"Unable to create/update fields: {found.name}. Please check "
                "the security settings of this field and verify that it is read/write for your profile or "
                "permission set.", [found.name]))
            continue
        try:
            outcome.changes[found.name] = _convert(found, value, from_text)
        except ValueError as exc:
            code, message = str(exc).split("|", 1)
            outcome.errors.append(error(code, message, [found.name]))
    if outcome.errors:
        outcome.changes.clear()
    return outcome


def commit(org: Org, outcome: Outcome, now: int) -> None:
    table = org.tables[outcome.sobject]
    for name, value in outcome.changes.items():
        table.set(name, outcome.row, value)
    responded = outcome.sobject == "CampaignMember" and outcome.changes.get("Status") in RESPONDED_STATUSES
    if responded and not table.get("HasResponded", outcome.row):     # the member status' "responded" flag
        table.set("HasResponded", outcome.row, True)
        table.set("FirstRespondedDate", outcome.row, day_of(now))
    table.set("LastModifiedDate", outcome.row, now)
    table.set("SystemModstamp", outcome.row, now)
