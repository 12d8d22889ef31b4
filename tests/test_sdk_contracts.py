"""What the tap relies on in singer-sdk beyond its public API: each check fails if the SDK
changes under it (the module or attribute moves, or stops being used the way the tap uses it)."""

from __future__ import annotations

import pytest
from singer_sdk.plugin_base import PluginBase

from tap_heymarket import settings
from tap_heymarket.tap import TapHeymarket


def test_the_sdk_reads_environment_settings_through_the_hook_the_tap_overrides(monkeypatch) -> None:
    assert "_env_var_config" in vars(PluginBase)  # the SDK's own hook, which ours replaces
    monkeypatch.setenv("TAP_HEYMARKET_API_KEY", "k")
    monkeypatch.setenv("TAP_HEYMARKET_INBOXES", "5001,5003")
    monkeypatch.setenv("TAP_HEYMARKET_MAX_CONCURRENCY", "2")
    tap = TapHeymarket(config={}, parse_env_config=True, setup_mapper=False)
    assert tap.config["inboxes"] == [5001, 5003]  # only our override reads "5001,5003"
    assert tap.config["max_concurrency"] == 2  # the rest exactly as the SDK parses it


def test_the_sdks_environment_parser_takes_a_schema_and_a_prefix(monkeypatch) -> None:
    monkeypatch.setenv("X_TIMEOUT", "7")
    monkeypatch.setenv("X_CLOSED", "true")
    schema = {"properties": {"timeout": {"type": ["integer"]}, "closed": {"type": ["boolean"]}}}
    assert settings.parse_environment_config(schema, "X_") == {"timeout": 7, "closed": True}
    monkeypatch.setenv("X_TIMEOUT", "soon")
    with pytest.raises(ValueError):
        settings.parse_environment_config(schema, "X_")


def test_the_sdk_finalizes_each_stream_right_after_its_sync_where_the_tap_adds_its_closing_state() -> None:
    import inspect

    from singer_sdk import Stream, Tap

    from tap_heymarket.final_state import EndsWithState
    from tap_heymarket.streams import ContactsStream

    assert "finalize_state_progress_markers" in vars(Stream)  # the SDK method ours extends
    source = inspect.getsource(Tap.sync_all)
    assert source.index("stream.sync()") < source.index("stream.finalize_state_progress_markers()")
    assert ContactsStream.finalize_state_progress_markers is EndsWithState.finalize_state_progress_markers


def test_the_sdk_caps_the_bookmark_at_the_signpost_key_the_walk_lowers() -> None:
    from singer_sdk.helpers import _state

    from tap_heymarket.walk_checks import SIGNPOST

    assert SIGNPOST == _state.SIGNPOST_MARKER
    state = {
        SIGNPOST: "2024-01-01T00:00:00.000000Z",
        "progress_markers": {
            "replication_key": "updated",
            "replication_key_value": "2026-01-01T00:00:00.000000Z",
        },
    }
    _state.finalize_state_progress_markers(state)
    assert state["replication_key_value"] == "2024-01-01T00:00:00.000000Z"
