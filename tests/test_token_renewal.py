"""A JWT refused mid-run is replaced once; a second refusal is the credentials error, or the clock's."""

from __future__ import annotations

import typing as t

import pytest

from heymarket_sandbox import SandboxAPI
from tap_heymarket import clock
from tap_heymarket.auth import TOKEN_LIFETIME_SECONDS, HeymarketAuth
from tap_heymarket.errors import CredentialsRejectedError
from tests.cases import account
from tests.harness import config_for, run_cli, run_sync

PAIR = {"api_secret_id": "sandbox-id", "api_secret_key": "sandbox-secret"}
CONVERSATIONS = "/v1/conversations"


def _pair_config(url: str, **overrides: t.Any) -> dict[str, t.Any]:
    config = config_for(url, **{**PAIR, **overrides})
    del config["api_key"]
    return config


def _revoke_the_token_in_use_at(request_number: int) -> t.Callable[[SandboxAPI, str, dict], None]:
    """A hook that revokes, before request ``request_number``, the token the last one carried."""

    def hook(api: SandboxAPI, path: str, body: dict) -> None:
        if len(api.requests) == request_number - 1:
            api.revoked_tokens.add(api.requests[-1].authorization.removeprefix("Bearer "))

    return hook


def test_a_token_refused_mid_run_is_replaced_once_and_nothing_is_lost(start_sandbox) -> None:
    clean = account()
    expected = run_sync(_pair_config(start_sandbox(clean).url, max_concurrency=1))
    api = account()
    api.on_request = _revoke_the_token_in_use_at(5)
    result = run_sync(_pair_config(start_sandbox(api).url, max_concurrency=1))
    assert sorted(result.ids()) == sorted(expected.ids())
    assert result.final_state == expected.final_state
    # The walk's count probes may run beside its pages (max_concurrency bounds windows, not
    # the boundary search), so another request may carry the revoked token too: every refusal
    # is of that one token, the token is replaced once, and each refused request is sent
    # again, the same request, with the new token, and answered.
    refused = [i for i, r in enumerate(api.requests) if r.status == 401]
    assert refused
    assert len({api.requests[i].authorization for i in refused}) == 1
    assert len({r.authorization for r in api.requests}) == 2  # the first token and one renewal
    for i in refused:
        again = next(
            r
            for r in api.requests[i + 1 :]
            if (r.path, r.body) == (api.requests[i].path, api.requests[i].body)
        )
        assert again.status == 200
        assert again.authorization != api.requests[i].authorization


def test_a_second_refusal_is_the_credentials_error(start_sandbox) -> None:
    api = account()
    config = _pair_config(start_sandbox(api).url, api_secret_key="not-the-secret", max_concurrency=1)
    result = run_sync(config, raise_errors=False)
    assert isinstance(result.error, CredentialsRejectedError)
    assert "check api_secret_id/api_secret_key" in str(result.error)
    assert [r.status for r in api.requests] == [401, 401]  # one fresh token, one more try
    assert api.requests[0].authorization != api.requests[1].authorization


def test_a_refused_legacy_key_is_not_retried(start_sandbox) -> None:
    api = account()
    result = run_sync(config_for(start_sandbox(api).url, api_key="wrong-key"), raise_errors=False)
    assert isinstance(result.error, CredentialsRejectedError)
    assert [r.status for r in api.requests] == [401]


@pytest.mark.parametrize(("offset", "side"), [(600, "behind"), (-900, "ahead of")])
def test_a_refusal_explained_by_the_servers_clock_says_so(
    start_sandbox, tmp_path, offset: int, side: str
) -> None:
    api = account()
    api.clock_offset = offset
    done = run_cli(tmp_path, _pair_config(start_sandbox(api).url, max_concurrency=1))
    assert done.returncode == 1
    errors = [line for line in done.stderr.splitlines() if "| ERROR" in line]
    assert len(errors) == 1, done.stderr
    assert f"this machine's clock is about {abs(offset)} s {side} the server's (its Date header)" in errors[0]
    assert "set the clock right (NTP)" in errors[0]


def test_a_small_clock_difference_is_not_blamed(start_sandbox) -> None:
    api = account()
    api.clock_offset = 20
    result = run_sync(_pair_config(start_sandbox(api).url, api_secret_key="nope"), raise_errors=False)
    assert "clock" not in str(result.error)
    assert "check api_secret_id/api_secret_key" in str(result.error)


@pytest.fixture
def wall(monkeypatch) -> list[float]:
    """The wall clock the tokens are stamped with, moved by hand."""
    now = [1_700_000_000.0]
    monkeypatch.setattr(clock, "wall", lambda: now[0])
    return now


def _authenticator() -> HeymarketAuth:
    return HeymarketAuth({"api_secret_id": "sandbox-id", "api_secret_key": "sandbox-secret"})


def test_a_token_is_reminted_once_it_is_older_than_its_lifetime(wall) -> None:
    auth = _authenticator()
    first = auth.bearer()
    wall[0] += TOKEN_LIFETIME_SECONDS - 1
    assert auth.bearer() == first
    wall[0] += 1
    assert auth.bearer() != first


def test_a_token_renewed_in_the_second_it_was_minted_is_not_the_refused_one(wall) -> None:
    auth = _authenticator()
    refused = auth.bearer()
    assert auth.renew(refused)
    assert auth.bearer() != refused


def test_callers_refused_the_same_token_renew_it_once_not_once_each(wall) -> None:
    """Workers that all saw one 401 must not each mint a token, refusing the others' in turn."""
    auth = _authenticator()
    refused = auth.bearer()
    wall[0] += 5
    assert auth.renew(refused)
    fresh = auth.bearer()
    wall[0] += 5
    assert auth.renew(refused)  # a second worker, answered 401 for the same token
    assert auth.bearer() == fresh
