"""The sandbox server (sandbox.Sandbox) with its SalesforceApp, and a simple-salesforce client pointed at it.

simple-salesforce rebuilds every URL as https://host:port; the session's transport adapter rewrites
those to the plain-HTTP test server (CRM_APIS.md section 4).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests
from requests.adapters import HTTPAdapter
from simple_salesforce.api import Salesforce

from sandbox import Sandbox, SandboxConfig
from sandbox.salesforce import SalesforceApp

CLIENT_ID = "crmsync-test-client"
CLIENT_SECRET = "s3cret-value"


class RewriteToHttp(HTTPAdapter):
    """Sends https://<host>/... to the local plain-HTTP server."""

    def __init__(self, base: str) -> None:
        super().__init__()
        self.base = base

    def send(self, request: requests.PreparedRequest, *args: Any, **kwargs: Any) -> requests.Response:
        url = request.url or ""
        if url.startswith("https://"):
            request.url = self.base + "/" + url.split("/", 3)[3] if url.count("/") >= 3 else self.base
        return super().send(request, *args, **kwargs)


@pytest.fixture
def sandbox_server() -> Iterator[Sandbox]:
    """The real sandbox server (sandbox.Sandbox) on a free port, with its Salesforce app."""
    with Sandbox(SandboxConfig(seed=3)).start(port=0) as server:
        yield server


@pytest.fixture
def app(sandbox_server: Sandbox) -> SalesforceApp:
    assert sandbox_server.salesforce is not None
    return sandbox_server.salesforce


@pytest.fixture
def org_id(sandbox_server: Sandbox) -> str:
    return sandbox_server.add_salesforce_org(client_id=CLIENT_ID, client_secret=CLIENT_SECRET, leads=300,
                                             contacts=200, seed=2, activities_per_person=10)


@pytest.fixture
def base_url(sandbox_server: Sandbox) -> str:
    return sandbox_server.url


@pytest.fixture
def session(base_url: str) -> requests.Session:
    http = requests.Session()
    http.trust_env = False
    http.mount("https://", RewriteToHttp(base_url))
    return http


def fetch_token(base_url: str, client_id: str = CLIENT_ID, client_secret: str = CLIENT_SECRET) -> dict[str, Any]:
    response = requests.post(f"{base_url}/services/oauth2/token", timeout=10, data={
        "grant_type": "client_credentials", "client_id": client_id, "client_secret": client_secret})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def connect(base_url: str, session: requests.Session, client_id: str = CLIENT_ID,
            client_secret: str = CLIENT_SECRET) -> Salesforce:
    token = fetch_token(base_url, client_id, client_secret)
    return Salesforce(instance_url=token["instance_url"], session_id=token["access_token"], session=session,
                      version="59.0")


@pytest.fixture
def sf(org_id: str, base_url: str, session: requests.Session) -> Salesforce:
    return connect(base_url, session)
