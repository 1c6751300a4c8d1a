"""The worker's HTTP endpoint: ``/healthz``, ``/readyz``, ``/metrics`` and ``/status``.

- ``/healthz``: 200 while the process serves requests (the container's HEALTHCHECK); 503 once it is stopping.
- ``/readyz``: 200 when the tenant files are loaded and the database answers, else 503 with the reason.
- ``/metrics``: Prometheus text format (see sync/metrics.py and docs/operations.md).
- ``/status``: JSON, per tenant: schedule, next run, last cycle summary, failures and backoff, outbox.

A stdlib threaded server in a daemon thread: a scrape never waits for a cycle.
"""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import orjson
import structlog

from sync.metrics import CONTENT_TYPE_LATEST
from sync.service import Worker

log = structlog.get_logger()

DEFAULT_PORT = 8080


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        worker = self.server.worker
        path = self.path.split("?", 1)[0].rstrip("/") or "/"
        if path == "/healthz":
            alive = not worker.stopping
            self._send(200 if alive else 503, b"ok\n" if alive else b"stopping\n", "text/plain; charset=utf-8")
        elif path == "/readyz":
            ready, why = worker.ready()
            self._send(200 if ready else 503, (why + "\n").encode(), "text/plain; charset=utf-8")
        elif path == "/metrics":
            self._send(200, worker.metrics.render(), CONTENT_TYPE_LATEST)
        elif path == "/status":
            body = orjson.dumps(worker.status(), option=orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS, default=str)
            self._send(200, body, "application/json")
        elif path == "/":
            self._send(200, b"crmsync worker: /healthz /readyz /metrics /status\n", "text/plain; charset=utf-8")
        else:
            self._send(404, b"not found: try /healthz /readyz /metrics /status\n", "text/plain; charset=utf-8")

    def _send(self, code: int, body: bytes, content_type: str) -> None:
        self.send_response(code)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:   # access logs would drown the cycle logs
        return


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], worker: Worker) -> None:
        self.worker = worker
        super().__init__(address, _Handler)


class HealthServer:
    """Serves the worker's endpoint on ``host:port`` (port 0 picks a free one) until ``close()``."""

    def __init__(self, worker: Worker, host: str = "0.0.0.0", port: int = DEFAULT_PORT) -> None:  # noqa: S104
        self._server = _Server((host, port), worker)
        self._thread = threading.Thread(target=self._server.serve_forever, name="crmsync-http", daemon=True)

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    def start(self) -> HealthServer:
        self._thread.start()
        log.info("http_listening", port=self.port)
        return self

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
