"""Environment network settings are resolved once per host, with the same result as ``requests``."""

from __future__ import annotations

import typing as t

import pytest
import requests
from requests.adapters import HTTPAdapter

from tap_heymarket.session import HeymarketSession


@pytest.fixture
def sent(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, t.Any]]:
    """The keyword arguments each request reached the adapter with (nothing is sent)."""
    calls: list[dict[str, t.Any]] = []

    def send(self: HTTPAdapter, request: requests.PreparedRequest, **kwargs: t.Any) -> requests.Response:
        calls.append(kwargs)
        response = requests.Response()
        response.status_code = 200
        response.request = request
        return response

    monkeypatch.setattr(HTTPAdapter, "send", send)
    return calls


def _get(session: requests.Session, url: str) -> None:
    session.send(requests.Request("GET", url).prepare())


def test_environment_proxies_apply_as_in_requests(monkeypatch: pytest.MonkeyPatch, sent: list) -> None:
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.example:3128")
    monkeypatch.setenv("NO_PROXY", "internal.example")
    plain_session = requests.Session()
    plain_session.request("GET", "https://api.heymarket.com/v1/inboxes")
    plain_session.request("GET", "https://internal.example/v1/inboxes")
    _get(HeymarketSession(), "https://api.heymarket.com/v1/inboxes")
    _get(HeymarketSession(), "https://internal.example/v1/inboxes")
    plain, ours = sent[:2], sent[2:]
    assert [c["proxies"] for c in ours] == [c["proxies"] for c in plain]
    assert ours[0]["proxies"].get("https") == "http://proxy.example:3128"
    assert "https" not in ours[1]["proxies"]


def test_the_environment_is_read_once_per_host(monkeypatch: pytest.MonkeyPatch, sent: list) -> None:
    calls = []
    real = requests.Session.merge_environment_settings

    def counting(self: requests.Session, *args: t.Any) -> dict[str, t.Any]:
        calls.append(args)
        return real(self, *args)

    monkeypatch.setattr(requests.Session, "merge_environment_settings", counting)
    session = HeymarketSession()
    for _ in range(3):
        _get(session, "https://api.heymarket.com/v1/inboxes")
    _get(session, "https://other.example/")
    assert len(calls) == 2
    assert len(sent) == 4


def test_a_changed_variable_is_read_again(monkeypatch: pytest.MonkeyPatch, sent: list) -> None:
    session = HeymarketSession()
    _get(session, "https://api.heymarket.com/v1/inboxes")
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.example:3128")
    _get(session, "https://api.heymarket.com/v1/inboxes")
    assert "https" not in sent[0]["proxies"]
    assert sent[1]["proxies"]["https"] == "http://proxy.example:3128"


@pytest.mark.parametrize("variable", ["REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"])
def test_a_ca_bundle_variable_applies_as_in_session_request(
    variable: str, monkeypatch: pytest.MonkeyPatch, sent: list, tmp_path
) -> None:
    bundle = tmp_path / "ca.pem"
    bundle.write_text("")
    for name in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "SSL_CERT_FILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv(variable, str(bundle))
    requests.Session().request("GET", "https://api.heymarket.com/v1/inboxes")
    _get(HeymarketSession(), "https://api.heymarket.com/v1/inboxes")
    assert sent[0]["verify"] == sent[1]["verify"] == str(bundle)


def test_ssl_cert_file_is_the_fallback_bundle(monkeypatch: pytest.MonkeyPatch, sent: list) -> None:
    for name in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SSL_CERT_FILE", "/etc/ssl/corporate.pem")
    _get(HeymarketSession(), "https://api.heymarket.com/v1/inboxes")
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/etc/ssl/requests.pem")
    _get(HeymarketSession(), "https://api.heymarket.com/v1/inboxes")
    assert [c["verify"] for c in sent] == ["/etc/ssl/corporate.pem", "/etc/ssl/requests.pem"]
