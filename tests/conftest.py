"""Fixtures: a fresh Heymarket sandbox per test, on a free localhost port."""

from __future__ import annotations

import typing as t

import pytest

from heymarket_sandbox import SandboxAPI, generate, serve
from heymarket_sandbox.http import RunningSandbox
from tap_heymarket.walk.inflight import InFlight
from tap_heymarket.walk.stream import NewestFirstStream


@pytest.fixture
def start_sandbox() -> t.Iterator[t.Callable[..., RunningSandbox]]:
    """Start sandboxes on demand (``start_sandbox(api)``); all are stopped after the test."""
    running: list[RunningSandbox] = []

    def start(api: SandboxAPI | None = None) -> RunningSandbox:
        sandbox = serve(api or SandboxAPI(generate()))
        running.append(sandbox)
        return sandbox

    yield start
    for sandbox in running:
        sandbox.stop()


@pytest.fixture
def sandbox(start_sandbox: t.Callable[..., RunningSandbox]) -> RunningSandbox:
    """A default sandbox: 600 conversations over 3 inboxes, 30% of them in tie groups."""
    return start_sandbox()


@pytest.fixture
def latency_bound(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every listing response reports a round trip of one second, and the main thread keeps up:
    a run the budget, not the machine, limits (no real wait anywhere), so that the windows in
    flight grow and long walks split whatever the machine's load. A latency-free run on a busy
    machine is limited by the interpreter, and rightly splits little (tap_heymarket/walk/inflight.py)."""
    monkeypatch.setattr(NewestFirstStream, "round_trip", lambda self, response: 1.0)
    monkeypatch.setattr(InFlight, "observe_consumer", lambda self, seconds: None)
    monkeypatch.setattr(InFlight, "observe_work", lambda self, seconds: None)
