"""The sandbox's HTTP transport: a stdlib threading server that speaks HTTP/1.1 keep-alive.

It parses each request into a :class:`~sandbox.wire.SandboxRequest`, asks a dispatcher for a
:class:`Reply`, and writes the reply in one ``send`` (status line, headers with Content-Length, body) on a
TCP_NODELAY socket, so small keep-alive exchanges never wait on Nagle's algorithm. A reply may ask the
transport to wait first (slow responses) or to hold the connection and drop it (timeouts).
"""

from __future__ import annotations

import socket
import sys
import threading
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlsplit

import orjson

from sandbox.wire import SandboxRequest, SandboxResponse

MAX_BODY = 256 * 1024 * 1024


@dataclass(frozen=True)
class Reply:
    response: SandboxResponse | None      # None = send nothing (drop the connection)
    delay_s: float = 0.0                  # wait this long before answering (or before dropping)


Dispatcher = Callable[[SandboxRequest], Reply]


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Unknown"


def parse_request(method: str, target: str, headers: dict[str, str], body: bytes) -> SandboxRequest:
    parts = urlsplit(target)
    query = parse_qs(parts.query, keep_blank_values=True)
    return SandboxRequest(method.upper(), unquote(parts.path) or "/", query, headers, body)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: SandboxHTTPServer

    def setup(self) -> None:
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, format: str, *args: object) -> None:
        """Silence the stdlib's per-request stderr line; the sandbox keeps its own request log."""

    def _read_body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    self.rfile.readline()
                    break
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
            return b"".join(chunks)
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY:
            raise ValueError(f"request body of {length} bytes is larger than the sandbox accepts ({MAX_BODY})")
        return self.rfile.read(length) if length else b""

    def _serve(self) -> None:
        try:
            body = self._read_body()
            headers = {k.lower(): v for k, v in self.headers.items()}
            request = parse_request(self.command, self.path, headers, body)
            reply = self.server.dispatch(request)
        except Exception as exc:  # a bug in an emulator must not kill the connection thread silently
            traceback.print_exc(file=sys.stderr)
            reply = Reply(SandboxResponse.json(500, {"status": "error", "message": f"sandbox error: {exc}"}))
        if reply.delay_s > 0:
            self.server.stopping.wait(reply.delay_s)
        if reply.response is None:
            self.close_connection = True
            return
        self._write(reply.response)

    def _write(self, response: SandboxResponse) -> None:
        body = response.body
        if self.command == "HEAD":
            body = b""
        lines = [f"HTTP/1.1 {response.status} {_reason(response.status)}"]
        for name, value in response.headers.items():
            if name.lower() not in ("content-length", "connection"):
                lines.append(f"{name}: {value}")
        lines.append(f"Content-Length: {len(response.body)}")
        if self.close_connection or self.server.stopping.is_set():
            lines.append("Connection: close")
            self.close_connection = True
        head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
        try:
            self.wfile.write(head + body)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = do_HEAD = _serve


class SandboxHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], dispatch: Dispatcher) -> None:
        super().__init__(address, _Handler)
        self.dispatch = dispatch
        self.stopping = threading.Event()


class ServerThread:
    """Runs a :class:`SandboxHTTPServer` in a background thread."""

    def __init__(self, host: str, port: int, dispatch: Dispatcher) -> None:
        self.httpd = SandboxHTTPServer((host, port), dispatch)
        self._thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.1},
                                        name="sandbox-http", daemon=True)

    @property
    def port(self) -> int:
        return int(self.httpd.server_address[1])

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self.httpd.stopping.set()
        self.httpd.shutdown()
        self.httpd.server_close()
        self._thread.join(timeout=5)


def json_error(status: int, message: str) -> SandboxResponse:
    return SandboxResponse(status, orjson.dumps({"status": "error", "message": message}),
                           {"Content-Type": "application/json;charset=UTF-8"})
