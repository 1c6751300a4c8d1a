"""OAuth token flows against ``crm.login_url`` + ``/services/oauth2/token``, done by the connector.

* client credentials: ``grant_type=client_credentials`` with HTTP Basic ``client_id:client_secret``;
* JWT bearer: an RS256 assertion (iss = client_id, sub = username, aud = ``jwt_audience`` or
  https://login.salesforce.com, exp 3 minutes) signed with PyJWT;
* a ready session: ``instance_url`` + ``access_token`` as given; it cannot be refreshed.

Tokens never appear in messages or reprs.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import jwt
import requests

from config.models import SalesforceCRM
from connectors.base import AuthError
from connectors.http import SUCCESS, Action, Verdict

TOKEN_PATH = "/services/oauth2/token"  # noqa: S105  (a path, not a secret)
DEFAULT_AUDIENCE = "https://login.salesforce.com"
JWT_LIFETIME_S = 180
ENDPOINT = "salesforce.oauth.token"


@dataclass(frozen=True)
class Token:
    access_token: str = field(repr=False)
    instance_url: str


class TokenSource:
    """Fetches access tokens for one tenant's Salesforce credentials."""

    def __init__(self, crm: SalesforceCRM, session: requests.Session, *,
                 clock: Callable[[], float] = time.time) -> None:
        self.crm = crm
        self.session = session
        self._clock = clock

    @property
    def flow(self) -> str:
        return self.crm.auth_flow

    @property
    def can_refresh(self) -> bool:
        return self.flow != "session"

    @property
    def token_url(self) -> str:
        return self.crm.login_url.rstrip("/") + TOKEN_PATH

    def ready_session(self) -> Token:
        """The configured session (``flow == "session"``)."""
        if self.crm.access_token is None or self.crm.instance_url is None:
            raise AuthError("a ready Salesforce session needs instance_url and access_token")
        return Token(self.crm.access_token.get_secret_value(), self.crm.instance_url)

    def request(self) -> requests.Response:
        """POST the token request of the configured flow (one HTTP call, not classified)."""
        if self.flow == "client_credentials":
            return self.session.post(self.token_url, data={"grant_type": "client_credentials"},
                                     auth=(self._client_id(), self._secret()))
        if self.flow == "jwt":
            return self.session.post(self.token_url, data={
                "grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer", "assertion": self.assertion()})
        raise AuthError("the Salesforce access_token was given ready-made and cannot be refreshed: "
                        "renew crm.access_token (or configure client credentials or JWT bearer)",
                        code="INVALID_SESSION_ID")

    def assertion(self) -> str:
        """The signed JWT bearer assertion."""
        if self.crm.private_key is None or self.crm.username is None:
            raise AuthError("JWT bearer needs client_id, username and private_key_file")
        now = int(self._clock())
        claims = {"iss": self._client_id(), "sub": self.crm.username,
                  "aud": self.crm.jwt_audience or DEFAULT_AUDIENCE, "exp": now + JWT_LIFETIME_S}
        try:
            return jwt.encode(claims, self.crm.private_key.get_secret_value(), algorithm="RS256")
        except (ValueError, TypeError, jwt.PyJWTError) as exc:
            raise AuthError("the JWT private key could not sign the assertion: give an RSA private key in "
                            f"PEM form in private_key_file ({type(exc).__name__})") from None

    def _client_id(self) -> str:
        if self.crm.client_id is None:
            raise AuthError("crm.client_id is missing")
        return self.crm.client_id.get_secret_value()

    def _secret(self) -> str:
        if self.crm.client_secret is None:
            raise AuthError("crm.client_secret is missing")
        return self.crm.client_secret.get_secret_value()


def read_token(response: requests.Response) -> Token:
    body = response.json()
    return Token(str(body["access_token"]), str(body["instance_url"]).rstrip("/"))


def classify_token(outcome: requests.Response | BaseException) -> Verdict:
    """The token endpoint's answer: 200 ok, 5xx/network retried, OAuth errors are AuthErrors."""
    if isinstance(outcome, AuthError):
        return Verdict(Action.FAIL, outcome.code, str(outcome), error=AuthError)
    if isinstance(outcome, requests.Timeout | requests.ConnectionError):
        return Verdict(Action.RETRY, message=f"token request failed: {type(outcome).__name__}")
    if isinstance(outcome, BaseException):
        return SUCCESS            # not ours to judge: re-raised by the Caller
    status = outcome.status_code
    if status == 200:
        body = _json(outcome)
        if isinstance(body, dict) and body.get("access_token") and body.get("instance_url"):
            return Verdict(Action.SUCCESS, status=status)
        return Verdict(Action.FAIL, "invalid_response",
                       "the token endpoint answered 200 without access_token and instance_url; "
                       "check crm.login_url", status=status, error=AuthError)
    if status == 429:
        return Verdict(Action.RATE_LIMITED, "rate_limited", "token endpoint rate limited", status=status)
    if status >= 500:
        return Verdict(Action.RETRY, f"HTTP_{status}", f"token endpoint answered HTTP {status}", status=status)
    body = _json(outcome)
    code = str(body.get("error")) if isinstance(body, dict) and body.get("error") else f"HTTP_{status}"
    detail = body.get("error_description") if isinstance(body, dict) else None
    return Verdict(Action.FAIL, code, _advice(code, detail, status), status=status, error=AuthError)


def _advice(code: str, detail: Any, status: int) -> str:
    what = f"Salesforce refused the token request (HTTP {status}, {code}"
    what += f": {detail})" if detail else ")"
    if code == "invalid_grant":
        return (what + "; check client_id/client_secret or, for JWT bearer, the username, the certificate "
                "uploaded to the connected app, that the user is pre-authorised, and jwt_audience")
    if code in ("invalid_client_id", "invalid_client"):
        return what + "; check crm.client_id and crm.client_secret (the connected app's consumer key/secret)"
    if code == "unsupported_grant_type":
        return what + "; enable the client credentials (or JWT) flow on the connected app"
    return what + "; check crm.login_url and the connected app"


def _json(response: requests.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None
