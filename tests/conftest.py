"""Fixtures: a fresh Heymarket sandbox per test, on a free localhost port."""

from __future__ import annotations

import typing as t

import pytest

from heymarket_sandbox import SandboxAPI, generate, serve
from heymarket_sandbox.http import RunningSandbox


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
