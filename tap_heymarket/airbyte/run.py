"""Run the tap for one Airbyte verb, and report a failure exactly as the Singer command does.

The tap reports every failure it knows in :meth:`TapHeymarket.invoke
<tap_heymarket.tap.TapHeymarket.invoke>`: one line logged, an exit code, no traceback. Here the
tap is built and driven through its public API (constructor, ``sync_all``, the connection test);
a failure is then replayed through that same ``invoke`` (a subclass whose constructor raises
it), so the Airbyte command's error texts and exit codes are the Singer command's, whatever
that method learns to report. What the Airbyte side adds is the failure's kind:
``config_error`` for settings and credentials the user must fix, ``system_error`` for the rest
(network, API faults, an interrupted run).
"""

from __future__ import annotations

import dataclasses
import logging
import typing as t

from singer_sdk.exceptions import ConfigValidationError

from tap_heymarket import settings
from tap_heymarket.airbyte import protocol
from tap_heymarket.errors import AccessDeniedError, CredentialsRejectedError, HeymarketFatalError
from tap_heymarket.redaction import REDACTOR, redact_secrets
from tap_heymarket.tap import TapHeymarket, take_over_process

#: Failures the user fixes in the connector's settings or credentials.
CONFIG_FAILURES = (ConfigValidationError, CredentialsRejectedError, AccessDeniedError)

#: How the tap's 403 line begins (:class:`AccessDeniedError`). A walk refused on every slice
#: ends with a plain HeymarketFatalError carrying that line (an AccessDeniedError there would
#: let the stream be skipped while others are selected), and it is the same user problem.
DENIED = "Heymarket denied access to "


@dataclasses.dataclass(frozen=True)
class Failure:
    """What went wrong, as the tap said it, and how the process should end."""

    message: str
    failure_type: str
    exit_code: int = 1

    @property
    def is_config_error(self) -> bool:
        """Whether the user must change settings or credentials."""
        return self.failure_type == protocol.CONFIG_ERROR


@dataclasses.dataclass
class TapInputs:
    """The tap's config, catalog and state for one run, and its message writer."""

    config: dict[str, t.Any]
    writer: t.Any
    catalog: dict[str, t.Any] | None = None
    state: dict[str, t.Any] | None = None


def run_tap(inputs: TapInputs, work: t.Callable[[TapHeymarket], None]) -> Failure | None:
    """Build the tap from ``inputs`` and do ``work`` with it (None: it succeeded)."""
    take_over_process()  # SIGTERM/SIGINT and log redaction, as the Singer command's run has them
    redact_secrets(_secret_values(inputs.config))  # before validation too (defence in depth)
    try:
        tap = TapHeymarket(
            config=inputs.config,
            catalog=inputs.catalog,
            state=inputs.state,
            message_writer=inputs.writer,
            validate_config=True,
        )
        work(tap)
    except ConfigValidationError as exc:
        return Failure(_config_line(exc), protocol.CONFIG_ERROR)
    except BaseException as exc:  # SyncInterrupted (SIGTERM/SIGINT) included, as the tap reports it
        return _as_the_tap_reports(exc)
    return None


def _as_the_tap_reports(exc: BaseException) -> Failure:
    """``exc`` reported by the tap's own ``invoke``: its line and exit code, and the kind."""

    class Replay(TapHeymarket):
        """The tap whose construction fails with ``exc``, so ``invoke`` reports it."""

        def __init__(self, **_cli_inputs: t.Any) -> None:
            raise exc

        @classmethod
        def print_version(cls, print_fn: t.Callable[[t.Any], None] = print) -> None:
            """Silent: the command logged the version at its start (``invoke`` would again, mid-failure)."""

    lines = _ErrorLines()
    root = logging.getLogger()
    root.addHandler(lines)
    try:
        Replay.invoke()
    except SystemExit as exit_:
        code = exit_.code if isinstance(exit_.code, int) and exit_.code != 0 else 1
        return Failure(lines.last or _one_line(exc), _kind(exc), code)
    except BaseException:  # not a failure the tap reports itself (a bug): still one line
        return Failure(_one_line(exc), _kind(exc))
    finally:
        root.removeHandler(lines)
    return Failure(_one_line(exc), _kind(exc))


def _secret_values(config: t.Mapping[str, t.Any]) -> list[str]:
    """The configured values of the settings the tap marks secret, whatever their type."""
    properties = settings.CONFIG_SCHEMA["properties"]
    return [
        str(value)
        for name, value in config.items()
        if properties.get(name, {}).get("secret") and value not in (None, "")
    ]


def _kind(exc: BaseException | None) -> str:
    refused = isinstance(exc, HeymarketFatalError) and str(exc).startswith(DENIED)
    return protocol.CONFIG_ERROR if refused or isinstance(exc, CONFIG_FAILURES) else protocol.SYSTEM_ERROR


def _config_line(exc: ConfigValidationError) -> str:
    """The settings problems in one line (the tap logs them one a line)."""
    found = [str(e) for e in (exc.errors or [])] or [str(exc)]
    return REDACTOR.scrub("; ".join(found))


def _one_line(exc: BaseException) -> str:
    """An exception the tap does not report itself, named by its type (a bug to report)."""
    text = " ".join(str(exc).split())
    return REDACTOR.scrub(f"{type(exc).__name__}: {text}" if text else type(exc).__name__)


class _ErrorLines(logging.Handler):
    """Keeps the last ERROR line logged during the run: the line the tap ends a failure with."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.last: str | None = None

    def emit(self, record: logging.LogRecord) -> None:
        self.last = " ".join(record.getMessage().split())
