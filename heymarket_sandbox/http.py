"""The sandbox's HTTP layer: one handler for every endpoint, faults applied on the wire.

Start it with :func:`serve` (tests, benchmarks) or ``python -m heymarket_sandbox``.
"""

from __future__ import annotations

import json
import threading
import time
import typing as t
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from heymarket_sandbox import control
from heymarket_sandbox.server import Fault, LoggedRequest, SandboxAPI
from tap_heymarket import clock


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out as separate writes
    server: _Server

    def log_message(self, format: str, *args: t.Any) -> None:
        """Quiet: the request log is kept in memory."""

    def date_time_string(self, timestamp: float | None = None) -> str:
        """The ``Date`` header, from the server's own clock (``clock_offset`` ahead of ours)."""
        now = clock.wall() if timestamp is None else timestamp
        return super().date_time_string(now + self.server.api.clock_offset)

    def do_GET(self) -> None:
        self._timed_serve()

    def do_POST(self) -> None:
        self._timed_serve()

    def do_DELETE(self) -> None:
        self._timed_serve()

    def _timed_serve(self) -> None:
        """Serve, noting arrival and handling time for ``/_sandbox/stats``."""
        if self.path.startswith(control.PREFIX):
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            try:
                body = json.loads(raw) if raw else {}
            except ValueError:
                body = None
            self._reply(*control.answer(self.server.api, self.command, self.path, body))
            return
        started = time.perf_counter()
        try:
            self._serve()
        finally:
            control.observe(self.server.api, self.path, started, time.perf_counter())

    def _serve(self) -> None:
        api = self.server.api
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        path = self.path.split("?", 1)[0]
        try:
            body = json.loads(raw) if raw else {}
        except ValueError:
            body = None
        if api.latency:
            time.sleep(api.latency)
        if api.on_request is not None:
            api.on_request(api, path, body if isinstance(body, dict) else {})
        auth = self.headers.get("Authorization", "")
        fault = api.next_fault(path)
        status, payload, headers, ctype = 200, b"", {}, "application/json"
        if fault is not None and fault.kind == "slow":
            time.sleep(fault.delay)
            fault = None
        if fault is not None and fault.kind == "drop":
            api.requests.append(LoggedRequest(self.command, path, body or {}, 0, auth))
            self.close_connection = True
            self.connection.close()
            return
        if not api.authorized(auth):
            status, payload = 401, b'{"error":"unauthorized"}'
        elif not isinstance(body, dict):
            status, payload = 400, b'{"error":"bad_data"}'
        elif fault is not None and fault.kind == "status":
            status, payload, headers, ctype = fault.status, fault.body, fault.headers, fault.content_type
        elif fault is not None and fault.kind in ("garbage", "echo"):
            status, payload, ctype = _canned(fault, auth)
        else:
            status, payload = api.answer(self.command, path, body)
            payload = _hostile(fault, payload) if status == 200 else payload
        api.requests.append(LoggedRequest(self.command, path, body or {}, status, auth))
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(payload)))
        self.send_header("X-Request-Id", api.next_request_id())
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self._write_body(fault, payload)

    def _write_body(self, fault: Fault | None, payload: bytes) -> None:
        """The body as sent, or as a ``drip`` or ``truncate`` fault delivers it."""
        if fault is not None and fault.kind == "drip":
            for byte in payload:
                self.wfile.write(bytes([byte]))
                self.wfile.flush()
                time.sleep(fault.delay)
            return
        if fault is not None and fault.kind == "truncate":
            self.wfile.write(payload[: len(payload) // 2])
            self.wfile.flush()
            self.close_connection = True
            self.connection.close()
            return
        self.wfile.write(payload)

    def _reply(self, status: int, payload: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)


def _canned(fault: Fault, auth: str) -> tuple[int, bytes, str]:
    """Status, body and content type of a ``garbage`` or ``echo`` fault."""
    if fault.kind == "echo":
        return fault.status, json.dumps({"error": "denied", "you_sent": auth}).encode(), "application/json"
    return 200, b"<html><body>Gateway says hi</body></html>", "text/html"


def _hostile(fault: Fault | None, payload: bytes) -> bytes:
    """The real answer as a ``splice`` or ``bom`` fault reshapes it (else unchanged)."""
    if fault is None:
        return payload
    if fault.kind == "bom":
        return b"\xef\xbb\xbf" + payload
    if fault.kind == "splice" and payload.startswith(b"["):
        rest = payload[1:]
        return b"[" + fault.body + (b"," + rest if rest.strip() != b"]" else b"]")
    return payload


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], api: SandboxAPI) -> None:
        super().__init__(address, _Handler)
        self.api = api

    def handle_error(self, request: t.Any, client_address: t.Any) -> None:
        """Quiet: dropped and truncated responses are faults the sandbox injects on purpose."""


class RunningSandbox:
    """A sandbox server on a background thread; a context manager that stops it."""

    def __init__(self, api: SandboxAPI, host: str = "127.0.0.1", port: int = 0) -> None:
        self.api = api
        self.server = _Server((host, port), api)
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self.thread.start()

    @property
    def url(self) -> str:
        """Base URL, e.g. ``http://127.0.0.1:49152``."""
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}"

    def stop(self) -> None:
        """Shut the server down and free its port."""
        self.server.shutdown()
        self.server.server_close()

    def __enter__(self) -> RunningSandbox:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def serve(api: SandboxAPI | None = None, host: str = "127.0.0.1", port: int = 0) -> RunningSandbox:
    """Start a sandbox (on a free port unless one is given)."""
    return RunningSandbox(api or SandboxAPI(), host, port)
