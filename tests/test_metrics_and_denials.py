"""The SDK's per-request metrics for every request, and an inbox the user may not read skipped
(with the others read) rather than the whole stream."""

from __future__ import annotations

import json
import logging

from tests.cases import account
from tests.harness import config_for, run_sync


def _points(caplog, metric: str) -> list[dict]:
    out = []
    for record in caplog.records:
        message = record.getMessage()
        if message.startswith("METRIC: ") and f'"metric":"{metric}"' in message:
            out.append(json.loads(message[len("METRIC: ") :]))
    return out


def test_every_request_logs_the_sdks_duration_metric_tagged_with_endpoint_and_walk(
    start_sandbox, caplog
) -> None:
    api = account()
    with caplog.at_level(logging.INFO, logger="singer_sdk.metrics"):
        run_sync(config_for(start_sandbox(api).url), streams=["conversations", "contacts"])
    durations = _points(caplog, "http_request_duration")
    assert len(durations) == len(api.requests)
    by_endpoint = {}
    for point in durations:
        by_endpoint[point["tags"]["endpoint"]] = by_endpoint.get(point["tags"]["endpoint"], 0) + 1
        assert point["tags"]["http_status_code"] == 200 and point["tags"]["status"] == "succeeded"
    assert by_endpoint == {path: api.request_count(path) for path in set(api.paths())}
    walks = {json.dumps(p["tags"]["context"], sort_keys=True) for p in durations if "context" in p["tags"]}
    assert len(walks) == 2  # the two conversation views (the team-wide walk has no context, as in the SDK)
    counts = _points(caplog, "http_request_count")
    assert sum(
        p["value"] for p in counts if p["tags"]["endpoint"] == "/v1/conversations"
    ) == api.request_count("/v1/conversations")


def test_an_inbox_the_user_may_not_read_is_skipped_and_the_others_are_read(start_sandbox, caplog) -> None:
    api = account()
    user = 9002  # a member of inboxes 5001 and 5003, not of 5002
    assert user in api.inbox_members[5001] and user not in api.inbox_members[5002]
    with caplog.at_level(logging.WARNING):
        result = run_sync(config_for(start_sandbox(api).url, user_id=user))
    readable = {c["id"] for c in api.conversations.records.values() if c["_inbox"] != 5002}
    assert set(result.ids()) == readable
    warnings = [r.getMessage() for r in caplog.records if "skipping inbox 5002" in r.getMessage()]
    assert len(warnings) == 2  # its open and closed views, each naming the inbox and the user
    assert all(f"denied user {user} access" in w for w in warnings)
    summary = next(r.getMessage() for r in caplog.records if "skipped, access denied" in r.getMessage())
    assert "inbox 5002 (open)" in summary and "inbox 5002 (closed)" in summary
    covered = result.final_state["bookmarks"]["conversations"]["covered"]
    assert [5002, False] not in covered and [5001, False] in covered  # 5002 is read in full once allowed


def test_a_user_denied_every_inbox_fails_the_run_with_one_line(start_sandbox) -> None:
    api = account()
    result = run_sync(config_for(start_sandbox(api).url, user_id=424242), raise_errors=False)
    assert result.error is not None
    assert "every slice was refused" in str(result.error) and "\n" not in str(result.error)
