"""Run by PyAirbyte's own interpreter (.venv-airbyte), not by pytest: two reads of source-heymarket.

``python pyairbyte_scenario.py <job.json> <result.json>``: the job gives the executable, the
config, and the sandbox's touch endpoint with the conversation IDs to touch between the reads.
The result: each read's processed records and cached row counts per stream, and for the second
read the IDs of the rows it delivered (their ``_airbyte_extracted_at`` is after the touch).
"""

from __future__ import annotations

import datetime as dt
import json
import sys
import urllib.request
from pathlib import Path

import airbyte as ab


def main(job_path: str, result_path: str) -> None:
    job = json.loads(Path(job_path).read_text(encoding="utf-8"))
    source = ab.get_source("source-heymarket", local_executable=job["executable"], config=job["config"])
    source.check()
    source.select_all_streams()
    cache = ab.get_default_cache()
    first = source.read(cache=cache)
    result = {"first": _summary(first)}

    mark = dt.datetime.now(dt.timezone.utc)
    touch = urllib.request.Request(  # noqa: S310 (the sandbox on 127.0.0.1)
        job["touch_url"], data=json.dumps({"ids": job["touch_ids"]}).encode(), method="POST"
    )
    with urllib.request.urlopen(touch, timeout=30) as answer:  # noqa: S310
        answer.read()

    second = source.read(cache=cache)
    result["second"] = _summary(second)
    arrived = {}
    for name, dataset in second.streams.items():
        frame = dataset.to_pandas()
        extracted = frame["_airbyte_extracted_at"].apply(_aware)
        arrived[name] = sorted(int(i) for i in frame[extracted >= mark]["id"])
    result["arrived_second"] = arrived
    Path(result_path).write_text(json.dumps(result), encoding="utf-8")


def _summary(read: ab.ReadResult) -> dict[str, object]:
    return {
        "processed": read.processed_records,
        "rows": {name: len(dataset) for name, dataset in read.streams.items()},
    }


def _aware(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
