"""tap-heymarket: the settings, the stream list, and what the streams share.

Streams share one authenticator (a JWT is minted once, renewed for all), one request
limiter (the API's budget is per key), the run's start time (no bookmark passes it) and
the inbox directory (``GET /v1/inboxes``, fetched once).
"""

from __future__ import annotations

import contextlib
import io
import os
import random
import sys
import threading
import typing as t

import requests
from singer_sdk import Stream, Tap
from singer_sdk.exceptions import ConfigValidationError, RetriableAPIError

from tap_heymarket import clock, interrupt, settings, streams
from tap_heymarket.auth import HeymarketAuth
from tap_heymarket.concurrency import call_interruptibly
from tap_heymarket.config_errors import type_errors, userinfo_secrets
from tap_heymarket.errors import HeymarketFatalError
from tap_heymarket.final_state import LastMessageWriter
from tap_heymarket.messages import MessagesStream
from tap_heymarket.ratelimit import RequestRateLimiter
from tap_heymarket.redaction import redact_secrets
from tap_heymarket.state_file import checked_state, read_state_text
from tap_heymarket.walk_state import migrate_per_inbox_state


class _ClassProperty:
    """A read-only property on the class, as the SDK declares ``_env_var_config`` (its own
    ``classproperty`` helper lives in a private module, so the tap does not import it)."""

    def __init__(self, fget: t.Callable[[t.Any], t.Any]) -> None:
        self.fget = fget

    def __get__(self, instance: object, owner: type) -> t.Any:
        return self.fget(owner)


STREAM_TYPES: list[type[Stream]] = [
    streams.ConversationsStream,
    streams.InboxesStream,
    streams.TeamMembersStream,
    streams.ContactsStream,
    MessagesStream,
    streams.TagsStream,
    streams.TemplatesStream,
    streams.SurveysStream,
]


class TapHeymarket(Tap):
    """Singer tap for Heymarket."""

    name = "tap-heymarket"
    config_jsonschema = settings.CONFIG_SCHEMA
    message_writer_class = LastMessageWriter

    def __init__(self, *args: t.Any, **kwargs: t.Any) -> None:
        super().__init__(*args, **kwargs)
        interrupt.install()
        if kwargs.get("validate_config", True):
            found = settings.problems(self.config)
            if found:
                raise ConfigValidationError(found[0], errors=found)
        # Warnings on every command (the SDK builds --discover's tap without validation).
        for line in settings.warnings(self.config, self.config_jsonschema["properties"], clock.now()):
            self.logger.warning("%s", line)
        self.auth = HeymarketAuth(self.config)
        self.reached_api = False  # once a response arrives, a refused connection is retried
        redact_secrets([*self.auth.secrets(), *userinfo_secrets(self.config.get("api_url"))])
        self.limiter = RequestRateLimiter(float(self.config.get("max_requests_per_minute", 500)))
        self.random = random.Random()
        self.run_started = clock.now()
        self._directory_lock = threading.Lock()
        self._inbox_directory: list[dict[str, t.Any]] | None = None

    def _validate_config(self, *, raise_errors: bool = True) -> list[str]:
        """The SDK's schema check, with messages that never quote a secret setting's value.

        A private SDK method, overridden because its messages quote every offending value
        (``987654321987 is not of type 'string' in config['api_key']`` prints the key) and no
        public hook formats them. Defaults are filled in as the SDK fills them.
        tests/test_sdk_contracts.py fails if the SDK stops validating through it.
        """
        schema = self.config_jsonschema
        self.append_builtin_config(schema)
        errors = type_errors(self._config, schema)
        if errors and raise_errors:
            raise ConfigValidationError(errors[0], errors=errors, schema=schema)
        if errors:
            self.logger.warning("Config validation failed")
        return errors

    @_ClassProperty
    def _env_var_config(cls) -> dict[str, t.Any]:  # noqa: N805 (a property of the class)
        """``TAP_HEYMARKET_*`` settings; ``inboxes`` may be ``1,2,3`` (:func:`settings.from_environment`).

        A private SDK hook, overridden because there is no public one: the SDK reads an array
        setting from the environment only as JSON and answers ``1,2,3`` with a traceback.
        tests/test_sdk_contracts.py fails if the SDK stops reading settings here.
        """
        schema = cls.config_jsonschema
        cls.append_builtin_config(schema)
        return settings.from_environment(schema, cls._env_var_prefix)

    def discover_streams(self) -> list[Stream]:
        """Every stream the account offers."""
        return [stream_type(tap=self) for stream_type in STREAM_TYPES]

    # -- what streams share -------------------------------------------------------------

    def inbox_directory(self) -> list[dict[str, t.Any]]:
        """``GET /v1/inboxes``, fetched once per run and shared by every stream."""
        with self._directory_lock:
            if self._inbox_directory is None:
                stream = t.cast("streams.InboxesStream", self.streams["inboxes"])
                self._inbox_directory = call_interruptibly(stream.fetch_directory, interrupt.check)
                if not self._inbox_directory:
                    self.logger.warning("%s", self._no_inbox_line())
            return self._inbox_directory

    def _no_inbox_line(self) -> str:
        """GET /v1/inboxes listed nothing: say whose view it was, and what then cannot be read."""
        user = self.config.get("user_id")
        who = f"user {user} (user_id)" if user is not None else f"the user of {self.auth.setting_names}"
        return (
            f"Heymarket listed no inbox for {who}: no conversation can be read; add that user to "
            "an inbox in Heymarket, or use credentials of a user who is a member of one"
        )

    def inbox_ids(self) -> list[int]:
        """Configured inboxes, else every listed inbox."""
        configured = self.config.get("inboxes")
        if configured:
            return [int(i) for i in configured]
        listed = (_as_id(inbox.get("id")) for inbox in self.inbox_directory())
        return [inbox_id for inbox_id in listed if inbox_id is not None]

    def members_of(self) -> dict[int, list[int]]:
        """Each listed inbox's member IDs (``members`` as IDs or ``{"id": …}`` objects).

        Members without a usable ID (an object without ``id``, a name) are passed over.
        """
        if self.config.get("user_id") is not None:
            return {}
        out: dict[int, list[int]] = {}
        for inbox in self.inbox_directory():
            inbox_id = _as_id(inbox.get("id"))
            if inbox_id is None:
                continue
            listed = inbox.get("members")
            members: list[t.Any] = listed if isinstance(listed, list) else []
            ids = (_as_id(m.get("id") if isinstance(m, dict) else m) for m in members)
            out[inbox_id] = sorted({m for m in ids if m is not None})
        return out

    def readable_inbox_ids(self) -> list[int]:
        """The inboxes to read that someone can read them as (a warning names the others)."""
        inboxes = self.inbox_ids()
        if self.config.get("user_id") is not None:
            return inboxes
        members = self.members_of()
        unreadable = [i for i in inboxes if not members.get(i)]
        if unreadable and len(unreadable) == len(inboxes):
            msg = (
                f"Inboxes {unreadable} list no members to read them as: set user_id to a member "
                "of every configured inbox"
            )
            raise HeymarketFatalError(msg)
        for inbox in unreadable:
            self.logger.warning(
                "conversations: skipping inbox %s: it lists no members to read it as (set user_id)", inbox
            )
        return [i for i in inboxes if members.get(i)]

    def covers_whole_account(self) -> bool:
        """True when no setting narrows the extraction (so the API's count applies)."""
        return not any(
            self.config.get(name) is not None for name in ("inboxes", "closed", "unread", "start_date")
        )

    def other_streams_selected(self, stream: Stream) -> bool:
        """Whether a stream other than ``stream`` is selected (403 then skips, not fails)."""
        return any(s.selected for s in self.streams.values() if s is not stream)

    def load_state(self, state: dict[str, t.Any]) -> None:
        """The state checked (:mod:`.state_file`), loaded as the SDK does, the old layout folded in."""
        super().load_state(checked_state(state))
        conversations = self.state.get("bookmarks", {}).get("conversations")
        if isinstance(conversations, dict) and migrate_per_inbox_state(conversations, "updated"):
            self.logger.info("conversations: per-inbox bookmarks folded into one (the oldest of them)")

    # -- command line -------------------------------------------------------------------

    @classmethod
    def invoke(cls, *args: t.Any, **kwargs: t.Any) -> None:
        """Run the tap; report API and network failures as one line, without a traceback."""
        try:
            state = kwargs.get("state")
            if state is not None:  # checked here, where the file's name is known
                text = state.read()
                read_state_text(text, getattr(state, "name", "--state"))
                kwargs["state"] = io.StringIO(text)
            super().invoke(*args, **kwargs)
        except ConfigValidationError as exc:
            for line in exc.errors or [str(exc)]:  # one line each, without the SDK's summary line
                cls.logger.error("%s", line)
            sys.exit(1)
        except interrupt.SyncInterrupted as exc:
            cls.logger.error(
                "Interrupted by %s: STATE written for what was emitted; the next run resumes there",
                exc,
            )
            sys.exit(exc.exit_code)
        except (HeymarketFatalError, RetriableAPIError) as exc:
            cls.logger.error("%s", exc)
            sys.exit(1)
        except requests.RequestException as exc:
            cls.logger.error(
                "Could not reach Heymarket after retries (%s): check api_url and the network",
                type(exc).__name__,
            )
            sys.exit(1)
        except BrokenPipeError:
            stop_writing_stdout()
            cls.logger.error(
                "The target stopped reading (stdout closed): no further messages, nor a STATE, could "
                "be written; the next run resumes from the last STATE the target received"
            )
            sys.exit(BROKEN_PIPE_EXIT_CODE)


#: 128 + SIGPIPE: how a shell (and ``set -o pipefail``) reports a writer whose reader left,
#: as for ``cat`` or ``grep``; Python ignores SIGPIPE, so the tap exits with it itself.
BROKEN_PIPE_EXIT_CODE = 128 + 13


def stop_writing_stdout() -> None:
    """Point stdout at /dev/null, so the interpreter's final flush cannot fail a second time."""
    with contextlib.suppress(OSError, ValueError):
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


def _as_id(value: object) -> int | None:
    """An integer ID (or ASCII digit string) from the directory, else None."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.isascii() and value.isdigit():
        return int(value)
    return None


if __name__ == "__main__":
    TapHeymarket.cli()
