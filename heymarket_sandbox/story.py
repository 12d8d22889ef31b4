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
- replies answer the longest-waiting conversation, so first-response times spread from
  minutes to about a day; some closed conversations hear from their contact once more after
  the reply and the close, so their last message is an unanswered one (:class:`_Threads`);
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
#: The share of messages that answer the longest-waiting conversation.
REPLY_SHARE = 0.55
#: The share that are a contact writing again after their answered conversation was closed.
AFTER_CLOSE_SHARE = 0.04


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
    thread = _Threads(data.conversations, rng)
    settled_before = max((m["date"] for m in data.messages), default=None)
    settled_before = settled_before - ON_THE_WAY if settled_before else None
    for message in sorted(data.messages, key=lambda m: (m["date"], m["id"])):
        conversation, inbound = thread.next(message["date"])
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


class _Threads:
    """Which conversation each message (oldest first) belongs to, and which way it goes.

    A support queue: a contact's message waits for a reply, and most outbound messages answer
    the longest-waiting conversation that is still active then (its ``updated`` not passed), so
    first-response times spread as a busy inbox's do (minutes to about a day). A conversation
    answered and then closed now and then gets one more message from its contact, after the
    close: it stays closed, with that unanswered message as its last. No instant is touched.
    """

    def __init__(self, conversations: list[dict[str, t.Any]], rng: random.Random) -> None:
        self.rng = rng
        self.by_created = sorted(conversations, key=lambda c: c["created"])
        self.created = [c["created"] for c in self.by_created]
        self.turns: dict[int, int] = {}
        self.waiting: dict[int, dict[str, t.Any]] = {}  # insertion order: the queue
        self.asked: dict[int, dt.datetime] = {}  # when each waiting conversation's contact wrote
        self.answered_closed: dict[int, dict[str, t.Any]] = {}

    def next(self, when: dt.datetime) -> tuple[dict[str, t.Any], bool]:
        """The conversation a message written at ``when`` belongs to, and whether it is inbound."""
        for key in [k for k, c in self.waiting.items() if c["updated"] < when]:
            del self.waiting[key], self.asked[key]  # went quiet unanswered
        roll = self.rng.random()
        late = self._after_close(when) if REPLY_SHARE <= roll < REPLY_SHARE + AFTER_CLOSE_SHARE else None
        due = next((k for k, c in self.waiting.items() if self.asked[k] < when), None)
        if due is not None and roll < REPLY_SHARE:
            conversation, inbound = self.waiting.pop(due), False
        elif late is not None:
            conversation, inbound = late, True
        else:
            conversation = self._any_open_by(when)
            inbound = self.turns.get(conversation["id"], 0) == 0 or self.rng.random() < 0.5
        self.turns[conversation["id"]] = self.turns.get(conversation["id"], 0) + 1
        key = conversation["id"]
        if inbound and key not in self.answered_closed:
            self.waiting.setdefault(key, conversation)
            self.asked.setdefault(key, when)
        elif not inbound:
            self.waiting.pop(key, None)
            self.asked.pop(key, None)
            if conversation["status"] == "closed":
                self.answered_closed[key] = conversation
        else:
            del self.answered_closed[key]  # its one message after the close
        return conversation, inbound

    def _after_close(self, when: dt.datetime) -> dict[str, t.Any] | None:
        live = [c for c in self.answered_closed.values() if c["updated"] >= when]
        return live[self.rng.randrange(len(live))] if live else None

    def _any_open_by(self, when: dt.datetime) -> dict[str, t.Any]:
        opened = bisect.bisect_right(self.created, when)  # conversations created by then
        if opened == 0:
            return self.by_created[0]
        tried = (self.by_created[self.rng.randrange(opened)] for _ in range(TRIES))
        live = [c for c in tried if c["updated"] >= when and c["id"] not in self.answered_closed]
        return live[0] if live else self.by_created[opened - 1]


def _assignee(conversation: dict[str, t.Any]) -> int | None:
    """The assigned member's ID, in either of the API's spellings."""
    assigned = conversation.get("assigned")
    if isinstance(assigned, dict):
        return t.cast("int", assigned["id"])
    return assigned if isinstance(assigned, int) else None
