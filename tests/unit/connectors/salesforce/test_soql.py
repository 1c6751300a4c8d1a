from datetime import UTC, datetime, timedelta, timezone

import pytest

from config import ConfigError
from connectors.salesforce import mapping
from connectors.salesforce.soql import Select, UnsafeName, check_name, condition, literal, quote

from .helpers import tenant


@pytest.mark.parametrize("value", [
    "O'Brien", "x' OR Name != '", "a\\' OR 1=1 --", "line\nbreak", "quote\"d", "\\", "'",
])
def test_a_quoted_value_cannot_break_out(value: str) -> None:
    text = quote(value)
    assert text.startswith("'")
    assert text.endswith("'")
    inner = text[1:-1]
    # every quote inside is escaped by an odd run of backslashes
    i = 0
    while i < len(inner):
        if inner[i] == "\\":
            i += 2
            continue
        assert inner[i] not in "'\"\n"
        i += 1


def test_quote_escapes_known_characters() -> None:
    assert quote("O'Brien") == "'O\\'Brien'"
    assert quote("a\\b") == "'a\\\\b'"


@pytest.mark.parametrize("name", ["Email", "Account.Name", "Fit_Score__c", "_x1"])
def test_good_names_pass(name: str) -> None:
    assert check_name(name) == name


@pytest.mark.parametrize("name", [
    "Email, (SELECT Id FROM User)", "Name FROM Lead --", "A.B.C", "1abc", "", "Email'", "x y", "Fit__c)",
])
def test_bad_names_are_refused(name: str) -> None:
    with pytest.raises(UnsafeName):
        check_name(name)


def test_select_refuses_an_injected_object_or_order() -> None:
    with pytest.raises(UnsafeName):
        Select("Lead WHERE Id != null", ("Id",)).text()
    with pytest.raises(UnsafeName):
        Select("Lead", ("Id",), order_by=("Id DESC",)).text()


def test_datetime_literals_are_utc_whole_seconds() -> None:
    stamp = datetime(2024, 1, 3, 23, 52, 1, 900_000, tzinfo=timezone(timedelta(hours=2)))
    assert literal(stamp) == "2024-01-03T21:52:01Z"
    assert condition("SystemModstamp", ">=", stamp) == "SystemModstamp >= 2024-01-03T21:52:01Z"
    with pytest.raises(ValueError, match="timezone-aware"):
        literal(datetime(2024, 1, 1))


def test_condition_refuses_odd_operators() -> None:
    with pytest.raises(ValueError, match="operator"):
        condition("Email", "= 'x' OR Email", "y")


def test_person_select_uses_mapping_tenant_fields_and_write_back() -> None:
    t = tenant()
    lead = Select("Lead", mapping.person_select(t, "Lead")).text()
    assert lead.startswith("SELECT Id, SystemModstamp, IsDeleted, IsConverted, ConvertedContactId, Email,")
    for name in ("Seniority__c", "Fit_Score__c", "MQL_Date__c", "Status"):
        assert name in lead
    contact = Select("Contact", mapping.person_select(t, "Contact")).text()
    for name in ("Account.Name", "Account.Industry", "Account.NumberOfEmployees", "Account.AnnualRevenue",
                 "MailingCountry", "Lifecycle_Stage__c"):
        assert name in contact


def test_a_tenant_field_with_syntax_is_refused() -> None:
    try:
        t = tenant(fields="  seniority: \"Title FROM User --\"")
    except ConfigError:
        return  # refused while loading: just as good
    with pytest.raises(UnsafeName):
        mapping.person_select(t, "Lead")


def test_parse_datetime_reads_salesforce_format() -> None:
    assert mapping.parse_datetime("2024-01-03T23:52:01.000+0000") == datetime(2024, 1, 3, 23, 52, 1, tzinfo=UTC)
