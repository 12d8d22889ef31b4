"""The inbox directory on its own: one listing call, members read in every documented
spelling, and the questions the streams ask of it (no tap, no HTTP)."""

from __future__ import annotations

import logging
import typing as t

import pytest

from tap_heymarket.directory import InboxDirectory
from tap_heymarket.errors import HeymarketFatalError

LOGGER = logging.getLogger("tap-heymarket.test_directory")


class FakeListing:
    """Stands in for the ``GET /v1/inboxes`` endpoint; counts the requests sent."""

    def __init__(self, body: t.Any) -> None:
        self.body = body
        self.sent = 0

    def send_interruptibly(self, body: t.Any, context: t.Any = None) -> t.Any:
        self.sent += 1
        return self.body

    def records_in(self, body: t.Any) -> list[t.Any]:
        return list(body)


def _directory(listed: list[t.Any], **config: t.Any) -> tuple[InboxDirectory, FakeListing]:
    listing = FakeListing(listed)
    return InboxDirectory(t.cast("t.Any", listing), config, LOGGER, "api_key"), listing


def test_the_inbox_list_is_asked_for_once_however_many_questions_follow() -> None:
    directory, listing = _directory([{"id": 1, "members": [7]}])
    directory.inboxes()
    directory.members_of()
    directory.readable_inbox_ids()
    assert listing.sent == 1


def test_members_are_read_as_ids_or_objects_and_unusable_ones_are_passed_over() -> None:
    directory, _ = _directory(
        [
            {"id": 1, "members": [7, {"id": 5}, {"name": "no id"}, "8", True]},
            {"id": "2", "members": None},
            {"id": None, "members": [9]},
            "not an object",
        ]
    )
    assert directory.members_of() == {1: [5, 7, 8], 2: []}


def test_with_user_id_every_configured_inbox_is_read_as_that_user() -> None:
    directory, _ = _directory([{"id": 1, "members": []}], user_id=42, inboxes=[1, 3])
    assert directory.members_of() == {}
    assert directory.readable_inbox_ids() == [1, 3]
    assert directory.groups([1, 3]) == [(42, [1, 3])]


def test_inboxes_without_members_are_skipped_with_a_warning_and_all_of_them_is_an_error(caplog) -> None:
    directory, _ = _directory([{"id": 1, "members": [7]}, {"id": 2, "members": []}])
    with caplog.at_level(logging.WARNING):
        assert directory.readable_inbox_ids() == [1]
    assert "skipping inbox 2" in caplog.text
    nobody, _ = _directory([{"id": 2, "members": []}])
    with pytest.raises(HeymarketFatalError, match="list no members"):
        nobody.readable_inbox_ids()


def test_an_empty_directory_warns_whose_view_it_was(caplog) -> None:
    directory, _ = _directory([], user_id=42)
    with caplog.at_level(logging.WARNING):
        assert directory.inboxes() == []
    assert "Heymarket listed no inbox for user 42 (user_id)" in caplog.text


@pytest.mark.parametrize("setting", ["inboxes", "closed", "unread", "start_date"])
def test_any_narrowing_setting_means_the_run_does_not_cover_the_whole_account(setting: str) -> None:
    assert _directory([])[0].covers_whole_account()
    assert not _directory([], **{setting: False})[0].covers_whole_account()
