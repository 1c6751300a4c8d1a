"""Writing field values back to HubSpot contacts: batch update, one outcome per record.

200/207 answers are matched to the inputs by id (HubSpot does not keep the input order). A
whole-request validation refusal (400: one bad option or unknown property rejects the batch) is
isolated by splitting the batch in halves until each bad record stands alone with its own code; except a
missing property (``PROPERTY_DOESNT_EXIST``), which refuses every record alike: the push stops with a
:class:`~connectors.base.ConnectorError` naming the property and ``crmsync provision``, so the writes stay
in the outbox (not dead letters) and go out at the first cycle after the property exists.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from connectors.base import ConnectorError, Update, WriteResult
from connectors.hubspot.classify import Answer, error_code
from connectors.hubspot.client import HubSpotClient
from connectors.hubspot.mapping import format_value

MAX_BATCH = 100
OBJECT_TYPE = "contacts"
MISSING_PROPERTY = "PROPERTY_DOESNT_EXIST"


def push_updates(client: HubSpotClient, updates: Sequence[Update]) -> list[WriteResult]:
    if len(updates) > MAX_BATCH:
        raise ValueError(f"push takes at most {MAX_BATCH} updates, got {len(updates)}")
    outcomes: dict[str, WriteResult] = {}
    _send(client, list(updates), outcomes)
    return [outcomes[u.person_id] for u in updates]


def _send(client: HubSpotClient, batch: list[Update], outcomes: dict[str, WriteResult]) -> None:
    if not batch:
        return
    inputs = [{"id": u.person_id, "properties": {k: format_value(v) for k, v in u.values.items()}} for u in batch]
    answer = client.batch_update(OBJECT_TYPE, inputs)
    if answer.status == 400 and answer.error_code == MISSING_PROPERTY:
        data = answer.data if isinstance(answer.data, dict) else {}
        missing = ", ".join(_error_fields(data)) or "a write-back property"
        raise ConnectorError(f"HubSpot has no contact property {missing}: run `crmsync provision --tenant "
                             f"{client.caller.tenant}` to create the write-back properties; the writes wait in the "
                             "outbox until then", code=MISSING_PROPERTY, status=400)
    if answer.status in (400, 409):
        if len(batch) == 1:
            outcomes[batch[0].person_id] = _refused(batch[0].person_id, answer)
            return
        middle = len(batch) // 2
        _send(client, batch[:middle], outcomes)
        _send(client, batch[middle:], outcomes)
        return
    _read_batch_answer(batch, answer, outcomes)


def _read_batch_answer(batch: list[Update], answer: Answer, outcomes: dict[str, WriteResult]) -> None:
    data: Mapping[str, Any] = answer.data if isinstance(answer.data, dict) else {}
    wanted = {u.person_id for u in batch}
    for result in data.get("results") or ():
        pid = str(result.get("id"))
        if pid in wanted:
            outcomes[pid] = WriteResult(pid, "done")
    for error in data.get("errors") or ():
        context = error.get("context") or {}
        code = error_code(error) or "ERROR"
        fields = tuple(_error_fields(error))
        for pid in context.get("ids") or ():
            if str(pid) in wanted and str(pid) not in outcomes:
                outcomes[str(pid)] = WriteResult(str(pid), "dead", code=code, message=str(error.get("message") or ""),
                                                 fields=fields)
    for pid in wanted - outcomes.keys():
        outcomes[pid] = WriteResult(pid, "dead", code="NOT_CONFIRMED",
                                    message="HubSpot did not confirm this record (merged away or deleted?)")


def _refused(pid: str, answer: Answer) -> WriteResult:
    data = answer.data if isinstance(answer.data, dict) else {}
    return WriteResult(pid, "dead", code=error_code(data) or f"HTTP_{answer.status}",
                       message=str(data.get("message") or "")[:500], fields=tuple(_error_fields(data)))


def _error_fields(error: Mapping[str, Any]) -> list[str]:
    names: list[str] = []
    for detail in [error, *(error.get("errors") or ())]:
        if not isinstance(detail, dict):
            continue
        context = detail.get("context") or {}
        for key in ("propertyName", "properties", "propertyNames"):
            names.extend(str(n) for n in context.get(key) or ())
        if detail is not error and detail.get("name"):
            names.append(str(detail["name"]))
    return list(dict.fromkeys(names))
