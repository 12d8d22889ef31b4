"""Memory does not grow with the records read: what a run keeps after 1,000 records and after
6,000 is the same Python memory, within a margin far below any structure kept per record.

Measured by ``tracemalloc`` in a child process (tests/memory_probe.py), not by timing and
not by RSS (which the allocator's arenas and the interpreter's free lists move by a megabyte
or so on their own, README "Performance"): the least memory alive after a full collection
over a span of pages at each mark. A list of the IDs read grows by about 40 bytes a record
(a pointer and the ID it keeps alive), 200 kB over the 5,000 records between the marks; the
margin is a third of that, and the control proves the measure sees such a list. (Measured:
a run moves by under 20 kB between such marks; the control grows by about 35 bytes a record.)
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import typing as t
from pathlib import Path

from heymarket_sandbox import SandboxAPI, generate
from tests.harness import ROOT, catalog_selecting, config_for

MARKS = (1_000, 6_000)
CONVERSATIONS = 7_000
#: Bytes the kept memory may move between the marks: a third of what a list of the IDs read adds.
MARGIN = (MARKS[1] - MARKS[0]) * 40 // 3


def _kept_at_marks(start_sandbox: t.Callable[..., t.Any], tmp_path: Path, leak: bool) -> list[int]:
    api = SandboxAPI(generate(CONVERSATIONS, 1, seed=5), page_size=30)
    # one window at a time: the pages in flight are then the queue's few, and the least of a span
    # is the same memory at every mark (with several windows, which of them hold a page at the
    # moment moves it by a few hundred kB; windows in flight are bounded by their own target)
    config = config_for(start_sandbox(api).url, max_concurrency=1)
    files = {"config": config, "catalog": catalog_selecting(config, ["conversations"])}
    args = [sys.executable, "-m", "tests.memory_probe"]
    for name, content in files.items():
        path = tmp_path / f"{name}.json"
        path.write_text(json.dumps(content))
        args += [f"--{name}", str(path)]
    report = tmp_path / "memory.jsonl"
    env = {
        **os.environ,
        "MEMORY_MARKS": ",".join(map(str, MARKS)),
        "MEMORY_REPORT": str(report),
        "MEMORY_LEAK": "1" if leak else "0",
    }
    subprocess.run(args, cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    kept = {line["records"]: line["traced"] for line in map(json.loads, report.read_text().splitlines())}
    return [kept[mark] for mark in MARKS]


def test_the_memory_a_run_keeps_does_not_grow_with_the_records_read(start_sandbox, tmp_path) -> None:
    early, late = _kept_at_marks(start_sandbox, tmp_path, leak=False)
    assert late - early < MARGIN, f"{late - early:,} bytes more after {MARKS[1]:,} records than {MARKS[0]:,}"


def test_the_measure_sees_a_list_of_the_ids_read(start_sandbox, tmp_path) -> None:
    # the control: the same run keeping every ID it reads must exceed the margin, or the
    # test above could not fail
    early, late = _kept_at_marks(start_sandbox, tmp_path, leak=True)
    assert late - early > MARGIN, f"only {late - early:,} bytes more with every ID kept"
