"""What the SDK's output modes need beyond its own code: plain BATCH files, closing versions.

Both are small additions to the SDK's behaviour, called from
:class:`~tap_heymarket.client.HeymarketStream`: ``get_batches`` is the SDK's documented hook for
batching; the closing ACTIVATE_VERSION goes out through the tap's ``write_message`` as the
SDK's private ``Stream._write_activate_version_message`` writes the opening one (its loop is
repeated here; tests/test_sdk_contracts.py compares the messages both write).
"""

from __future__ import annotations

import contextlib
import dataclasses
import gzip
import os
import typing as t
from pathlib import Path
from urllib.parse import urlparse

from singer_sdk import Stream
from singer_sdk import singerlib as singer
from singer_sdk.mapper import RemoveRecordTransform

from tap_heymarket.errors import HeymarketFatalError

PARTIAL_SUFFIX = ".partial"


class BatchStorageError(HeymarketFatalError):
    """A BATCH file could not be written: read-only, full, or not a folder."""


class AtomicStorage:
    """A BATCH storage target whose files appear only when complete.

    Wraps the SDK's ``StorageTarget`` (everything but :meth:`open` is passed through). On a
    local root (``file://``), a file opened for writing is written as ``<name>.partial`` and
    renamed to its name once closed, so a target never finds a truncated file under a name
    it might load; whatever stops the write (a full disk, SIGTERM) removes the partial file.
    Elsewhere (object stores, which publish an object only when its upload completes) the
    file is written in place. Any storage error becomes one line naming the file and cause.
    """

    def __init__(self, target: t.Any) -> None:
        self._target = target

    def __getattr__(self, name: str) -> t.Any:
        return getattr(self._target, name)

    @contextlib.contextmanager
    def open(self, filename: str, mode: str = "rb") -> t.Iterator[t.IO[t.Any]]:
        """``filename`` opened in ``mode``; written atomically on a local root."""
        final = self._local_path(filename)
        if "w" not in mode or final is None:
            with self._translated(filename), self._target.open(filename, mode) as handle:
                yield handle
            return
        partial = filename + PARTIAL_SUFFIX
        try:
            with self._translated(filename), self._target.open(partial, mode) as handle:
                yield handle
            with self._translated(filename):
                os.replace(final.with_name(final.name + PARTIAL_SUFFIX), final)
        except BaseException:
            with contextlib.suppress(OSError):
                final.with_name(final.name + PARTIAL_SUFFIX).unlink()
            raise

    def _local_path(self, filename: str) -> Path | None:
        url = str(self._target.get_url(filename))
        return Path(urlparse(url).path) if url.startswith("file://") else None

    @contextlib.contextmanager
    def _translated(self, filename: str) -> t.Iterator[None]:
        try:
            yield
        except OSError as exc:
            where = self._local_path(filename) or self._target.get_url(filename)
            cause = exc.strerror or type(exc).__name__
            msg = (
                f"BATCH storage: cannot write {where}: {cause}; check batch_config.storage.root "
                "(a writable folder with free space)"
            )
            raise BatchStorageError(msg) from exc


def batches(
    sdk_batches: t.Callable[..., t.Iterable[tuple[t.Any, list[str]]]], batch_config: t.Any, context: t.Any
) -> t.Iterator[tuple[t.Any, list[str]]]:
    """The SDK's BATCH files (``sdk_batches``), written plain when the config asks for no compression.

    singer-sdk's JSON Lines batcher (0.54.9 and 0.55.0b7) gzips every file whatever
    ``batch_config.encoding.compression`` says, while the BATCH message it leads to
    announces the configured compression: a target that reads the file as announced fails.
    Each such file is rewritten plain (``.jsonl``) through the same storage before its
    BATCH message goes out. tests/test_sdk_features.py reads every file as announced.

    Every file is written through :class:`AtomicStorage`: under a temporary name, renamed
    when complete, and a storage error is one line naming the file and the cause.
    """
    batch_config = dataclasses.replace(batch_config, storage=AtomicStorage(batch_config.storage))
    for encoding, manifest in sdk_batches(batch_config, context):
        plain = encoding.format == "jsonl" and encoding.compression in (None, "none")
        yield (
            encoding,
            [_plain_copy(batch_config.storage, url) for url in manifest] if plain else manifest,
        )


def close_full_table_version(stream: Stream) -> None:
    """The closing ACTIVATE_VERSION of a full-table read (the SDK writes the opening one).

    A target that honours versions drops the rows of older versions when it reads this,
    after every record of the new one: how deleted records leave the warehouse. Not in
    BATCH mode, where the records reach the target in files announced after this point.
    """
    if (
        stream.replication_method != "FULL_TABLE"
        or not stream.emit_activate_version_messages
        or stream.get_batch_config(stream.config) is not None
    ):
        return
    tap = stream._tap  # the SDK's own handle on the tap, as its streams use it
    version = tap.initialized_at // 1000  # the version the SDK stamped on the records
    for stream_map in stream.stream_maps:
        if not isinstance(stream_map, RemoveRecordTransform):
            tap.write_message(singer.ActivateVersionMessage(stream=stream_map.stream_alias, version=version))


def _plain_copy(storage: t.Any, url: str) -> str:
    """The gzipped batch file at ``url`` rewritten uncompressed beside it; its URL."""
    name = url.rsplit("/", 1)[-1]
    if not name.endswith(".gz"):
        return url
    plain = name[: -len(".gz")].removesuffix(".json") + ".jsonl"
    with storage.open(name, "rb") as packed, storage.open(plain, "wb") as out:
        out.write(gzip.decompress(packed.read()))
    if url.startswith("file://"):
        Path(urlparse(url).path).unlink(missing_ok=True)
    return str(storage.get_url(plain))
