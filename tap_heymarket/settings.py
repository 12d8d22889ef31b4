"""The tap's settings: their schema, and the checks JSON Schema cannot express.

Each check fails with one line that names the setting, before any request is sent.
"""

from __future__ import annotations

import ipaddress
import typing as t
from urllib.parse import urlparse

from singer_sdk import typing as th
from singer_sdk.helpers.capabilities import EMIT_ACTIVATE_VERSION_CONFIG

from tap_heymarket.timestamps import TimestampError, parse_instant

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
        default=6,
        description="How many independent slices (inbox views) are read at once. 1: strictly "
        "sequential. The default 6 covers the open and closed views of 3 inboxes, so a backfill "
        "hides network latency until it reaches max_requests_per_minute.",
    ),
    th.Property(
        "messages_lookback_days",
        th.IntegerType,
        default=7,
        description="Messages are walked in creation order; each run re-reads this many days "
        "below its bookmark so that status changes of recent messages are picked up.",
    ),
    th.Property(
        "progress_interval",
        th.IntegerType,
        default=30,
        description="Seconds between progress lines on long syncs.",
    ),
).to_dict()
CONFIG_SCHEMA["properties"].update(EMIT_ACTIVATE_VERSION_CONFIG["properties"])  # the SDK's own setting

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
    start_date = config.get("start_date")
    if start_date is not None:
        try:
            parse_instant(start_date)
        except TimestampError:
            found.append(f"start_date: {start_date!r} is not an RFC 3339 date-time")
    api_url = str(config.get("api_url") or DEFAULT_API_URL)
    url_problem = _api_url_problem(api_url)
    if url_problem:
        found.append(url_problem)
    for name, minimum in (
        ("request_timeout", 1),
        ("max_requests_per_minute", 1),
        ("max_concurrency", 1),
    ):
        value = config.get(name)
        if value is not None and value < minimum:
            found.append(f"{name}: must be at least {minimum} (got {value})")
    return found


def _api_url_problem(api_url: str) -> str | None:
    parsed = urlparse(api_url)
    if parsed.scheme not in {"http", "https"} or not parsed.hostname:
        return f"api_url: {api_url!r} is not an http(s) URL"
    if parsed.scheme == "https":
        return None
    host = parsed.hostname
    if host == "localhost":
        return None
    try:
        if ipaddress.ip_address(host).is_loopback:
            return None
    except ValueError:
        pass
    return (
        f"api_url: {api_url!r} is not HTTPS; credentials may only travel in clear text to a "
        "loopback address (127.0.0.1, ::1, localhost)"
    )
