"""Properties of record shaping and timestamps, for any input (hypothesis).

Shaping: any JSON value in any field yields a record that validates against the stream's
schema (date-time checked for real), or a BadRecordError; never another exception, never a
changed input. Values spelled the way the schema allows are always accepted.
Timestamps: any instant survives the bookmark round trip unchanged, and string order is
instant order.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import re

import msgspec
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tap_heymarket.conform import Conformer
from tap_heymarket.records import BadRecordError
from tap_heymarket.streams import SCHEMAS_DIR
from tap_heymarket.tap import TapHeymarket
from tap_heymarket.timestamps import (
    TimestampError,
    format_instant,
    normalize_instant,
    parse_instant,
)
from tests.test_discovery import ALL_STREAMS, record_validator

QUICK = settings(
    max_examples=250,
    deadline=None,
    derandomize=True,  # the same examples every run: no flaky failures
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
RECORDS = settings(QUICK, max_examples=120)
CANONICAL = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{6}Z")
SCHEMAS = {name: json.loads((SCHEMAS_DIR / f"{name}.json").read_text()) for name in ALL_STREAMS}
ODD_STRINGS = [
    "true", "false", "TRUE", "0", "1", "12", "-3", "+5", "\uff11\uff12", "²", "", " 12", "1e3", "NaN",
    "2024-01-01T10:00:00Z", "2024-01-01T10:00:00.123+05:30", "0001-01-01T00:00:00Z",
    "0001-01-01T00:00:00+05:30", "9999-12-31T23:59:59.999999Z", "9999-12-31T23:59:59-01:00",
    "2024-02-30T00:00:00Z", "not a date", "2024-01-01", "0000-01-01T00:00:00.000000Z",
]  # fmt: skip

offsets = st.integers(min_value=-(23 * 60 + 59), max_value=23 * 60 + 59).map(
    lambda m: dt.timezone(dt.timedelta(minutes=m))
)
any_instant = st.builds(lambda naive, tz: naive.replace(tzinfo=tz), st.datetimes(), offsets)
scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats()
    | st.text(max_size=20)
    | st.sampled_from(ODD_STRINGS)
)
json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4),
    max_leaves=12,
)


def _spellings(instant: dt.datetime) -> st.SearchStrategy[str]:
    return st.sampled_from(
        [instant.isoformat(), instant.isoformat().replace("+00:00", "Z"), format_instant(instant)]
    )


fitting_instants = st.datetimes(
    min_value=dt.datetime(2, 1, 1), max_value=dt.datetime(9998, 12, 31), timezones=st.just(dt.timezone.utc)
).flatmap(_spellings)


def fitting(schema: dict) -> st.SearchStrategy:
    """Values in any spelling the schema's columns accept."""
    kinds = schema.get("type")
    if kinds is None:
        return json_values.filter(lambda v: "nan" not in repr(v) and "inf" not in repr(v))
    kinds = [kinds] if isinstance(kinds, str) else kinds
    options: list[st.SearchStrategy] = []
    for kind in kinds:
        if kind == "null":
            options.append(st.none())
        elif kind == "integer":
            options += [st.integers(), st.integers(min_value=0).map(str)]
        elif kind == "number":
            options.append(st.floats(allow_nan=False, allow_infinity=False))
        elif kind == "boolean":
            options += [st.booleans(), st.sampled_from([0, 1, "true", "false"])]
        elif kind == "string":
            options.append(fitting_instants if schema.get("format") == "date-time" else st.text(max_size=20))
        elif kind == "array":
            options.append(st.lists(fitting(schema.get("items") or {}), max_size=3))
        elif kind == "object":
            props = schema.get("properties") or {}
            required = set(schema.get("required") or ())
            options.append(
                st.fixed_dictionaries(
                    {k: fitting(v) for k, v in props.items() if k in required},
                    optional={k: fitting(v) for k, v in props.items() if k not in required},
                )
            )
    return st.one_of(options)


def anything_in_any_field(schema: dict) -> st.SearchStrategy[dict]:
    """Records whose known fields hold fitting or arbitrary values, plus unknown fields."""
    props = schema["properties"]
    known = st.fixed_dictionaries({}, optional={k: fitting(v) | json_values for k, v in props.items()})
    unknown = st.dictionaries(st.text(min_size=1, max_size=6), json_values, max_size=3)
    return st.builds(lambda a, b: {**b, **a}, known, unknown)


VALIDATORS = {name: record_validator(schema) for name, schema in SCHEMAS.items()}


def _assert_valid(record: dict, stream: str) -> None:
    VALIDATORS[stream].validate(record)
    msgspec.json.encode(record)  # what the writer does: must not fail
    for name, prop in SCHEMAS[stream]["properties"].items():
        if prop.get("format") == "date-time" and record.get(name) is not None:
            assert CANONICAL.fullmatch(record[name]), (name, record[name])


CONFORMERS = {name: Conformer(schema) for name, schema in SCHEMAS.items()}
streams = st.sampled_from(ALL_STREAMS)


@RECORDS
@given(streams.flatmap(lambda s: st.tuples(st.just(s), anything_in_any_field(SCHEMAS[s]))))
def test_any_json_in_any_field_conforms_or_is_a_counted_skip_never_an_exception(case: tuple) -> None:
    stream, record = case
    before = copy.deepcopy(record)
    try:
        shaped = CONFORMERS[stream](record)
    except BadRecordError as exc:
        assert str(exc) and "\n" not in str(exc)
    else:
        _assert_valid(shaped, stream)
        assert CONFORMERS[stream](shaped) == shaped  # idempotent
    assert repr(record) == repr(before)  # the input is never changed (repr: NaN != NaN)


@RECORDS
@given(streams.flatmap(lambda s: st.tuples(st.just(s), fitting(SCHEMAS[s]))))
def test_values_spelled_as_the_schema_allows_are_always_accepted(case: tuple) -> None:
    stream, record = case
    _assert_valid(CONFORMERS[stream](record), stream)


TAP = TapHeymarket(config={"api_key": "sandbox-key"}, validate_config=False)


@RECORDS
@given(streams.flatmap(lambda s: st.tuples(st.just(s), anything_in_any_field(SCHEMAS[s]) | json_values)))
def test_each_streams_shaping_yields_a_valid_record_or_a_bad_record_error(case: tuple) -> None:
    stream, record = case
    try:
        shaped = TAP.streams[stream].shape_record(copy.deepcopy(record))
    except BadRecordError:
        return
    _assert_valid(shaped, stream)


@QUICK
@given(any_instant)
def test_any_instant_round_trips_through_the_bookmark_unchanged(instant: dt.datetime) -> None:
    try:
        spelled = format_instant(instant)
    except TimestampError:
        with pytest.raises(OverflowError):  # refused only when its UTC form leaves years 1-9999
            instant.astimezone(dt.timezone.utc)
        return
    assert CANONICAL.fullmatch(spelled)
    state = json.loads(json.dumps({"replication_key_value": spelled}))  # STATE as written and read
    assert normalize_instant(state["replication_key_value"]) == spelled
    assert parse_instant(spelled) == instant
    assert normalize_instant(instant.isoformat()) == spelled


@QUICK
@given(any_instant, any_instant)
def test_string_order_of_bookmarks_is_instant_order(a: dt.datetime, b: dt.datetime) -> None:
    try:
        sa, sb = format_instant(a), format_instant(b)
    except TimestampError:
        return
    assert (sa < sb) == (a < b) and (sa == sb) == (a == b)


@QUICK
@given(st.text(max_size=40) | st.sampled_from(ODD_STRINGS) | json_values)
def test_any_value_normalises_to_the_one_spelling_or_is_refused(value: object) -> None:
    try:
        spelled = normalize_instant(value)
    except TimestampError:
        return
    assert CANONICAL.fullmatch(spelled)
    assert normalize_instant(spelled) == spelled
