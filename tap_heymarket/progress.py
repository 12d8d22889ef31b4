"""Progress lines for long syncs: so far, expected total, percent and ETA, at a steady pace.

Lines are written at most every ``progress_interval`` seconds (not per page), plus one at the
end of the stream, which compares the emitted total with the API's count on full syncs.

The count endpoint is optional: it feeds only these lines and the choice of window
boundaries. :class:`OptionalCount` asks it on a stream's behalf; whatever goes wrong (401,
403, 5xx, a body that is no count, a negative or absurd number) costs one warning, and the
stream's later calls answer "no count" (:class:`CountUnavailable`) without a request.
"""

from __future__ import annotations

import re
import typing as t

from tap_heymarket import clock
from tap_heymarket.errors import AccessDeniedError, CredentialsRejectedError

if t.TYPE_CHECKING:
    from singer_sdk import Stream

_REFUSAL = re.compile(r"\((HTTP 40[13] on [^)]*)\)")
#: More records than any account plausibly holds: a count beyond it is garbage.
ABSURD_COUNT = 10**10


class CountUnavailable(Exception):  # noqa: N818 (a state, not a failure)
    """The optional count could not be had: what it feeds goes without it."""


class OptionalCount:
    """One stream's count endpoint, best effort (see the module docstring); thread-safe enough:
    two workers failing at once may both warn, never fail."""

    def __init__(self, stream: Stream, ask: t.Callable[[str | None], int]) -> None:
        self.stream = stream
        self._ask = ask
        self.failure: str | None = None

    def __call__(self, date: str | None) -> int:
        """The count of records before ``date`` (None: all), or :class:`CountUnavailable`."""
        if self.failure is not None:
            raise CountUnavailable(self.failure)
        try:
            value = self._ask(date)
            if not 0 <= value <= ABSURD_COUNT:
                msg = f"the API counted {value} records, which cannot be"
                raise ValueError(msg)
        except Exception as exc:
            self.failure = failure_cause(exc)
            self.stream.logger.warning(
                "Could not count %s (%s); going on without: progress shows no total and long walks "
                "are not split, every record is still read",
                self.stream.name,
                self.failure,
            )
            raise CountUnavailable(self.failure) from exc
        return value


class ProgressReporter:
    """Counts a stream's records and logs where it stands."""

    def __init__(self, stream: Stream, *, expected_total: int | None) -> None:
        self.stream = stream
        self.expected_total = expected_total
        self.interval = float(stream.config.get("progress_interval", 30))
        self.emitted = 0
        self.skipped = 0
        self.unreachable: list[str] = []
        self.pages = 0
        #: records emitted by walks of the listing's default view (conversations: open), which
        #: an unfiltered count may be all the API counts (:mod:`tap_heymarket.walk.totals`)
        self.default_view = 0
        #: whether the total may be an unfiltered count of the open view only (False once the
        #: walks' own counts confirmed it)
        self.total_unchecked = True
        self._started = clock.monotonic()
        self._last_logged = self._started

    def page(
        self, records: int, skipped: int = 0, unreachable: t.Sequence[str] = (), *, default_view: bool = False
    ) -> None:
        """Count one page (``default_view``: of a walk of the listing's default view); log if the
        interval has passed."""
        self.emitted += records
        self.default_view += records if default_view else 0
        self.skipped += skipped
        self.unreachable.extend(unreachable)
        self.pages += 1
        now = clock.monotonic()
        if now - self._last_logged >= self.interval:
            self._last_logged = now
            self.stream.logger.info("%s", self.describe(now))

    def describe(self, now: float) -> str:
        """``conversations: 1,200 of 20,000 (6.0%), 12 pages, 40 s, ETA 10 min``."""
        elapsed = now - self._started
        text = f"{self.stream.name}: {self.emitted:,} records"
        if self.expected_total:
            share = self.emitted / self.expected_total
            text = f"{self.stream.name}: {self.emitted:,} of {self.expected_total:,} ({share:.1%})"
            if 0 < share < 1:
                remaining = elapsed * (1 - share) / share
                text += f", ETA {_duration(remaining)}"
        return f"{text}, {self.pages} pages in {_duration(elapsed)}"

    def finish(self, *, complete: bool, denied: str = "") -> None:
        """The closing lines: totals, then what could not be read, each counted."""
        self.stream.logger.info("%s (done)", self.describe(clock.monotonic()))
        if self.skipped:
            self.stream.logger.warning(
                "%s: skipped %d bad record(s) that could not be shaped to the schema; see warnings above",
                self.stream.name,
                self.skipped,
            )
        if self.unreachable:
            self.stream.logger.warning(
                "%s: %d group(s) of records sharing one value were larger than a page; the part "
                "beyond one page could not be reached through the API's cursor: %s",
                self.stream.name,
                len(self.unreachable),
                ", ".join(self.unreachable),
            )
        if denied:
            self.stream.logger.warning("%s: skipped, access denied: %s", self.stream.name, denied)
        if not complete or self.expected_total is None or self.emitted == self.expected_total:
            return
        if self.total_unchecked and 0 < self.expected_total == self.default_view:
            self.stream.logger.info(
                "%s: the API counted %d records, as many as were emitted from the open view: its "
                "count leaves out closed conversations (it reads an omitted `closed` as open)",
                self.stream.name,
                self.expected_total,
            )
        else:
            self.stream.logger.warning(
                "%s: emitted %d records but the API counted %d; the account changed during "
                "the run, or records were skipped or unreachable (see warnings)",
                self.stream.name,
                self.emitted,
                self.expected_total,
            )


def failure_cause(exc: Exception) -> str:
    """Why the count failed; a refusal by status and request ID only (not the credentials
    advice, which belongs to the listing's own error if the listing is refused too)."""
    text = str(exc) or type(exc).__name__
    refused = (
        _REFUSAL.search(text) if isinstance(exc, (CredentialsRejectedError, AccessDeniedError)) else None
    )
    return f"the count endpoint refused the request, {refused.group(1)}" if refused else text


def _duration(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"
