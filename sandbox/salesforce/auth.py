"""OAuth token endpoint (client credentials, JWT bearer) and the sessions its tokens open."""

from __future__ import annotations

import base64
import secrets
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs

import jwt
from cryptography.hazmat.primitives.serialization import load_pem_private_key, load_pem_public_key

from sandbox.salesforce.org import Org
from sandbox.wire import SandboxRequest, SandboxResponse

JWT_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"
AUDIENCES = ("https://login.salesforce.com", "https://test.salesforce.com")


@dataclass
class Session:
    org_id: str
    calls: int = 0
    valid: bool = True


def public_key_of(pem: str | bytes) -> Any:
    data = pem.encode() if isinstance(pem, str) else pem
    if b"PRIVATE KEY" in data:
        return load_pem_private_key(data, password=None).public_key()
    return load_pem_public_key(data)


def _oauth_error(error: str, description: str, status: int = 400) -> SandboxResponse:
    return SandboxResponse.json(status, {"error": error, "error_description": description})


def base_url(request: SandboxRequest) -> str:
    host = request.headers.get("x-forwarded-host") or request.headers.get("host") or "127.0.0.1"
    scheme = request.headers.get("x-forwarded-proto", "http")
    return f"{scheme}://{host}"


def _credentials(request: SandboxRequest, form: dict[str, str]) -> tuple[str | None, str | None]:
    header = request.headers.get("authorization", "")
    if header.lower().startswith("basic "):
        try:
            client_id, _, secret = base64.b64decode(header[6:]).decode().partition(":")
        except ValueError:
            return None, None
        return client_id, secret
    return form.get("client_id"), form.get("client_secret")


def issue_token(request: SandboxRequest, orgs: dict[str, Org],
                sessions: dict[str, Session]) -> SandboxResponse:
    form = {k: v[0] for k, v in parse_qs(request.body.decode("utf-8", "replace")).items()}
    by_client = {org.client_id: org for org in orgs.values()}
    grant = form.get("grant_type")
    if grant == "client_credentials":
        client_id, secret = _credentials(request, form)
        org = by_client.get(client_id or "")
        if org is None:
            return _oauth_error("invalid_client_id", "client identifier invalid")
        if not secrets.compare_digest((secret or "").encode(), org.client_secret.encode()):
            return _oauth_error("invalid_client", "invalid client credentials")
    elif grant == JWT_GRANT:
        org_or_error = _verify_assertion(request, form.get("assertion", ""), by_client)
        if isinstance(org_or_error, SandboxResponse):
            return org_or_error
        org = org_or_error
    else:
        return _oauth_error("unsupported_grant_type", "grant type not supported")
    token = f"{org.org_id[:15]}!{secrets.token_urlsafe(48)}"
    sessions[token] = Session(org.org_id)
    base = base_url(request)
    body: dict[str, Any] = {
        "access_token": token,
        "signature": base64.b64encode(secrets.token_bytes(32)).decode(),
        "scope": "api",
        "instance_url": base,
        "id": f"{base}/id/{org.org_id}/{org.codec.make('User', 0)}",
        "token_type": "Bearer",
        "issued_at": str(int(time.time() * 1000)),
    }
    if grant == JWT_GRANT:
        body.pop("signature")
    return SandboxResponse.json(200, body, account=org.org_id)


def _verify_assertion(request: SandboxRequest, assertion: str,
                      by_client: dict[str, Org]) -> Org | SandboxResponse:
    try:
        claims = jwt.decode(assertion, options={"verify_signature": False})
    except jwt.PyJWTError:
        return _oauth_error("invalid_grant", "invalid assertion")
    org = by_client.get(str(claims.get("iss", "")))
    if org is None:
        return _oauth_error("invalid_client_id", "client identifier invalid")
    audiences = [*AUDIENCES, base_url(request), "https://" + base_url(request).split("://", 1)[1]]
    try:
        if org.public_key is not None:
            claims = jwt.decode(assertion, org.public_key, algorithms=["RS256"], audience=audiences,
                                options={"require": ["exp", "iss", "sub", "aud"]})
        elif "exp" not in claims or claims["exp"] < time.time():
            return _oauth_error("invalid_grant", "expired authorization code")
    except jwt.ExpiredSignatureError:
        return _oauth_error("invalid_grant", "expired authorization code")
    except jwt.InvalidAudienceError:
        return _oauth_error("invalid_grant", "audience is invalid")
    except jwt.PyJWTError:
        return _oauth_error("invalid_grant", "invalid assertion")
    if org.username is not None and claims.get("sub") != org.username:
        return _oauth_error("invalid_grant", "user hasn't approved this consumer")
    return org
