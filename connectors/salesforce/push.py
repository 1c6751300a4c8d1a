"""Write-back through sObject Collections: ``PATCH composite/sobjects``, 200 records, allOrNone false.

Results come back in input order and failed entries may lack an id, so they are matched by POSITION.
A whole-request refusal (HTTP 400, e.g. a field the org does not have) is isolated by splitting the
batch until each record has its own outcome.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from config.models import Tenant
from connectors.base import ConnectorError, Outcome, Update, Value, WriteResult
from connectors.salesforce import mapping
from connectors.salesforce.client import SalesforceClient
from connectors.salesforce.soql import check_name, check_object

MAX_BATCH = 200
ENDPOINT = "salesforce.composite.update"
RETRY_CODES = frozenset({"UNABLE_TO_LOCK_ROW", "SERVER_UNAVAILABLE", "REQUEST_RUNNING_TOO_LONG"})


def payload(tenant: Tenant, updates: Sequence[Update]) -> dict[str, Any]:
    outputs = mapping.outputs_by_field(tenant)
    records = []
    for update in updates:
        record: dict[str, Value | dict[str, str]] = {"attributes": {"type": check_object(update.object_type)},
                                                     "id": update.person_id}
        for crm_field, value in update.values.items():
            record[check_name(crm_field)] = mapping.format_value(outputs.get(crm_field), value)
        records.append(record)
    return {"allOrNone": False, "records": records}


def result_of(update: Update, answer: Mapping[str, Any]) -> WriteResult:
    if answer.get("success"):
        return WriteResult(update.person_id, "done")
    errors = answer.get("errors") or [{}]
    first = errors[0] if isinstance(errors[0], Mapping) else {}
    code = str(first.get("statusCode") or first.get("errorCode") or "UNKNOWN_ERROR")
    fields = tuple(str(f) for e in errors if isinstance(e, Mapping) for f in (e.get("fields") or ()))
    message = "; ".join(str(e.get("message") or "") for e in errors if isinstance(e, Mapping)) or None
    outcome: Outcome = "retry" if code in RETRY_CODES else "dead"
    return WriteResult(update.person_id, outcome, code=code, message=message, fields=fields)


def push_updates(client: SalesforceClient, tenant: Tenant, updates: Sequence[Update]) -> list[WriteResult]:
    if len(updates) > MAX_BATCH:
        raise ValueError(f"push takes at most {MAX_BATCH} updates, got {len(updates)}")
    if not updates:
        return []
    try:
        answers = client.restful(ENDPOINT, "composite/sobjects", method="PATCH", json=payload(tenant, updates))
    except ConnectorError as exc:
        if exc.status != 400:
            raise
        if len(updates) == 1:
            return [WriteResult(updates[0].person_id, "dead", code=exc.code or "HTTP_400", message=str(exc))]
        middle = len(updates) // 2
        return (push_updates(client, tenant, updates[:middle])
                + push_updates(client, tenant, updates[middle:]))
    if not isinstance(answers, list) or len(answers) != len(updates):
        raise ConnectorError(f"{ENDPOINT}: Salesforce answered {type(answers).__name__} for "
                             f"{len(updates)} records; expected one result per record", code="BAD_RESPONSE")
    return [result_of(update, answer) for update, answer in zip(updates, answers, strict=True)]
