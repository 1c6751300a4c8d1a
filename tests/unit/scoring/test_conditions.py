"""Every operator of the `when` language, on real compiled models (CONTRACT.md section 1)."""

from __future__ import annotations

from typing import Any

import pytest

from scoring import evaluate
from scoring.predicates import compile_condition, is_empty, to_number
from tests.unit.scoring.helpers import AS_OF, fit_model, model_from

CASES: list[tuple[str, dict[str, Any], dict[str, Any], bool]] = [
    # eq: case-insensitive text, numbers compared as numbers
    ("eq text", {"country": {"eq": "US"}}, {"country": "us"}, True),
    ("eq text trimmed", {"country": "US"}, {"country": " US "}, True),
    ("eq text differs", {"country": "US"}, {"country": "USA"}, False),
    ("eq number vs numeric text", {"employees": 200}, {"employees": "200.0"}, True),
    ("eq numeric text vs number", {"employees": "200"}, {"employees": 200.0}, True),
    ("eq number differs", {"employees": 200}, {"employees": 201}, False),
    ("eq bool", {"flag": True}, {"flag": True}, True),
    ("eq bool vs text", {"flag": True}, {"flag": "TRUE"}, True),
    ("eq false is a value", {"flag": False}, {"flag": False}, True),
    ("eq zero is a value", {"employees": 0}, {"employees": 0}, True),
    # in
    ("in text", {"country": ["US", "CA"]}, {"country": "ca"}, True),
    ("in text no", {"country": {"in": ["US", "CA"]}}, {"country": "FR"}, False),
    ("in numbers", {"employees": {"in": [10, "20"]}}, {"employees": "20.0"}, True),
    ("in mixed", {"employees": {"in": ["ten", 10]}}, {"employees": "TEN"}, True),
    # contains
    ("contains", {"title": {"contains": "direct"}}, {"title": "Director of IT"}, True),
    ("contains case", {"title": {"contains": "DIRECT"}}, {"title": "director"}, True),
    ("contains no", {"title": {"contains": "vp"}}, {"title": "Director"}, False),
    ("contains on a number", {"employees": {"contains": "00"}}, {"employees": 200}, True),
    # matches (re.search; case-sensitive unless (?i))
    ("matches anywhere", {"title": {"matches": "VP"}}, {"title": "Senior VP Sales"}, True),
    ("matches case-sensitive", {"title": {"matches": "vp"}}, {"title": "VP"}, False),
    ("matches (?i)", {"title": {"matches": "(?i)vp"}}, {"title": "VP"}, True),
    ("matches anchored", {"title": {"matches": "^VP$"}}, {"title": "SVP"}, False),
    # gte / lte / between
    ("gte", {"employees": {"gte": 200}}, {"employees": 200}, True),
    ("gte below", {"employees": {"gte": 200}}, {"employees": 199.9}, False),
    ("gte numeric text", {"employees": {"gte": 200}}, {"employees": " 250 "}, True),
    ("gte not a number", {"employees": {"gte": 0}}, {"employees": "many"}, False),
    ("gte bool is not a number", {"employees": {"gte": 0}}, {"employees": True}, False),
    ("lte", {"employees": {"lte": 50}}, {"employees": "50"}, True),
    ("lte above", {"employees": {"lte": 50}}, {"employees": 51}, False),
    ("between inclusive low", {"employees": {"between": [200, 5000]}}, {"employees": 200}, True),
    ("between inclusive high", {"employees": {"between": [200, 5000]}}, {"employees": "5000"}, True),
    ("between outside", {"employees": {"between": [200, 5000]}}, {"employees": 5001}, False),
    ("between exponent text", {"annual_revenue": {"between": [1e6, 1e7]}}, {"annual_revenue": "2.5e6"}, True),
    # exists
    ("exists true", {"title": {"exists": True}}, {"title": "x"}, True),
    ("exists true missing", {"title": {"exists": True}}, {}, False),
    ("exists false missing", {"title": {"exists": False}}, {}, True),
    ("exists false null", {"title": {"exists": False}}, {"title": None}, True),
    ("exists false blank", {"title": {"exists": False}}, {"title": "  \t"}, True),
    ("exists false empty list", {"tags": {"exists": False}}, {"tags": []}, True),
    ("exists false zero", {"employees": {"exists": False}}, {"employees": 0}, False),
    ("exists true false-value", {"flag": {"exists": True}}, {"flag": False}, True),
    # domain_in
    ("domain exact", {"email": {"domain_in": ["gmail.com"]}}, {"email": "Ann@GMail.com"}, True),
    ("domain subdomain", {"email": {"domain_in": ["acme.com"]}}, {"email": "a@mail.acme.com"}, True),
    ("domain lookalike", {"email": {"domain_in": ["acme.com"]}}, {"email": "a@notacme.com"}, False),
    ("domain last @", {"email": {"domain_in": ["acme.com"]}}, {"email": "a@b.org@acme.com"}, True),
    ("domain parent is not in sub", {"email": {"domain_in": ["mail.acme.com"]}}, {"email": "a@acme.com"}, False),
    # empty values satisfy nothing but exists: false
    ("empty eq", {"title": {"eq": ""}}, {"title": ""}, False),
    ("blank matches", {"title": {"matches": ".*"}}, {"title": "   "}, False),
    ("missing contains", {"title": {"contains": "a"}}, {}, False),
    ("null in", {"country": ["US"]}, {"country": None}, False),
    # list values: any element
    ("list eq", {"tags": "vip"}, {"tags": ["new", "VIP"]}, True),
    ("list none", {"tags": "vip"}, {"tags": ["new", "old"]}, False),
    ("list gte", {"tags": {"gte": 10}}, {"tags": ["x", "12"]}, True),
    ("list only blanks is empty", {"tags": {"exists": True}}, {"tags": ["", " "]}, False),
    ("list each operator on its own", {"tags": {"contains": "a", "matches": "^b"}}, {"tags": ["a", "b"]}, True),
    # several operators and keys: all must hold
    ("two ops", {"employees": {"gte": 10, "lte": 20}}, {"employees": 15}, True),
    ("two ops one fails", {"employees": {"gte": 10, "lte": 20}}, {"employees": 25}, False),
    ("two keys", {"country": "US", "title": {"contains": "vp"}}, {"country": "US", "title": "VP"}, True),
    ("two keys one fails", {"country": "US", "title": {"contains": "vp"}}, {"country": "DE", "title": "VP"}, False),
    # any / not
    ("any one holds", {"any": [{"country": "US"}, {"country": "CA"}]}, {"country": "CA"}, True),
    ("any none holds", {"any": [{"country": "US"}, {"country": "CA"}]}, {"country": "DE"}, False),
    ("not inverts", {"not": {"title": {"matches": "(?i)intern"}}}, {"title": "Intern"}, False),
    ("not holds on missing", {"not": {"title": {"matches": "(?i)intern"}}}, {}, True),
    ("not of two keys", {"not": {"country": "US", "employees": {"gte": 10}}}, {"country": "US", "employees": 5}, True),
]


@pytest.mark.parametrize(("when", "fields", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_operator(when: dict[str, Any], fields: dict[str, Any], expected: bool) -> None:
    evaluation = evaluate(fit_model(when), fields, [], AS_OF)
    assert (evaluation.fit == 1) is expected


@pytest.mark.parametrize(("value", "empty"), [
    (None, True), ("", True), ("  \n", True), ([], True), ([None, " "], True), (0, False), (False, False),
    ("0", False), (["x"], False), ({}, False),
])
def test_is_empty(value: Any, empty: bool) -> None:
    assert is_empty(value) is empty


@pytest.mark.parametrize(("value", "number"), [
    (5, 5), (2.5, 2.5), ("250", 250), (" -3 ", -3), ("1e3", 1000.0), (".5", 0.5), ("1_000", None), ("nan", None),
    ("inf", None), (True, None), ("12abc", None), (float("nan"), None), (None, None),
])
def test_to_number(value: Any, number: float | None) -> None:
    assert to_number(value) == number


def test_no_condition_matches_everything() -> None:
    assert compile_condition(None)({}) is True


def test_fit_rule_without_when_matches_every_person() -> None:
    model = model_from({"fit": [{"label": "Everyone", "points": 3}], "mql": {"fit_min": 50}})
    assert evaluate(model, {}, [], AS_OF).fit == 3
