"""Turn a generated :class:`~sandbox.generate.Dataset` into HubSpot object tables, associations and events."""

from __future__ import annotations

import random
from array import array
from dataclasses import dataclass

from sandbox import generate, vocab
from sandbox.generate import Dataset, Engagements
from sandbox.hubspot.columns import DerivedColumn, NumberColumn, TextColumn, TimeColumn
from sandbox.hubspot.schema import BUILTIN_PROPERTIES, OBJECT_TYPES
from sandbox.hubspot.table import ObjectTable

_OWNER_IDS = tuple(o[0] for o in vocab.OWNERS)
_MEETING_MS = 30 * 60_000


@dataclass
class Seeded:
    tables: dict[str, ObjectTable]
    contact_company: array[int]                 # contact row -> company row, -1 = none
    engagement_contact: dict[str, array[int]]   # engagement type -> (engagement row -> contact row)
    events: Engagements                         # page views: person = contact row, kind = page code


def _numbers(values: array[int]) -> NumberColumn:
    return NumberColumn(array("d", values))


def _times(values: array[int]) -> TimeColumn:
    """Adopts a generated epoch-ms array as is (no copy: the dataset is not used after seeding)."""
    return TimeColumn(values if values.typecode == "q" else array("q", values))


def seed_portal(data: Dataset, rng: random.Random) -> Seeded:
    tables = {name: ObjectTable(t, BUILTIN_PROPERTIES[name]) for name, t in OBJECT_TYPES.items()}
    tables["companies"] = _companies(data)
    tables["contacts"] = _contacts(data)
    engagement_contact: dict[str, array[int]] = {}
    for name, eng in (("meetings", data.meetings), ("calls", data.calls), ("emails", data.emails)):
        tables[name] = _engagements(name, eng, data.now_ms)
        engagement_contact[name] = array("i", eng.person)
    for name in ("notes", "tasks"):
        engagement_contact[name] = array("i")
    contact_company = array("i", (c if m == generate.MAIL_CORPORATE else -1
                                  for c, m in zip(data.people.company, data.people.mail, strict=True)))
    _archive_some(tables["contacts"], rng)
    return Seeded(tables, contact_company, engagement_contact, data.page_views)


def _companies(data: Dataset) -> ObjectTable:
    comps = data.companies
    table = ObjectTable(OBJECT_TYPES["companies"], BUILTIN_PROPERTIES["companies"], comps.n)
    cols = table.columns
    cols["name"] = TextColumn.from_codes(comps.names, range(comps.n))
    cols["domain"] = TextColumn.from_codes(comps.domains, range(comps.n))
    cols["industry"] = TextColumn.from_codes(generate.INDUSTRY_VALUES, comps.industry)
    cols["country"] = TextColumn.from_codes(generate.COUNTRY_VALUES, comps.country)
    cols["numberofemployees"] = _numbers(comps.employees)
    cols["annualrevenue"] = _numbers(comps.revenue)
    cols["createdate"] = _times(comps.created)
    cols["hs_lastmodifieddate"] = _times(array("q", (c + 86_400_000 * (i % 30) for i, c in enumerate(comps.created))))
    return table


def _contacts(data: Dataset) -> ObjectTable:
    p = data.people
    n = p.n
    table = ObjectTable(OBJECT_TYPES["contacts"], BUILTIN_PROPERTIES["contacts"], n)
    cols = table.columns
    cols["email"] = DerivedColumn(p.email, n)
    cols["firstname"] = TextColumn.from_codes(vocab.FIRST_NAMES, p.first)
    cols["lastname"] = TextColumn.from_codes(vocab.LAST_NAMES, p.last)
    cols["jobtitle"] = TextColumn.from_codes(generate.TITLE_VALUES, p.title)
    comp_names = [*p.companies.names, *(c for c, _ in vocab.COMPETITORS)]
    n_comp = p.companies.n
    cols["company"] = TextColumn.from_codes(comp_names, (
        n_comp + p.mail_domain[i] if p.mail[i] == generate.MAIL_COMPETITOR else p.company[i] for i in range(n)))
    # A third of the contacts with a company carry its industry on the contact record too.
    industry_text = tuple(v.replace("_", " ").title() for v in generate.INDUSTRY_VALUES)
    cols["industry"] = TextColumn.from_codes(industry_text, (
        p.companies.industry[p.company[i]] if p.company[i] >= 0 and i % 3 == 0 else -1 for i in range(n)))
    cols["country"] = TextColumn.from_codes(generate.COUNTRY_VALUES, p.country)
    cols["lifecyclestage"] = TextColumn.from_codes(generate.STAGE_VALUES, p.stage)
    cols["hs_lead_status"] = TextColumn.from_codes(vocab.LEAD_STATUSES, p.lead_status)
    cols["hubspot_owner_id"] = TextColumn.from_codes(_OWNER_IDS, p.owner)
    cols["hs_analytics_source"] = TextColumn.from_codes(generate.SOURCE_VALUES, p.source)
    cols["createdate"] = _times(p.created)
    cols["lastmodifieddate"] = _times(p.modified)
    cols["hs_analytics_num_page_views"] = _numbers(p.page_views)
    cols["hs_analytics_num_visits"] = _numbers(p.visits)
    cols["hs_analytics_last_visit_timestamp"] = _times(p.last_visit)
    cols["hs_email_delivered"] = _numbers(p.delivered)
    cols["hs_email_open"] = _numbers(p.opens)
    cols["hs_email_click"] = _numbers(p.clicks)
    cols["hs_email_last_open_date"] = _times(p.last_open)
    cols["hs_email_last_click_date"] = _times(p.last_click)
    cols["num_conversion_events"] = _numbers(p.conversions)
    cols["num_unique_conversion_events"] = _numbers(array("H", (
        0 if c == 0 else (1 if f == r else 2) for c, f, r in zip(p.conversions, p.first_form, p.recent_form,
                                                                   strict=True))))
    cols["first_conversion_event_name"] = TextColumn.from_codes(generate.FORM_VALUES, p.first_form)
    cols["first_conversion_date"] = _times(p.first_conversion)
    cols["recent_conversion_event_name"] = TextColumn.from_codes(generate.FORM_VALUES, p.recent_form)
    cols["recent_conversion_date"] = _times(p.recent_conversion)
    return table


def _engagements(name: str, eng: Engagements, now: int) -> ObjectTable:
    n = len(eng)
    table = ObjectTable(OBJECT_TYPES[name], BUILTIN_PROPERTIES[name], n)
    cols = table.columns
    cols["hs_timestamp"] = _times(eng.at)
    cols["hs_createdate"] = _times(array("q", (t - 86_400_000 for t in eng.at)))
    cols["hs_lastmodifieddate"] = _times(array("q", (min(t + 60_000 * (i % 7), now)      # never in the future
                                                    for i, t in enumerate(eng.at))))
    cols["hubspot_owner_id"] = TextColumn.from_codes(_OWNER_IDS, eng.owner)
    if name == "meetings":
        cols["hs_meeting_title"] = TextColumn.from_codes(vocab.MEETING_TITLES, eng.kind)
        cols["hs_meeting_outcome"] = TextColumn.from_codes(vocab.MEETING_OUTCOMES, eng.outcome)
        cols["hs_meeting_start_time"] = TimeColumn(array("q", eng.at))
        cols["hs_meeting_end_time"] = _times(array("q", (t + _MEETING_MS for t in eng.at)))
    elif name == "calls":
        cols["hs_call_direction"] = TextColumn.from_codes(("OUTBOUND", "INBOUND"), eng.kind)
        cols["hs_call_status"] = TextColumn.from_codes(vocab.CALL_STATUSES, eng.outcome)
        cols["hs_call_duration"] = _numbers(array("q", (
            (30_000 + (i * 7919) % 900_000) if eng.outcome[i] == 0 else 0 for i in range(n))))
        guids = tuple(g for g, _ in vocab.CALL_DISPOSITIONS)
        cols["hs_call_disposition"] = TextColumn.from_codes(guids, (
            0 if eng.outcome[i] == 0 else 1 + i % (len(guids) - 1) for i in range(n)))
        cols["hs_call_body"] = TextColumn.from_codes(vocab.CALL_BODIES, (i % len(vocab.CALL_BODIES) for i in range(n)))
        cols["hs_call_title"] = TextColumn.from_codes(("Call",), (0 for _ in range(n)))
    elif name == "emails":
        cols["hs_email_direction"] = TextColumn.from_codes(("EMAIL", "INCOMING_EMAIL"), eng.kind)
        cols["hs_email_status"] = TextColumn.from_codes(("BOUNCED", "FAILED", "SCHEDULED", "SENDING", "SENT"),
                                                        eng.outcome)
        subjects = (*vocab.EMAIL_SUBJECTS_OUT, *vocab.EMAIL_SUBJECTS_IN)
        n_out, n_in = len(vocab.EMAIL_SUBJECTS_OUT), len(vocab.EMAIL_SUBJECTS_IN)
        cols["hs_email_subject"] = TextColumn.from_codes(subjects, (
            n_out + i % n_in if eng.kind[i] else i % n_out for i in range(n)))
        cols["hs_email_text"] = TextColumn.from_codes(("Hi, thanks for getting back to me.",
                                                       "Hello, following up as promised."),
                                                      (1 - eng.kind[i] for i in range(n)))
    return table


def _archive_some(contacts: ObjectTable, rng: random.Random) -> None:
    """Archive ~0.5% of contacts and merge ~0.3% into another contact (the loser is archived)."""
    n = contacts.size
    if n < 20:
        return
    modified = contacts.time_column("lastmodifieddate").values
    merged = contacts.column("hs_merged_object_ids")
    for _ in range(max(1, n // 200)):
        row = rng.randrange(n)
        contacts.archived[row] = 1
        contacts.archived_at[row] = int(modified[row]) + 1000
    for _ in range(max(1, n // 300)):
        winner, loser = rng.randrange(n), rng.randrange(n)
        if winner == loser or contacts.archived[winner] or contacts.archived[loser]:
            continue
        contacts.archived[loser] = 1
        contacts.archived_at[loser] = int(max(modified[winner], modified[loser]))
        old = merged.get(winner)
        merged.set(winner, f"{old};{contacts.id_of(loser)}" if old else contacts.id_of(loser))
