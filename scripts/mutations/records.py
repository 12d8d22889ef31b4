"""Mutations of what is emitted and to whom: shaping, the inbox directory, secrets, page numbers."""

from __future__ import annotations

from mutations.base import CONFIG, INBOXES, LOGS, SHAPING, Mutation, tests

#: conform.py, records.py, timestamps.py: one shape per stream, or the record refused.
SHAPE = (
    Mutation(
        "nan-not-refused",
        "tap_heymarket/conform.py",
        "            if not math.isfinite(value):\n"
        '                raise BadValue("NaN or an infinite number")\n'
        "            if numbers:",
        "            if numbers:",
        SHAPING,
        "NaN and infinities in a schema column are refused (no target stores them)",
    ),
    Mutation(
        "fraction-truncated-to-integer",
        "tap_heymarket/conform.py",
        "if integers and value.is_integer():",
        "if integers:",
        SHAPING,
        "only an integral float becomes an integer (1.5 is not silently 1)",
    ),
    Mutation(
        "any-integer-is-a-boolean",
        "tap_heymarket/conform.py",
        "if booleans and value in (0, 1):",
        "if booleans:",
        SHAPING,
        "only 0 and 1 become booleans (2 is a bad value, not true)",
    ),
    Mutation(
        "boolean-reference-becomes-id",
        "tap_heymarket/records.py",
        "    if isinstance(value, bool):\n        return value\n    if isinstance(value, int):",
        "    if isinstance(value, int):",
        SHAPING,
        "true/false is not a reference ID (bool is an int in Python)",
    ),
    Mutation(
        "canonical-spelling-not-validated",
        "tap_heymarket/timestamps.py",
        "            dt.datetime.fromisoformat(value[:-1])  # the digits must also name a real instant\n",
        "            pass\n",
        SHAPING,
        "2024-13-45T… in the canonical shape is still refused (the fast path checks the digits)",
    ),
)

#: directory.py: who reads which inbox (member groups included), and when.
DIRECTORY = (
    Mutation(
        "whole-account-despite-a-filter",
        "tap_heymarket/directory.py",
        "return not any(self._config.get(name) is not None for name in NARROWING_SETTINGS)",
        "return True",
        INBOXES,
        "the account-wide count is compared only when no setting narrows the read",
    ),
    Mutation(
        "member-groups-tie-by-dict-order",
        "tap_heymarket/directory.py",
        "best = min(counts, key=lambda m: (-counts[m], m))",
        "best = min(counts, key=lambda m: -counts[m])",
        INBOXES,
        "member groups (and so STATE's slices) are the same every run: ties go to the lowest ID",
    ),
    Mutation(
        "memberless-inbox-read",
        "tap_heymarket/directory.py",
        "        return [i for i in inboxes if members.get(i)]",
        "        return inboxes",
        INBOXES,
        "an inbox with no member to read it as is skipped with a warning",
    ),
)

#: redaction.py, config_errors.py: no secret in a log line or an error.
SECRETS = (
    Mutation(
        "jwt-shape-not-masked",
        "tap_heymarket/redaction.py",
        'return _JWT.sub(MASK, text) if "eyJ" in text else text',
        "return text",
        LOGS,
        "anything shaped like a JWT is masked, even one the tap never held",
    ),
    Mutation(
        "exception-chain-not-scrubbed",
        "tap_heymarket/redaction.py",
        "current = current.__cause__ or current.__context__",
        "current = None",
        LOGS,
        "a secret in a chained exception's arguments is masked as well",
    ),
    Mutation(
        "controls-not-escaped",
        "tap_heymarket/redaction.py",
        "clean = escape_controls(self.scrub(message))",
        "clean = self.scrub(message)",
        LOGS,
        "server text cannot forge log lines or colour the terminal",
    ),
    Mutation(
        "secret-setting-quoted",
        "tap_heymarket/config_errors.py",
        "if path and path[0] in secret:",
        "if False:",
        CONFIG,
        "a secret setting's invalid value is never quoted in the error",
    ),
    Mutation(
        "type-error-quotes-value",
        "tap_heymarket/config_errors.py",
        'if error.validator == "type":',
        "if False:",
        CONFIG,
        "a wrong-typed setting names the expected type, not the value (a secret)",
    ),
)

#: page_numbers.py: a page-number listing that ignores ``page`` stops, as a date walk does.
PAGES = (
    Mutation(
        "ignored-page-number-loops",
        "tap_heymarket/page_numbers.py",
        "if records and len(records) >= self.page_size and not fresh:",
        "if False:",
        tests("full_table", "walk_completeness"),
        "a server that ignores page is an error, not a listing read forever",
    ),
)
