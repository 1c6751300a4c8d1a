"""The :class:`Sandbox`: both emulated CRMs behind one local HTTP server, with faults and a request log."""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from sandbox import admin, ui
from sandbox.faults import FaultInjector, FaultRule
from sandbox.hubspot import HubSpotApp, HubSpotSettings, RateLimits
from sandbox.requestlog import RequestLog, RequestLogEntry
from sandbox.server import Reply, ServerThread, json_error
from sandbox.wire import SandboxApp, SandboxRequest, SandboxResponse

if TYPE_CHECKING:
    from types import TracebackType

    from sandbox.salesforce import SalesforceApp


@dataclass(frozen=True)
class SandboxConfig:
    seed: int = 0                                # seeds fault probabilities and default account seeds
    now: datetime | None = None                  # generation clock (None = real time)
    hubspot: HubSpotSettings = field(default_factory=HubSpotSettings)
    salesforce_strict: bool = True               # Salesforce's UNVERIFIED behaviours: stricter side
    request_log_limit: int = 100_000             # entries kept (counters keep counting beyond)
    host: str = "127.0.0.1"


class Sandbox:
    """Start with :meth:`start` (or ``with Sandbox(...) as sb``); add accounts; point clients at :attr:`url`."""

    def __init__(self, config: SandboxConfig | None = None) -> None:
        self.config = config or SandboxConfig()
        now_ms = int(self.config.now.timestamp() * 1000) if self.config.now else None
        self.hubspot = HubSpotApp(self.config.hubspot, now_ms)
        self.salesforce: SalesforceApp | None = _salesforce_app(self.config)
        self.apps: list[SandboxApp] = [self.hubspot] + ([self.salesforce] if self.salesforce else [])
        self.faults = FaultInjector(seed=self.config.seed)
        self.log = RequestLog(self.config.request_log_limit)
        self.salesforce_orgs: dict[str, str] = {}     # org id -> client id
        self._server: ServerThread | None = None
        self._host = self.config.host

    # ---- lifecycle
    def start(self, port: int = 0, host: str | None = None) -> Sandbox:
        if self._server is None:
            self._host = host or self.config.host
            self._server = ServerThread(self._host, port, self.handle)
            self._server.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            self._server = None

    def __enter__(self) -> Sandbox:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("the sandbox is not running: call start() first")
        return self._server.port

    @property
    def url(self) -> str:
        return f"http://{self._host}:{self.port}"

    # ---- accounts
    def add_hubspot_portal(self, token: str | None = None, contacts: int = 500, seed: int = 1, *,
                           companies: int | None = None, page_views: bool = True,
                           rate_limit: RateLimits | None = None) -> str:
        """Add a portal with generated data; returns its id. ``token`` defaults to a fresh ``pat-na1-...``."""
        return self.hubspot.add_portal(token, contacts, seed, companies=companies, page_views=page_views,
                                       limits=rate_limit).id

    def hubspot_token(self, portal_id: str) -> str:
        return self.hubspot.portals[portal_id].token

    def add_salesforce_org(self, client_id: str | None = None, client_secret: str | None = None,
                           leads: int = 300, contacts: int = 200, seed: int = 2, **options: Any) -> str:
        """Add an org (delegates to ``SalesforceApp.add_org``); returns its org id."""
        if self.salesforce is None:
            raise RuntimeError("the Salesforce emulator (sandbox.salesforce) is not available")
        client_id = client_id or f"3MVG9sandbox{secrets.token_hex(8)}"
        client_secret = client_secret or secrets.token_hex(16)
        org_id = self.salesforce.add_org(client_id, client_secret, leads=leads, contacts=contacts, seed=seed,
                                         **options)
        self.salesforce_orgs[org_id] = client_id
        return org_id

    def advance_activity(self, n: int = 50) -> dict[str, Any]:
        """``n`` new activities per account: HubSpot visits, forms, opens, clicks, meetings...; Salesforce
        campaign responses, tasks and events (when its app offers it)."""
        out: dict[str, Any] = {"hubspot": self.hubspot.advance_activity(n)}
        if self.salesforce is not None and hasattr(self.salesforce, "advance_activity"):
            out["salesforce"] = {org: self.salesforce.advance_activity(org, n) for org in self.salesforce_orgs}
        return out

    # ---- request log and faults
    def requests(self, account: str | None = None) -> list[RequestLogEntry]:
        return self.log.entries(account)

    def clear_requests(self) -> None:
        self.log.clear()

    def inject_fault(self, rule: FaultRule) -> FaultRule:
        return self.faults.add(rule)

    def clear_faults(self) -> None:
        self.faults.clear()

    def reset(self) -> None:
        """Forget every account, logged request and fault: as freshly started (the server keeps running)."""
        for app in self.apps:
            app.reset()
        self.salesforce_orgs.clear()
        self.faults.clear()
        self.log.clear()

    def stats(self) -> dict[str, Any]:
        with_portals = {pid: p.stats() for pid, p in self.hubspot.portals.items()}
        return {"requests": self.log.stats(), "hubspot": with_portals,
                "salesforce": {"orgs": sorted(self.salesforce_orgs)}, "faults": self.faults.rules()}

    def record_url(self, account: str, object_type: str, record_id: str) -> str:
        """The HTML page of one record (what a user would open "inside the CRM")."""
        crm = "hubspot" if account in self.hubspot.portals else "salesforce"
        return f"{self.url}/ui/{crm}/{quote(account)}/{quote(object_type)}/{quote(str(record_id))}"

    # ---- dispatch (called by the HTTP server)
    def handle(self, request: SandboxRequest) -> Reply:
        started = time.perf_counter()
        account = self._account_of(request)
        reply = self._route(request, account)
        response = reply.response
        status = response.status if response is not None else 0
        self.log.add(RequestLogEntry(
            request.method, request.path, status, response.batch_size if response else None,
            (response.account if response and response.account else account), time.time(),
            round((time.perf_counter() - started) * 1000 + reply.delay_s * 1000, 3)))
        return reply

    def _account_of(self, request: SandboxRequest) -> str | None:
        for app in self.apps:
            finder = getattr(app, "account_of", None)
            if finder is not None:
                account = finder(request)
                if account is not None:
                    return str(account)
        return None

    def _route(self, request: SandboxRequest, account: str | None) -> Reply:
        path = request.path
        if path.startswith("/_admin/"):
            return Reply(admin.handle(self, request))
        if path == "/ui" or path.startswith("/ui/"):
            return Reply(ui.handle(self, request))
        if path == "/":
            return Reply(SandboxResponse(302, headers={"Location": "/ui/"}))
        action = self.faults.check(request.method, path, account)
        if action is not None and (action.drop or action.response is not None):
            return Reply(action.response, action.delay_s)
        delay = action.delay_s if action is not None else 0.0
        for app in self.apps:
            response = app.handle(request)
            if response is not None:
                return Reply(response, delay)
        return Reply(json_error(404, f"no sandbox route for {request.method} {path}"), delay)


def _salesforce_app(config: SandboxConfig) -> SalesforceApp | None:
    try:
        from sandbox.salesforce import SalesforceApp
    except ImportError:
        return None
    return SalesforceApp(strict=config.salesforce_strict, now=config.now)
