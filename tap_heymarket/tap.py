"""tap-heymarket: the stream list, the commands, and what the streams share (settings: settings.py).

The tap builds one :class:`~tap_heymarket.api.HeymarketAPI` (credentials, limiter, sessions,
the inbox directory) and hands it, with the run's start time (no bookmark passes it), to
every stream it builds. Instantiating the tap changes nothing in the process: SIGTERM/SIGINT
handling and log redaction are installed when it runs (:func:`take_over_process`, from
``invoke`` and the other commands), since discovery and tests build the tap many times.
"""

from __future__ import annotations

import contextlib
import gc
import io
import os
import sys
import typing as t
from functools import cached_property

import click
import requests
from singer_sdk import Stream, Tap
from singer_sdk.exceptions import ConfigValidationError, RetriableAPIError
from singer_sdk.tap_base import CliTestOptionValue

from tap_heymarket import clock, environment, interrupt, redaction, settings, streams
from tap_heymarket.api import HeymarketAPI
from tap_heymarket.client import HeymarketStream
from tap_heymarket.config_errors import type_errors, userinfo_secrets
from tap_heymarket.errors import HeymarketFatalError
from tap_heymarket.final_state import LastMessageWriter
from tap_heymarket.messages import MessagesStream
from tap_heymarket.state_file import checked_state, read_state_text
from tap_heymarket.walk.state import migrate_per_inbox_state

STREAM_TYPES: list[type[HeymarketStream]] = [
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
        self.run_started = clock.now()  # before the SDK builds the streams, which are given it
        super().__init__(*args, **kwargs)
        if kwargs.get("validate_config", True):
            found = settings.problems(self.config)
            if found:
                raise ConfigValidationError(found[0], errors=found)
        # Warnings on every command (the SDK builds --discover's tap without validation).
        for line in settings.warnings(self.config, self.config_jsonschema["properties"], clock.now()):
            self.logger.warning("%s", line)
        # Masked once redaction is installed (when the tap runs); remembering them changes nothing.
        redaction.remember([*self.api.auth.secrets(), *userinfo_secrets(self.config.get("api_url"))])

    @cached_property
    def api(self) -> HeymarketAPI:
        """The API client every stream reads through, built once (when the first stream is)."""
        return HeymarketAPI(self.config, self.logger, self.metrics_logger)

    def _setup_signal_handlers(self) -> None:
        """Nothing: building the tap leaves the process's signal handlers alone.

        A private SDK method, overridden because the SDK installs its own handlers on every
        instantiation (``PluginBase.__init__``), which discovery and tests do many times, and
        its handler writes state and exits 0. The tap installs its own when it runs
        (:func:`take_over_process`). tests/test_sdk_contracts.py fails if the SDK stops
        installing handlers through it.
        """

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

    @property
    def _env_var_config(self) -> dict[str, t.Any]:
        """``TAP_HEYMARKET_*`` settings; ``inboxes`` may be ``1,2,3`` (:func:`environment.from_environment`).

        A private SDK hook, overridden because there is no public one: the SDK reads an array
        setting from the environment only as JSON and answers ``1,2,3`` with a traceback.
        The SDK declares it a class property but reads it only from the instance being built
        (``self._env_var_config`` in ``PluginBase.__init__``), so a plain property serves.
        tests/test_sdk_contracts.py fails if the SDK stops reading settings there.
        """
        schema = self.config_jsonschema
        self.append_builtin_config(schema)
        return environment.from_environment(schema, self._env_var_prefix)

    def discover_streams(self) -> list[Stream]:
        """Every stream the account offers, each handed the API client and the run's start."""
        return [
            stream_type(tap=self, api=self.api, run_started=self.run_started) for stream_type in STREAM_TYPES
        ]

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
        take_over_process()
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
        finally:
            skip_exit_collection()

    @classmethod
    def cb_discover(cls, ctx: click.Context, param: click.Option, value: bool) -> None:
        """``--discover`` (the SDK's command), with the process set up as for a run."""
        if value:
            take_over_process()
        super().cb_discover(ctx, param, value)

    @classmethod
    def cb_test(cls, ctx: click.Context, param: click.Option, value: str) -> None:
        """``--test`` (the SDK's command), with the process set up as for a run."""
        if value != CliTestOptionValue.Disabled.value:
            take_over_process()
        super().cb_test(ctx, param, value)


def take_over_process() -> None:
    """SIGTERM/SIGINT handling (:mod:`.interrupt`) and log redaction (:mod:`.redaction`), once.

    Process-wide, so installed by the commands that run the tap (the Singer command's
    ``invoke``, ``--discover``, ``--test``; the Airbyte command), never by building it.
    """
    interrupt.install()
    redaction.install()


def skip_exit_collection() -> None:
    """The run is over: spare the interpreter's shutdown its passes over every live object.

    At exit the interpreter clears each module and collects cyclic garbage over and over,
    walking every object the SDK and its libraries made (about 50,000): 0.15-0.3 s, a tenth
    of a latency-free run of 6,000 conversations. ``gc.freeze`` moves them to the permanent
    generation, which those collections skip. Nothing is lost: every message was written
    (the writer flushes each one), files are closed by their ``with`` blocks, atexit handlers
    (logging's flush) still run, and memory goes back to the system with the process.
    """
    gc.freeze()


#: 128 + SIGPIPE: how a shell (and ``set -o pipefail``) reports a writer whose reader left,
#: as for ``cat`` or ``grep``; Python ignores SIGPIPE, so the tap exits with it itself.
BROKEN_PIPE_EXIT_CODE = 128 + 13


def stop_writing_stdout() -> None:
    """Point stdout at /dev/null, so the interpreter's final flush cannot fail a second time."""
    with contextlib.suppress(OSError, ValueError):
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


if __name__ == "__main__":
    TapHeymarket.cli()
