"""The total a full sync should emit: the count asked for each walk's own scope too.

The reference documents only ``date`` for ``POST /v1/conversations/count`` and calls what it
returns "the total number of conversations". It leaves open what the count makes of an
omitted ``closed``: the listing may read it as the open view (open question 2), and a count
that does the same counts the open view only. The tap reads both views, so every complete
full sync would end "emitted 9,000 records but the API counted 3,612", a warning of lost
records where none was lost (the independent stand-in reads it so), and its progress would
pass 100%.

So, beside the unfiltered count and the walks' first pages (the same round trip: no time
more, two requests more a full sync of a one-member account), the count is also asked with
each walk's own filters (:meth:`~tap_heymarket.walk.stream.NewestFirstStream.count_body`):
its inboxes and view, as the listing takes them. What the answers say (:func:`walks_total`):

* every scoped count equals the unfiltered one: the filters were ignored, and the total is
  the unfiltered count, as it was before (for the whole account only);
* otherwise the filters were honoured: the total is their sum, whatever the unfiltered count
  reads an omitted ``closed`` as, and it holds for an extraction narrowed by ``inboxes`` or
  ``closed`` too;
* a scoped count refused (a 400 naming ``filters``), failed or garbled: as if ignored. It is a
  probe: it costs an info line, never a warning, and never the stream's count.

The total feeds only the progress lines and the closing check; never a record, nor a split
(the first splits are decided before these counts are back).
"""

from __future__ import annotations

import threading
import time
import typing as t

from tap_heymarket.progress import ABSURD_COUNT

#: Walks beyond this many (one per view and member group) are not counted one by one: the
#: unfiltered count stands, as before, rather than a request more per walk.
MAX_SCOPES = 8
#: The longest the end of a sync waits for a walk's count still under way (they went out
#: beside the first pages, so this is reached only when a count hangs).
FINAL_WAIT = 5.0


def walks_total(unfiltered: int | None, scoped: list[int | None], whole_account: bool) -> int | None:
    """The records a full sync of these walks should emit (None: no count can say).

    ``scoped``: each walk's count with its own filters (None: not had). See the module
    docstring for the readings this tells apart.
    """
    if unfiltered is None:
        return None
    if scoped and all(c is not None for c in scoped) and any(c != unfiltered for c in scoped):
        return sum(c for c in scoped if c is not None)
    return unfiltered if whole_account else None


class ScopedCounts:
    """Each walk's count with its own filters, asked at once in the background."""

    def __init__(self, ask: t.Callable[[dict[str, t.Any]], int], bodies: list[dict[str, t.Any]]) -> None:
        self._ask = ask
        self.values: list[int | None] = [None] * len(bodies)
        self.failure: str | None = None  # why one could not be had (the first reason)
        self._threads = [
            threading.Thread(target=self._count, args=(n, body), name=f"count-scope-{n}", daemon=True)
            for n, body in enumerate(bodies)
        ]
        for thread in self._threads:
            thread.start()

    def _count(self, n: int, body: dict[str, t.Any]) -> None:
        """One walk's count; whatever goes wrong only leaves it out (:attr:`failure` says why)."""
        try:
            value = self._ask(body)
        except Exception as exc:  # a probe: no failure of it may reach the sync
            self.failure = self.failure or (str(exc) or type(exc).__name__)
            return
        if 0 <= value <= ABSURD_COUNT:
            self.values[n] = value
        else:
            self.failure = self.failure or f"the API counted {value} records, which cannot be"

    def done(self) -> bool:
        """Whether every count is back (or failed)."""
        return not any(thread.is_alive() for thread in self._threads)

    def wait(self, seconds: float) -> list[int | None]:
        """The counts back within ``seconds`` (None for one still under way: the sync's end
        never waits on a slow count, which only the total would gain by)."""
        deadline = time.monotonic() + seconds
        for thread in self._threads:
            thread.join(max(deadline - time.monotonic(), 0.0))
        return list(self.values)
