"""Error paths with the real simple-salesforce client against `responses`."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import parse_qs, urlsplit

import pytest
import responses

from connectors.base import AuthError, ConnectorError, QuotaExhausted, Unreachable

from .helpers import API, CRM_SESSION, add_token, connector, lead, records_page, sf_error, tenant

UNTIL = datetime(2024, 6, 1, tzinfo=UTC)


def test_expired_session_refreshes_once_and_retries() -> None:
    conn, sleeps = connector()
    with responses.RequestsMock() as rsps:
        add_token(rsps, "tok-1")
        add_token(rsps, "tok-2")
        rsps.add(responses.GET, f"{API}/queryAll/", status=401, body=sf_error("INVALID_SESSION_ID"))
        rsps.add(responses.GET, f"{API}/queryAll/", json=records_page([lead("00Q1", "2024-05-01T00:00:00.000+0000")]))
        pages = list(conn.pull("leads", None, until=UNTIL))
        auths = [c.request.headers.get("Authorization") for c in rsps.calls if "/query" in str(c.request.url)]
    assert auths == ["Bearer tok-1", "Bearer tok-2"]
    assert [p.id for p in pages[0].persons] == ["00Q1"]
    usage = conn.take_usage()
    assert usage.calls == {"salesforce.oauth.token": 2, "salesforce.query_all": 2}
    assert sleeps == []


def test_second_expiry_after_refresh_is_an_auth_error() -> None:
    conn, _ = connector()
    with responses.RequestsMock() as rsps:
        add_token(rsps, "tok-1")
        add_token(rsps, "tok-2")
        rsps.add(responses.GET, f"{API}/queryAll/", status=401, body=sf_error("INVALID_SESSION_ID"))
        rsps.add(responses.GET, f"{API}/queryAll/", status=401, body=sf_error("INVALID_SESSION_ID"))
        with pytest.raises(AuthError) as info:
            list(conn.pull("leads", None, until=UNTIL))
    assert info.value.code == "INVALID_SESSION_ID"
    assert "tok-" not in str(info.value)


def test_ready_session_cannot_refresh_and_says_so() -> None:
    conn, _ = connector(tenant(CRM_SESSION))
    with responses.RequestsMock() as rsps:
        rsps.add(responses.GET, f"{API}/queryAll/", status=401, body=sf_error("INVALID_SESSION_ID"))
        with pytest.raises(AuthError, match=r"renew crm\.access_token") as info:
            list(conn.pull("leads", None, until=UNTIL))
        assert rsps.calls[0].request.headers["Authorization"] == "Bearer ready-token-xyz"
    assert "ready-token-xyz" not in str(info.value)


def test_daily_limit_is_quota_exhausted() -> None:
    conn, sleeps = connector()
    with responses.RequestsMock() as rsps:
        add_token(rsps)
        rsps.add(responses.GET, f"{API}/queryAll/", status=403,
                 body=sf_error("REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded."))
        with pytest.raises(QuotaExhausted) as info:
            list(conn.pull("leads", None, until=UNTIL))
    assert info.value.code == "REQUEST_LIMIT_EXCEEDED"
    assert sleeps == []


def test_server_errors_are_retried_then_unreachable() -> None:
    conn, sleeps = connector(max_attempts=4)
    with responses.RequestsMock() as rsps:
        add_token(rsps)
        for _ in range(4):
            rsps.add(responses.GET, f"{API}/queryAll/", status=503, body=sf_error("SERVER_UNAVAILABLE"))
        with pytest.raises(Unreachable, match="gave up after 4 attempts"):
            list(conn.pull("leads", None, until=UNTIL))
    assert len(sleeps) == 3
    assert conn.take_usage().retries == 3


def test_server_error_then_success_recovers() -> None:
    conn, sleeps = connector()
    with responses.RequestsMock() as rsps:
        add_token(rsps)
        rsps.add(responses.GET, f"{API}/queryAll/", status=500, body="oops")
        rsps.add(responses.GET, f"{API}/queryAll/", json=records_page([]))
        pages = list(conn.pull("leads", None, until=UNTIL))
    assert len(pages) == 1
    assert len(sleeps) == 1


def test_malformed_query_is_fatal_with_code() -> None:
    conn, sleeps = connector()
    with responses.RequestsMock() as rsps:
        add_token(rsps)
        rsps.add(responses.GET, f"{API}/queryAll/", status=400,
                 body=sf_error("INVALID_FIELD", "No such column 'Seniority__c' on entity 'Lead'."))
        with pytest.raises(ConnectorError) as info:
            list(conn.pull("leads", None, until=UNTIL))
    assert info.value.code == "INVALID_FIELD"
    assert "Seniority__c" in str(info.value)
    assert sleeps == []


def test_invalid_grant_is_an_auth_error_without_secrets() -> None:
    conn, _ = connector()
    with responses.RequestsMock() as rsps:
        add_token(rsps, status=400, body={"error": "invalid_grant", "error_description": "authentication failure"})
        with pytest.raises(AuthError) as info:
            list(conn.pull("leads", None, until=UNTIL))
        sent = rsps.calls[0].request
    assert info.value.code == "invalid_grant"
    assert "check client_id/client_secret" in str(info.value)
    assert "s3cret-value" not in str(info.value)
    assert "cid-123" not in str(info.value)
    assert sent.headers["Authorization"].startswith("Basic ")
    assert parse_qs(str(sent.body)) == {"grant_type": ["client_credentials"]}


def test_check_reads_limits_into_the_budget() -> None:
    conn, _ = connector()
    with responses.RequestsMock() as rsps:
        add_token(rsps)
        rsps.add(responses.GET, f"{API}/limits/", json={"DailyApiRequests": {"Max": 15000, "Remaining": 14000}},
                 headers={"Sforce-Limit-Info": "api-usage=1000/15000"})
        result = conn.check()
    assert result.ok, result.detail
    assert "14000 of 15000" in result.detail
    budget = conn.caller.budget
    assert getattr(budget, "allowance", None) == 3000


def test_share_used_up_stops_before_calling() -> None:
    conn, _ = connector()
    with responses.RequestsMock() as rsps:
        add_token(rsps)
        rsps.add(responses.GET, f"{API}/queryAll/", json=records_page([]),
                 headers={"Sforce-Limit-Info": "api-usage=5000/5000"})
        list(conn.pull("leads", None, until=UNTIL))
        with pytest.raises(QuotaExhausted):
            list(conn.pull("leads", None, until=UNTIL))
        assert len([c for c in rsps.calls if urlsplit(str(c.request.url)).path.endswith("/queryAll/")]) == 1


def test_rate_limit_waits_for_retry_after() -> None:
    conn, sleeps = connector()
    with responses.RequestsMock() as rsps:
        add_token(rsps)
        rsps.add(responses.GET, f"{API}/queryAll/", status=429, headers={"Retry-After": "0.25"},
                 body=sf_error("REQUEST_LIMIT_EXCEEDED", "ConcurrentPerOrgLongTxn Limit exceeded."))
        rsps.add(responses.GET, f"{API}/queryAll/", json=records_page([]))
        list(conn.pull("leads", None, until=UNTIL))
    assert sleeps == [0.25]
    assert conn.take_usage().throttled == 1
