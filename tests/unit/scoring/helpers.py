"""Build scoring models from plain data (JSON is YAML, so the real tenant-file loader parses it)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from typing import Any

from config import parse_tenant
from scoring import Activity, Model, compile_model

AS_OF = date(2026, 11, 10)
MIDNIGHT = datetime(2026, 11, 10, tzinfo=UTC)


def model_from(scoring: dict[str, Any], reason_max_length: int = 1000, fields: dict[str, str] | None = None) -> Model:
    data: dict[str, Any] = {"tenant": "t", "crm": {"kind": "hubspot", "access_token": "test-token"},
                            "scoring": scoring}
    if fields:
        data["fields"] = fields
    tenant = parse_tenant(json.dumps(data))
    return compile_model(tenant.scoring, reason_max_length=reason_max_length)


def fit_model(when: dict[str, Any]) -> Model:
    """One fit rule ``R`` worth 1 point; the person matches it when ``evaluate(...).fit == 1``."""
    return model_from({"fit": [{"label": "R", "when": when, "points": 1}], "mql": {"fit_min": 50}},
                      fields={"tags": "hs_tags", "flag": "hs_flag"})


def page_view(days_ago: float, url: str = "https://x.example/pricing", id: str | None = None) -> Activity:
    return Activity("page_view", MIDNIGHT - timedelta(days=days_ago), {"url": url}, id)


def form(days_ago: float, name: str, id: str | None = None) -> Activity:
    return Activity("form_submission", MIDNIGHT - timedelta(days=days_ago), {"form": name}, id)
