"""The seeded generator: reproducible by seed, realistic mix, compact storage."""

from __future__ import annotations

from sandbox import vocab
from sandbox.generate import MAIL_COMPETITOR, MAIL_FREE, STAGE_VALUES, TITLE_VALUES, generate

NOW_MS = 1_780_000_000_000


def test_same_seed_same_data() -> None:
    a, b = generate(5, 2000, now=NOW_MS), generate(5, 2000, now=NOW_MS)
    assert [a.people.email(i) for i in range(2000)] == [b.people.email(i) for i in range(2000)]
    assert a.people.modified == b.people.modified
    assert a.companies.names == b.companies.names
    assert a.meetings.at == b.meetings.at
    assert a.page_views.person == b.page_views.person


def test_other_seed_other_data() -> None:
    a, b = generate(5, 500, now=NOW_MS), generate(6, 500, now=NOW_MS)
    assert [a.people.email(i) for i in range(500)] != [b.people.email(i) for i in range(500)]


def test_emails_unique_and_mix_is_b2b() -> None:
    data = generate(3, 5000, now=NOW_MS)
    people = data.people
    emails = [people.email(i) for i in range(people.n)]
    assert len(set(emails)) == len(emails)
    free = sum(1 for m in people.mail if m == MAIL_FREE)
    competitors = sum(1 for m in people.mail if m == MAIL_COMPETITOR)
    assert 0.08 < free / people.n < 0.3
    assert competitors > 0
    assert any(e.endswith("@gmail.com") for e in emails)
    students = [i for i in range(people.n) if TITLE_VALUES[people.title[i]] in vocab.STUDENT_TITLES]
    assert students
    assert sum(people.mail[i] == MAIL_FREE for i in students) / len(students) > 0.6
    stages = {STAGE_VALUES[s] for s in people.stage}
    assert {"lead", "marketingqualifiedlead", "salesqualifiedlead", "customer"} <= stages


def test_engagement_spread_over_past_year_and_consistent() -> None:
    data = generate(4, 3000, now=NOW_MS)
    people = data.people
    year = 365 * 86_400_000
    for i in range(people.n):
        assert people.created[i] <= people.modified[i] <= NOW_MS
        assert people.clicks[i] <= people.opens[i] <= people.delivered[i]
        if people.page_views[i]:
            assert NOW_MS - year <= people.last_visit[i] <= NOW_MS
    # one page-view event per counted view, sorted by time
    assert len(data.page_views) == sum(people.page_views)
    assert list(data.page_views.at) == sorted(data.page_views.at)
    demo = generate_demo_count(data)
    assert demo > 0
    assert all(NOW_MS - year <= t <= NOW_MS for t in data.meetings.at)


def generate_demo_count(data: object) -> int:
    from sandbox.generate import FORM_VALUES, Dataset
    assert isinstance(data, Dataset)
    demo = FORM_VALUES.index(vocab.DEMO_REQUEST_FORM)
    return sum(1 for f in data.people.recent_form if f == demo)
