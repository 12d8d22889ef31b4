"""Deleting records from a sandbox account, as Heymarket does: they just vanish from listings.

No Heymarket listing reports deletions (no tombstones, no ``deleted`` flag, no webhook
event), so a deleted record is simply absent from the next read. The sandbox reproduces
that, which is what lets tests prove that only a full read (FULL_TABLE with
ACTIVATE_VERSION) can show a warehouse what disappeared.

- ``DELETE /v1/contacts/{id}``, ``/v1/tags/{id}``, ``/v1/templates/{id}`` (the API's own
  endpoints; the singular ``/v1/contact/{id}`` spelling is accepted too): 200
  ``{"deleted": id}``, or 404 when there is no such record.
- Inboxes and team members have no delete endpoint in the API; the sandbox-only control
  endpoints (:mod:`heymarket_sandbox.control`) call :func:`delete_inbox` and
  :func:`delete_team_member`.
"""

from __future__ import annotations

import json
import re
import typing as t

if t.TYPE_CHECKING:
    from heymarket_sandbox.server import SandboxAPI

_DELETABLE = re.compile(r"^/v1/(contact|tag|template)s?/(\d+)$")


def answer(api: SandboxAPI, method: str, path: str) -> tuple[int, bytes]:
    """Status and body for ``DELETE /v1/<kind>s/<id>`` (404 for any other non-POST route)."""
    match = _DELETABLE.match(path) if method == "DELETE" else None
    if match is None:
        return 404, b'{"error":"not_found"}'
    stream, record_id = f"{match.group(1)}s", int(match.group(2))
    if not delete_record(api, stream, record_id):
        return 404, b'{"error":"not_found"}'
    return 200, json.dumps({"deleted": record_id}).encode()


def delete_record(api: SandboxAPI, stream: str, record_id: int) -> bool:
    """Remove one record of a listing (``contacts``, ``tags``, ``templates``); False if absent."""
    listing = api.listing(stream)
    if listing.records.pop(record_id, None) is None:
        return False
    listing.changed(record_id)
    return True


def delete_inbox(api: SandboxAPI, inbox_id: int) -> int | None:
    """Remove an inbox and every conversation in it; how many conversations went (None: no inbox)."""
    if not any(inbox["id"] == inbox_id for inbox in api.data.inboxes):
        return None
    api.data.inboxes[:] = [inbox for inbox in api.data.inboxes if inbox["id"] != inbox_id]
    api.inbox_members.pop(inbox_id, None)
    conversations = api.conversations
    gone = [i for i, record in conversations.records.items() if record["_inbox"] == inbox_id]
    for record_id in gone:
        del conversations.records[record_id]
    conversations.changed()
    return len(gone)


def delete_team_member(api: SandboxAPI, member_id: int) -> bool:
    """Remove a team member from the team and from every inbox it belonged to."""
    team = api.data.team
    members = team["members"]
    if not any(member["id"] == member_id for member in members):
        return False
    team["members"] = [member for member in members if member["id"] != member_id]
    team["list_size"] = len(team["members"])
    for inbox in api.data.inboxes:
        inbox["members"] = [m for m in inbox["members"] if _member_id(m) != member_id]
    for belonging in api.inbox_members.values():
        belonging.discard(member_id)
    return True


def _member_id(member: t.Any) -> t.Any:
    return member["id"] if isinstance(member, dict) else member
