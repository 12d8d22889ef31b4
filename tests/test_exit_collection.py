"""A finished run spares the interpreter's shutdown its collections (tap.skip_exit_collection)."""

from __future__ import annotations

import gc

import pytest
from singer_sdk import Tap

from tap_heymarket import tap as tap_module
from tap_heymarket.errors import HeymarketFatalError
from tap_heymarket.tap import TapHeymarket


@pytest.fixture
def freezes(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """``gc.freeze`` calls, noted instead of freezing the test process's objects."""
    calls: list[bool] = []
    monkeypatch.setattr(gc, "freeze", lambda: calls.append(True))
    monkeypatch.setattr(tap_module, "take_over_process", lambda: None)
    return calls


def test_a_finished_run_freezes_what_it_leaves_for_exit(
    monkeypatch: pytest.MonkeyPatch, freezes: list[bool]
) -> None:
    monkeypatch.setattr(Tap, "invoke", classmethod(lambda cls, **kwargs: None))
    TapHeymarket.invoke()
    assert freezes == [True]


def test_a_failed_run_freezes_too_and_still_exits_1(
    monkeypatch: pytest.MonkeyPatch, freezes: list[bool]
) -> None:
    def fail(cls: type, **kwargs: object) -> None:
        raise HeymarketFatalError("the API refused")

    monkeypatch.setattr(Tap, "invoke", classmethod(fail))
    with pytest.raises(SystemExit) as exited:
        TapHeymarket.invoke()
    assert exited.value.code == 1
    assert freezes == [True]
