"""A real HTTP server around SalesforceApp and a simple-salesforce client pointed at it.

simple-salesforce rebuilds every URL as https://host:port; the session's transport adapter rewrites
those to the plain-HTTP test server (CRM_APIS.md section 4).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import pytest
import requests
from requests.adapters import HTTPAdapter
from simple_salesforce.api import Salesforce

from sandbox.salesforce import SalesforceApp
from sandbox.wire import SandboxRequest

CLIENT_ID = "crmsync-test-client"
CLIENT_SECRET = "s3cret-value"


def _handler(app: SalesforceApp) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _serve(self) -> None:
            parts = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            request = SandboxRequest(
                method=self.command, path=unquote(parts.path),
                query=parse_qs(parts.query, keep_blank_values=True),
                headers={k.lower(): v for k, v in self.headers.items()},
                body=self.rfile.read(length) if length else b"")
            response = app.handle(request)
            if response is None:
                self.send_error(404)
                return
            self.send_response(response.status)
            for name, value in response.headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(response.body)))
            self.end_headers()
            self.wfile.write(response.body)

        do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = _serve

        def log_message(self, format: str, *args: Any) -> None:
            return

    return Handler


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
def app() -> SalesforceApp:
    return SalesforceApp()


@pytest.fixture
def org_id(app: SalesforceApp) -> str:
    return app.add_org(client_id=CLIENT_ID, client_secret=CLIENT_SECRET, leads=300, contacts=200, seed=2,
                       activities_per_person=10)


@pytest.fixture
def base_url(app: SalesforceApp) -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(app))
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


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
