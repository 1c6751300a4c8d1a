"""HubSpot answers and client exceptions -> :class:`connectors.http.Verdict` (CRM_APIS.md 1.5, 1.10)."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from typing import Any

import orjson
import urllib3

from connectors.base import AuthError, QuotaExhausted
from connectors.http import SUCCESS, Action, Verdict, header

TEN_SECONDLY_PAUSE_S = 10.0
SECONDLY_PAUSE_S = 1.0


@dataclass(frozen=True)
class Answer:
    """One HTTP answer from HubSpot, whatever its status: parsed JSON body and headers."""

    status: int
    data: Any = None
    headers: Mapping[str, str] = field(default_factory=dict)

    @property
    def error_code(self) -> str | None:
        return error_code(self.data)

    @property
    def message(self) -> str:
        if isinstance(self.data, dict):
            return str(self.data.get("message") or "")
        return ""


def parse_body(raw: bytes | str | None) -> Any:
    if not raw:
        return None
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw
        return {"message": text[:300]}


def error_code(data: Any) -> str | None:
    """The most specific code of a HubSpot error body: errors[0].code, else category, else policyName."""
    if not isinstance(data, dict):
        return None
    errors = data.get("errors")
    if isinstance(errors, list) and errors and isinstance(errors[0], dict) and errors[0].get("code"):
        return str(errors[0]["code"])
    for key in ("category", "errorType", "policyName"):
        if data.get(key):
            return str(data[key])
    return None


def classify(outcome: object, *, accept: Collection[int] = ()) -> Verdict:
    """Classify an :class:`Answer` (or the exception a call raised); statuses in ``accept`` succeed."""
    if isinstance(outcome, Answer):
        return classify_answer(outcome, accept)
    if isinstance(outcome, urllib3.exceptions.HTTPError | ConnectionError | TimeoutError):
        return Verdict(Action.RETRY, code=type(outcome).__name__,
                       message=f"no answer from HubSpot ({type(outcome).__name__})")
    if isinstance(outcome, OSError):
        return Verdict(Action.RETRY, code=type(outcome).__name__, message=f"network error ({type(outcome).__name__})")
    return SUCCESS          # not ours to judge: the Caller re-raises unknown exceptions unchanged


def classify_answer(answer: Answer, accept: Collection[int] = ()) -> Verdict:
    status = answer.status
    headers = answer.headers
    if 200 <= status < 300 or status in accept:
        return Verdict(Action.SUCCESS, status=status, headers=headers)
    code = answer.error_code
    message = answer.message or f"HTTP {status}"
    if status == 429:
        return _rate_limited(answer, code, message)
    if status == 401:
        return Verdict(Action.REFRESH, code=code or "INVALID_AUTHENTICATION",
                       message=f"HubSpot refused the access token: {message}; check the tenant's access_token",
                       status=status, headers=headers)
    if status == 403:
        return Verdict(Action.FAIL, code=code or "FORBIDDEN",
                       message=f"{message} (the private app lacks a scope: grant crm.objects.contacts read/write, "
                               "crm.schemas.contacts read/write, companies and engagements read)",
                       status=status, headers=headers, error=AuthError)
    if status == 408 or status == 0 or status >= 500:
        return Verdict(Action.RETRY, code=code or f"HTTP_{status}", message=message, status=status, headers=headers)
    return Verdict(Action.FAIL, code=code or f"HTTP_{status}", message=message, status=status, headers=headers)


def _rate_limited(answer: Answer, code: str | None, message: str) -> Verdict:
    data = answer.data if isinstance(answer.data, dict) else {}
    policy = str(data.get("policyName") or "")
    retry_after = _seconds(header(answer.headers, "Retry-After"))
    if policy == "DAILY":
        return Verdict(Action.FAIL, code="DAILY", message=f"{message}: the portal's daily API limit is used up",
                       status=429, headers=answer.headers, error=QuotaExhausted)
    if retry_after is None:
        secondly = policy == "SECONDLY" or "secondly limit" in message.lower()
        retry_after = SECONDLY_PAUSE_S if secondly else TEN_SECONDLY_PAUSE_S
    return Verdict(Action.RATE_LIMITED, code=policy or code or "RATE_LIMIT", message=message,
                   retry_after=retry_after, status=429, headers=answer.headers)


def _seconds(text: str | None) -> float | None:
    if text is None:
        return None
    try:
        return max(0.0, float(text))
    except ValueError:
        return None
