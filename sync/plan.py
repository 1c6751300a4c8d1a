"""Plan writes: the desired CRM values of one person against what the CRM holds now (CONTRACT.md 2b).

Pure functions. A field is written only when its desired value differs from the CRM's current value;
the lifecycle field only when the person is ``mql``, the current value is not the MQL value and not
protected (an empty current value is not protected). Empty desired values are written as ``None``
(the connector clears the field).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from config.models import WriteBack
from connectors.base import Value
from sync.diff import parse_datetime

INT_OUTPUTS = ("fit", "engagement", "score")


def desired_values(score: Mapping[str, Any]) -> dict[str, Value]:
    """Our outputs as written: ints, grade/status strings, ``mql_at`` YYYY-MM-DD, reason text; empty -> None."""
    mql_at = score.get("mql_at")
    if isinstance(mql_at, datetime):
        mql_at = mql_at.date()
    return {
        "fit": int(score["fit"]),
        "engagement": int(score["engagement"]),
        "score": int(score["score"]),
        "grade": score.get("grade") or None,
        "status": str(score["status"]),
        "mql_reason": score.get("mql_reason") or None,
        "mql_at": mql_at.isoformat() if isinstance(mql_at, date) else (str(mql_at) if mql_at else None),
    }


def is_empty(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip()) or value == []


def same_value(current: Any, desired: Value) -> bool:
    """Whether the CRM's current value already equals the desired one (numbers and dates loosely)."""
    if is_empty(desired) or is_empty(current):
        return is_empty(desired) and is_empty(current)
    if isinstance(desired, int | float) and not isinstance(desired, bool):
        try:
            return float(current) == float(desired)
        except (TypeError, ValueError):
            return False
    text = str(desired)
    if _looks_like_date(text):
        seen = parse_datetime(current)
        return seen is not None and seen.date().isoformat() == text
    return str(current).replace("\r\n", "\n") == text.replace("\r\n", "\n")


def _looks_like_date(text: str) -> bool:
    return len(text) == 10 and text[4] == "-" and text[7] == "-" and text.replace("-", "").isdigit()


def lifecycle_write(write_back: WriteBack, object_type: str, status: str,
                    crm_values: Mapping[str, Any], fields: Mapping[str, Any]) -> tuple[str, str] | None:
    """(field, MQL value) when the lifecycle field must move to MQL, else None. Forward only."""
    lifecycle = write_back.lifecycle
    if lifecycle is None or status != "mql":
        return None
    name = lifecycle.field_for(object_type)
    if not name:
        return None
    current = crm_values[name] if name in crm_values else fields.get("lifecycle_stage")
    if not is_empty(current):
        text = str(current).strip()
        if text == lifecycle.mql_value or text in lifecycle.protected:
            return None
    return name, lifecycle.mql_value


def plan_writes(write_back: WriteBack, object_type: str, score: Mapping[str, Any],
                crm_values: Mapping[str, Any], fields: Mapping[str, Any]) -> dict[str, Value]:
    """CRM field -> value for every field whose desired value differs from the CRM's current one."""
    desired = desired_values(score)
    writes: dict[str, Value] = {}
    for output, crm_field in write_back.fields.mapping().items():
        value = desired[output]
        if not same_value(crm_values.get(crm_field), value):
            writes[crm_field] = value
    move = lifecycle_write(write_back, object_type, str(desired["status"]), crm_values, fields)
    if move is not None:
        writes[move[0]] = move[1]
    return writes


def already_applied(values: Mapping[str, Value], crm_values: Mapping[str, Any]) -> bool:
    """Whether the CRM holds every value of a write intent already (a replay would change nothing)."""
    return all(same_value(crm_values.get(name), value) for name, value in values.items())
