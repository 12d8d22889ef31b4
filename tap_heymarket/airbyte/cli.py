"""``source-heymarket spec | check --config | discover --config | read --config --catalog [--state]``.

The Airbyte protocol's four verbs. stdout carries only protocol messages (log lines are LOG
messages); a failure is one TRACE error (``config_error`` or ``system_error``) with the tap's
one-line message, then the tap's non-zero exit code. ``check`` answers a settings or
credentials problem with CONNECTION_STATUS FAILED and that line instead (the check ran; the
connection failed), as Airbyte's own sources do.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import sys
import typing as t

from tap_heymarket.airbyte import protocol, spec
from tap_heymarket.airbyte.catalog import airbyte_streams
from tap_heymarket.airbyte.inputs import read_inputs
from tap_heymarket.airbyte.protocol import InputError
from tap_heymarket.airbyte.run import Failure, TapInputs, run_tap
from tap_heymarket.airbyte.writer import AirbyteWriter, LogToAirbyte
from tap_heymarket.tap import TapHeymarket

if t.TYPE_CHECKING:
    from collections.abc import Iterator


def parser() -> argparse.ArgumentParser:
    """The command line: one sub-command per protocol verb."""
    top = argparse.ArgumentParser(prog="source-heymarket", description="Heymarket as an Airbyte source.")
    verbs = top.add_subparsers(dest="verb", required=True)
    verbs.add_parser("spec", help="print the connector's settings")
    for verb, what in (("check", "test the credentials"), ("discover", "list the streams"), ("read", "sync")):
        sub = verbs.add_parser(verb, help=what)
        sub.add_argument("--config", required=True, help="the connector's config (JSON file)")
        if verb == "read":
            sub.add_argument("--catalog", required=True, help="the configured catalog (JSON file)")
            sub.add_argument("--state", help="the STATE messages of an earlier read (JSON file)")
    return top


def main(argv: list[str] | None = None, out: t.BinaryIO | None = None) -> int:
    """Run one verb; the process's exit code (0, or the tap's own on a failure).

    A reader that stops reading (a broken pipe) ends the run with exit 1 and no traceback.
    """
    try:
        return _main(argv, out)
    except BrokenPipeError:
        return _reader_gone(out)


def _main(argv: list[str] | None, out: t.BinaryIO | None) -> int:
    args = parser().parse_args(argv)
    if args.verb == "spec":
        AirbyteWriter({}, out).emit(protocol.spec(spec.connection_specification()))
        return 0
    try:
        given = vars(args)
        config, catalog, state = read_inputs(args.config, given.get("catalog"), given.get("state"))
    except InputError as exc:
        AirbyteWriter({}, out).emit(protocol.error(str(exc), protocol.CONFIG_ERROR))
        return 1
    writer = AirbyteWriter(state, out, forward=args.verb == "read")
    with _logging_to(writer):
        TapHeymarket.print_version(print_fn=TapHeymarket.logger.info)  # as the Singer command does
        if args.verb == "check":
            failure = run_tap(TapInputs(config, writer), _check)
            if failure is None or failure.is_config_error:
                writer.emit(protocol.connection_status(failure.message if failure else None))
                failure = None  # the check ran; its verdict is the answer
        elif args.verb == "discover":
            failure = run_tap(TapInputs(config, writer), lambda tap: _discover(tap, writer))
        else:
            failure = run_tap(TapInputs(config, writer, catalog, state), lambda tap: tap.sync_all())
            writer.finish(complete=failure is None)
        code = _failed(writer, failure)
    return _reader_gone(out) if writer.closed else code


def _reader_gone(out: t.BinaryIO | None) -> int:
    """Exit 1 quietly: stdout is closed, so point it at /dev/null for the interpreter's last flush."""
    if out is None:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return 1


def _check(tap: TapHeymarket) -> None:
    """The tap's own connection test (``tap-heymarket --test``): one record of every stream."""
    tap.run_connection_test()


def _discover(tap: TapHeymarket, writer: AirbyteWriter) -> None:
    writer.emit(protocol.catalog(airbyte_streams(tap.catalog_dict)))


def _failed(writer: AirbyteWriter, failure: Failure | None) -> int:
    """The TRACE error for a failure, and the exit code (0 without one)."""
    if failure is None:
        return 0
    writer.emit(protocol.error(failure.message, failure.failure_type))
    return failure.exit_code


@contextlib.contextmanager
def _logging_to(writer: AirbyteWriter) -> Iterator[None]:
    """Every log record of the run as a LOG message (INFO and up), then logging as it was."""
    handler = LogToAirbyte(writer)
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    try:
        yield
    finally:
        root.removeHandler(handler)
        root.setLevel(level)
