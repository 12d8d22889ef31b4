"""What the tap does per request and per page leaves nothing on the interpreter's free lists.

CPython 3.11 keeps released tuples on one free list per size (up to 2,000 each) and hands them
out again to tuples built at that size. A tuple built otherwise (``tuple(generator)``, built
at one size and resized) or at a size never handed out (20 items: simplejson's encoder, which
``requests`` uses for ``json=`` when it is installed) still lands on a list when released, so
code that did that once a request kept one more tuple a request, up to 2,000 of each size
(about 0.8 MB after the first 2,000 requests of every run, the growth of peak RSS between a
small run and a long one: README "Performance"). Nothing grows with the records read: only
with how long the run has gone on, until the cap.

Measured in a child process (``sys._debugmallocstats`` writes to the C-level stderr), 500
calls of each per-request step; the control proves the measure sees a ``tuple(generator)``.
"""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from tests.harness import ROOT

CALLS = 500
#: Tuples a step may add to a free list over the calls (the first calls fill a few slots).
MARGIN = 50

PRELUDE = """
import sys
from tap_heymarket.walk.cursor import Cursor
from tap_heymarket.walk.state import cursor_to_state
from tap_heymarket.session import HeymarketSession
from tap_heymarket.endpoint import BODY_ENCODER
session = HeymarketSession()
cursor = Cursor("2024-05-01T10:00:00Z", covers="2024-05-01T09:00:00Z", rung=1)
body = {"filters": {"inboxes": [1, 2, 3]}, "date": "2024-05-01T10:00:00Z", "limit": 100}
STEPS = {
    "session settings key": lambda: session.environment_settings("http://127.0.0.1:1/v1/conversations"),
    "cursor to state": lambda: cursor_to_state(cursor),
    "request body": lambda: BODY_ENCODER.encode(body).encode(),
    "control: tuple(generator)": lambda: tuple(str(n) for n in range(11)),
}
step = STEPS[sys.argv[1]]
for _ in range(3):  # caches and first calls
    step()
sys._debugmallocstats()
for _ in range(%d):
    step()
sys._debugmallocstats()
"""


def _free_tuples_added(step: str) -> dict[int, int]:
    """Free tuples of each size the step's calls added (from two ``_debugmallocstats`` reports)."""
    done = subprocess.run(
        [sys.executable, "-c", PRELUDE % CALLS, step], cwd=ROOT, capture_output=True, text=True, check=True
    )
    reports = done.stderr.split("Small block threshold")[1:]
    assert len(reports) == 2, done.stderr[-2000:]
    free = r"^\s*(\d+) free (\d+)-sized PyTupleObject"
    before, after = ({int(size): int(count) for count, size in re.findall(free, r, re.M)} for r in reports)
    return {size: after[size] - before.get(size, 0) for size in after}


needs_free_lists = pytest.mark.skipif(
    sys.version_info[:2] != (3, 11) or sys.implementation.name != "cpython",
    reason="CPython 3.11's tuple free lists (the tap's Python); others keep theirs otherwise",
)


@needs_free_lists
@pytest.mark.parametrize("step", ["session settings key", "cursor to state", "request body"])
def test_a_per_request_step_leaves_no_tuples_on_the_free_lists(step: str) -> None:
    added = _free_tuples_added(step)
    assert max(added.values()) < MARGIN, {size: n for size, n in added.items() if n}


@needs_free_lists
def test_the_measure_sees_a_tuple_built_from_a_generator() -> None:
    # the control: ``tuple(generator)`` of 11 items leaves one 11-item tuple a call
    assert _free_tuples_added("control: tuple(generator)")[11] > CALLS - MARGIN
