"""connectors.http: the retry loop, the verdicts and both budgets, with a fake clock (no real sleeps)."""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping

import pytest

from connectors.base import AuthError, ConnectorError, QuotaExhausted, Unreachable
from connectors.http import (
    SUCCESS,
    Action,
    Caller,
    HubSpotBudget,
    SalesforceBudget,
    Unlimited,
    Verdict,
    redact,
)


class FakeClock:
    def __init__(self, start: float = 1000.0) -> None:
        self.now = start
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def script(*answers: object) -> Callable[[], object]:
    """A call that gives the answers in order (exceptions are raised)."""
    queue = list(answers)

    def fn() -> object:
        answer = queue.pop(0)
        if isinstance(answer, BaseException):
            raise answer
        return answer
    return fn


def classify(outcome: object) -> Verdict:
    if isinstance(outcome, TimeoutError):
        return Verdict(Action.RETRY, message="timed out")
    if outcome == 429:
        return Verdict(Action.RATE_LIMITED, code="RATE_LIMIT", message="ten secondly", status=429, headers={})
    if outcome == "429ra":
        return Verdict(Action.RATE_LIMITED, code="RATE_LIMIT", retry_after=2.5)
    if outcome == 401:
        return Verdict(Action.REFRESH, code="EXPIRED_AUTHENTICATION", message="token expired", status=401)
    if outcome == 400:
        return Verdict(Action.FAIL, code="VALIDATION_ERROR", message="bad Bearer pat-na1-secret value",
                       status=400)
    if outcome == 403:
        return Verdict(Action.FAIL, code="REQUEST_LIMIT_EXCEEDED", message="limit", error=QuotaExhausted)
    if outcome == 503:
        return Verdict(Action.RETRY, code="SERVER_ERROR", message="unavailable", status=503, headers={})
    return SUCCESS


def make_caller(clock: FakeClock, **kw: object) -> Caller:
    return Caller(Unlimited(), tenant="acme", sleep=clock.sleep, clock=clock, rng=random.Random(1),
                  **kw)  # type: ignore[arg-type]


def test_success_counts_one_call() -> None:
    clock = FakeClock()
    caller = make_caller(clock)
    assert caller.call("hubspot.contacts.search", script("ok"), classify) == "ok"
    usage = caller.take_usage()
    assert usage.calls == {"hubspot.contacts.search": 1}
    assert (usage.retries, usage.throttled, usage.waited_s) == (0, 0, 0.0)
    assert caller.take_usage().total == 0


def test_transient_errors_back_off_with_jitter_then_succeed() -> None:
    clock = FakeClock()
    caller = make_caller(clock)
    result = caller.call("x", script(TimeoutError(), 503, "ok"), classify)
    assert result == "ok"
    usage = caller.take_usage()
    assert usage.calls == {"x": 3}
    assert usage.retries == 2
    assert len(clock.sleeps) == 2
    assert all(0 <= s <= 30 for s in clock.sleeps)
    assert usage.waited_s == pytest.approx(sum(clock.sleeps))


def test_rate_limited_waits_the_policy_pause_or_retry_after() -> None:
    clock = FakeClock()
    caller = make_caller(clock)
    assert caller.call("x", script(429, "429ra", "ok"), classify) == "ok"
    assert clock.sleeps == [10.0, 2.5]
    usage = caller.take_usage()
    assert usage.throttled == 2
    assert usage.retries == 2


def test_exhausted_retries_raise_unreachable_without_secrets() -> None:
    clock = FakeClock()
    caller = make_caller(clock, max_attempts=3)
    with pytest.raises(Unreachable, match=r"gave up after 3 attempts.*SERVER_ERROR") as info:
        caller.call("x", script(503, 503, 503, "never"), classify)
    assert info.value.status == 503
    assert caller.usage.calls == {"x": 3}


def test_persistent_rate_limit_raises_quota_exhausted() -> None:
    clock = FakeClock()
    caller = make_caller(clock, max_attempts=2)
    with pytest.raises(QuotaExhausted, match="rate limit"):
        caller.call("x", script(429, 429), classify)


def test_elapsed_limit_stops_before_overshooting() -> None:
    clock = FakeClock()
    caller = make_caller(clock, max_attempts=100, max_elapsed_s=25)
    with pytest.raises(QuotaExhausted):
        caller.call("x", script(*([429] * 100)), classify)
    assert sum(clock.sleeps) <= 25
    assert caller.usage.calls["x"] == 3        # two 10 s pauses fit, a third would pass 25 s


def test_fail_raises_the_verdict_error_with_code_and_redacted_message() -> None:
    clock = FakeClock()
    caller = make_caller(clock)
    with pytest.raises(ConnectorError) as info:
        caller.call("hubspot.contacts.batch_update", script(400), classify)
    assert info.value.code == "VALIDATION_ERROR"
    assert info.value.status == 400
    assert "pat-na1-secret" not in str(info.value)
    assert "acme" in str(info.value)
    assert "hubspot.contacts.batch_update" in str(info.value)
    assert info.value.__cause__ is None
    assert info.value.__suppress_context__
    assert clock.sleeps == []
    with pytest.raises(QuotaExhausted):
        caller.call("x", script(403), classify)


def test_refresh_once_then_retry() -> None:
    clock = FakeClock()
    caller = make_caller(clock)
    refreshed: list[int] = []
    assert caller.call("x", script(401, "ok"), classify, refresh=lambda: refreshed.append(1)) == "ok"
    assert refreshed == [1]
    assert clock.sleeps == []


def test_second_refresh_is_an_auth_error() -> None:
    clock = FakeClock()
    caller = make_caller(clock)
    refreshed: list[int] = []
    with pytest.raises(AuthError, match="EXPIRED_AUTHENTICATION"):
        caller.call("x", script(401, 401), classify, refresh=lambda: refreshed.append(1))
    assert refreshed == [1]
    with pytest.raises(AuthError):
        caller.call("x", script(401), classify)      # nothing to refresh with


def test_unknown_exception_classified_success_is_reraised() -> None:
    clock = FakeClock()
    caller = make_caller(clock)
    with pytest.raises(KeyError):
        caller.call("x", script(KeyError("boom")), lambda outcome: SUCCESS)


def test_budget_observes_status_and_headers() -> None:
    seen: list[int] = []

    class Recorder(Unlimited):
        def observe(self, status: int, headers: Mapping[str, str]) -> None:
            seen.append(status)

    clock = FakeClock()
    caller = Caller(Recorder(), tenant="t", sleep=clock.sleep, clock=clock, rng=random.Random(0))
    caller.call("x", script(503, "ok"), classify)
    assert seen == [503]


# --------------------------------------------------------------------------- HubSpotBudget
def test_hubspot_budget_paces_the_rolling_window() -> None:
    clock = FakeClock()
    budget = HubSpotBudget(per_10s=5, search_per_s=100, clock=clock, sleep=clock.sleep, margin_s=0)
    starts = []
    for _ in range(12):
        budget.acquire("x")
        starts.append(clock.now)
        clock.now += 0.1
    # no 10-second window ever holds more than 5 calls
    for i, t in enumerate(starts):
        assert sum(1 for s in starts[i:] if s < t + 10) <= 5
    assert starts[5] >= starts[0] + 10


def test_hubspot_budget_search_per_second() -> None:
    clock = FakeClock()
    budget = HubSpotBudget(per_10s=100, search_per_s=4, clock=clock, sleep=clock.sleep, margin_s=0)
    starts = []
    for _ in range(9):
        budget.acquire("s", search=True)
        starts.append(clock.now)
    for i, t in enumerate(starts):
        assert sum(1 for s in starts[i:] if s < t + 1) <= 4
    assert budget.acquire("plain") == 0.0     # non-search calls are not held by the search limit


def test_hubspot_budget_honours_remaining_header() -> None:
    clock = FakeClock()
    budget = HubSpotBudget(per_10s=100, search_per_s=4, clock=clock, sleep=clock.sleep, margin_s=0)
    budget.acquire("x")
    budget.observe(200, {"x-hubspot-ratelimit-remaining": "0", "X-HubSpot-RateLimit-Interval-Milliseconds": "10000"})
    assert budget.acquire("x") == pytest.approx(10.0)
    budget.observe(200, {"X-HubSpot-RateLimit-Secondly-Remaining": "0"})
    assert budget.acquire("x") == pytest.approx(1.0)
    budget.observe(200, {"X-HubSpot-RateLimit-Remaining": "junk"})
    assert budget.acquire("x") == 0.0


# --------------------------------------------------------------------------- SalesforceBudget
def test_salesforce_budget_share_of_daily_limit() -> None:
    clock = FakeClock()
    budget = SalesforceBudget(0.1, clock=clock, sleep=clock.sleep, tenant="acme")
    budget.acquire("salesforce.limits")          # limit unknown yet: allowed
    budget.set_limits(100, 90)
    assert budget.allowance == 10
    for _ in range(9):
        budget.acquire("salesforce.query")
    with pytest.raises(QuotaExhausted, match=r"acme.*10 of 10 calls.*daily_api_share") as info:
        budget.acquire("salesforce.query")
    assert info.value.code == "DAILY_SHARE_EXHAUSTED"
    clock.now += 86_401                           # the rolling day moved on
    budget.acquire("salesforce.query")


def test_salesforce_budget_reads_limit_info_header() -> None:
    clock = FakeClock()
    budget = SalesforceBudget(0.5, clock=clock, sleep=clock.sleep)
    budget.observe(200, {"sforce-limit-info": "api-usage=18/5000; per-app-api-usage=17/250(appName=x)"})
    assert (budget.max, budget.remaining, budget.allowance) == (5000, 4982, 2500)
    budget.observe(200, {"Sforce-Limit-Info": "api-usage=5000/5000"})
    with pytest.raises(QuotaExhausted, match="no API calls left"):
        budget.acquire("salesforce.query")


def test_redact_removes_tokens() -> None:
    text = redact("Authorization: Bearer pat-na1-abc, access_token=xyz&client_secret=s3cr3t")
    assert "pat-na1-abc" not in text
    assert "xyz" not in text
    assert "s3cr3t" not in text
