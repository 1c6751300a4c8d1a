from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from config import Tenant
from sync.plan import desired_values, plan_writes, same_value

SCORE: dict[str, Any] = {"fit": 35, "engagement": 40, "score": 75, "grade": "B", "status": "mql",
                         "mql_at": date(2026, 11, 2), "mql_reason": "Fit 35: Senior title +35."}
HELD = {"crmsync_fit_score": "35", "crmsync_engagement_score": "40.0", "crmsync_score": "75",
        "crmsync_grade": "B", "crmsync_status": "mql", "crmsync_mql_date": "2026-11-02",
        "crmsync_mql_reason": "Fit 35: Senior title +35.", "lifecyclestage": "marketingqualifiedlead"}


def test_values_per_contract() -> None:
    assert desired_values(SCORE) == {"fit": 35, "engagement": 40, "score": 75, "grade": "B", "status": "mql",
                                     "mql_reason": "Fit 35: Senior title +35.", "mql_at": "2026-11-02"}
    lead = dict(SCORE, status="lead", mql_at=None, grade=None, mql_reason="")
    assert desired_values(lead)["mql_at"] is None
    assert desired_values(lead)["grade"] is None


def test_nothing_written_when_crm_holds_the_values(tenant: Tenant) -> None:
    assert plan_writes(tenant.write_back, "contact", SCORE, HELD, {}) == {}


def test_only_differences_are_written(tenant: Tenant) -> None:
    held = dict(HELD, crmsync_score="74", crmsync_mql_date="2026-11-02T00:00:00.000Z")
    assert plan_writes(tenant.write_back, "contact", SCORE, held, {}) == {"crmsync_score": 75}


@pytest.mark.parametrize(("current", "expected"), [
    (None, "marketingqualifiedlead"),            # empty is not protected
    ("", "marketingqualifiedlead"),
    ("lead", "marketingqualifiedlead"),
    ("subscriber", "marketingqualifiedlead"),
    ("marketingqualifiedlead", None),
    ("salesqualifiedlead", None),               # protected: forward only, never back from sales stages
    ("customer", None),
    ("opportunity", None),
])
def test_lifecycle_forward_only(tenant: Tenant, current: str | None, expected: str | None) -> None:
    held = dict(HELD, lifecyclestage=current)
    writes = plan_writes(tenant.write_back, "contact", SCORE, held, {})
    assert writes.get("lifecyclestage") == expected


def test_lifecycle_untouched_unless_mql(tenant: Tenant) -> None:
    lead = dict(SCORE, status="engaged", mql_at=None)
    writes = plan_writes(tenant.write_back, "contact", lead, dict(HELD, lifecyclestage="lead"), {})
    assert "lifecyclestage" not in writes
    assert writes["crmsync_status"] == "engaged"
    assert writes["crmsync_mql_date"] is None                 # cleared


@pytest.mark.parametrize(("current", "desired", "same"), [
    ("72", 72, True), (72.0, 72, True), ("72.5", 72, False), (None, None, True), ("", None, True),
    ("x", None, False), ("2026-11-02", "2026-11-02", True), ("1793577600000", "2026-11-02", True),
    ("A", "A", True), ("a", "A", False), ("line\r\nnext", "line\nnext", True),
])
def test_same_value(current: object, desired: Any, same: bool) -> None:
    assert same_value(current, desired) is same
