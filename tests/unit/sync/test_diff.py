from __future__ import annotations

from datetime import UTC, datetime

from connectors.base import PersonRecord
from sync.diff import derive_activities, input_hash

AT = datetime(2026, 11, 1, tzinfo=UTC)


def person(**kw: object) -> PersonRecord:
    base: dict[str, object] = {"id": "1", "object_type": "contact", "modified_at": AT, "fields": {"title": "VP"}}
    base.update(kw)
    return PersonRecord(**base)  # type: ignore[arg-type]


def test_input_hash_ignores_crm_values_and_modified_date() -> None:
    a = person()
    b = person(modified_at=datetime(2026, 12, 1, tzinfo=UTC), crm_values={"crmsync_score": "50"},
               counters={"page_views": "3"})
    assert input_hash(a) == input_hash(b)
    assert input_hash(a) != input_hash(person(fields={"title": "CEO"}))
    assert input_hash(a) != input_hash(person(company_id="c1"))


def test_first_pull_counters_rise_from_zero() -> None:
    new = {"page_views": "3", "last_visit_at": "2026-10-30T10:00:00Z", "email_opens": 2, "email_clicks": None}
    out = derive_activities("7", None, new, AT)
    assert [d.id for d in out] == ["pv:7:1", "pv:7:2", "pv:7:3", "eo:7:1", "eo:7:2"]
    assert out[0].at == datetime(2026, 10, 30, 10, tzinfo=UTC)
    assert out[3].at == AT                       # no last-open date: the record's modified date


def test_rise_yields_only_new_numbers_and_repull_yields_nothing() -> None:
    old = {"page_views": "3"}
    new = {"page_views": "5", "last_visit_at": "1761900000000"}
    assert [d.id for d in derive_activities("7", old, new, AT)] == ["pv:7:4", "pv:7:5"]
    assert derive_activities("7", new, new, AT) == []
    assert derive_activities("7", new, {"page_views": "2"}, AT) == []      # a counter going down means nothing


def test_conversions_first_pull_each_once_same_event_once() -> None:
    two = {"first_conversion_name": "Ebook", "first_conversion_at": "2026-09-01T00:00:00Z",
           "recent_conversion_name": "Demo request", "recent_conversion_at": "2026-10-01T00:00:00Z"}
    out = derive_activities("7", None, two, AT)
    assert [(d.type, d.attributes["form"]) for d in out] == [("form_submission", "Ebook"),
                                                             ("form_submission", "Demo request")]
    same = {"first_conversion_name": "Demo", "first_conversion_at": "2026-10-01T00:00:00Z",
            "recent_conversion_name": "Demo", "recent_conversion_at": "2026-10-01T00:00:00Z"}
    assert len(derive_activities("7", None, same, AT)) == 1


def test_new_recent_conversion_counts_once_and_ids_are_stable() -> None:
    old = {"first_conversion_name": "Ebook", "first_conversion_at": "2026-09-01T00:00:00Z",
           "recent_conversion_name": "Ebook", "recent_conversion_at": "2026-09-01T00:00:00Z"}
    new = dict(old, recent_conversion_name="Demo", recent_conversion_at="2026-10-05T00:00:00Z")
    first = derive_activities("7", old, new, AT)
    assert [d.attributes["form"] for d in first] == ["Demo"]
    assert first == derive_activities("7", old, new, AT)
    assert derive_activities("7", new, new, AT) == []
