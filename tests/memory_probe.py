"""The tap in a child process, traced by ``tracemalloc``: the Python memory alive as it reads.

Run by tests/test_flat_memory.py as ``python -m tests.memory_probe --config … --catalog …``
(a process of its own: nothing of the test runner, the sandbox or a captured log is traced).
For each mark in ``MEMORY_MARKS`` (records emitted) it samples the traced memory after a full
garbage collection once a page for ``MEMORY_SPAN`` records and keeps the least: the pages
waiting for the main thread come and go (up to the queue's few, each a page of records),
and the least of a span is the memory the run keeps whatever is in flight. One JSON line
per mark, ``{"records": …, "traced": …}``, goes to the file ``MEMORY_REPORT``.

``MEMORY_LEAK=1`` is the control: every record's ID is also kept in a list, the kind of
structure that grows with the records read, which the measure must see.
"""

from __future__ import annotations

import gc
import json
import os
import tracemalloc
import typing as t

PAGE = 30  # records between two samples: about one page


def main() -> None:
    tracemalloc.start()
    from tap_heymarket.final_state import LastMessageWriter
    from tap_heymarket.tap import TapHeymarket
    from tap_heymarket.walk import walker

    marks = sorted(int(mark) for mark in os.environ["MEMORY_MARKS"].split(","))
    span = int(os.environ.get("MEMORY_SPAN", "600"))
    report = os.environ["MEMORY_REPORT"]
    least: dict[int, int] = {}
    records = 0
    write = LastMessageWriter.write_message

    def write_and_sample(self: LastMessageWriter, message: t.Any) -> None:
        nonlocal records
        write(self, message)
        if message.type != "RECORD":
            return
        records += 1
        for mark in marks:
            if mark <= records < mark + span and (records - mark) % PAGE == 0:
                gc.collect()
                traced = tracemalloc.get_traced_memory()[0]
                least[mark] = min(least.get(mark, traced), traced)
                with open(report, "w") as out:
                    out.writelines(json.dumps({"records": m, "traced": v}) + "\n" for m, v in least.items())

    LastMessageWriter.write_message = write_and_sample  # type: ignore[method-assign]
    if os.environ.get("MEMORY_LEAK") == "1":
        kept: list[t.Any] = []
        forget = walker._forget_above

        def forget_and_keep(seen: dict[t.Any, str], cursor: t.Any) -> None:
            kept.extend(seen)  # every ID the window has seen, kept for the whole run
            forget(seen, cursor)

        walker._forget_above = forget_and_keep  # type: ignore[assignment]
    TapHeymarket.cli()


if __name__ == "__main__":
    main()
