"""Config mistakes: named setting and expected type, never a secret's value; URLs checked and masked."""

from __future__ import annotations

import json
import typing as t

import pytest
from hypothesis import given
from hypothesis import strategies as st
from singer_sdk.exceptions import ConfigValidationError

from tap_heymarket import settings
from tap_heymarket.config_errors import type_errors
from tap_heymarket.tap import TapHeymarket
from tests.harness import config_for, run_cli

SECRETS = [name for name, prop in settings.CONFIG_SCHEMA["properties"].items() if prop.get("writeOnly")]
WRONG_TYPES: dict[str, t.Callable[[str], t.Any]] = {
    "integer": lambda name: 987654321000 + len(name),
    "number": lambda name: 98765.4321 + len(name),
    "boolean": lambda name: True,
    "array": lambda name: [f"s3cret-{name}-in-a-list"],
    "object": lambda name: {"value": f"s3cret-{name}-in-an-object"},
}


def test_every_secret_setting_is_known() -> None:
    assert set(SECRETS) == {"api_secret_id", "api_secret_key", "api_key"}


@pytest.mark.parametrize("kind", sorted(WRONG_TYPES))
def test_a_secret_of_the_wrong_json_type_is_named_with_its_type_and_never_printed(
    kind: str, sandbox, tmp_path
) -> None:
    values = {name: WRONG_TYPES[kind](name) for name in SECRETS}
    state = tmp_path / "state.json"
    state.write_text("{}")
    result = run_cli(tmp_path, config_for(sandbox.url, **values), "--state", str(state))
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    for name in SECRETS:
        assert f"{name}: expected a JSON string, got a JSON {kind}" in result.stderr
    output = result.stdout + result.stderr + state.read_text()
    for value in values.values():
        for spelling in {json.dumps(value), repr(value), str(value)}:
            if spelling not in ("True", "true"):
                assert spelling not in output
    assert "True" not in result.stderr and "true" not in result.stderr
    assert "s3cret" not in output
    assert sandbox.api.requests == []  # nothing was sent


#: What the messages say whatever the value ("api_key: expected a JSON string, got a JSON
#: array", ...): a text leaf that is part of these words cannot be told apart from them.
_MESSAGE_WORDS = "\n".join(
    "\n".join(type_errors({name: sample for name in SECRETS}, dict(settings.CONFIG_SCHEMA)))
    for sample in ([], {}, 1, 1.5, True)
)


@given(
    st.recursive(
        st.none()
        | st.booleans()
        | st.integers()
        | st.floats(allow_nan=False)
        | st.text(min_size=6).filter(lambda text: text not in _MESSAGE_WORDS),
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner, max_size=3),
        max_leaves=6,
    ).filter(lambda v: not isinstance(v, (str, type(None))))
)
def test_no_wrong_typed_secret_reaches_a_validation_message(value: object) -> None:
    config = {name: value for name in SECRETS}
    errors = type_errors(config, dict(settings.CONFIG_SCHEMA))
    assert len(errors) == len(SECRETS)
    text = "\n".join(errors)
    assert repr(value) not in text and json.dumps(value) not in text
    for leaf in _strings(value):
        assert leaf not in text


def _strings(value: object) -> t.Iterator[str]:
    if isinstance(value, str) and len(value) >= 6:
        yield value
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _strings(key)
            yield from _strings(item)


def test_settings_that_are_not_secret_still_say_what_was_wrong() -> None:
    with pytest.raises(ConfigValidationError) as caught:
        TapHeymarket(config={"api_key": "k", "request_timeout": "soon"})
    assert caught.value.errors == ["request_timeout: expected a JSON integer, got a JSON string"]


def test_defaults_are_still_filled_in_as_the_sdk_fills_them() -> None:
    tap = TapHeymarket(config={"api_key": "k"})
    assert tap.config["api_url"] == "https://api.heymarket.com"
    assert tap.config["request_timeout"] == 60


@pytest.mark.parametrize(
    "api_url",
    [
        "https://api.heymarket.com/?token=1",
        "https://api.heymarket.com#top",
        "https://api.heymarket.com/v2?",
        "http://127.0.0.1:8765/#",
    ],
)
def test_an_api_url_with_a_query_or_fragment_is_refused(api_url: str) -> None:
    found = settings.problems({"api_key": "k", "api_url": api_url})
    assert found == [f"api_url: {api_url!r} has a query or fragment; give only scheme, host, port and path"]


@pytest.mark.parametrize(
    "api_url",
    [
        "https://joe:hunter2-pw@api.heymarket.com",
        "http://hunter2-pw@127.0.0.1:1",
        "http://joe:hunter2-pw@x:99999",
    ],
)
def test_an_api_url_with_user_info_is_refused_and_the_password_masked(api_url: str) -> None:
    found = settings.problems({"api_key": "k", "api_url": api_url})
    assert len(found) == 1 and found[0].startswith("api_url: ")
    assert "hunter2-pw" not in found[0] and "********@" in found[0]


def test_user_info_in_api_url_is_never_sent_nor_printed(sandbox, tmp_path) -> None:
    url = sandbox.url.replace("http://", "http://joe:hunter2-pw@")
    result = run_cli(tmp_path, config_for(url))
    assert result.returncode == 1
    assert "carries a user name or password; remove it" in result.stderr
    assert "hunter2-pw" not in result.stdout + result.stderr
    assert sandbox.api.requests == []


def test_one_bad_setting_is_one_error_line(sandbox, tmp_path) -> None:
    result = run_cli(tmp_path, config_for(sandbox.url, api_key=987654321987))
    errors = [line for line in result.stderr.splitlines() if "| ERROR" in line]
    assert result.returncode == 1
    assert len(errors) == 1 and errors[0].endswith("api_key: expected a JSON string, got a JSON integer")


@pytest.mark.parametrize("mark", ["secret", "writeOnly"])
def test_a_secret_that_breaks_a_rule_other_than_its_type_is_named_never_quoted(mark: str) -> None:
    schema = {"type": "object", "properties": {"api_key": {"type": "string", "minLength": 40, mark: True}}}
    lines = type_errors({"api_key": "hunter2-too-short"}, schema)
    assert lines == ["api_key: not a valid value (it must satisfy 'minLength')"]
