"""The small request/response types shared by the sandbox server and its CRM emulators.

The server (``sandbox.server``) parses HTTP into a :class:`SandboxRequest`, hands it to each
emulator app in turn (HubSpot, Salesforce), and writes back the first :class:`SandboxResponse`
it gets. Apps never touch sockets; that keeps them testable as plain functions.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

import orjson


@dataclass(frozen=True)
class SandboxRequest:
    method: str                              # upper case: GET, POST, PATCH, PUT, DELETE
    path: str                                # URL path without the query string, percent-decoded
    query: Mapping[str, list[str]]           # parsed query string; repeated keys keep every value
    headers: Mapping[str, str]               # header names lower-cased
    body: bytes = b""

    def json(self) -> Any:
        return orjson.loads(self.body) if self.body else None

    def param(self, name: str, default: str | None = None) -> str | None:
        values = self.query.get(name)
        return values[0] if values else default


@dataclass
class SandboxResponse:
    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    account: str | None = None               # portal id / org id the request was served for (request log)
    batch_size: int | None = None            # records in the request or page (request log)

    @classmethod
    def json(cls, status: int, payload: Any, headers: Mapping[str, str] | None = None,
             **kw: Any) -> SandboxResponse:
        h = {"Content-Type": "application/json;charset=UTF-8"}
        h.update(headers or {})
        return cls(status, orjson.dumps(payload), h, **kw)

    @classmethod
    def text(cls, status: int, text: str, content_type: str = "text/plain; charset=utf-8",
             headers: Mapping[str, str] | None = None, **kw: Any) -> SandboxResponse:
        h = {"Content-Type": content_type}
        h.update(headers or {})
        return cls(status, text.encode("utf-8"), h, **kw)


class SandboxApp(Protocol):
    """One emulated CRM. ``handle`` returns None when the path is not its own."""

    def handle(self, request: SandboxRequest) -> SandboxResponse | None: ...

    def reset(self) -> None: ...
