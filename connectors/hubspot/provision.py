"""``crmsync provision`` on HubSpot: the ``crmsync`` property group and the write-back properties.

Idempotent: existing properties are checked (type and options), missing ones created (409 = exists).
The lifecycle property is checked for the tenant's MQL value; it is never created or changed.
"""

from __future__ import annotations

from typing import Any

from config.models import GRADE_LETTERS, STATUSES, Tenant
from connectors.base import ProvisionItem
from connectors.hubspot.client import HubSpotClient
from connectors.hubspot.mapping import OBJECT_TYPE, lifecycle_field, write_fields

GROUP = "crmsync"
OBJECT = "contacts"

_LABELS = {"fit": "Fit score", "engagement": "Engagement score", "score": "Lead score", "grade": "Lead grade",
           "status": "Lead status (crmsync)", "mql_reason": "MQL reason", "mql_at": "MQL date"}


def _options(values: tuple[str, ...]) -> list[dict[str, Any]]:
    return [{"label": v.capitalize() if len(v) > 1 else v, "value": v, "hidden": False, "displayOrder": i}
            for i, v in enumerate(values)]


def property_spec(output: str, name: str) -> dict[str, Any]:
    """The HubSpot property definition of one write-back output (CONTRACT.md section 2b)."""
    spec: dict[str, Any] = {"name": name, "label": _LABELS[output], "groupName": GROUP}
    if output in ("fit", "engagement", "score"):
        spec.update(type="number", fieldType="number")
    elif output == "grade":
        spec.update(type="enumeration", fieldType="select", options=_options(GRADE_LETTERS))
    elif output == "status":
        spec.update(type="enumeration", fieldType="select", options=_options(STATUSES))
    elif output == "mql_reason":
        spec.update(type="string", fieldType="textarea")
    else:
        spec.update(type="date", fieldType="date")
    return spec


def provision(client: HubSpotClient, tenant: Tenant, *, apply: bool) -> list[ProvisionItem]:
    items = [_group(client, apply)]
    existing = {p["name"]: p for p in client.properties(OBJECT).data.get("results") or () if p.get("name")}
    for output, name in write_fields(tenant).items():
        items.append(_property(client, output, name, existing.get(name), apply))
    lifecycle = lifecycle_field(tenant)
    if lifecycle and tenant.write_back.lifecycle:
        items.append(_lifecycle(lifecycle, tenant.write_back.lifecycle.mql_value, existing.get(lifecycle)))
    return items


def _group(client: HubSpotClient, apply: bool) -> ProvisionItem:
    groups = {g.get("name") for g in client.groups(OBJECT).data.get("results") or ()}
    if GROUP in groups:
        return ProvisionItem(OBJECT_TYPE, f"group {GROUP}", "exists")
    if not apply:
        return ProvisionItem(OBJECT_TYPE, f"group {GROUP}", "missing", "property group to create")
    answer = client.create_group(OBJECT, {"name": GROUP, "label": "crmsync", "displayOrder": -1})
    return ProvisionItem(OBJECT_TYPE, f"group {GROUP}", "exists" if answer.status == 409 else "created")


def _property(client: HubSpotClient, output: str, name: str, current: dict[str, Any] | None,
              apply: bool) -> ProvisionItem:
    spec = property_spec(output, name)
    if current is None:
        if not apply:
            return ProvisionItem(OBJECT_TYPE, name, "missing", f"{spec['type']} ({spec['fieldType']}) for {output}")
        answer = client.create_property(OBJECT, spec)
        if answer.status == 409:
            return ProvisionItem(OBJECT_TYPE, name, "exists", "created meanwhile by someone else")
        return ProvisionItem(OBJECT_TYPE, name, "created", f"{spec['type']} ({spec['fieldType']}) for {output}")
    problem = _difference(spec, current)
    if problem:
        return ProvisionItem(OBJECT_TYPE, name, "wrong", problem)
    if (current.get("modificationMetadata") or {}).get("readOnlyValue"):
        return ProvisionItem(OBJECT_TYPE, name, "not_updateable", "the property is read-only")
    return ProvisionItem(OBJECT_TYPE, name, "exists", f"{spec['type']} for {output}")


def _difference(spec: dict[str, Any], current: dict[str, Any]) -> str:
    if current.get("type") != spec["type"]:
        return f"type is {current.get('type')}, crmsync writes {spec['type']}: change it or map another property"
    if spec["type"] == "enumeration":
        have = {o.get("value") for o in current.get("options") or ()}
        missing = [o["value"] for o in spec["options"] if o["value"] not in have]
        if missing:
            return f"options lack {', '.join(missing)}: add them in HubSpot's property settings"
    return ""


def _lifecycle(name: str, mql_value: str, current: dict[str, Any] | None) -> ProvisionItem:
    if current is None:
        return ProvisionItem(OBJECT_TYPE, name, "missing", "the lifecycle property does not exist")
    values = [o.get("value") for o in current.get("options") or ()]
    if current.get("type") == "enumeration" and mql_value not in values:
        return ProvisionItem(OBJECT_TYPE, name, "missing",
                             f"option {mql_value!r} is not among {', '.join(map(str, values))}")
    return ProvisionItem(OBJECT_TYPE, name, "exists", f"option {mql_value!r} present")
