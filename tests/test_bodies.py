"""Body decoding without a server: what is accepted faithfully, what fails at once, what retries."""

from __future__ import annotations

import pytest
import requests

from tap_heymarket.bodies import UnreadableBodyError, decode
from tap_heymarket.errors import HeymarketRetriableError
from tap_heymarket.records import NotAnObject

DEEP = b"[" * 5000 + b"]" * 5000


def _response(content: bytes) -> requests.Response:
    response = requests.Response()
    response._content = content
    response.status_code = 200
    response.url = "https://api.heymarket.com/v1/conversations"
    response.request = requests.Request("POST", response.url).prepare()
    response.headers["X-Request-Id"] = "req-1"
    return response


@pytest.mark.parametrize(
    ("content", "value"),
    [
        (b'[{"id": 1}]', [{"id": 1}]),
        (b'\xef\xbb\xbf[{"id": 1}]', [{"id": 1}]),
        (b'[{"id": 1, "t": "a\\ud83d"}]', [{"id": 1, "t": "a\ufffd"}]),
        (b'[{"\\udc00k": "\\ud83d\\ude00"}]', [{"\ufffdk": "\U0001f600"}]),
        (b"[]", []),
        (b"[ ]", []),
    ],
)
def test_valid_json_is_decoded_faithfully(content: bytes, value: object) -> None:
    assert decode(_response(content)) == value


def test_a_page_nested_too_deeply_keeps_its_other_records() -> None:
    page = decode(_response(b'[{"id": 1}, ' + DEEP + b', {"id": 2, "x": "[,]"}]'))
    assert page[0] == {"id": 1} and page[2] == {"id": 2, "x": "[,]"}
    assert isinstance(page[1], NotAnObject) and "too deeply" in page[1].reason


def test_nan_decodes_so_that_only_its_record_is_refused() -> None:
    value = decode(_response(b'[{"id": 1, "n": NaN}]'))
    assert value[0]["n"] != value[0]["n"]


@pytest.mark.parametrize(
    "content",
    [b"\xff[]", b"<html>hi</html>", b"[1] 2", b'{"a": ' + DEEP + b"}", DEEP[:-1] + b"]]", b"[1,,2" + DEEP],
)
def test_a_body_that_is_not_utf8_json_fails_at_once_in_one_line(content: bytes) -> None:
    with pytest.raises(UnreadableBodyError) as caught:
        decode(_response(content))
    message = str(caught.value)
    assert "HTTP 200 OK on POST /v1/conversations (X-Request-Id req-1)" in message and "\n" not in message


@pytest.mark.parametrize("content", [b'[{"id": 1}, {"na', b"[1, 2", b'[{"id": "\xe2\x82'])
def test_a_body_cut_short_is_a_retriable_fault(content: bytes) -> None:
    with pytest.raises(HeymarketRetriableError, match="ended early"):
        decode(_response(content))
