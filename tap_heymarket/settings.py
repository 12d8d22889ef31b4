"""The tap's settings: their schema, and the checks JSON Schema cannot express.

Each check fails with one line that names the setting, before any request is sent.
"""

from __future__ import annotations

import datetime as dt
import difflib
import ipaddress
import socket
import typing as t
from urllib.parse import urlparse

from singer_sdk import typing as th
from singer_sdk.helpers.capabilities import EMIT_ACTIVATE_VERSION_CONFIG

from tap_heymarket.config_errors import mask_userinfo
from tap_heymarket.timestamps import TimestampError, format_instant, parse_instant

DEFAULT_API_URL = "https://api.heymarket.com"

CONFIG_SCHEMA = th.PropertiesList(
    th.Property(
        "api_secret_id",
        th.StringType,
        secret=True,
        description="API secret ID (recommended auth): signs a short-lived HS256 JWT per the "
        "Heymarket reference. Use with api_secret_key.",
    ),
    th.Property(
        "api_secret_key",
        th.StringType,
        secret=True,
        description="API secret key paired with api_secret_id. Never logged.",
    ),
    th.Property(
        "api_key",
        th.StringType,
        secret=True,
        description="Legacy team API key, sent as a bearer token. Needed only when no secret "
        "pair is set; the pair wins when both are given.",
    ),
    th.Property(
        "user_id",
        th.IntegerType,
        description="User ID sent as the body's `id`; it must be a member of the inboxes read. "
        "Unset: a member of each inbox, taken from GET /v1/inboxes.",
    ),
    th.Property(
        "inboxes",
        th.ArrayType(th.IntegerType),
        description="Inbox IDs to read. Unset: every inbox GET /v1/inboxes lists.",
    ),
    th.Property(
        "closed",
        th.BooleanType,
        description="Unset: both open and closed conversations. true or false: only that view.",
    ),
    th.Property(
        "unread",
        th.BooleanType,
        description="true: only conversations unread by the user.",
    ),
    th.Property(
        "start_date",
        th.DateTimeType,
        description="Ignore records updated before this instant (RFC 3339) on the first run.",
    ),
    th.Property(
        "end_date",
        th.DateTimeType,
        description="Backfill window: read only records before this instant (RFC 3339), from "
        "start_date (or the beginning) regardless of saved bookmarks. The bookmark never moves "
        "past it, nor back. Unset: read up to now, from the bookmark.",
    ),
    th.Property(
        "api_url",
        th.StringType,
        default=DEFAULT_API_URL,
        description="API base URL, for proxies and the local sandbox. HTTPS is required "
        "unless the host is a loopback address.",
    ),
    th.Property(
        "request_timeout",
        th.IntegerType,
        default=60,
        description="Seconds to wait for one response before retrying it.",
    ),
    th.Property(
        "max_requests_per_minute",
        th.IntegerType,
        default=500,
        description="Client-side request budget shared by every stream and slice the tap "
        "reads at once (Heymarket allows 500 a minute per key).",
    ),
    th.Property(
        "max_concurrency",
        th.IntegerType,
        default=32,
        description="The most windows (parts of inbox views) read at once. How many are is "
        "derived at run time from the measured latency and max_requests_per_minute (enough to "
        "keep that budget busy); this is a ceiling. 1: strictly sequential.",
    ),
    th.Property(
        "page_size",
        th.IntegerType,
        default=100,
        description="Records asked for per page (the body's `limit`) on the incremental "
        "listings. A server that caps pages lower, ignores `limit` or refuses it is detected "
        "on the first page and followed (one request at most per stream and run).",
    ),
    th.Property(
        "messages_lookback_days",
        th.IntegerType,
        default=7,
        description="Messages are walked in creation order; each run re-reads below its bookmark "
        "down to the oldest message the previous run saw unsettled (e.g. still sent), so that "
        "status changes are picked up, but never more than this many days.",
    ),
    th.Property(
        "progress_interval",
        th.IntegerType,
        default=30,
        description="Seconds between progress lines on long syncs.",
    ),
).to_dict()
CONFIG_SCHEMA["properties"].update(EMIT_ACTIVATE_VERSION_CONFIG["properties"])  # the SDK's own setting

#: More than a century of lookback is a typo (and would overflow the calendar).
MAX_LOOKBACK_DAYS = 36_500

#: The tap's own settings (the SDK adds its built-in ones to the schema at run time).
TAP_SETTINGS = tuple(CONFIG_SCHEMA["properties"])


def problems(config: t.Mapping[str, t.Any]) -> list[str]:
    """Every setting that is wrong, each as one actionable line."""
    found: list[str] = []
    has_pair = bool(config.get("api_secret_id")) and bool(config.get("api_secret_key"))
    if bool(config.get("api_secret_id")) != bool(config.get("api_secret_key")):
        found.append("api_secret_id and api_secret_key: set both (or neither and use api_key)")
    elif not has_pair and not config.get("api_key"):
        found.append(
            "No credentials: set api_secret_id and api_secret_key (recommended) or api_key "
            "(TAP_HEYMARKET_API_SECRET_ID / TAP_HEYMARKET_API_SECRET_KEY / TAP_HEYMARKET_API_KEY)"
        )
    inboxes = config.get("inboxes")
    if inboxes is not None and len(inboxes) == 0:
        found.append("inboxes: the list is empty; remove the setting to read every inbox")
    instants = {}
    for name in ("start_date", "end_date"):
        value = config.get(name)
        if value is not None:
            try:
                instants[name] = parse_instant(value)
            except TimestampError:
                found.append(f"{name}: {value!r} is not an RFC 3339 date-time")
    if len(instants) == 2 and instants["end_date"] <= instants["start_date"]:
        found.append("end_date: must be after start_date (the window is [start_date, end_date))")
    api_url = str(config.get("api_url") or DEFAULT_API_URL)
    url_problem = _api_url_problem(api_url)
    if url_problem:
        found.append(url_problem)
    for name, minimum, maximum in (
        ("request_timeout", 1, 86_400),  # beyond, sockets cannot represent the timeout
        ("max_requests_per_minute", 1, None),
        ("max_concurrency", 1, None),
        ("page_size", 2, 10_000),  # the tie-safe cursor needs two records a page
        ("messages_lookback_days", 0, MAX_LOOKBACK_DAYS),
        ("progress_interval", 0, None),
    ):
        value = config.get(name)
        if value is not None and value < minimum:
            found.append(f"{name}: must be at least {minimum} (got {value})")
        elif value is not None and maximum is not None and value > maximum:
            found.append(f"{name}: must be at most {maximum} (got {value})")
    return found


def warnings(config: t.Mapping[str, t.Any], known: t.Iterable[str], now: dt.datetime) -> list[str]:
    """Settings that are allowed but probably not what the user meant, each as one line."""
    found: list[str] = []
    names = sorted(known)
    for key in sorted(set(config) - set(names)):
        close = difflib.get_close_matches(str(key), names, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        found.append(f"config: {key!r} is not a tap-heymarket setting and is ignored{hint}")
    start_date = config.get("start_date")
    if start_date is not None:
        try:
            start = parse_instant(start_date)
        except TimestampError:
            start = None  # reported by problems()
        if start is not None and start > now:
            found.append(
                f"start_date: {format_instant(start)} is in the future; a first run reads nothing "
                "updated before it, so it emits nothing until then"
            )
    return found


def _api_url_problem(api_url: str) -> str | None:
    shown = mask_userinfo(api_url)
    try:
        parsed = urlparse(api_url)
        parsed.port  # noqa: B018 (raises on a port out of range)
    except ValueError:
        return f"api_url: {shown!r} has an invalid port"
    if parsed.scheme not in {"http", "https"} or not parsed.hostname:
        return f"api_url: {shown!r} is not an http(s) URL"
    if "@" in parsed.netloc:
        return (
            f"api_url: {shown!r} carries a user name or password; remove it (it is never sent: "
            "credentials go in api_secret_id/api_secret_key or api_key, a proxy's in HTTPS_PROXY)"
        )
    if parsed.query or parsed.fragment or api_url.rstrip().endswith(("?", "#")):
        return f"api_url: {shown!r} has a query or fragment; give only scheme, host, port and path"
    if parsed.scheme == "https" or is_loopback(parsed.hostname):
        return None
    return (
        f"api_url: {shown!r} is not HTTPS; credentials may only travel in clear text to a "
        "loopback address (127.0.0.0/8, ::1, localhost)"
    )


def is_loopback(host: str) -> bool:
    """``localhost``, any of 127.0.0.0/8 in any IPv4 spelling (``127.1``), ``::1`` or mapped."""
    if host.lower().rstrip(".") == "localhost":
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        try:  # the resolver's own reading of short forms such as 127.1 or 2130706433
            address = ipaddress.ip_address(socket.inet_aton(host))
        except (OSError, ValueError):
            return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_loopback
