"""Company fields fill a person's empty ones (CONTRACT.md section 3)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from scoring.predicates import is_empty

COMPANY_FIELDS = ("industry", "employees", "annual_revenue", "country")


def fill_from_company(person_fields: Mapping[str, Any], company_fields: Mapping[str, Any] | None) -> dict[str, Any]:
    """A copy of the person's fields where each empty company field (industry, employees, annual_revenue,
    country) is taken from the company, when the company has a value."""
    merged = dict(person_fields)
    if not company_fields:
        return merged
    for name in COMPANY_FIELDS:
        if is_empty(merged.get(name)) and not is_empty(company_fields.get(name)):
            merged[name] = company_fields[name]
    return merged
