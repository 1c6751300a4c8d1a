"""One tenant's Salesforce API: login, token refresh, and every call made through the Caller.

Every method is one labelled API call (``salesforce.query``, ``salesforce.composite.update`` ...)
made by :class:`connectors.http.Caller`, which paces, retries and classifies. A 401 fetches a new
token once (:meth:`refresh`); a ready session cannot refresh and fails with advice to renew it.
The org's limits reach the budget from every ``Sforce-Limit-Info`` header (a session hook) and
from ``GET limits/`` in :meth:`read_limits`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any, TypeVar, cast

import requests
from simple_salesforce.api import Salesforce
from simple_salesforce.exceptions import SalesforceError
from simple_salesforce.util import exception_handler

from config.models import SalesforceCRM
from connectors.base import AuthError
from connectors.http import Action, Caller, SalesforceBudget, Verdict
from connectors.salesforce.auth import ENDPOINT as TOKEN_ENDPOINT
from connectors.salesforce.auth import Token, TokenSource, classify_token, read_token
from connectors.salesforce.classify import classify
from connectors.salesforce.transport import allow_plain_http, build_session

T = TypeVar("T")


class SalesforceClient:
    def __init__(self, crm: SalesforceCRM, caller: Caller, *, session: requests.Session | None = None,
                 tokens: TokenSource | None = None) -> None:
        self.crm = crm
        self.caller = caller
        self.session = session or build_session(crm.login_url, crm.instance_url)
        self.session.hooks["response"].append(self._observe)
        self.tokens = tokens or TokenSource(crm, self.session)
        self._sf: Salesforce | None = None
        self._retry_after: float | None = None      # from the last 429/503 answer, if it said
        self._server_date: datetime | None = None   # the ``Date`` header of the last answer
        self.horizon: datetime | None = None        # see :meth:`timed`

    # ------------------------------------------------------------------ login
    @property
    def sf(self) -> Salesforce:
        if self._sf is None:
            self._connect(self._login())
        assert self._sf is not None
        return self._sf

    def _login(self) -> Token:
        if not self.tokens.can_refresh:
            return self.tokens.ready_session()
        response = self.caller.call(TOKEN_ENDPOINT, self.tokens.request, classify_token)
        return read_token(response)

    def _connect(self, token: Token) -> None:
        allow_plain_http(self.session, token.instance_url)
        self._sf = Salesforce(instance_url=token.instance_url, session_id=token.access_token,
                              session=self.session, version=self.crm.api_version)

    def refresh(self) -> None:
        """Fetch a new token (the Caller calls this once on 401 INVALID_SESSION_ID)."""
        if not self.tokens.can_refresh:
            raise AuthError("the Salesforce session (crm.access_token) expired or was revoked and a ready "
                            "session cannot be refreshed: renew crm.access_token, or configure client "
                            "credentials or JWT bearer", code="INVALID_SESSION_ID")
        self._connect(self._login())

    def _observe(self, response: requests.Response, *args: Any, **kwargs: Any) -> None:
        budget = self.caller.budget
        if isinstance(budget, SalesforceBudget):
            budget.observe(response.status_code, response.headers)
        self._retry_after = None
        self._server_date = http_date(response.headers.get("Date"))
        if response.status_code in (429, 503):
            try:
                self._retry_after = float(response.headers.get("Retry-After", ""))
            except ValueError:
                self._retry_after = None

    def classify(self, outcome: object) -> Verdict:
        """:func:`classify`, plus the ``Retry-After`` of the answer (simple-salesforce drops headers)."""
        verdict = classify(outcome)
        if verdict.action in (Action.RATE_LIMITED, Action.RETRY) and self._retry_after is not None \
                and isinstance(outcome, SalesforceError) and outcome.status in (429, 503):
            return replace(verdict, retry_after=self._retry_after)
        return verdict

    # ------------------------------------------------------------------ calls
    def timed(self, call: Callable[[], T]) -> T:
        """Make ``call`` and set :attr:`horizon`: the latest second that had surely ended, on the CRM's
        clock, before the call began (its answer's ``Date`` less the time it took, less one second for
        the header's resolution). None when the CRM sent no ``Date``."""
        self._server_date = None
        started = time.monotonic()
        result = call()
        date = self._server_date
        self.horizon = None if date is None else date - timedelta(seconds=time.monotonic() - started + 1)
        return result

    def query(self, soql: str, *, include_deleted: bool = False) -> dict[str, Any]:
        """One SOQL query (its first page); sets :attr:`horizon` for the snapshot it reads."""
        label = "salesforce.query_all" if include_deleted else "salesforce.query"
        return cast(dict[str, Any], self.timed(lambda: self.caller.call(
            label, lambda: self.sf.query(soql, include_deleted=include_deleted), self.classify,
            refresh=self.refresh)))

    def query_more(self, next_url: str) -> dict[str, Any]:
        return cast(dict[str, Any], self.caller.call(
            "salesforce.query_more", lambda: self.sf.query_more(next_url, identifier_is_url=True), self.classify,
            refresh=self.refresh))

    def restful(self, label: str, path: str, *, method: str = "GET", **kwargs: Any) -> Any:
        return self.caller.call(label, lambda: self.sf.restful(path, method=method, **kwargs), self.classify,
                                refresh=self.refresh)

    def describe(self, object_name: str) -> dict[str, Any]:
        return cast(dict[str, Any], self.restful("salesforce.describe", f"sobjects/{object_name}/describe"))

    def read_limits(self) -> dict[str, Any]:
        """``GET limits/``; feeds the daily API limit to the budget."""
        limits = cast(dict[str, Any], self.caller.call("salesforce.limits", lambda: self.sf.limits(), self.classify,
                                                       refresh=self.refresh))
        daily = limits.get("DailyApiRequests") or {}
        budget = self.caller.budget
        if isinstance(budget, SalesforceBudget) and "Max" in daily and "Remaining" in daily:
            budget.set_limits(int(daily["Max"]), int(daily["Remaining"]))
        return limits

    def raw(self, label: str, method: str, path: str, **kwargs: Any) -> requests.Response:
        """A call on the REST base URL returning the raw response (Bulk API 2.0 CSV bodies)."""
        extra = kwargs.pop("headers", {})

        def send() -> requests.Response:
            sf = self.sf
            headers = {**sf.headers, **extra}
            response = self.session.request(method, sf.base_url + path, headers=headers, **kwargs)
            if response.status_code >= 300:
                exception_handler(response, name=path)
            return response
        return self.caller.call(label, send, self.classify, refresh=self.refresh)

    def close(self) -> None:
        self.session.close()


def http_date(value: str | None) -> datetime | None:
    """An HTTP ``Date`` header as an aware UTC datetime (None when absent or unreadable)."""
    if not value:
        return None
    try:
        parsed = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).astimezone(UTC)
