"""The SOQL subset parser on its own: good queries and the errors bad ones get."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sandbox.salesforce.soql import BoolOp, Compare, Literal, Not, SoqlError, parse


def test_parses_incremental_query() -> None:
    query = parse("SELECT Id, Email, Account.Name FROM Contact WHERE SystemModstamp >= 2024-01-03T23:52:01Z "
                  "ORDER BY SystemModstamp, Id DESC NULLS FIRST LIMIT 500")
    assert [f.text for f in query.fields] == ["Id", "Email", "Account.Name"]
    assert query.sobject == "Contact"
    assert query.where == Compare(query.where.field, ">=", Literal("datetime", "2024-01-03T23:52:01Z",  # type: ignore[union-attr]
                                                                    query.where.value.pos))  # type: ignore[union-attr]
    assert [(o.field.text, o.descending, o.nulls_last) for o in query.order] == [
        ("SystemModstamp", False, False), ("Id", True, False)]
    assert query.limit == 500


def test_parses_boolean_structure_and_literals() -> None:
    query = parse("select Id from Lead where NOT (Status IN ('Open', 'MQL') OR Email LIKE '%\\_x@%') "
                  "AND IsConverted = false AND Industry != null AND MQL_Date__c > 2024-01-01 "
                  "AND Fit_Score__c < 10.5 AND Id NOT IN ('00Q000000000000AAA')")
    where = query.where
    assert isinstance(where, BoolOp)
    assert where.op == "AND"
    assert len(where.parts) == 6
    first = where.parts[0]
    assert isinstance(first, Not)
    assert isinstance(first.part, BoolOp)
    assert first.part.op == "OR"
    like = first.part.parts[1]
    assert isinstance(like, Compare)
    assert like.value == Literal("string", "%\\_x@%", like.value.pos)  # type: ignore[union-attr]
    kinds = [p.value.kind for p in where.parts[1:5]]  # type: ignore[union-attr]
    assert kinds == ["bool", "null", "date", "number"]


def test_string_escapes() -> None:
    query = parse(r"SELECT Id FROM Lead WHERE LastName = 'O\'Brien \\ \n'")
    assert query.where.value.value == "O'Brien \\ \n"  # type: ignore[union-attr]


def test_count_query() -> None:
    query = parse("SELECT COUNT() FROM Lead WHERE IsDeleted = true")
    assert query.count_only
    assert query.fields == []


@pytest.mark.parametrize(("text", "code", "fragment"), [
    ("SELECT FROM Lead", "MALFORMED_QUERY", "unexpected token: 'FROM'"),
    ("SELECT Id Lead", "MALFORMED_QUERY", "unexpected token"),
    ("SELECT Id FROM Lead WHERE", "MALFORMED_QUERY", "<EOF>"),
    ("SELECT Id FROM Lead WHERE A = 1 OR B = 2 AND C = 3", "MALFORMED_QUERY", "unexpected token: 'AND'"),
    ("SELECT Id FROM Lead WHERE Name = 'open", "MALFORMED_QUERY", "unexpected token"),
    ("SELECT Id FROM Lead WHERE Name = 'a\\qb'", "MALFORMED_QUERY", "Illegal character sequence"),
    ("SELECT Id, id FROM Lead", "MALFORMED_QUERY", "duplicate field selected: id"),
    ("SELECT Id FROM Lead LIMIT x", "MALFORMED_QUERY", "unexpected token: 'x'"),
    ("SELECT Id FROM Lead WHERE SystemModstamp > 2024-01-03T23:52:01.123Z", "MALFORMED_QUERY", "Column:"),
    ("", "MALFORMED_QUERY", "<EOF>"),
])
def test_bad_queries(text: str, code: str, fragment: str) -> None:
    with pytest.raises(SoqlError) as info:
        parse(text)
    assert info.value.code == code
    assert fragment in info.value.message


def test_fractional_datetimes_are_a_switch() -> None:
    query = parse("SELECT Id FROM Lead WHERE SystemModstamp > 2024-01-03T23:52:01.123Z", fractional_datetimes=True)
    assert query.where.value.kind == "datetime"  # type: ignore[union-attr]


_PIECES = ["SELECT", "Id", ",", "Email", "Account.Name", "FROM", "Lead", "WHERE", "AND", "OR", "NOT", "(", ")",
           "=", "!=", "<", ">=", "IN", "LIKE", "'a'", "'b\\'c'", "null", "true", "2024-01-01",
           "2024-01-01T00:00:00Z", "12", "ORDER", "BY", "DESC", "NULLS", "LAST", "LIMIT", "'", "\\", "%", "COUNT()"]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(_PIECES), max_size=14))
def test_parser_fails_only_with_soql_errors(pieces: list[str]) -> None:
    codes = set()
    try:
        parse(" ".join(pieces))
    except SoqlError as exc:
        codes.add(exc.code)
    assert codes <= {"MALFORMED_QUERY"}


def test_relative_date_literals_parse() -> None:
    query = parse("SELECT Id FROM Task WHERE ActivityDate = last_n_days:30 OR CreatedDate = TODAY")
    assert [p.value.value for p in query.where.parts] == [("LAST_N_DAYS", 30), ("TODAY", 0)]  # type: ignore[union-attr]
