"""Streams are selectable one by one; a stream the key may not read is skipped, not fatal."""

from __future__ import annotations

import logging

import pytest

from tap_heymarket.errors import AccessDeniedError
from tap_heymarket.timestamps import format_instant
from tests.cases import account
from tests.harness import config_for, run_sync


@pytest.mark.parametrize(
    ("stream", "paths"),
    [
        ("inboxes", {"/v1/inboxes"}),
        ("team_members", {"/v1/team"}),
        ("contacts", {"/v1/contacts", "/v1/contacts/count"}),
        ("tags", {"/v1/tags"}),
        ("templates", {"/v1/templates"}),
        ("messages", {"/v1/messages/all"}),
        ("surveys", {"/v1/surveys"}),
        ("conversations", {"/v1/inboxes", "/v1/conversations", "/v1/conversations/count"}),
    ],
)
def test_a_stream_selected_alone_sends_requests_only_for_itself(start_sandbox, stream, paths) -> None:
    api = account()
    result = run_sync(config_for(start_sandbox(api).url), streams=[stream])
    assert set(api.paths()) == paths
    assert {m["stream"] for m in result.messages if m["type"] == "RECORD"} == {stream}


def test_configured_inboxes_and_user_need_no_inbox_listing(start_sandbox) -> None:
    api = account()
    url = start_sandbox(api).url
    run_sync(config_for(url, inboxes=[5001], user_id=min(api.inbox_members[5001])))
    assert "/v1/inboxes" not in api.paths()
    assert "/v1/conversations" in api.paths()


def test_a_denied_stream_is_skipped_with_a_warning_naming_it(start_sandbox, caplog) -> None:
    api = account()
    api.denied_paths.add("/v1/templates")
    with caplog.at_level(logging.WARNING):
        result = run_sync(config_for(start_sandbox(api).url), streams=["templates", "tags"])
    assert result.ids("templates") == []
    assert len(result.ids("tags")) == len(api.listings["/v1/tags"].records)
    assert "Skipping stream 'templates'" in caplog.text


def test_a_denied_stream_fails_the_run_when_it_is_the_only_one_selected(start_sandbox) -> None:
    api = account()
    api.denied_paths.add("/v1/templates")
    result = run_sync(config_for(start_sandbox(api).url), streams=["templates"], raise_errors=False)
    assert isinstance(result.error, AccessDeniedError)
    assert "templates" in str(result.error)


def test_team_members_carry_their_team(start_sandbox) -> None:
    api = account()
    records = run_sync(config_for(start_sandbox(api).url), streams=["team_members"]).records("team_members")
    assert sorted(r["id"] for r in records) == sorted(m["id"] for m in api.data.team["members"])
    assert {r["team_id"] for r in records} == {api.data.team["id"]}


def test_surveys_page_by_number_until_a_short_page(start_sandbox) -> None:
    api = account()
    api.data.surveys.extend({**api.data.surveys[0], "id": 1000 + n, "name": f"extra {n}"} for n in range(60))
    result = run_sync(config_for(start_sandbox(api).url), streams=["surveys"])
    assert sorted(result.ids("surveys")) == sorted(s["id"] for s in api.data.surveys)
    assert [r.body["page"] for r in api.requests] == [1, 2, 3]


def test_messages_rerun_down_to_the_oldest_unsettled_one_so_status_changes_land(start_sandbox) -> None:
    api = account()
    url = start_sandbox(api).url
    config = config_for(url, messages_lookback_days=1)
    by_date = sorted(api.messages.records.values(), key=lambda m: m["date"], reverse=True)
    by_date[40]["status"] = "sent"  # on its way: its status can still change
    api.messages.changed(by_date[40]["id"])
    first = run_sync(config, streams=["messages"])
    newest = by_date[0]["date"]
    unsettled = [m for m in api.messages.records.values() if m["status"] == "sent"]
    since = min(m["date"] for m in unsettled)
    assert first.final_state["bookmarks"]["messages"]["unsettled_since"] == format_instant(since)
    recent = {m["id"] for m in api.messages.records.values() if m["date"] >= since}
    changed_id = min(m["id"] for m in unsettled if m["date"] == since)
    api.messages.records[changed_id]["status"] = "failed"
    api.messages.changed(changed_id)
    second = run_sync(config, state=first.final_state, streams=["messages"])
    assert set(second.ids("messages")) == recent
    assert next(r for r in second.records("messages") if r["id"] == changed_id)["status"] == "failed"
    assert second.final_state["bookmarks"]["messages"]["replication_key_value"] == format_instant(newest)
