"""Real network parts for the network tests: the sandbox over TLS, and a CONNECT proxy.

Both listen on 127.0.0.1. The sandbox's certificate comes from a throwaway certificate
authority (``trustme``), as a private CA or a TLS-intercepting proxy would issue it; the
proxy tunnels ``CONNECT host:port`` as a corporate forward proxy does and records each
target, so a test can assert that a request really went through it.
"""

from __future__ import annotations

import contextlib
import socket
import ssl
import threading
import typing as t
from pathlib import Path

import trustme

from heymarket_sandbox import SandboxAPI, serve
from heymarket_sandbox.http import RunningSandbox


def tls_sandbox(api: SandboxAPI, ca: trustme.CA, *names: str) -> RunningSandbox:
    """The sandbox serving HTTPS on a certificate for ``names`` signed by ``ca``."""
    running = serve(api)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert(*(names or ("localhost", "127.0.0.1"))).configure_cert(context)
    running.server.socket = context.wrap_socket(running.server.socket, server_side=True)
    return running


def https_url(running: RunningSandbox, host: str = "localhost") -> str:
    return f"https://{host}:{running.server.server_address[1]}"


def ca_bundle(ca: trustme.CA, folder: Path) -> str:
    path = folder / "private-ca.pem"
    ca.cert_pem.write_to_path(str(path))
    return str(path)


class ConnectProxy:
    """A forward proxy for HTTPS: ``CONNECT host:port``, then bytes both ways."""

    def __init__(self) -> None:
        self.targets: list[str] = []
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self._listener.getsockname()[1]}"
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            threading.Thread(target=self._tunnel, args=(client,), daemon=True).start()

    def _tunnel(self, client: socket.socket) -> None:
        with client:
            head = b""
            while b"\r\n\r\n" not in head:
                chunk = client.recv(4096)
                if not chunk:
                    return
                head += chunk
            method, target, _ = head.split(b"\r\n", 1)[0].decode().split(" ", 2)
            if method != "CONNECT":
                client.sendall(b"HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\n\r\n")
                return
            self.targets.append(target)
            host, port = target.rsplit(":", 1)
            try:
                upstream = socket.create_connection((host, int(port)), timeout=10)
            except OSError:
                client.sendall(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n")
                return
            with upstream:
                client.sendall(b"HTTP/1.1 200 Connection Established\r\n\r\n")
                pump = threading.Thread(target=_pipe, args=(upstream, client), daemon=True)
                pump.start()
                _pipe(client, upstream)
                pump.join(timeout=10)

    def close(self) -> None:
        self._listener.close()


def _pipe(source: socket.socket, sink: socket.socket) -> None:
    try:
        while data := source.recv(65536):
            sink.sendall(data)
    except OSError:
        pass
    finally:
        with contextlib.suppress(OSError):
            sink.shutdown(socket.SHUT_WR)


def environment(**values: str) -> dict[str, t.Any]:
    """Network variables for a child process: those given, every other one cleared.

    A proxy variable is given in both spellings: ``urllib`` lets an empty lowercase one
    cancel its uppercase twin.
    """
    names = ("HTTPS_PROXY", "HTTP_PROXY", "ALL_PROXY", "NO_PROXY", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE")
    cleared = {name: "" for name in (*names, "SSL_CERT_FILE")}
    cleared.update({name.lower(): "" for name in names if name.endswith("PROXY")})
    for name, value in values.items():
        cleared[name] = value
        if name.endswith("PROXY"):
            cleared[name.lower()] = value
    return cleared
