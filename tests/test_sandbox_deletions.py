"""Deletions on the sandbox, over HTTP as a demo or another process makes them.

Contacts, tags and templates go through the API's ``DELETE`` endpoints; inboxes and team
members through the sandbox-only ``/_sandbox/`` control endpoints. In every case the
record simply vanishes from what the tap reads, as on Heymarket (no listing reports it).
"""

from __future__ import annotations

import json
import typing as t
import urllib.error
import urllib.request

import pytest

from tests.harness import config_for, run_sync

AUTH = {"Authorization": "Bearer sandbox-key"}


def _call(url: str, method: str, path: str, body: object = None, headers: dict | None = None) -> t.Any:
    """(status, decoded body) of one request; HTTP errors are answers too."""
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(f"{url}{path}", data=data, method=method, headers=headers or {})  # noqa: S310
    try:
        with urllib.request.urlopen(request) as response:  # noqa: S310
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


@pytest.mark.parametrize("stream", ["contacts", "tags", "templates"])
def test_delete_endpoint_removes_the_record_from_the_listing_the_tap_reads(sandbox, stream: str) -> None:
    config = config_for(sandbox.url)
    before = run_sync(config, streams=[stream]).ids(stream)
    doomed = before[::5]
    for record_id in doomed:
        assert _call(sandbox.url, "DELETE", f"/v1/{stream}/{record_id}", headers=AUTH) == (
            200,
            {"deleted": record_id},
        )
    after = run_sync(config, streams=[stream]).ids(stream)
    assert sorted(after) == sorted(set(before) - set(doomed))
    assert len(after) == len(before) - len(doomed)


def test_delete_accepts_the_singular_path_and_answers_404_for_an_unknown_or_repeated_id(sandbox) -> None:
    contact = min(sandbox.api.listing("contacts").records)
    assert _call(sandbox.url, "DELETE", f"/v1/contact/{contact}", headers=AUTH)[0] == 200
    assert _call(sandbox.url, "DELETE", f"/v1/contacts/{contact}", headers=AUTH)[0] == 404
    assert _call(sandbox.url, "DELETE", "/v1/tags/999999", headers=AUTH)[0] == 404
    assert _call(sandbox.url, "DELETE", "/v1/conversations/100000", headers=AUTH)[0] == 404
    assert _call(sandbox.url, "POST", "/v1/contacts/count", {}, AUTH)[1] == {
        "count": len(sandbox.api.listing("contacts").records)
    }


def test_delete_needs_credentials_like_every_api_endpoint(sandbox) -> None:
    tag = min(sandbox.api.listing("tags").records)
    assert _call(sandbox.url, "DELETE", f"/v1/tags/{tag}")[0] == 401
    assert tag in sandbox.api.listing("tags").records


def test_deleting_an_inbox_removes_it_and_its_conversations_and_nothing_else(sandbox) -> None:
    config = config_for(sandbox.url)
    before = run_sync(config, streams=["conversations", "inboxes"])
    inbox_of = {c["id"]: c["inbox"]["id"] for c in before.records()}
    doomed = 5002
    kept = {i for i, inbox in inbox_of.items() if inbox != doomed}
    assert 0 < len(kept) < len(inbox_of)

    status, answer = _call(sandbox.url, "POST", "/_sandbox/delete-inbox", {"id": doomed})
    assert (status, answer) == (200, {"deleted": doomed, "conversations": len(inbox_of) - len(kept)})

    after = run_sync(config, streams=["conversations", "inboxes"])
    assert sorted(after.ids("inboxes")) == sorted(set(before.ids("inboxes")) - {doomed})
    assert sorted(after.ids()) == sorted(kept)
    assert _call(sandbox.url, "POST", "/_sandbox/delete-inbox", {"id": doomed})[0] == 404


def test_deleting_a_team_member_removes_it_from_the_team_and_its_inboxes(sandbox) -> None:
    config = config_for(sandbox.url)
    before = run_sync(config, streams=["team_members", "conversations"])
    directory = {i["id"]: i["members"] for i in sandbox.api.data.inboxes}
    doomed = directory[5001][0]  # the member the tap reads inbox 5001 as

    assert _call(sandbox.url, "POST", "/_sandbox/delete-team-member", {"id": doomed}) == (
        200,
        {"deleted": doomed},
    )
    after = run_sync(config, streams=["team_members", "conversations", "inboxes"])
    assert sorted(after.ids("team_members")) == sorted(set(before.ids("team_members")) - {doomed})
    assert all({"id": doomed} not in inbox["members"] for inbox in after.records("inboxes"))
    assert all(inbox["members"] for inbox in after.records("inboxes"))
    assert sorted(after.ids()) == sorted(before.ids())  # read as another member of the inbox
    assert _call(sandbox.url, "POST", "/_sandbox/delete-team-member", {"id": doomed})[0] == 404


@pytest.mark.parametrize("body", [{}, {"id": "5001"}, {"id": True}, [5001]])
def test_control_deletions_refuse_a_body_without_an_integer_id(sandbox, body: object) -> None:
    for what in ("delete-inbox", "delete-team-member"):
        assert _call(sandbox.url, "POST", f"/_sandbox/{what}", body)[0] == 400
    assert len(sandbox.api.data.inboxes) == 3
