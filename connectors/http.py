"""Retries, pacing and error classification: the only place in crmsync that waits or retries.

A connector wraps every CRM call in :meth:`Caller.call` with an endpoint label, the call itself and
a ``classify`` function that turns the call's result or exception into a :class:`Verdict`::

    verdict = classify(result_or_exception)
    SUCCESS       return the result
    RETRY         transient (5xx, timeout, connection): exponential jitter, then again
    RATE_LIMITED  429: wait ``retry_after`` (or the policy's pause), then again
    REFRESH       the token expired: ``refresh()`` once, then again; a second REFRESH is an AuthError
    FAIL          raise ``verdict.error`` (ConnectorError, AuthError, QuotaExhausted) with the CRM's code

Exhausted retries raise :class:`~connectors.base.Unreachable` (or QuotaExhausted when the last answer
was a rate limit). A :class:`Budget` paces calls so that rate limits are rarely hit: HubSpot's rolling
10-second window and search limit (:class:`HubSpotBudget`), Salesforce's share of the org's daily
limit (:class:`SalesforceBudget`). Tests inject ``sleep`` and ``clock``; nothing here sleeps otherwise.
"""

from __future__ import annotations

import enum
import math
import random
import re
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Protocol, TypeVar

import tenacity

from connectors.base import ApiUsage, AuthError, ConnectorError, QuotaExhausted, Unreachable

T = TypeVar("T")

Sleep = Callable[[float], None]
Clock = Callable[[], float]

HUBSPOT_WINDOW_S = 10.0
DAY_S = 86_400.0
_SECRET = re.compile(
    r"(?i)(authorization[\"']?:\s*[\"']?(?:bearer\s+)?|bearer\s+|(?:access_token|client_secret|refresh_token"
    r"|session_id)[\"']?\s*[=:]\s*[\"']?)[^\s,;&\"']+")


class Action(enum.Enum):
    SUCCESS = "success"
    RETRY = "retry"
    RATE_LIMITED = "rate_limited"
    REFRESH = "refresh"
    FAIL = "fail"


@dataclass(frozen=True)
class Verdict:
    """What to do with one answer. ``status``/``headers`` (when given) feed :meth:`Budget.observe`."""

    action: Action
    code: str | None = None
    message: str = ""
    retry_after: float | None = None
    status: int | None = None
    headers: Mapping[str, str] | None = None
    error: type[ConnectorError] = ConnectorError    # raised on FAIL


SUCCESS = Verdict(Action.SUCCESS)


class Budget(Protocol):
    def acquire(self, endpoint: str, *, search: bool = False) -> float:
        """Wait (via the injected sleep) until a call is allowed; return the seconds waited."""

    def observe(self, status: int, headers: Mapping[str, str]) -> None:
        """Learn from a response's status and headers."""


def redact(text: str) -> str:
    """Remove bearer tokens and secrets from a message (a safety net: classifiers keep them out)."""
    return _SECRET.sub(lambda m: m.group(1) + "***", text)


def header(headers: Mapping[str, str], name: str) -> str | None:
    """Case-insensitive header lookup that works for plain dicts too."""
    value = headers.get(name)
    if value is not None:
        return value
    lowered = name.lower()
    for key, item in headers.items():
        if key.lower() == lowered:
            return item
    return None


def _number(text: str | None) -> float | None:
    if text is None:
        return None
    try:
        value = float(text.strip())
    except ValueError:
        return None
    return value if math.isfinite(value) else None


class Unlimited:
    """A budget that never waits (plugins without limits, unit tests)."""

    def acquire(self, endpoint: str, *, search: bool = False) -> float:
        return 0.0

    def observe(self, status: int, headers: Mapping[str, str]) -> None:
        return None


class HubSpotBudget:
    """HubSpot's rolling 10-second window (``per_10s``) and the search limit (``search_per_s``).

    Search calls count against both windows (conservative: HubSpot exempts search from the
    ten-secondly limit, but a shared token may be close to it anyway). The response headers
    ``X-HubSpot-RateLimit-Remaining`` / ``-Interval-Milliseconds`` tell about calls made by others with
    the same token: when the portal reports nothing left, calls wait out the interval.
    """

    def __init__(self, per_10s: int, search_per_s: int, *, clock: Clock = time.monotonic,
                 sleep: Sleep = time.sleep, margin_s: float = 0.1) -> None:
        if per_10s < 1 or search_per_s < 1:
            raise ValueError("rate limits must be at least 1 call")
        self.margin_s = margin_s      # slack for requests that reach HubSpot later than they left
        self.per_10s = per_10s
        self.search_per_s = search_per_s
        self._clock = clock
        self._sleep = sleep
        self._calls: deque[float] = deque()
        self._searches: deque[float] = deque()
        self._blocked_until = 0.0

    def acquire(self, endpoint: str, *, search: bool = False) -> float:
        waited = 0.0
        while True:
            pause = self._pause(search)
            if pause <= 0:
                break
            self._sleep(pause)
            waited += pause
        now = self._clock()
        self._calls.append(now)
        if search:
            self._searches.append(now)
        return waited

    def _pause(self, search: bool) -> float:
        now = self._clock()
        window, second = HUBSPOT_WINDOW_S + self.margin_s, 1.0 + self.margin_s
        _drop_before(self._calls, now - window)
        _drop_before(self._searches, now - second)
        pauses = [self._blocked_until - now]
        if len(self._calls) >= self.per_10s:
            pauses.append(self._calls[len(self._calls) - self.per_10s] + window - now)
        if search and len(self._searches) >= self.search_per_s:
            pauses.append(self._searches[len(self._searches) - self.search_per_s] + second - now)
        return max(pauses)

    def observe(self, status: int, headers: Mapping[str, str]) -> None:
        now = self._clock()
        remaining = _number(header(headers, "X-HubSpot-RateLimit-Remaining"))
        interval_ms = _number(header(headers, "X-HubSpot-RateLimit-Interval-Milliseconds"))
        interval = (interval_ms or HUBSPOT_WINDOW_S * 1000) / 1000
        if remaining is not None and remaining <= 0 and len(self._calls) < self.per_10s:
            # someone else spends this token too: our own window cannot tell when a slot frees up
            self._blocked_until = max(self._blocked_until, now + interval)
        secondly = _number(header(headers, "X-HubSpot-RateLimit-Secondly-Remaining"))
        if secondly is not None and secondly <= 0:
            self._blocked_until = max(self._blocked_until, now + 1.0)


def _drop_before(stamps: deque[float], limit: float) -> None:
    while stamps and stamps[0] <= limit:
        stamps.popleft()


class SalesforceBudget:
    """At most ``daily_share`` of the org's daily API limit per rolling 24 hours.

    The limit is learnt from ``GET /limits`` (:meth:`set_limits`) and from every
    ``Sforce-Limit-Info: api-usage=18/5000`` header. Until it is known calls are allowed (the first
    call is usually ``/limits``). When the share is used up, or the org has nothing left,
    :meth:`acquire` raises :class:`QuotaExhausted`.
    """

    def __init__(self, daily_share: float, *, clock: Clock = time.time, sleep: Sleep = time.sleep,
                 tenant: str = "") -> None:
        if not 0 < daily_share <= 1:
            raise ValueError("daily_share is a fraction in (0, 1]")
        self.daily_share = daily_share
        self.tenant = tenant
        self._clock = clock
        self._sleep = sleep
        self._calls: deque[float] = deque()
        self.max: int | None = None
        self.remaining: int | None = None

    @property
    def allowance(self) -> int | None:
        """Calls this tenant may make per rolling day, when the org limit is known."""
        return None if self.max is None else max(1, int(self.max * self.daily_share))

    @property
    def used(self) -> int:
        _drop_before(self._calls, self._clock() - DAY_S)
        return len(self._calls)

    def set_limits(self, max_calls: int, remaining: int) -> None:
        self.max = max_calls
        self.remaining = remaining

    def acquire(self, endpoint: str, *, search: bool = False) -> float:
        allowance = self.allowance
        used = self.used
        who = f"tenant {self.tenant}: " if self.tenant else ""
        if allowance is not None and used >= allowance:
            raise QuotaExhausted(
                f"{who}Salesforce API share used up: {used} of {allowance} calls in the last 24 h "
                f"({self.daily_share:.0%} of the org's daily limit of {self.max}); raise crm.daily_api_share "
                "or wait for the window to move", code="DAILY_SHARE_EXHAUSTED")
        if self.remaining is not None and self.remaining <= 0:
            raise QuotaExhausted(
                f"{who}the Salesforce org has no API calls left today (limit {self.max}); wait for the "
                "org's 24-hour window to move", code="REQUEST_LIMIT_EXCEEDED")
        self._calls.append(self._clock())
        if self.remaining is not None:
            self.remaining -= 1
        return 0.0

    def observe(self, status: int, headers: Mapping[str, str]) -> None:
        info = header(headers, "Sforce-Limit-Info")
        if not info:
            return
        match = re.search(r"(?<![-\w])api-usage=(\d+)/(\d+)", info)
        if match:
            used, max_calls = int(match.group(1)), int(match.group(2))
            self.set_limits(max_calls, max(0, max_calls - used))


@dataclass
class _Transient(Exception):
    """An answer worth another attempt (internal to :class:`Caller`)."""

    verdict: Verdict
    refreshed: bool = False


@dataclass
class _State:
    start: float
    attempts: int = 0
    refreshed: bool = False
    last: Verdict = field(default_factory=lambda: Verdict(Action.RETRY))


class Caller:
    """Makes CRM calls inside a :class:`Budget`, retrying what is transient. One per connector."""

    def __init__(self, budget: Budget, *, tenant: str, max_attempts: int = 6, max_elapsed_s: float = 300,
                 sleep: Sleep = time.sleep, rng: random.Random | None = None,
                 clock: Clock = time.monotonic, rate_limit_pause_s: float = 10.0,
                 backoff_base_s: float = 0.5, backoff_max_s: float = 30.0) -> None:
        if max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        self.budget = budget
        self.tenant = tenant
        self.max_attempts = max_attempts
        self.max_elapsed_s = max_elapsed_s
        self.rate_limit_pause_s = rate_limit_pause_s
        self._sleep = sleep
        self._clock = clock
        self._rng = rng or random.Random()  # jitter, not security
        self._ceiling = tenacity.wait_exponential(multiplier=backoff_base_s, max=backoff_max_s)
        self.usage = ApiUsage()

    def take_usage(self) -> ApiUsage:
        usage, self.usage = self.usage, ApiUsage()
        return usage

    def call(self, endpoint: str, fn: Callable[[], T], classify: Callable[[T | BaseException], Verdict], *,
             refresh: Callable[[], None] | None = None, search: bool = False) -> T:
        state = _State(start=self._clock())

        def attempt() -> T:
            state.attempts += 1
            self.usage.waited_s += self.budget.acquire(endpoint, search=search)
            self.usage.calls[endpoint] = self.usage.calls.get(endpoint, 0) + 1
            outcome: T | BaseException
            try:
                outcome = fn()
            except Exception as exc:  # classify decides what it means
                outcome = exc
            verdict = classify(outcome)
            state.last = verdict
            if verdict.status is not None:
                self.budget.observe(verdict.status, verdict.headers or {})
            return self._settle(endpoint, verdict, outcome, state, refresh)

        retrying = tenacity.Retrying(
            sleep=self._pause,
            stop=self._should_stop(state),
            wait=self._wait,
            retry=tenacity.retry_if_exception_type(_Transient),
            before_sleep=self._count_retry,
            reraise=True,
        )
        try:
            return retrying(attempt)
        except _Transient as exc:
            raise self._exhausted(endpoint, exc.verdict, state) from None

    def _settle(self, endpoint: str, verdict: Verdict, outcome: T | BaseException, state: _State,
                refresh: Callable[[], None] | None) -> T:
        action = verdict.action
        if action is Action.SUCCESS:
            if isinstance(outcome, BaseException):
                raise outcome
            return outcome
        if action is Action.RATE_LIMITED:
            self.usage.throttled += 1
            raise _Transient(verdict)
        if action is Action.RETRY:
            raise _Transient(verdict)
        if action is Action.REFRESH:
            if refresh is None or state.refreshed:
                raise self._failure(endpoint, Verdict(Action.FAIL, verdict.code, verdict.message or
                                                      "credentials refused after a token refresh",
                                                      status=verdict.status, error=AuthError)) from None
            state.refreshed = True
            refresh()
            raise _Transient(verdict, refreshed=True)
        raise self._failure(endpoint, verdict) from None

    def _failure(self, endpoint: str, verdict: Verdict) -> ConnectorError:
        code = f" [{verdict.code}]" if verdict.code else ""
        message = redact(verdict.message) or "the CRM refused the call"
        return verdict.error(f"tenant {self.tenant}: {endpoint}{code}: {message}", code=verdict.code,
                             status=verdict.status)

    def _exhausted(self, endpoint: str, verdict: Verdict, state: _State) -> ConnectorError:
        elapsed = self._clock() - state.start
        what = redact(verdict.message) or "no answer"
        code = f" [{verdict.code}]" if verdict.code else ""
        text = (f"tenant {self.tenant}: {endpoint} gave up after {state.attempts} attempts in {elapsed:.0f} s; "
                f"last answer{code}: {what}")
        if verdict.action is Action.RATE_LIMITED:
            return QuotaExhausted(text + "; the CRM's rate limit is used up, lower the tenant's rate_limit or "
                                  "wait", code=verdict.code, status=verdict.status)
        return Unreachable(text + "; check the CRM's status and the network", code=verdict.code,
                           status=verdict.status)

    def _wait(self, retry_state: tenacity.RetryCallState) -> float:
        exc = retry_state.outcome.exception() if retry_state.outcome else None
        if not isinstance(exc, _Transient):
            return 0.0
        verdict = exc.verdict
        if exc.refreshed:
            return 0.0
        if verdict.retry_after is not None:
            return max(0.0, verdict.retry_after)
        if verdict.action is Action.RATE_LIMITED:
            return self.rate_limit_pause_s
        return self._jitter(retry_state)

    def _jitter(self, retry_state: tenacity.RetryCallState) -> float:
        # Full jitter, as tenacity's wait_random_exponential, but drawn from our own (seedable) rng.
        return self._rng.uniform(0, self._ceiling(retry_state))

    def _should_stop(self, state: _State) -> Callable[[tenacity.RetryCallState], bool]:
        def stop(retry_state: tenacity.RetryCallState) -> bool:
            if retry_state.attempt_number >= self.max_attempts:
                return True
            elapsed = self._clock() - state.start
            return elapsed + retry_state.upcoming_sleep >= self.max_elapsed_s
        return stop

    def _pause(self, seconds: float) -> None:
        if seconds > 0:
            self.usage.waited_s += seconds
            self._sleep(seconds)

    def _count_retry(self, retry_state: tenacity.RetryCallState) -> None:
        self.usage.retries += 1
