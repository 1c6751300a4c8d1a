"""Turn simple-salesforce answers and ``requests`` errors into :class:`~connectors.http.Verdict`s.

=================================  ==========================================================
401 INVALID_SESSION_ID             REFRESH (fetch a new token, retry once)
403 REQUEST_LIMIT_EXCEEDED         FAIL as QuotaExhausted (the org's daily API limit)
429, 503 SERVER_UNAVAILABLE        RATE_LIMITED / RETRY
5xx, timeouts, connection errors   RETRY (then Unreachable)
400 UNABLE_TO_LOCK_ROW, QUERY_TIMEOUT  RETRY
any other 4xx                      FAIL with the CRM's errorCode (MALFORMED_QUERY, INVALID_FIELD ...)
=================================  ==========================================================
Messages hold the CRM's own code and message, never the request's headers.
"""

from __future__ import annotations

from typing import Any

import requests
from simple_salesforce.exceptions import SalesforceError

from connectors.base import AuthError, ConnectorError, QuotaExhausted
from connectors.http import SUCCESS, Action, Verdict

TRANSIENT_CODES = frozenset({"UNABLE_TO_LOCK_ROW", "QUERY_TIMEOUT", "SERVER_UNAVAILABLE"})


def error_details(content: Any) -> tuple[str | None, str]:
    """(errorCode, message) from a Salesforce error body (a list of ``{message, errorCode}``)."""
    if isinstance(content, list) and content and isinstance(content[0], dict):
        first = content[0]
        return (str(first["errorCode"]) if first.get("errorCode") else None, str(first.get("message") or ""))
    if isinstance(content, dict):
        code = content.get("errorCode") or content.get("error")
        return (str(code) if code else None, str(content.get("message") or content.get("error_description")
                                                 or ""))
    if isinstance(content, bytes):
        content = content.decode("utf-8", "replace")
    return None, str(content or "")[:300]


def classify(outcome: object) -> Verdict:
    """Classify the result of one simple-salesforce call (or the exception it raised)."""
    if isinstance(outcome, SalesforceError):
        return classify_error(outcome.status, outcome.content, outcome.resource_name)
    if isinstance(outcome, requests.Timeout | requests.ConnectionError):
        return Verdict(Action.RETRY, message=f"no answer from Salesforce ({type(outcome).__name__})")
    if isinstance(outcome, requests.exceptions.ChunkedEncodingError):
        return Verdict(Action.RETRY, message="the answer from Salesforce was cut off")
    if isinstance(outcome, ValueError) and "JSON" in type(outcome).__name__ + str(outcome)[:40]:
        return Verdict(Action.RETRY, message="Salesforce answered with something that is not JSON")
    return SUCCESS   # results pass; unexpected exceptions are re-raised unchanged by the Caller


def classify_error(status: int, content: Any, resource: str = "") -> Verdict:
    code, message = error_details(content)
    text = f"HTTP {status}" + (f" {code}" if code else "") + (f": {message}" if message else "")
    if status == 401:
        return Verdict(Action.REFRESH, code or "INVALID_SESSION_ID",
                       text + "; the session expired or was revoked", status=status, error=AuthError)
    if status == 403 and code == "REQUEST_LIMIT_EXCEEDED":
        return Verdict(Action.FAIL, code, text + "; the org's daily API limit is used up, wait for its "
                       "24-hour window to move or raise the org's limit", status=status, error=QuotaExhausted)
    if status == 429:
        return Verdict(Action.RATE_LIMITED, code, text, status=status)
    if status >= 500 or status == 408 or (code in TRANSIENT_CODES):
        return Verdict(Action.RETRY, code, text, status=status)
    if status == 403:
        return Verdict(Action.FAIL, code, text + "; the integration user lacks a permission (API Enabled, "
                       "object or field access)", status=status, error=AuthError)
    return Verdict(Action.FAIL, code, text, status=status, error=ConnectorError)
