"""Fault injection: rules that make matching requests fail, stall or slow down.

A :class:`FaultRule` matches by method, path regex and (optionally) account, then fires according to its
schedule: always, with a probability (seeded RNG, reproducible), on the next ``times`` matches only, or
on every ``every``-th match. What it does is its ``kind``:

- ``rate_limit``: 429 with the CRM's own body (HubSpot's TEN_SECONDLY_ROLLING, or Salesforce's
  REQUEST_LIMIT_EXCEEDED array for ``/services/`` paths); ``Retry-After`` only when ``retry_after`` is set;
  ``status=403`` gives Salesforce's real org-limit answer;
- ``error``: the given 5xx (default 503) with a small JSON body;
- ``timeout``: hold the connection ``delay_s`` seconds (longer than the client's timeout), then drop it;
- ``delay``: wait ``delay_s`` seconds, then answer normally.

Text form (``crmsync sandbox --faults``): rules separated by ``;``, each a kind followed by ``key=value``
pairs, e.g. ``error status=503 path=/search every=3; rate_limit path=^/crm p=0.1; timeout delay=30 times=1``.
"""

from __future__ import annotations

import random
import re
import threading
from dataclasses import asdict, dataclass, field, replace
from typing import Any

import orjson

from sandbox.wire import SandboxResponse

KINDS = frozenset({"rate_limit", "error", "timeout", "delay"})


class FaultSpecError(ValueError):
    """A fault rule that cannot be understood; the message says which part and what is allowed."""


@dataclass(frozen=True)
class FaultRule:
    kind: str
    path: str = ".*"                 # regex, searched in the request path
    method: str | None = None        # e.g. "POST"; None = any
    account: str | None = None       # portal id / org id; None = any
    status: int | None = None        # rate_limit: 429 by default; error: 503 by default
    retry_after: float | None = None
    delay_s: float = 0.0             # timeout: how long to hold (default 30 s); delay: how long to wait
    probability: float = 1.0
    times: int | None = None         # fire on the next N matching requests only
    every: int | None = None         # fire on every K-th matching request
    id: int = 0                      # assigned when installed

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise FaultSpecError(f"unknown fault kind {self.kind!r}; allowed: {', '.join(sorted(KINDS))}")
        try:
            re.compile(self.path)
        except re.error as exc:
            raise FaultSpecError(f"bad path regex {self.path!r}: {exc}") from None
        if not 0.0 <= self.probability <= 1.0:
            raise FaultSpecError(f"probability must be between 0 and 1, got {self.probability}")
        if self.every is not None and self.every < 1:
            raise FaultSpecError(f"every must be at least 1, got {self.every}")
        if self.times is not None and self.times < 0:
            raise FaultSpecError(f"times must not be negative, got {self.times}")
        if self.status is not None and not 400 <= self.status <= 599:
            raise FaultSpecError(f"status must be a 4xx or 5xx code, got {self.status}")

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> FaultRule:
        known = {f for f in cls.__dataclass_fields__ if f != "id"}
        unknown = set(data) - known - {"id"}
        if unknown:
            raise FaultSpecError(f"unknown fault fields: {', '.join(sorted(unknown))}; allowed: "
                                 f"{', '.join(sorted(known))}")
        if "kind" not in data:
            raise FaultSpecError("a fault rule needs a kind")
        return cls(**{k: v for k, v in data.items() if k in known})


@dataclass
class _Installed:
    rule: FaultRule
    pattern: re.Pattern[str]
    matched: int = 0
    fired: int = 0


@dataclass(frozen=True)
class FaultAction:
    """What the server must do for one request: answer with ``response``, or wait/hold ``delay_s`` first."""

    rule: FaultRule
    response: SandboxResponse | None = None
    delay_s: float = 0.0
    drop: bool = False


@dataclass
class FaultInjector:
    """The installed rules. Thread-safe; the RNG is seeded so a probabilistic run repeats exactly."""

    seed: int = 0
    _rules: list[_Installed] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _next_id: int = 1
    _rng: random.Random = field(default_factory=random.Random)

    def __post_init__(self) -> None:
        self._rng.seed(self.seed)

    def add(self, rule: FaultRule) -> FaultRule:
        with self._lock:
            rule = replace(rule, id=self._next_id)
            self._next_id += 1
            self._rules.append(_Installed(rule, re.compile(rule.path)))
        return rule

    def clear(self) -> None:
        with self._lock:
            self._rules.clear()
            self._rng.seed(self.seed)

    def rules(self) -> list[dict[str, Any]]:
        with self._lock:
            return [{**r.rule.to_json(), "matched": r.matched, "fired": r.fired} for r in self._rules]

    def check(self, method: str, path: str, account: str | None) -> FaultAction | None:
        if not self._rules:
            return None
        with self._lock:
            for inst in self._rules:
                rule = inst.rule
                if rule.method and rule.method.upper() != method:
                    continue
                if rule.account and rule.account != account:
                    continue
                if not inst.pattern.search(path):
                    continue
                inst.matched += 1
                if rule.times is not None and inst.fired >= rule.times:
                    continue
                if rule.every is not None and inst.matched % rule.every:
                    continue
                if rule.probability < 1.0 and self._rng.random() >= rule.probability:
                    continue
                inst.fired += 1
                return _action(rule, path, account)
        return None


def _action(rule: FaultRule, path: str, account: str | None) -> FaultAction:
    salesforce = path.startswith("/services/")
    if rule.kind == "delay":
        return FaultAction(rule, delay_s=rule.delay_s)
    if rule.kind == "timeout":
        return FaultAction(rule, delay_s=rule.delay_s or 30.0, drop=True)
    headers = {}
    if rule.kind == "rate_limit":
        status = rule.status or 429
        if rule.retry_after is not None:
            headers["Retry-After"] = str(max(0, round(rule.retry_after)))
        body: Any
        if salesforce:
            body = [{"message": "TotalRequests Limit exceeded.", "errorCode": "REQUEST_LIMIT_EXCEEDED"}]
        else:
            body = {"status": "error", "message": "You have reached your ten_secondly_rolling limit.",
                    "errorType": "RATE_LIMIT", "correlationId": "sandbox-fault-" + str(rule.id),
                    "policyName": "TEN_SECONDLY_ROLLING", "groupName": f"publicapi:private-app-api-calls:{account}"}
    else:
        status = rule.status or 503
        if salesforce:
            body = [{"message": "Service unavailable (sandbox fault)", "errorCode": "SERVER_UNAVAILABLE"}]
        else:
            body = {"status": "error", "message": "internal error (sandbox fault)", "category": "INTERNAL_ERROR",
                    "correlationId": "sandbox-fault-" + str(rule.id)}
    return FaultAction(rule, SandboxResponse(status, orjson.dumps(body),
                                             {"Content-Type": "application/json;charset=UTF-8", **headers},
                                             account=account))


_FLOATS = {"retry_after", "delay_s", "probability"}
_INTS = {"status", "times", "every"}
_ALIASES = {"p": "probability", "delay": "delay_s", "retry-after": "retry_after"}


def parse_fault_spec(spec: str) -> list[FaultRule]:
    """Rules from the text form (see the module docstring)."""
    rules = []
    for part in (p.strip() for p in spec.split(";")):
        if not part:
            continue
        kind, *pairs = part.split()
        data: dict[str, Any] = {"kind": kind}
        for pair in pairs:
            key, sep, value = pair.partition("=")
            if not sep:
                raise FaultSpecError(f"in fault rule {part!r}: expected key=value, got {pair!r}")
            key = _ALIASES.get(key, key)
            try:
                data[key] = float(value) if key in _FLOATS else int(value) if key in _INTS else value
            except ValueError:
                raise FaultSpecError(f"in fault rule {part!r}: {key} needs a number, got {value!r}") from None
        try:
            rules.append(FaultRule.from_json(data))
        except TypeError as exc:
            raise FaultSpecError(f"in fault rule {part!r}: {exc}") from None
    return rules
