"""The prepared parts of the outputs: fit and disqualify outcomes kept per combination of matching rules,
per-rule reason pieces and JSON entries (templates copied for each output), and ``breakdown_dicts``.

Whatever the engine prepared once and reuses, an output must be the same as one made from the evaluation's
values alone, and a caller changing an output must not change the next one.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import scoring.model
from scoring import Activity, Evaluation, Model, Previous, evaluate
from tests.unit.scoring.helpers import AS_OF, MIDNIGHT, model_from, page_view
from tests.unit.scoring.test_lazy_and_reference import RULES, UNBOUNDED, WINDOWED, activity, people, previous


def eager(evaluation: Evaluation) -> Evaluation:
    return Evaluation(evaluation.fit, evaluation.engagement, evaluation.score, evaluation.grade,
                      evaluation.status, evaluation.mql_at, evaluation.mql_reason, evaluation.breakdown,
                      evaluation.kept)


@settings(max_examples=150, deadline=None)
@given(st.sampled_from([WINDOWED, UNBOUNDED]), people, st.lists(activity, max_size=10), previous, st.booleans())
def test_breakdown_dicts_are_the_to_dict_breakdown(model: Model, fields: dict[str, Any], acts: list[Activity],
                                                   prev: Previous | None, reason_first: bool) -> None:
    evaluation = evaluate(model, fields, acts, AS_OF, prev)
    if reason_first:
        assert isinstance(evaluation.mql_reason, str)
    dicts = evaluation.breakdown_dicts()
    assert dicts == eager(evaluation).to_dict("p")["breakdown"] == evaluation.to_dict("p")["breakdown"]
    assert evaluation.breakdown_dicts() == eager(evaluation).breakdown_dicts() == dicts


def test_changing_an_output_changes_no_other() -> None:
    acts = [page_view(1, id="a"), page_view(3, id="b"), page_view(40, id="c"),
            Activity("form_submission", MIDNIGHT - timedelta(days=2), {"form": "Book a demo"})]
    fields = {"title": "VP Sales", "employees": 500}
    first = evaluate(WINDOWED, fields, acts, AS_OF)
    expected = eager(first).to_dict("p")
    for output in (first.to_dict("p"), first.breakdown_dicts()):
        breakdown = output["breakdown"] if isinstance(output, dict) else output
        assert {entry["kind"] for entry in breakdown} == {"fit", "engagement", "fast_track"}
        for entry in breakdown:
            entry["points"] = 999
            entry["label"] = "changed"
    assert first.to_dict("p") == expected
    assert evaluate(WINDOWED, fields, acts, AS_OF).to_dict("p") == expected
    student = evaluate(WINDOWED, {"title": "Student"}, [page_view(1)], AS_OF)
    student.breakdown_dicts()[-1]["count"] = 7
    assert student.breakdown_dicts()[-1] == {"kind": "disqualify", "label": "Student", "count": 1, "points": 0}


@settings(max_examples=60, deadline=None)
@given(people, st.lists(activity, max_size=10), previous)
def test_outcomes_not_kept_are_worked_out_the_same(fields: dict[str, Any], acts: list[Activity],
                                                   prev: Previous | None) -> None:
    """Past COMBINATIONS_KEPT combinations of matching rules, the outcome is worked out each time."""
    kept = evaluate(WINDOWED, fields, acts, AS_OF, prev)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(scoring.model, "COMBINATIONS_KEPT", 0)
        fresh = model_from({**RULES, "decay": {"half_life_days": 20, "window_days": 120}}, reason_max_length=90)
        worked_out = evaluate(fresh, fields, acts, AS_OF, prev)
        assert worked_out.to_dict("p") == kept.to_dict("p")
        assert worked_out == kept
        assert len(fresh.fit_outcomes) == len(fresh.disqualify_outcomes) == 0


def test_counts_past_the_prepared_prefixes() -> None:
    model = model_from({"engagement": [{"label": "Visit", "activity": "page_view", "points": 1}],
                        "mql": {"engagement_min": 1000}})
    many = scoring.model.PREFIX_COUNTS + 6
    evaluation = evaluate(model, {}, [page_view(1) for _ in range(many)], AS_OF)
    assert evaluation.mql_reason == f"Engagement {many}: Visit x{many} +{many}."
    assert evaluation.breakdown_dicts() == [{"kind": "engagement", "label": "Visit", "count": many, "points": many}]
    assert evaluate(model, {}, [page_view(1) for _ in range(many)], AS_OF).to_dict()["breakdown"][0]["count"] == many


def test_one_old_activity_past_the_value_table() -> None:
    model = model_from({"decay": {"half_life_days": 1000}, "mql": {"engagement_min": 1000},
                        "engagement": [{"label": "Visit", "activity": "page_view", "points": 64.5}]})
    evaluation = evaluate(model, {}, [page_view(6000)], AS_OF)
    assert evaluation.to_dict()["mql_reason"] == "Engagement 1: Visit +1."
    assert evaluation.breakdown_dicts() == [{"kind": "engagement", "label": "Visit", "count": 1,
                                             "points": round(64.5 * 0.5 ** 6, 2)}]
