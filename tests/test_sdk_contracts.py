"""What the tap relies on in singer-sdk beyond its public API: each check fails if the SDK
changes under it (the module or attribute moves, or stops being used the way the tap uses it)."""

from __future__ import annotations

import inspect
import re

import pytest
from singer_sdk import RESTStream, Stream
from singer_sdk.exceptions import ConfigValidationError
from singer_sdk.plugin_base import PluginBase

from tap_heymarket import client, environment, retries
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
    assert environment.parse_environment_config(schema, "X_") == {"timeout": 7, "closed": True}
    monkeypatch.setenv("X_TIMEOUT", "soon")
    with pytest.raises(ValueError):
        environment.parse_environment_config(schema, "X_")


def test_the_sdk_validates_config_through_the_method_the_tap_overrides() -> None:
    assert "_validate_config" in vars(PluginBase)
    assert "self._validate_config(raise_errors=validate_config)" in inspect.getsource(PluginBase.__init__)
    with pytest.raises(ConfigValidationError) as caught:
        TapHeymarket(config={"api_key": 987654321987})
    assert caught.value.errors == ["api_key: expected a JSON string, got a JSON integer"]


def test_the_sdk_logs_a_failed_sync_through_stream_log_with_the_message_the_tap_demotes() -> None:
    source = inspect.getsource(Stream.sync)
    assert f'"{client.SDK_SYNC_FAILED}"' in source.replace('"\n                "', "")
    assert "self.log(" in source and "level=logging.ERROR" in source


def test_the_taps_retry_decorator_retries_what_the_sdks_own_retries() -> None:
    source = inspect.getsource(RESTStream.request_decorator)
    assert "backoff.on_exception(" in source and "logger=self.logger" in source  # what ours turns off
    listed = source.split("self.backoff_wait_generator,", 1)[1].split("max_tries=", 1)[0]
    names = {name.rsplit(".", 1)[-1] for name in re.findall(r"[\w.]+(?=,)", listed)}
    assert names == {exception.__name__ for exception in retries.RETRIED}


def test_the_sdk_finalizes_each_stream_right_after_its_sync_where_the_tap_adds_its_closing_state() -> None:
    import inspect

    from singer_sdk import Stream, Tap

    from tap_heymarket.client import HeymarketStream
    from tap_heymarket.streams import ContactsStream

    assert "finalize_state_progress_markers" in vars(Stream)  # the SDK method ours extends
    source = inspect.getsource(Tap.sync_all)
    assert source.index("stream.sync()") < source.index("stream.finalize_state_progress_markers()")
    assert ContactsStream.finalize_state_progress_markers is HeymarketStream.finalize_state_progress_markers


def test_the_sdk_caps_the_bookmark_at_the_signpost_key_the_walk_lowers() -> None:
    from singer_sdk.helpers import _state

    from tap_heymarket.walk.state import SIGNPOST

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


def test_the_sdk_reads_environment_settings_from_the_instance_it_builds() -> None:
    """The tap's ``_env_var_config`` is a plain property: the SDK must read it from ``self``."""
    assert "config_dict.update(self._env_var_config)" in inspect.getsource(PluginBase.__init__)


def test_the_sdk_installs_its_signal_handlers_through_the_method_the_tap_empties() -> None:
    assert "_setup_signal_handlers" in vars(PluginBase)
    assert "self._setup_signal_handlers()" in inspect.getsource(PluginBase.__init__)
    assert "signal.signal(" in inspect.getsource(PluginBase._setup_signal_handlers)


def test_the_taps_request_duration_point_is_the_one_the_sdk_logs_for_its_own_requests(monkeypatch) -> None:
    import datetime as dt

    import requests
    from singer_sdk import metrics

    from tap_heymarket.endpoint import duration_point

    logged: list[metrics.Point] = []
    monkeypatch.setattr(metrics, "log", lambda logger, point: logged.append(point))
    stream = TapHeymarket(config={"api_key": "k"}, validate_config=False).streams["conversations"]
    for status, context in [(200, None), (503, {"inboxes": [5001], "closed": False, "user": 7})]:
        response = requests.Response()
        response.status_code = status
        response.elapsed = dt.timedelta(seconds=1.25)
        RESTStream._write_request_duration_log(stream, "/v1/conversations", response, context, None)
        assert logged.pop() == duration_point("conversations", "/v1/conversations", response, context)


def test_the_taps_closing_activate_version_is_the_message_the_sdk_opens_a_version_with(monkeypatch) -> None:
    from tap_heymarket import output_modes

    tap = TapHeymarket(
        config={"api_key": "k", "emit_activate_version_messages": True},
        validate_config=False,
    )
    stream = tap.streams["surveys"]
    assert stream.replication_method == "FULL_TABLE"
    written: list[object] = []
    monkeypatch.setattr(tap, "write_message", written.append)
    stream._write_activate_version_message(tap.initialized_at // 1000)
    sdk_wrote = list(written)
    written.clear()
    output_modes.close_full_table_version(stream)
    assert written == sdk_wrote and len(written) == 1


def test_the_sdk_writes_a_streams_state_message_as_the_walk_does_on_failure() -> None:
    """The walk writes ``state_writer.write_state(tap_state)`` itself when a run fails: the
    SDK's ``_write_state_message`` writes the same, skipped only when nothing changed."""
    source = inspect.getsource(Stream._write_state_message)
    assert "self._tap.state_writer.write_state(self.tap_state)" in source
    assert "is_flushed" in source


def test_requests_serves_a_body_read_ahead_into_content_and_urllib3_exposes_its_socket(sandbox) -> None:
    """:mod:`tap_heymarket.bodies` reads the body itself, sets ``Response._content`` and caps
    each socket read through ``raw._connection.sock``: both must keep meaning what they did."""
    import time

    import requests

    from tap_heymarket import bodies

    auth = {"Authorization": "Bearer sandbox-key"}
    response = requests.get(f"{sandbox.url}/v1/inboxes", headers=auth, stream=True, timeout=30)
    sock = response.raw._connection.sock
    assert sock.gettimeout() == 30
    bodies.read_within(response, time.monotonic() + 5, 5)
    assert sock.gettimeout() <= 5  # each socket read capped by the deadline
    assert response.json() == sandbox.api.data.inboxes


def test_the_sdk_tracks_the_newest_value_in_the_progress_markers_a_held_bookmark_seeds() -> None:
    """``walk.state.hold_bookmark`` writes the SDK's own interim layout: the key, the note the
    SDK writes there itself, and a value the stream's ``increment_state`` only raises (the
    stream is unsorted and checks order) and the SDK's finalizing makes the bookmark."""
    from singer_sdk.helpers import _state

    from tap_heymarket.walk.state import PROGRESS_MARKERS, PROGRESS_NOTE, hold_bookmark
    from tests.harness import config_for

    assert PROGRESS_MARKERS == _state.PROGRESS_MARKERS
    assert _state.PROGRESS_MARKER_NOTE == "Note"
    assert f'"{PROGRESS_NOTE}"' in inspect.getsource(_state.increment_state)
    stream = TapHeymarket(config=config_for("http://127.0.0.1:9")).streams["conversations"]
    held, older, newer = (f"{year}-06-01T00:00:00.000000Z" for year in (2025, 2024, 2026))
    for record, bookmark in ((older, held), (newer, newer)):
        state = stream.stream_state
        state.clear()
        hold_bookmark(state, "updated", held)
        stream.state_manager.increment_state({"updated": record}, context=None, replication_key="updated")
        assert state[PROGRESS_MARKERS]["replication_key_value"] == bookmark  # an older value never lowers it
        _state.finalize_state_progress_markers(state)
        assert state["replication_key_value"] == bookmark
