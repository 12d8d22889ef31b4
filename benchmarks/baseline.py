"""The raw baseline: the least code that extracts the same conversations as the tap.

A plain ``requests`` + ``json`` loop over every inbox's open and closed view, with the same
record shaping and the same tie-safe cursor, writing the same RECORD lines the tap writes.
It keeps no state, retries nothing and validates nothing: it is the speed a hand-written
script reaches, which the tap's rate is measured against.

Usage: ``python benchmarks/baseline.py API_URL > records.jsonl``
"""

from __future__ import annotations

import datetime as dt
import json
import sys
import typing as t

import requests

UTC = dt.timezone.utc
STEP = dt.timedelta(microseconds=1)


def parse(value: str) -> dt.datetime:
    """An instant in any of the API's spellings."""
    return dt.datetime.fromisoformat(value[:-1] + "+00:00" if value.endswith("Z") else value)


def normalize(value: t.Any) -> t.Any:
    """The tap's one spelling of an instant."""
    if value is None or (len(value) == 27 and value[-1] == "Z" and value[19] == "."):
        return value
    return parse(value).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def ref(value: t.Any) -> t.Any:
    """An integer reference becomes ``{"id": n}``."""
    return {"id": value} if type(value) is int else value


def shape(record: dict[str, t.Any]) -> dict[str, t.Any]:
    """The tap's conversation shape."""
    for field in ("inbox", "assigned"):
        if field in record:
            record[field] = ref(record[field])
    if "members" in record:
        record["members"] = [ref(m) for m in record["members"]]
    if type(record.get("read")) is int:
        record["read"] = record["read"] != 0
    for field in ("created", "updated", "snooze_till"):
        if field in record:
            record[field] = normalize(record[field])
    return record


def main(url: str) -> None:
    """Write every conversation as a RECORD line to stdout."""
    session = requests.Session()
    session.headers["Authorization"] = "Bearer sandbox-key"
    out = sys.stdout
    for inbox in session.get(f"{url}/v1/inboxes").json():
        for closed in (False, True):
            filters = {"inboxes": [inbox["id"]], "closed": closed}
            body: dict[str, t.Any] = {"id": inbox["members"][0], "filters": filters}
            floor, seen = None, set()
            while True:
                page = session.post(f"{url}/v1/conversations", json=body).json()
                if not page:
                    break
                extracted = dt.datetime.now(UTC).isoformat().replace("+00:00", "Z")
                fresh = 0
                for record in page:
                    shape(record)
                    if record["updated"] == floor:
                        if record["id"] in seen:
                            continue
                    else:
                        floor, seen = record["updated"], set()
                    seen.add(record["id"])
                    fresh += 1
                    line = {"type": "RECORD", "stream": "conversations", "record": record}
                    line["time_extracted"] = extracted
                    out.write(json.dumps(line, separators=(",", ":")) + "\n")
                last = page[-1]["updated"]
                # Just after the last value (the rest of its tie group), or, when the page
                # held nothing new (only that group), strictly before it.
                body["date"] = (parse(last) + STEP).strftime("%Y-%m-%dT%H:%M:%S.%fZ") if fresh else last
    out.flush()


if __name__ == "__main__":
    main(sys.argv[1])
