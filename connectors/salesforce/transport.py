"""The ``requests`` session the connector owns: default timeouts, and plain HTTP for loopback hosts.

simple-salesforce rebuilds every URL as ``https://host[:port]`` (CRM_APIS.md section 4). For a sandbox
at ``http://127.0.0.1:PORT`` the session gets an adapter that sends ``https://127.0.0.1:PORT/...`` as
``http://...``; this is done only for loopback hosts, so a real org is always reached over TLS.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit, urlunsplit

import requests
from requests.adapters import HTTPAdapter

LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})
DEFAULT_TIMEOUT = (10.0, 120.0)     # connect, read (seconds)


class SessionAdapter(HTTPAdapter):
    """Applies a default timeout; with ``plain_http`` sends https URLs as http (loopback only)."""

    def __init__(self, *, timeout: tuple[float, float] = DEFAULT_TIMEOUT, plain_http: bool = False) -> None:
        super().__init__()
        self.default_timeout = timeout
        self.plain_http = plain_http

    def send(self, request: requests.PreparedRequest, stream: bool = False,
             timeout: Any = None, verify: Any = True, cert: Any = None,
             proxies: Any = None) -> requests.Response:
        if self.plain_http and request.url and request.url.startswith("https://"):
            parts = urlsplit(request.url)
            if parts.hostname in LOOPBACK:
                request.url = urlunsplit(("http", *parts[1:]))
        return super().send(request, stream=stream, timeout=timeout or self.default_timeout,
                            verify=verify, cert=cert, proxies=proxies)


def is_plain_loopback(url: str | None) -> bool:
    if not url:
        return False
    parts = urlsplit(url)
    return parts.scheme == "http" and parts.hostname in LOOPBACK


def build_session(*urls: str | None, timeout: tuple[float, float] = DEFAULT_TIMEOUT) -> requests.Session:
    """A session with default timeouts; plain-HTTP loopback URLs among ``urls`` get the rewrite."""
    session = requests.Session()
    session.trust_env = False if any(is_plain_loopback(u) for u in urls) else session.trust_env
    default = SessionAdapter(timeout=timeout)
    session.mount("https://", default)
    session.mount("http://", default)
    for url in urls:
        allow_plain_http(session, url, timeout=timeout)
    return session


def allow_plain_http(session: requests.Session, url: str | None, *,
                     timeout: tuple[float, float] = DEFAULT_TIMEOUT) -> None:
    """Mount the rewrite for ``url``'s host:port when it is plain HTTP on a loopback host."""
    if not url or not is_plain_loopback(url):
        return
    netloc = urlsplit(url).netloc
    session.mount(f"https://{netloc}/", SessionAdapter(timeout=timeout, plain_http=True))
