"""Proxy settings are resolved once per host, with the same result as ``requests``."""

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
    for session in (requests.Session(), HeymarketSession()):
        _get(session, "https://api.heymarket.com/v1/inboxes")
        _get(session, "https://internal.example/v1/inboxes")
    plain, ours = sent[:2], sent[2:]
    assert [c["proxies"] for c in ours] == [c["proxies"] for c in plain]
    assert ours[0]["proxies"].get("https") == "http://proxy.example:3128"
    assert "https" not in ours[1]["proxies"]


def test_the_environment_is_read_once_per_host(monkeypatch: pytest.MonkeyPatch, sent: list) -> None:
    calls = []
    real = requests.utils.resolve_proxies

    def counting(*args: t.Any, **kwargs: t.Any) -> dict[str, str]:
        calls.append(args)
        return real(*args, **kwargs)

    monkeypatch.setattr("tap_heymarket.session.resolve_proxies", counting)
    session = HeymarketSession()
    for _ in range(3):
        _get(session, "https://api.heymarket.com/v1/inboxes")
    _get(session, "https://other.example/")
    assert len(calls) == 2
    assert len(sent) == 4
