"""Response bodies: read within ``request_timeout``, decoded faithfully, refused quickly.

``requests`` applies its timeout to each read, so a server that drips a byte a second never
times out. :func:`read_within` reads the body itself against one deadline for the whole
response; missing it is a retriable fault, like a dropped connection or a body cut short.

:func:`decode` takes the fast path (msgspec) for ordinary JSON. What msgspec refuses but is
valid JSON is still accepted, faithfully: a UTF-8 byte order mark is dropped, an escaped
lone surrogate (what a cut emoji leaves) becomes U+FFFD, ``NaN``/``Infinity`` decode so the
conformer can skip just that record, and a page nested too deeply for any recursive decoder
is split into its items, the unreadable ones standing in as
:class:`~tap_heymarket.records.NotAnObject`. A body that is not UTF-8 or not JSON (a proxy's
HTML page with a 200) fails at once, naming status, endpoint and ``X-Request-Id``: the same
bytes would come back on every retry. A body that ends early is a truncated transfer and
is retried.
"""

from __future__ import annotations

import json
import re
import time
import typing as t

import msgspec
import requests
import urllib3.exceptions

from tap_heymarket.errors import HeymarketFatalError, HeymarketRetriableError, describe, endpoint, request_id
from tap_heymarket.records import NotAnObject

CHUNK_BYTES = 64 * 1024
_BOM = b"\xef\xbb\xbf"
_SURROGATE = re.compile("[\ud800-\udfff]")
_TOKENS = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{},]', re.DOTALL)
_decoder = msgspec.json.Decoder()


class UnreadableBodyError(HeymarketFatalError):
    """A body that is not UTF-8 JSON: retrying would fetch the same bytes again."""


def read_within(response: requests.Response, deadline: float, timeout: float) -> None:
    """Read the whole body of a ``stream=True`` response before ``deadline`` (monotonic)."""
    raw = response.raw
    chunks: list[bytes] = []
    try:
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise _late(response, timeout)
            _limit_wait(raw, min(remaining, timeout))
            try:
                chunk = raw.read1(CHUNK_BYTES, decode_content=True)
            except (TimeoutError, urllib3.exceptions.ReadTimeoutError) as exc:
                if time.monotonic() >= deadline:
                    raise _late(response, timeout) from exc
                raise requests.exceptions.ReadTimeout(str(exc), response=response) from exc
            except urllib3.exceptions.ProtocolError as exc:  # cut short, reset
                raise requests.exceptions.ChunkedEncodingError(str(exc), response=response) from exc
            except urllib3.exceptions.DecodeError as exc:
                raise requests.exceptions.ContentDecodingError(str(exc), response=response) from exc
            if not chunk:
                break
            chunks.append(chunk)
    except BaseException:
        response.close()
        raise
    response._content = b"".join(chunks)
    response._content_consumed = True  # type: ignore[attr-defined]


def _late(response: requests.Response, timeout: float) -> HeymarketRetriableError:
    msg = (
        f"Heymarket did not finish the response within request_timeout ({timeout:g} s): "
        f"HTTP {response.status_code} on {endpoint(response)} (X-Request-Id {request_id(response)})"
    )
    return HeymarketRetriableError(msg, response)


def _limit_wait(raw: t.Any, seconds: float) -> None:
    """Let no single socket read outlast the deadline (best effort: urllib3 2 internals)."""
    sock = getattr(getattr(raw, "_connection", None), "sock", None)
    if sock is not None:
        sock.settimeout(max(seconds, 0.001))


def decode(response: requests.Response) -> t.Any:
    """The body's JSON value (see the module docstring for what is accepted)."""
    content = response.content
    try:
        return _decoder.decode(content)
    except (msgspec.DecodeError, UnicodeDecodeError, RecursionError) as exc:
        fast_error = str(exc)
    return _decode_leniently(response, content, truncated="truncated" in fast_error)


def _decode_leniently(response: requests.Response, content: bytes, *, truncated: bool) -> t.Any:
    if content.startswith(_BOM):
        content = content[len(_BOM) :]
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.reason == "unexpected end of data":
            raise _cut_short(response) from None
        raise UnreadableBodyError(
            describe(response, f"Heymarket sent a body that is not valid UTF-8 (byte {exc.start})")
        ) from None
    try:
        value = json.loads(text)
    except RecursionError:
        value = _split_deep_array(response, text)
    except ValueError:
        if truncated:
            raise _cut_short(response) from None
        raise _not_json(response) from None
    return _without_lone_surrogates(value)


def _not_json(response: requests.Response) -> UnreadableBodyError:
    return UnreadableBodyError(describe(response, "Heymarket sent a body that is not valid JSON"))


def _cut_short(response: requests.Response) -> HeymarketRetriableError:
    return HeymarketRetriableError(describe(response, "Heymarket's body ended early (truncated)"), response)


def _split_deep_array(response: requests.Response, text: str) -> list[t.Any]:
    """A top-level array decoded item by item; items nested too deeply become placeholders."""
    items: list[t.Any] = []
    depth, start = 0, -1
    for token in _TOKENS.finditer(text):
        mark = token.group()
        if mark in "[{":
            depth += 1
            if depth == 1:
                if mark != "[":
                    break
                start = token.end()
        elif mark in "]}":
            depth -= 1
            if depth == 0:
                last = text[start : token.start()]
                if items or last.strip():
                    items.append(_decode_item(response, last))
                if text[token.end() :].strip():
                    break  # something after the array: not JSON
                return items
        elif mark == "," and depth == 1:
            items.append(_decode_item(response, text[start : token.start()]))
            start = token.end()
    msg = "Heymarket sent a body nested too deeply to decode that is not an array of records"
    raise UnreadableBodyError(describe(response, msg))


def _decode_item(response: requests.Response, text: str) -> t.Any:
    try:
        return json.loads(text)
    except RecursionError:
        return NotAnObject("a page item nested too deeply to decode")
    except ValueError:
        raise _not_json(response) from None


def _without_lone_surrogates(value: t.Any) -> t.Any:
    """Replace unpaired surrogates (valid as JSON escapes, not as UTF-8) with U+FFFD, iteratively."""
    if isinstance(value, str):
        return _SURROGATE.sub("\ufffd", value)
    stack = [value]
    while stack:
        node = stack.pop()
        if isinstance(node, list):
            for index, item in enumerate(node):
                if isinstance(item, str):
                    node[index] = _SURROGATE.sub("\ufffd", item)
                elif isinstance(item, (list, dict)):
                    stack.append(item)
        elif isinstance(node, dict):
            for key in list(node):
                item = node[key]
                if isinstance(item, str):
                    item = _SURROGATE.sub("\ufffd", item)
                elif isinstance(item, (list, dict)):
                    stack.append(item)
                clean = _SURROGATE.sub("\ufffd", key)
                if clean != key:
                    del node[key]
                node[clean] = item
    return value
