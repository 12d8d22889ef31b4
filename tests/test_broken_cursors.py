"""Servers whose cursor cannot be walked: found within a few requests, one line, non-zero exit,
a STATE that matches what was emitted, and nothing lost once the server behaves again."""

from __future__ import annotations

import json
import typing as t

import pytest

from heymarket_sandbox.readings import Reading
from tests.cases import CASES, account
from tests.harness import config_for, run_cli, run_sync
from tests.test_fatal_errors import assert_fails_cleanly, error_lines

CONVERSATIONS, CONTACTS = CASES[0], CASES[1]


def _cli(tmp_path, api, stream: str, **config: t.Any):
    from tests.harness import catalog_selecting

    settings = config_for(api.url, **config)
    catalog = tmp_path / "catalog.json"
    catalog.write_text(json.dumps(catalog_selecting(settings, [stream])))
    return run_cli(tmp_path, settings, "--catalog", str(catalog))


@pytest.mark.parametrize("case", [CONVERSATIONS, CONTACTS], ids=str)
def test_a_server_that_ignores_the_cursor_stops_within_a_few_requests_with_one_line(
    start_sandbox, tmp_path, case
) -> None:
    api = account(Reading(ignore_cursor=True))
    api.url = start_sandbox(api).url
    done = _cli(tmp_path, api, case.stream, max_concurrency=1)
    errors = assert_fails_cleanly(done)
    line = next(line for line in error_lines(done) if "cannot walk" in line)
    assert f"{case.stream}: cannot walk slice [" in line
    assert f"on POST {case.path} at " in line and "ignores the cursor" in line
    walks = len(case.walks(api))
    assert api.request_count(case.path) <= 7 * walks  # a page, its repeat, four ways below it
    states = [json.loads(x)["value"] for x in done.stdout.splitlines() if '"type":"STATE"' in x]
    emitted = {json.loads(x)["record"]["id"] for x in done.stdout.splitlines() if '"type":"RECORD"' in x}
    assert states and len(emitted) <= 30 * walks
    assert "Traceback" not in errors


def test_a_page_whose_cursor_values_cannot_be_read_is_an_error_not_a_silent_end(
    start_sandbox, tmp_path
) -> None:
    api = account(Reading(epoch_cursor=True))
    api.url = start_sandbox(api).url
    done = _cli(tmp_path, api, "contacts")
    assert_fails_cleanly(done)
    line = next(line for line in error_lines(done) if "cannot walk" in line)
    assert "none of the 30 records on the page has a readable 'updated'" in line
    assert "skipping a record with 'updated': a JSON integer where the schema wants string" in done.stderr


def test_a_server_that_echoes_newer_records_on_every_page_still_yields_each_record_once(
    start_sandbox,
) -> None:
    api = account(Reading(echo_newer=3))
    result = run_sync(config_for(start_sandbox(api).url), streams=["conversations"])
    ids = result.ids()
    assert len(ids) == len(set(ids))
    assert set(ids) == set(api.conversations.records)


def test_after_an_ignored_cursor_the_next_run_resumes_and_loses_nothing(start_sandbox) -> None:
    api = account(Reading(ignore_cursor=True))
    config = config_for(start_sandbox(api).url, max_concurrency=1)
    broken = run_sync(config, streams=["contacts"], raise_errors=False)
    assert broken.error is not None and "ignores the cursor" in str(broken.error)
    api.reading = Reading()
    fixed = run_sync(config, state=broken.states[-1], streams=["contacts"])
    assert set(broken.ids("contacts")) | set(fixed.ids("contacts")) == set(CONTACTS.records(api))
    assert "resume" not in CONTACTS.stream_state(fixed.final_state)


def test_a_tie_group_larger_than_a_page_is_counted_in_the_closing_summary(start_sandbox, caplog) -> None:
    api = account()
    rows = sorted(CONTACTS.records(api).values(), key=lambda r: r["updated"])
    for row in rows[50:90]:  # 40 contacts share one updated: 10 cannot be reached
        row["updated"] = rows[50]["updated"]
    api.listing("contacts").changed()
    with caplog.at_level("WARNING"):
        result = run_sync(config_for(start_sandbox(api).url), streams=["contacts"])
    assert len(set(CONTACTS.records(api)) - set(result.ids("contacts"))) == 10
    summary = next(r.getMessage() for r in caplog.records if "larger than a page" in r.getMessage())
    assert summary.startswith("contacts: 1 group(s) of records sharing one value")
    assert CONTACTS.printed(api, rows[50]) in summary
