"""Run ``source-heymarket`` and check every message it writes against the protocol's models.

:func:`run_source` runs the command's ``main`` in-process (the same function the console
script calls) with its input files in a temporary directory, parses stdout, and validates each
line with the Airbyte protocol's published pydantic models (airbyte-protocol-models-pdv2, the
build PyAirbyte itself reads with). The models accept unknown fields, so validation here is
stricter: a field the models do not declare fails the test (only state blobs are free-form).
"""

from __future__ import annotations

import dataclasses
import io
import json
import sys
import typing as t
from pathlib import Path

from airbyte_protocol import models  # the `airbyte` extra (./scripts/setup installs it)
from pydantic import BaseModel

from tap_heymarket.airbyte.cli import main

SOURCE = str(Path(sys.executable).with_name("source-heymarket"))


@dataclasses.dataclass
class SourceRun:
    """What one verb wrote, by kind, and its exit code."""

    messages: list[dict[str, t.Any]]
    exit_code: int

    def of(self, kind: str) -> list[dict[str, t.Any]]:
        return [m for m in self.messages if m["type"] == kind]

    def records(self, stream: str | None = None) -> list[dict[str, t.Any]]:
        return [m["record"] for m in self.of("RECORD") if stream is None or m["record"]["stream"] == stream]

    def ids(self, stream: str) -> list[t.Any]:
        return [r["data"]["id"] for r in self.records(stream)]

    @property
    def states(self) -> list[dict[str, t.Any]]:
        return [m["state"] for m in self.of("STATE")]

    def errors(self) -> list[dict[str, t.Any]]:
        return [m["trace"]["error"] for m in self.of("TRACE") if m["trace"]["type"] == "ERROR"]

    def statuses(self) -> list[tuple[str, str]]:
        return [
            (m["trace"]["stream_status"]["stream_descriptor"]["name"], m["trace"]["stream_status"]["status"])
            for m in self.of("TRACE")
            if m["trace"]["type"] == "STREAM_STATUS"
        ]

    @property
    def catalog(self) -> dict[str, t.Any]:
        return self.of("CATALOG")[0]["catalog"]


def validate(message: dict[str, t.Any]) -> None:
    """Fail unless ``message`` is an AirbyteMessage with no field the protocol does not declare."""
    parsed = models.AirbyteMessage.model_validate(message)
    _no_undeclared_fields(parsed, "message")


def _no_undeclared_fields(value: object, where: str) -> None:
    if isinstance(value, models.AirbyteStateBlob):
        return
    if isinstance(value, BaseModel):
        assert not value.model_extra, f"{where}: fields the protocol does not declare: {value.model_extra}"
        for name in type(value).model_fields:
            _no_undeclared_fields(getattr(value, name), f"{where}.{name}")
    elif isinstance(value, list):
        for n, item in enumerate(value):
            _no_undeclared_fields(item, f"{where}[{n}]")


def run_source(
    tmp_path: Path,
    verb: str,
    config: dict[str, t.Any] | None = None,
    catalog: dict[str, t.Any] | None = None,
    state: list[dict[str, t.Any]] | None = None,
) -> SourceRun:
    """``source-heymarket <verb> --config … [--catalog …] [--state …]`` in-process, validated."""
    argv = [verb]
    for name, document in (("config", config), ("catalog", catalog), ("state", state)):
        if document is not None:
            path = tmp_path / f"airbyte-{name}.json"
            path.write_text(json.dumps(document))
            argv += [f"--{name}", str(path)]
    out = io.BytesIO()
    code = main(argv, out=out)
    messages = [json.loads(line) for line in out.getvalue().decode().splitlines()]
    for message in messages:
        validate(message)
    return SourceRun(messages, code)


def configured(
    discovered: dict[str, t.Any], *, incremental: bool = True, streams: t.Iterable[str] | None = None
) -> dict[str, t.Any]:
    """A configured catalog of ``streams`` (default: every one), incrementally where offered."""
    wanted = set(streams) if streams is not None else None
    items = []
    for stream in discovered["streams"]:
        if wanted is not None and stream["name"] not in wanted:
            continue
        offered = stream["supported_sync_modes"]
        mode = "incremental" if incremental and "incremental" in offered else "full_refresh"
        items.append({"stream": stream, "sync_mode": mode, "destination_sync_mode": "append"})
    models.ConfiguredAirbyteCatalog.model_validate({"streams": items})
    return {"streams": items}


def state_messages(*runs: SourceRun) -> list[dict[str, t.Any]]:
    """The STATE messages of ``runs``, the last one per stream (as PyAirbyte passes ``--state``)."""
    last: dict[str, dict[str, t.Any]] = {}
    for run in runs:
        for state in run.states:
            last[state["stream"]["stream_descriptor"]["name"]] = state
    return list(last.values())


def sandbox_counts(api: t.Any) -> dict[str, int]:
    """How many records each stream has on the sandbox ``api``."""
    listed = ("conversations", "contacts", "tags", "templates", "messages")
    return {
        **{stream: len(api.listing(stream).records) for stream in listed},
        "inboxes": len(api.data.inboxes),
        "team_members": len(api.data.team["members"]),
        "surveys": len(api.data.surveys),
    }
