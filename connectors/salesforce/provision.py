"""Provision on Salesforce only CHECKS: custom fields are created by an admin, not by crmsync.

For every object in ``crm.people``: each write-back field exists and is updateable; the lifecycle
field (if mapped for the object) exists and the MQL value is one of its picklist values.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from config.models import Tenant
from connectors.base import ProvisionItem
from connectors.salesforce import mapping


def check_object(tenant: Tenant, object_type: str, describe: Mapping[str, Any]) -> list[ProvisionItem]:
    fields = {str(f.get("name", "")).lower(): f for f in describe.get("fields") or ()}
    items: list[ProvisionItem] = []
    for output, crm_field in mapping.write_fields(tenant).items():
        found = fields.get(crm_field.lower())
        if found is None:
            items.append(ProvisionItem(object_type, crm_field, "missing",
                                       f"{object_type}.{crm_field} (for {output}) does not exist: create it "
                                       "in Setup > Object Manager, or change write_back.fields"))
        elif not found.get("updateable"):
            items.append(ProvisionItem(object_type, crm_field, "not_updateable",
                                       f"{object_type}.{crm_field} is read-only for the integration user: "
                                       "grant edit access in its field-level security"))
        else:
            items.append(ProvisionItem(object_type, crm_field, "exists", f"{found.get('type')}"))
    lifecycle = mapping.lifecycle_field(tenant, object_type)
    if lifecycle and tenant.write_back.lifecycle is not None:
        items.append(_check_lifecycle(object_type, lifecycle, tenant.write_back.lifecycle.mql_value,
                                      fields.get(lifecycle.lower())))
    return items


def _check_lifecycle(object_type: str, name: str, mql_value: str,
                     found: Mapping[str, Any] | None) -> ProvisionItem:
    if found is None:
        return ProvisionItem(object_type, name, "missing",
                             f"lifecycle field {object_type}.{name} does not exist: fix write_back.lifecycle.field")
    if not found.get("updateable"):
        return ProvisionItem(object_type, name, "not_updateable",
                             f"lifecycle field {object_type}.{name} is read-only for the integration user")
    values = [str(v.get("value")) for v in found.get("picklistValues") or () if v.get("active", True)]
    if found.get("type") in ("picklist", "multipicklist") and mql_value not in values:
        return ProvisionItem(object_type, name, "wrong",
                             f"{mql_value!r} is not an active value of {object_type}.{name} "
                             f"(values: {', '.join(values)}): fix write_back.lifecycle.mql_value or add it")
    return ProvisionItem(object_type, name, "exists", f"lifecycle field, {found.get('type')}")
