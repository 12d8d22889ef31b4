"""Where enterprises run taps: private certificate authorities, forward proxies, and setup
mistakes that retrying cannot fix (each fails at once, in one line saying what to check)."""

from __future__ import annotations

import socket
import subprocess

import pytest
import trustme

from heymarket_sandbox import SandboxAPI, generate
from tests.harness import config_for, run_cli
from tests.netservers import ConnectProxy, ca_bundle, environment, https_url, tls_sandbox

STREAMS_TO_READ = ("inboxes", "conversations")


@pytest.fixture
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture
def proxy():
    running = ConnectProxy()
    yield running
    running.close()


@pytest.fixture
def tls(ca):
    started = []

    def start(*names: str):
        sandbox = tls_sandbox(SandboxAPI(generate(60, 2, seed=3)), ca, *names)
        started.append(sandbox)
        return sandbox

    yield start
    for sandbox in started:
        sandbox.stop()


def _lines(done: subprocess.CompletedProcess[str], level: str) -> list[str]:
    return [line for line in done.stderr.splitlines() if f"| {level}" in line]


def _fails_at_once(done: subprocess.CompletedProcess[str]) -> str:
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert "Retrying" not in done.stderr  # not worth a retry
    errors = _lines(done, "ERROR")
    assert len(errors) == 1, done.stderr
    return errors[0]


def _records(done: subprocess.CompletedProcess[str]) -> int:
    return done.stdout.count('"type":"RECORD"')


@pytest.mark.parametrize("variable", ["REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "SSL_CERT_FILE"])
def test_a_private_certificate_authority_is_trusted_through_the_environment(
    tls, ca, tmp_path, variable: str
) -> None:
    sandbox = tls()
    env = environment(**{variable: ca_bundle(ca, tmp_path)})
    done = run_cli(tmp_path, config_for(https_url(sandbox)), env=env)
    assert done.returncode == 0, done.stderr
    assert _records(done) > 0
    assert sandbox.api.requests and all(r.status == 200 for r in sandbox.api.requests)


def test_an_untrusted_certificate_fails_at_once_naming_the_variable_to_set(tls, tmp_path) -> None:
    sandbox = tls()
    line = _fails_at_once(run_cli(tmp_path, config_for(https_url(sandbox)), env=environment()))
    assert "TLS certificate of localhost is not trusted" in line
    assert "set REQUESTS_CA_BUNDLE" in line


def test_a_certificate_for_another_host_fails_at_once(tls, ca, tmp_path) -> None:
    sandbox = tls("api.example.test")
    env = environment(REQUESTS_CA_BUNDLE=ca_bundle(ca, tmp_path))
    line = _fails_at_once(run_cli(tmp_path, config_for(https_url(sandbox)), env=env))
    assert "TLS certificate of localhost is for another host name" in line
    assert "check api_url's host name" in line


def test_https_goes_through_the_proxy_the_environment_names(tls, ca, proxy, tmp_path) -> None:
    sandbox = tls()
    env = environment(HTTPS_PROXY=proxy.url, REQUESTS_CA_BUNDLE=ca_bundle(ca, tmp_path))
    done = run_cli(tmp_path, config_for(https_url(sandbox)), env=env)
    assert done.returncode == 0, done.stderr
    assert _records(done) > 0
    port = sandbox.server.server_address[1]
    assert proxy.targets and set(proxy.targets) == {f"localhost:{port}"}


def test_no_proxy_bypasses_the_proxy(tls, ca, proxy, tmp_path) -> None:
    sandbox = tls()
    env = environment(HTTPS_PROXY=proxy.url, NO_PROXY="localhost", REQUESTS_CA_BUNDLE=ca_bundle(ca, tmp_path))
    done = run_cli(tmp_path, config_for(https_url(sandbox)), env=env)
    assert done.returncode == 0, done.stderr
    assert _records(done) > 0
    assert proxy.targets == []


def test_netrc_is_never_read(sandbox, tmp_path) -> None:
    netrc = tmp_path / "netrc"
    netrc.write_text("machine 127.0.0.1 login someone password netrc-password\n")
    netrc.chmod(0o600)
    done = run_cli(tmp_path, config_for(sandbox.url), env={**environment(), "NETRC": str(netrc)})
    assert done.returncode == 0, done.stderr
    assert {r.authorization for r in sandbox.api.requests} == {"Bearer sandbox-key"}


def test_a_host_name_that_does_not_exist_fails_at_once(tmp_path) -> None:
    done = run_cli(tmp_path, config_for("https://no-such-host.invalid"), env=environment())
    line = _fails_at_once(done)
    assert "Cannot resolve host 'no-such-host.invalid': no such name in DNS; check api_url" in line


def test_a_refused_first_connection_fails_at_once(tmp_path) -> None:
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]
    line = _fails_at_once(run_cli(tmp_path, config_for(f"http://127.0.0.1:{port}"), env=environment()))
    assert "127.0.0.1 refused the connection on the first request: check api_url's host and port" in line


def test_https_to_a_plain_http_port_fails_at_once(sandbox, tmp_path) -> None:
    url = sandbox.url.replace("http://127.0.0.1", "https://localhost")
    line = _fails_at_once(run_cli(tmp_path, config_for(url), env=environment()))
    assert "does not speak TLS there; check api_url's scheme and port" in line
