"""A stored person's scoring inputs, built exactly as the cycle builds them.

Fields are the person's, with empty ``industry``/``employees``/``annual_revenue``/``country`` filled from
its (live) company; activities are its live ones, oldest first then by id (a stable input order); the
previous state is its stored score's status and ``mql_at`` (sticky MQL). ``crmsync sync``, ``explain``
and ``preview`` all evaluate what :func:`scoring_inputs` returns, so the three agree.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from scoring import Activity, Previous, fill_from_company
from sync.diff import as_utc
from sync.store import DuePerson, TenantStore


@dataclass(frozen=True, slots=True)
class ScoringInput:
    """What ``evaluate`` takes for one person; ``company`` is the company row that filled the fields."""

    id: str
    fields: dict[str, Any]
    activities: list[Activity]
    previous: Previous | None
    company: Mapping[str, Any] | None


def scoring_inputs(ts: TenantStore, persons: Sequence[DuePerson]) -> list[ScoringInput]:
    """The inputs of these persons, in their order: two reads (activities, companies) for the lot."""
    acts = ts.activities_for([p.id for p in persons])
    companies = ts.companies_for([p.company_id for p in persons if p.company_id])
    out = []
    for person in persons:
        company = companies.get(person.company_id) if person.company_id else None
        fields = fill_from_company(person.fields, company) if company is not None else dict(person.fields)
        activities = [Activity(a["type"], as_utc(a["at"]), dict(a["attributes"] or {}), id=a["id"])
                      for a in acts[person.id]]
        previous = (Previous(person.previous_status, person.previous_mql_at)
                    if person.previous_status is not None else None)
        out.append(ScoringInput(person.id, fields, activities, previous, company))
    return out


def due_person(person: Mapping[str, Any], score: Mapping[str, Any] | None) -> DuePerson:
    """A stored person row and its score row (see ``TenantStore.live_persons``) as the cycle reads them."""
    return DuePerson(person["id"], person["object_type"], person["fields"] or {}, person["company_id"],
                     person["input_hash"], score["status"] if score else None, score["mql_at"] if score else None)
