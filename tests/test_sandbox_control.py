"""The sandbox-only ``/_sandbox/`` endpoints the benchmark drives from another process."""

from __future__ import annotations

import json
import typing as t
import urllib.error
import urllib.request

from tests.harness import config_for, run_sync


def _call(url: str, method: str, path: str, body: object = None) -> t.Any:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(f"{url}/_sandbox/{path}", data=data, method=method)  # noqa: S310
    with urllib.request.urlopen(request) as response:  # noqa: S310
        return json.loads(response.read())


def test_stats_count_api_requests_by_path_and_reset_forgets_them(sandbox: t.Any) -> None:
    run_sync(config_for(sandbox.url))
    stats = _call(sandbox.url, "GET", "stats")
    assert stats["by_path"]["/v1/conversations"] == sandbox.api.request_count("/v1/conversations")
    assert stats["requests"] == len(sandbox.api.requests)
    assert len(stats["arrivals"]["/v1/conversations"]) == stats["by_path"]["/v1/conversations"]
    assert stats["spans"]["/v1/conversations"] > 0
    assert not any(path.startswith("/_sandbox") for path in stats["by_path"])
    _call(sandbox.url, "POST", "reset", {})
    assert _call(sandbox.url, "GET", "stats")["requests"] == 0


def test_touch_brings_conversations_to_the_top(sandbox: t.Any) -> None:
    first = run_sync(config_for(sandbox.url))
    oldest = first.ids()[-1]
    assert _call(sandbox.url, "POST", "touch", {"ids": [oldest]}) == {"touched": 1}
    again = run_sync(config_for(sandbox.url), state=first.final_state)
    assert oldest in again.ids()
    assert len(again.ids()) < len(first.ids())


def test_touch_refuses_unknown_ids(sandbox: t.Any) -> None:
    try:
        _call(sandbox.url, "POST", "touch", {"ids": [-1]})
    except urllib.error.HTTPError as exc:
        assert exc.code == 400
    else:
        raise AssertionError("expected HTTP 400")
