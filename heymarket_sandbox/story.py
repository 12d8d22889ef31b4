"""What makes a generated account one an analyst can learn on: its records tell one story.

:func:`~heymarket_sandbox.data.generate` makes each listing on its own (its instants, its
ties, its spellings: what the pagination tests need). :func:`connect` then ties them together
without touching any instant or count, so every test that counts records or walks cursors
sees the same account as before:

- every conversation's ``target`` is a contact's phone (E.164 digits, no ``+``) or, on the
  email channel, its email; the contacts keep their own spellings (``+1 (510) 555-0123``,
  ``+15105550123``, mixed-case emails), so a join normalises them, as with real data;
- every message belongs to a conversation that already existed when it was written, and
  each conversation's messages start with one from the contact (``user`` null, status
  ``received``), then go both ways: outbound ones carry the sending member's ID in ``user``
  and name in ``author`` (our reading of the reference, which names both fields and shows
  neither), so first-response times can be computed;
- outbound messages are ``delivered`` (or now and then ``failed``) except those of the last
  :data:`ON_THE_WAY` before the newest message, still ``sent``, as on a live account
  (``POST /_sandbox/deliver`` settles them).

It draws from its own random generator, so the listings' own values stay as they were.
"""

from __future__ import annotations

import bisect
import datetime as dt
import random
import typing as t

if t.TYPE_CHECKING:
    from heymarket_sandbox.data import Dataset

#: How long an outbound message stays ``sent`` before it is delivered.
ON_THE_WAY = dt.timedelta(minutes=15)
#: How many conversations a message tries before settling for the newest one already created.
TRIES = 12


def spelt_phone(digits: str, variant: int) -> str:
    """A contact's phone as people save it: ``+`` and digits, formatted, or bare digits."""
    if variant % 3 == 0:
        return f"+{digits}"
    if variant % 3 == 1 and len(digits) == 11:
        return f"+{digits[0]} ({digits[1:4]}) {digits[4:7]}-{digits[7:]}"
    return digits


def connect(data: Dataset, seed: int) -> None:
    """Targets from contacts, messages inside conversations, in both directions (in place)."""
    rng = random.Random(f"story-{seed}")
    _targets_from_contacts(data, rng)
    _messages_in_conversations(data, rng)


def _targets_from_contacts(data: Dataset, rng: random.Random) -> None:
    if not data.contacts:
        return
    for contact in data.contacts:
        digits = contact["phone"]
        contact["_digits"] = digits
        contact["phone"] = spelt_phone(digits, contact["id"])
        local = f"{contact['first']}.{contact['last']}{contact['id'] % 1000}"
        contact["email"] = f"{local}@Example.com" if contact["id"] % 2 else f"{local.lower()}@example.com"
    for conversation in data.conversations:
        contact = data.contacts[rng.randrange(len(data.contacts))]
        email = conversation["channel"] == "email"
        conversation["target"] = contact["email"].lower() if email else contact["_digits"]
        conversation["_contact"] = contact
    for contact in data.contacts:
        del contact["_digits"]


def _messages_in_conversations(data: Dataset, rng: random.Random) -> None:
    if not data.conversations:
        return
    members = {m["id"]: m for m in data.team["members"]}
    inbox_phones = {i["id"]: i.get("phone") for i in data.inboxes}
    by_created = sorted(data.conversations, key=lambda c: c["created"])
    created = [c["created"] for c in by_created]
    said: dict[int, int] = {}
    settled_before = max((m["date"] for m in data.messages), default=None)
    settled_before = settled_before - ON_THE_WAY if settled_before else None
    for message in sorted(data.messages, key=lambda m: (m["date"], m["id"])):
        opened = bisect.bisect_right(created, message["date"])  # conversations created by then
        if opened == 0:
            conversation = by_created[0]
        else:
            tried = (by_created[rng.randrange(opened)] for _ in range(TRIES))
            live = [c for c in tried if c["updated"] >= message["date"]]
            conversation = live[0] if live else by_created[opened - 1]
        turn = said.get(conversation["id"], 0)
        said[conversation["id"]] = turn + 1
        inbound = turn == 0 or rng.random() < 0.4
        message.update(conversation=conversation["id"], target=conversation["target"])
        message["phone"] = inbox_phones.get(conversation["_inbox"])  # the number it went through
        if inbound:
            contact = conversation.get("_contact")
            message.update(user=None, status="received")
            message["author"] = contact["display_name"] if contact else conversation["target"]
        else:
            sender = _assignee(conversation) or rng.choice(list(members))
            if settled_before is None or message["date"] >= settled_before:
                status = "sent"
            else:
                status = "failed" if rng.random() < 0.03 else "delivered"
            message.update(user=sender, status=status)
            message["author"] = members.get(sender, {}).get("name", str(sender))
    for conversation in data.conversations:
        conversation.pop("_contact", None)


def _assignee(conversation: dict[str, t.Any]) -> int | None:
    """The assigned member's ID, in either of the API's spellings."""
    assigned = conversation.get("assigned")
    if isinstance(assigned, dict):
        return t.cast("int", assigned["id"])
    return assigned if isinstance(assigned, int) else None
