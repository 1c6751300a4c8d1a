"""Seeded, reproducible B2B data for the emulators: companies, people and their past engagement.

CRM-neutral and columnar: every attribute is one ``array`` (small integer codes into the tuples of
:mod:`sandbox.vocab`, or epoch milliseconds), so a million people cost tens of megabytes, not gigabytes.
The same ``seed`` and ``now_ms`` always give the same data. Each emulator maps these columns to its own
objects and field names (HubSpot contacts/companies/engagements, Salesforce leads/contacts/tasks...).
"""

from __future__ import annotations

import random
import time
from array import array
from dataclasses import dataclass, field
from itertools import accumulate

from sandbox import vocab

DAY_MS = 86_400_000
YEAR_MS = 365 * DAY_MS

INDUSTRY_VALUES: tuple[str, ...] = tuple(v for v, _ in vocab.INDUSTRIES)
COUNTRY_VALUES: tuple[str, ...] = tuple(v for v, _ in vocab.COUNTRIES)
TITLE_VALUES: tuple[str, ...] = tuple(v for v, _ in vocab.TITLES)
SOURCE_VALUES: tuple[str, ...] = tuple(v for v, _ in vocab.SOURCES)
STAGE_VALUES: tuple[str, ...] = tuple(v for v, _ in vocab.LIFECYCLE_STAGES)
FORM_VALUES: tuple[str, ...] = tuple(v for v, _ in vocab.FORMS)
PAGE_PATHS: tuple[str, ...] = tuple(p for p, _, _ in vocab.PAGES)
PAGE_TITLES: tuple[str, ...] = tuple(t for _, t, _ in vocab.PAGES)

MAIL_CORPORATE, MAIL_FREE, MAIL_COMPETITOR = 0, 1, 2
_STUDENT_CODES = frozenset(i for i, t in enumerate(TITLE_VALUES) if t in vocab.STUDENT_TITLES)
_SALES_STAGE_CODES = frozenset(i for i, s in enumerate(STAGE_VALUES) if s in vocab.SALES_STAGES)
_TLD_BY_COUNTRY = {"Germany": "de", "France": "fr", "United Kingdom": "co.uk", "Netherlands": "nl",
                   "Sweden": "se", "Spain": "es", "Italy": "it", "Switzerland": "ch", "Poland": "pl"}


def now_ms() -> int:
    return int(time.time() * 1000)


def _cum(weights: tuple[int, ...] | list[int]) -> list[int]:
    return list(accumulate(weights))


@dataclass(frozen=True)
class Companies:
    """``n`` companies, one entry per column and company (index = company number)."""

    names: list[str]
    domains: list[str]
    industry: array[int]          # code into INDUSTRY_VALUES
    employees: array[int]
    revenue: array[int]           # annual revenue in USD
    country: array[int]           # code into COUNTRY_VALUES
    created: array[int]           # epoch ms

    @property
    def n(self) -> int:
        return len(self.names)


@dataclass(frozen=True)
class Engagements:
    """One kind of engagement (meetings, calls or emails): who, when and a few typed codes."""

    person: array[int] = field(default_factory=lambda: array("i"))
    at: array[int] = field(default_factory=lambda: array("q"))
    kind: array[int] = field(default_factory=lambda: array("B"))      # title/direction code
    outcome: array[int] = field(default_factory=lambda: array("B"))   # outcome/status code
    owner: array[int] = field(default_factory=lambda: array("b"))     # code into OWNERS, -1 none

    def add(self, person: int, at: int, kind: int, outcome: int, owner: int) -> None:
        self.person.append(person)
        self.at.append(at)
        self.kind.append(kind)
        self.outcome.append(outcome)
        self.owner.append(owner)

    def __len__(self) -> int:
        return len(self.person)


@dataclass(frozen=True)
class People:
    """``n`` people with fit attributes and rolled-up engagement. Codes index the vocab tuples; -1 = none."""

    first: array[int]
    last: array[int]
    title: array[int]
    company: array[int]           # company number, -1 = none
    mail: array[int]              # MAIL_CORPORATE | MAIL_FREE | MAIL_COMPETITOR
    mail_domain: array[int]       # free-mail or competitor index (by `mail`), unused for corporate
    mail_suffix: array[int]       # 0, or a number that keeps the address unique
    country: array[int]
    source: array[int]
    stage: array[int]
    lead_status: array[int]       # code into LEAD_STATUSES, -1 = none
    owner: array[int]             # code into OWNERS, -1 = none
    created: array[int]
    modified: array[int]
    page_views: array[int]
    visits: array[int]
    last_visit: array[int]        # 0 = never
    delivered: array[int]
    opens: array[int]
    clicks: array[int]
    last_open: array[int]
    last_click: array[int]
    conversions: array[int]
    first_form: array[int]        # code into FORM_VALUES, -1 = none
    first_conversion: array[int]
    recent_form: array[int]
    recent_conversion: array[int]
    companies: Companies

    @property
    def n(self) -> int:
        return len(self.first)

    def email(self, i: int) -> str:
        first = vocab.FIRST_NAMES[self.first[i]].lower().replace(" ", "")
        last = vocab.LAST_NAMES[self.last[i]].lower().replace(" ", "")
        kind = self.mail[i]
        if kind == MAIL_FREE:
            domain = vocab.FREE_MAIL_DOMAINS[self.mail_domain[i]]
            local = f"{first}.{last}"
        elif kind == MAIL_COMPETITOR:
            domain = vocab.COMPETITORS[self.mail_domain[i]][1]
            local = f"{first}.{last}"
        else:
            domain = self.companies.domains[self.company[i]]
            local = f"{first}.{last}"
        suffix = self.mail_suffix[i]
        return f"{local}{suffix}@{domain}" if suffix else f"{local}@{domain}"

    def company_name(self, i: int) -> str | None:
        if self.mail[i] == MAIL_COMPETITOR:
            return vocab.COMPETITORS[self.mail_domain[i]][0]
        c = self.company[i]
        return self.companies.names[c] if c >= 0 else None


@dataclass(frozen=True)
class Dataset:
    """Everything one account starts with."""

    companies: Companies
    people: People
    meetings: Engagements
    calls: Engagements
    emails: Engagements              # kind: 0 outgoing, 1 incoming
    page_views: Engagements          # kind: code into PAGE_PATHS; sorted by `at`
    now_ms: int


def generate_companies(rng: random.Random, n: int, now: int) -> Companies:
    names: list[str] = []
    domains: list[str] = []
    seen: set[str] = set()
    ind_cum = _cum([w for _, w in vocab.INDUSTRIES])
    band_cum = _cum([w for _, _, w in vocab.EMPLOYEE_BANDS])
    country_cum = _cum([w for _, w in vocab.COUNTRIES])
    industry = array("B", rng.choices(range(len(INDUSTRY_VALUES)), cum_weights=ind_cum, k=n))
    country = array("B", rng.choices(range(len(COUNTRY_VALUES)), cum_weights=country_cum, k=n))
    employees = array("i")
    revenue = array("q")
    created = array("q")
    for i in range(n):
        prefix = rng.choice(vocab.COMPANY_PREFIXES)
        core = rng.choice(vocab.COMPANY_CORES)
        base = f"{prefix} {core}"
        slug = f"{prefix}{core}".lower()
        k = 1
        while slug + ("" if k == 1 else str(k)) in seen:
            k += 1
        slug = slug + ("" if k == 1 else str(k))
        seen.add(slug)
        if k > 1:
            base = f"{base} {k}"
        names.append(f"{base} {rng.choice(vocab.COMPANY_SUFFIXES)}")
        tld = _TLD_BY_COUNTRY.get(COUNTRY_VALUES[country[i]], rng.choice(("com", "com", "io")))
        domains.append(f"{slug}.{tld}")
        low, high, _ = vocab.EMPLOYEE_BANDS[rng.choices(range(len(vocab.EMPLOYEE_BANDS)), cum_weights=band_cum)[0]]
        size = rng.randint(low, high)
        employees.append(size)
        revenue.append(int(size * rng.uniform(80_000, 320_000)) // 1000 * 1000)
        created.append(now - rng.randint(30 * DAY_MS, 3 * YEAR_MS))
    return Companies(names, domains, industry, employees, revenue, country, created)


def _recent(rng: random.Random, now: int, earliest: int) -> int:
    """A moment between ``earliest`` and ``now``, weighted toward the recent end."""
    span = max(now - earliest, 1)
    return now - int(span * rng.random() ** 2)


def generate(seed: int, people: int, *, companies: int | None = None, now: int | None = None,
             with_page_views: bool = True) -> Dataset:
    """Generate one account's data. ``companies`` defaults to one per eight people."""
    now = now_ms() if now is None else now
    rng = random.Random(seed)
    n_comp = max(1, people // 8) if companies is None else companies
    comps = generate_companies(rng, n_comp, now)
    out = _generate_people(rng, people, comps, now)
    meetings, calls, emails, views = Engagements(), Engagements(), Engagements(), Engagements()
    _generate_engagements(rng, out, now, meetings, calls, emails)
    if with_page_views:
        views = _generate_page_views(rng, out, now)
    return Dataset(comps, out, meetings, calls, emails, views, now)


def _generate_people(rng: random.Random, n: int, comps: Companies, now: int) -> People:
    title_cum = _cum([w for _, w in vocab.TITLES])
    source_cum = _cum([w for _, w in vocab.SOURCES])
    stage_cum = _cum([w for _, w in vocab.LIFECYCLE_STAGES])
    form_cum = _cum([w for _, w in vocab.FORMS])
    country_cum = _cum([w for _, w in vocab.COUNTRIES])
    demo = FORM_VALUES.index(vocab.DEMO_REQUEST_FORM)
    cols: dict[str, array[int]] = {
        "first": array("B", rng.choices(range(len(vocab.FIRST_NAMES)), k=n)),
        "last": array("B", rng.choices(range(len(vocab.LAST_NAMES)), k=n)),
        "title": array("B", rng.choices(range(len(TITLE_VALUES)), cum_weights=title_cum, k=n)),
        "source": array("B", rng.choices(range(len(SOURCE_VALUES)), cum_weights=source_cum, k=n)),
        "stage": array("B", rng.choices(range(len(STAGE_VALUES)), cum_weights=stage_cum, k=n)),
    }
    names = ("company", "mail", "mail_domain", "mail_suffix", "country", "lead_status", "owner", "created",
             "modified", "page_views", "visits", "last_visit", "delivered", "opens", "clicks", "last_open",
             "last_click", "conversions", "first_form", "first_conversion", "recent_form", "recent_conversion")
    codes = {"company": "i", "mail": "B", "mail_domain": "B", "mail_suffix": "I", "country": "B",
             "lead_status": "b", "owner": "b", "page_views": "H", "visits": "H", "delivered": "H", "opens": "H",
             "clicks": "H", "conversions": "B", "first_form": "b", "recent_form": "b"}
    for name in names:
        cols[name] = array(codes.get(name, "q"))
    taken: dict[tuple[int, int, int, int], int] = {}
    rand = rng.random
    for i in range(n):
        title = cols["title"][i]
        stage = cols["stage"][i]
        student = title in _STUDENT_CODES
        sales = stage in _SALES_STAGE_CODES
        r = rand()
        if r < 0.01 and not student:
            mail, mdom, company = MAIL_COMPETITOR, rng.randrange(len(vocab.COMPETITORS)), -1
        elif (student and r < 0.8) or r < 0.13:
            mail, mdom = MAIL_FREE, rng.randrange(len(vocab.FREE_MAIL_DOMAINS))
            company = rng.randrange(comps.n) if rand() < 0.4 and not student else -1
        else:
            mail, mdom, company = MAIL_CORPORATE, 0, rng.randrange(comps.n)
        key = (cols["first"][i], cols["last"][i], mail, company if mail == MAIL_CORPORATE else mdom)
        suffix = taken.get(key, 0)
        taken[key] = suffix + 1
        cols["company"].append(company)
        cols["mail"].append(mail)
        cols["mail_domain"].append(mdom)
        cols["mail_suffix"].append(suffix)
        if company >= 0 and rand() < 0.85:
            cols["country"].append(comps.country[company])
        else:
            cols["country"].append(rng.choices(range(len(COUNTRY_VALUES)), cum_weights=country_cum)[0])
        cols["lead_status"].append(rng.randrange(len(vocab.LEAD_STATUSES)) if rand() < 0.55 else -1)
        cols["owner"].append(rng.randrange(len(vocab.OWNERS)) if sales or rand() < 0.35 else -1)
        created = now - rng.randint(DAY_MS, 2 * YEAR_MS)
        active_from = max(created, now - YEAR_MS)
        heat = 2.5 if stage >= 2 else (0.4 if stage == 0 else 1.0)
        latest = created
        views = 0 if rand() < 0.4 else min(int(rng.expovariate(1 / (4 * heat))) + 1, 120)
        cols["page_views"].append(views)
        cols["visits"].append(max(1, views // rng.randint(1, 3)) if views else 0)
        last_visit = _recent(rng, now, active_from) if views else 0
        cols["last_visit"].append(last_visit)
        latest = max(latest, last_visit)
        delivered = rng.randint(0, 40) if rand() < 0.8 else 0
        opens = min(delivered, int(delivered * rand() * 0.6 * heat))
        clicks = min(opens, int(opens * rand() * 0.35))
        cols["delivered"].append(delivered)
        cols["opens"].append(opens)
        cols["clicks"].append(clicks)
        last_open = _recent(rng, now, active_from) if opens else 0
        last_click = max(active_from, last_open - rng.randint(0, 3 * DAY_MS)) if clicks else 0
        cols["last_open"].append(last_open)
        cols["last_click"].append(last_click)
        latest = max(latest, last_open, last_click)
        conversions = 0 if rand() < 0.35 else min(int(rng.expovariate(1 / (1.2 * heat))) + 1, 9)
        cols["conversions"].append(conversions)
        if conversions:
            first_form = rng.choices(range(len(FORM_VALUES)), cum_weights=form_cum)[0]
            first_at = created + rng.randint(0, 60_000)
            if conversions > 1:
                recent_form = demo if (heat > 1 and rand() < 0.25) else \
                    rng.choices(range(len(FORM_VALUES)), cum_weights=form_cum)[0]
                recent_at = _recent(rng, now, max(first_at, active_from))
            else:
                recent_form, recent_at = first_form, first_at
            latest = max(latest, recent_at)
        else:
            first_form, first_at, recent_form, recent_at = -1, 0, -1, 0
        cols["first_form"].append(first_form)
        cols["first_conversion"].append(first_at)
        cols["recent_form"].append(recent_form)
        cols["recent_conversion"].append(recent_at)
        cols["created"].append(created)
        cols["modified"].append(min(now, latest + rng.randint(0, 3_600_000)))
    return People(companies=comps, **cols)


def _generate_engagements(rng: random.Random, people: People, now: int, meetings: Engagements,
                          calls: Engagements, emails: Engagements) -> None:
    n_titles, n_outcomes = len(vocab.MEETING_TITLES), len(vocab.MEETING_OUTCOMES)
    n_status = len(vocab.CALL_STATUSES)
    rand = rng.random
    for i in range(people.n):
        stage = people.stage[i]
        if stage < 2 and rand() > 0.15:
            continue
        owner = people.owner[i]
        earliest = max(people.created[i], now - YEAR_MS)
        if rand() < (0.5 if stage >= 3 else 0.15):
            for _ in range(rng.randint(1, 3)):
                meetings.add(i, _recent(rng, now, earliest), rng.randrange(n_titles), rng.randrange(n_outcomes),
                             owner)
        if rand() < (0.6 if stage >= 2 else 0.2):
            for _ in range(rng.randint(1, 4)):
                calls.add(i, _recent(rng, now, earliest), int(rand() < 0.25), rng.randrange(n_status), owner)
        if rand() < 0.6:
            for _ in range(rng.randint(1, 5)):
                incoming = int(rand() < 0.3)
                emails.add(i, _recent(rng, now, earliest), incoming, 4, owner)   # status 4 = SENT


def _generate_page_views(rng: random.Random, people: People, now: int) -> Engagements:
    """One page-view event per counted view, the last one at the contact's last visit; sorted by time."""
    page_cum = _cum([w for _, _, w in vocab.PAGES])
    n_pages = len(PAGE_PATHS)
    person, at, page = array("i"), array("q"), array("B")
    for i in range(people.n):
        views = people.page_views[i]
        if not views:
            continue
        last = people.last_visit[i]
        earliest = max(people.created[i], now - YEAR_MS)
        pages = rng.choices(range(n_pages), cum_weights=page_cum, k=views)
        for k in range(views):
            person.append(i)
            at.append(last if k == views - 1 else earliest + int((last - earliest) * rng.random()))
            page.append(pages[k])
    order = sorted(range(len(at)), key=at.__getitem__)
    out = Engagements()
    out.person.extend(person[j] for j in order)
    out.at.extend(at[j] for j in order)
    out.kind.extend(page[j] for j in order)
    out.outcome.extend(bytes(len(order)))
    out.owner.extend(array("b", bytes(len(order))))
    return out
