"""Run the tap in-process against a sandbox and read back what it wrote.

The tap writes Singer messages to ``sys.stdout.buffer``; :func:`run_sync` swaps stdout for
an in-memory buffer, runs ``sync_all`` and parses every line, so tests assert on exactly
the RECORD and STATE messages a target would receive.
"""

from __future__ import annotations

import contextlib
import copy
import dataclasses
import io
import json
import os
import subprocess
import sys
import time
import typing as t
from pathlib import Path

from tap_heymarket.tap import TapHeymarket

ROOT = Path(__file__).resolve().parent.parent
TAP = str(Path(sys.executable).with_name("tap-heymarket"))

FAST = {"max_requests_per_minute": 1_000_000, "request_timeout": 5}


@dataclasses.dataclass
class SyncResult:
    """Messages of one run, by kind."""

    messages: list[dict[str, t.Any]]
    error: BaseException | None = None

    def records(self, stream: str = "conversations") -> list[dict[str, t.Any]]:
        return [m["record"] for m in self.messages if m["type"] == "RECORD" and m["stream"] == stream]

    def ids(self, stream: str = "conversations") -> list[t.Any]:
        return [r["id"] for r in self.records(stream)]

    def schema(self, stream: str = "conversations") -> dict[str, t.Any]:
        return next(m["schema"] for m in self.messages if m["type"] == "SCHEMA" and m["stream"] == stream)

    @property
    def states(self) -> list[dict[str, t.Any]]:
        return [m["value"] for m in self.messages if m["type"] == "STATE"]

    @property
    def final_state(self) -> dict[str, t.Any]:
        return self.states[-1]


def settle_counts(splitter: t.Any, timeout: float = 30.0) -> None:
    """Wait for every count a :class:`~tap_heymarket.walk.splitting.Splitter` fired, those an
    answer starts (:meth:`~tap_heymarket.walk.splitting.Splitter._follow_end`) included."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        threads = [splitter._search_thread, *splitter._probe_threads]
        for thread in threads:
            if thread is not None:
                thread.join(timeout)
        if len(splitter._probe_threads) == len(threads) - 1 and not splitter._pending:
            return
    raise AssertionError("the counts never settled")


def config_for(url: str, **overrides: t.Any) -> dict[str, t.Any]:
    """A config for the sandbox at ``url``: the demo key, no throttling."""
    return {"api_key": "sandbox-key", "api_url": url, **FAST, **overrides}


def catalog_selecting(config: dict[str, t.Any], streams: t.Iterable[str]) -> dict[str, t.Any]:
    """The discovered catalog with only ``streams`` selected."""
    wanted = set(streams)
    catalog = copy.deepcopy(TapHeymarket(config=config, validate_config=False).catalog_dict)
    for entry in catalog["streams"]:
        for metadata in entry["metadata"]:
            if metadata["breadcrumb"] == []:
                metadata["metadata"]["selected"] = entry["tap_stream_id"] in wanted
    return catalog


def run_sync(
    config: dict[str, t.Any],
    state: dict[str, t.Any] | None = None,
    streams: t.Iterable[str] = ("conversations",),
    *,
    raise_errors: bool = True,
    catalog: dict[str, t.Any] | None = None,
) -> SyncResult:
    """One in-process run; messages parsed. With ``raise_errors=False`` a failure is kept."""
    catalog = catalog or catalog_selecting(config, streams)
    out = io.TextIOWrapper(io.BytesIO(), encoding="utf-8")
    error: BaseException | None = None
    with contextlib.redirect_stdout(out):
        try:
            tap = TapHeymarket(config=config, state=copy.deepcopy(state or {}), catalog=catalog)
            tap.sync_all()
        except Exception as exc:
            if raise_errors:
                raise
            error = exc
        finally:
            out.flush()
    raw = out.buffer.getvalue().decode()  # type: ignore[attr-defined]
    return SyncResult([json.loads(line) for line in raw.splitlines() if line.strip()], error)


def slice_bookmarks(state: dict[str, t.Any], stream: str = "conversations") -> dict[tuple, t.Any]:
    """``{(inbox_id, closed): replication_key_value}`` from a STATE value."""
    out = {}
    for partition in state["bookmarks"][stream].get("partitions", []):
        ctx = partition["context"]
        out[(ctx["inbox_id"], ctx["closed"])] = partition.get("replication_key_value")
    return out


def run_cli(
    tmp_path: Path,
    config: dict[str, t.Any],
    *args: str,
    env: dict[str, str] | None = None,
    name: str = "config",
) -> subprocess.CompletedProcess[str]:
    """``tap-heymarket --config <tmp_path/name.json> *args`` as a user runs it (``env`` added)."""
    path = tmp_path / f"{name}.json"
    path.write_text(json.dumps(config))
    return subprocess.run(
        [TAP, "--config", str(path), *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={**os.environ, **(env or {})},
    )


def build_wheel(out: Path) -> Path:
    """This checkout built into a wheel in ``out`` (no dependencies, no build isolation)."""
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(out),
            str(ROOT),
        ],
        check=True,
        timeout=300,
        capture_output=True,
    )
    return next(out.glob("tap_heymarket-*.whl"))
