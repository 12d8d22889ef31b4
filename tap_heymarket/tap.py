"""tap-heymarket: the settings, the stream list, and what the streams share.

Streams share one authenticator (a JWT is minted once, renewed for all), one request
limiter (the API's budget is per key), the run's start time (no bookmark passes it) and
the inbox directory (``GET /v1/inboxes``, fetched once).
"""

from __future__ import annotations

import random
import sys
import threading
import typing as t

import requests
from singer_sdk import Stream, Tap
from singer_sdk.contrib.msgspec import MsgSpecWriter
from singer_sdk.exceptions import ConfigValidationError, RetriableAPIError

from tap_heymarket import clock, settings, streams
from tap_heymarket.auth import HeymarketAuth
from tap_heymarket.errors import HeymarketFatalError
from tap_heymarket.ratelimit import RequestRateLimiter
from tap_heymarket.redaction import redact_secrets
from tap_heymarket.statewriter import EncodedStateWriter

STREAM_TYPES: list[type[Stream]] = [
    streams.ConversationsStream,
    streams.InboxesStream,
    streams.TeamMembersStream,
    streams.ContactsStream,
    streams.MessagesStream,
    streams.TagsStream,
    streams.TemplatesStream,
    streams.SurveysStream,
]


class TapHeymarket(Tap):
    """Singer tap for Heymarket."""

    name = "tap-heymarket"
    config_jsonschema = settings.CONFIG_SCHEMA
    message_writer_class = MsgSpecWriter

    def __init__(self, *args: t.Any, **kwargs: t.Any) -> None:
        super().__init__(*args, **kwargs)
        self._state_writer = EncodedStateWriter(self.message_writer)
        if kwargs.get("validate_config", True):
            found = settings.problems(self.config)
            if found:
                raise ConfigValidationError(found[0], errors=found)
        self.auth = HeymarketAuth(self.config)
        redact_secrets(self.auth.secrets())
        self.limiter = RequestRateLimiter(float(self.config.get("max_requests_per_minute", 500)))
        self.random = random.Random()
        self.run_started = clock.now()
        self._directory_lock = threading.Lock()
        self._inbox_directory: list[dict[str, t.Any]] | None = None

    def discover_streams(self) -> list[Stream]:
        """Every stream the account offers."""
        return [stream_type(tap=self) for stream_type in STREAM_TYPES]

    # -- what streams share -------------------------------------------------------------

    def inbox_directory(self) -> list[dict[str, t.Any]]:
        """``GET /v1/inboxes``, fetched once per run and shared by every stream."""
        with self._directory_lock:
            if self._inbox_directory is None:
                stream = t.cast("streams.InboxesStream", self.streams["inboxes"])
                self._inbox_directory = stream.fetch_directory()
            return self._inbox_directory

    def inbox_ids(self) -> list[int]:
        """Configured inboxes, else every listed inbox."""
        configured = self.config.get("inboxes")
        if configured:
            return [int(i) for i in configured]
        return [int(inbox["id"]) for inbox in self.inbox_directory() if "id" in inbox]

    def user_for_inbox(self, inbox_id: int) -> int:
        """``user_id`` if set, else a member of the inbox (the body's ``id``)."""
        if self.config.get("user_id") is not None:
            return int(self.config["user_id"])
        for inbox in self.inbox_directory():
            if inbox.get("id") == inbox_id:
                for member in inbox.get("members") or []:
                    return int(member["id"] if isinstance(member, dict) else member)
        msg = (
            f"Inbox {inbox_id} lists no members to read it as: set user_id to a member "
            "of every configured inbox"
        )
        raise HeymarketFatalError(msg)

    def covers_whole_account(self) -> bool:
        """True when no setting narrows the extraction (so the API's count applies)."""
        return not any(
            self.config.get(name) is not None for name in ("inboxes", "closed", "unread", "start_date")
        )

    def other_streams_selected(self, stream: Stream) -> bool:
        """Whether a stream other than ``stream`` is selected (403 then skips, not fails)."""
        return any(s.selected for s in self.streams.values() if s is not stream)

    # -- command line -------------------------------------------------------------------

    @classmethod
    def invoke(cls, *args: t.Any, **kwargs: t.Any) -> None:
        """Run the tap; report API and network failures as one line, without a traceback."""
        try:
            super().invoke(*args, **kwargs)
        except (HeymarketFatalError, RetriableAPIError) as exc:
            cls.logger.error("%s", exc)
            sys.exit(1)
        except requests.RequestException as exc:
            cls.logger.error(
                "Could not reach Heymarket after retries (%s): check api_url and the network",
                type(exc).__name__,
            )
            sys.exit(1)


if __name__ == "__main__":
    TapHeymarket.cli()
