"""Generated Heymarket accounts: realistic shapes, ties, and both spellings of each field.

Instants are whole milliseconds. About a third of conversations share their ``updated``
with neighbours (groups of 2 to 5), and records alternate between the reference's two
spellings (object or integer references, boolean or integer ``read``, ``Z`` or ``+00:00``).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import random
import typing as t

from heymarket_sandbox import story

UTC = dt.timezone.utc
EPOCH = dt.datetime(2024, 1, 1, tzinfo=UTC)
CHANNELS = ("sms", "mms", "email", "chat")
FIRST_NAMES = ("Ana", "Ben", "Chloé", "Dev", "Eli", "Fatima", "Gus", "Hana", "Ivan", "Jo")


def spell(instant: dt.datetime, variant: int) -> str:
    """One of the API's spellings of an instant (all denote the same instant)."""
    if variant % 3 == 0:
        return instant.strftime("%Y-%m-%dT%H:%M:%S.") + f"{instant.microsecond // 1000:03d}Z"
    if variant % 3 == 1:
        return instant.isoformat(timespec="milliseconds")  # +00:00
    return instant.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@dataclasses.dataclass
class Dataset:
    """Everything one sandbox account holds. Records keep ``datetime`` instants."""

    team: dict[str, t.Any]
    inboxes: list[dict[str, t.Any]]
    conversations: list[dict[str, t.Any]]
    contacts: list[dict[str, t.Any]]
    tags: list[dict[str, t.Any]]
    templates: list[dict[str, t.Any]]
    messages: list[dict[str, t.Any]]
    surveys: list[dict[str, t.Any]]


def _instants(
    rng: random.Random,
    count: int,
    start: dt.datetime,
    tie_share: float,
    days: float | None = None,
    *,
    aging: float = 0.0,
) -> list[dt.datetime]:
    """``count`` instants, oldest first, with tie groups of 2 to 5, over about ``days`` days.

    Unset, instants are 1 s to 10 min apart; ``days`` stretches the gaps (the same draws, so the
    ties and the order stay as they were). ``aging``: the gaps widen toward the past, the
    oldest ``1 + aging`` times the newest's (an account's ``updated`` moves to now whenever a
    conversation is active again, so old records are sparse): no even density to rely on.
    """
    out: list[dt.datetime] = []
    moment = start
    groups = max(1.0, count / (1 + tie_share * 2.5))  # tie groups hold 3.5 instants on average
    stretch = 1.0 if days is None else days * 86_400_000 / (groups * 300_500)
    while len(out) < count:
        older = 1.0 + aging * (1.0 - len(out) / count)  # 1 + aging for the oldest, 1 at the newest
        moment += dt.timedelta(milliseconds=round(rng.randint(1_000, 600_000) * stretch * older))
        group = rng.randint(2, 5) if rng.random() < tie_share else 1
        out.extend([moment] * min(group, count - len(out)))
    return out


def generate(
    conversations: int = 600,
    inboxes: int = 3,
    *,
    seed: int = 7,
    contacts: int = 120,
    messages: int = 300,
    tags: int = 12,
    templates: int = 9,
    surveys: int = 4,
    tie_share: float = 0.3,
    days: float | None = None,
    aging: float = 0.0,
) -> Dataset:
    """A deterministic account of the given size, its listings tied together (:mod:`.story`).

    ``days``: every listing spreads over about that many days (unset: 1 s to 10 min between
    records, what the pagination tests were written for); ``aging``: older conversations
    sparser (:func:`_instants`).
    """
    rng = random.Random(seed)
    members = [
        {"id": 9001 + i, "name": f"{FIRST_NAMES[i % len(FIRST_NAMES)]} Agent", "role": r}
        for i, r in enumerate(("admin", "member", "member", "member", "manager"))
    ]
    team = {"id": 77, "name": "Sandbox Team", "list_size": len(members), "members": members}
    inbox_rows = [
        {
            "id": 5001 + i,
            "name": f"Inbox {i + 1}",
            "team": team["id"],
            # the admin belongs to every inbox (as in most teams); agents alternate
            "members": sorted({9001, *(9001 + n for n in range(1 + i % 2, len(members), 2))}),
            "phones": [f"1415555{1000 + i:04d}"],
            "phone": f"1415555{1000 + i:04d}",
        }
        for i in range(inboxes)
    ]
    convs = []
    previous: dt.datetime | None = None
    inbox, closed = inbox_rows[0], False
    for n, instant in enumerate(_instants(rng, conversations, EPOCH, tie_share, days, aging=aging)):
        if instant != previous:  # a tie group is one bulk action, in one inbox view
            inbox = inbox_rows[rng.randrange(len(inbox_rows))]
            closed = rng.random() < 0.45
        previous = instant
        agent = rng.choice(members)
        created = instant - dt.timedelta(minutes=rng.randint(0, 60 * 24 * 30))
        record: dict[str, t.Any] = {
            "id": 100_000 + n,
            "channel": rng.choice(CHANNELS),
            "status": "closed" if closed else "open",
            "target": f"1415{rng.randint(2_000_000, 9_999_999)}",
            "created": created,
            "updated": instant,
            "replied": rng.random() < 0.7,
            "blocked": rng.random() < 0.02,
            "muted": rng.random() < 0.05,
            "snooze_till": None,
            "_inbox": inbox["id"],
        }
        if n % 2:  # the generated schema's spelling
            record.update(
                inbox=inbox["id"],
                assigned=agent["id"] if rng.random() < 0.8 else None,
                members=[agent["id"]],
                read=rng.randint(0, 1),
                creator=agent["id"],
                email_noti=False,
                last_inbound=rng.randint(1, 10_000),
                local_id=f"L{n}",
                name=f"{FIRST_NAMES[n % len(FIRST_NAMES)]} Customer",
                noreply="",
                op="",
                type="direct",
                super=0,
                support=False,
            )
        else:  # the narrative pages' spelling
            record.update(
                inbox={"id": inbox["id"], "name": inbox["name"]},
                assigned={"id": agent["id"], "name": agent["name"], "email": "a@example.com"},
                members=[{"id": agent["id"], "name": agent["name"]}],
                read=rng.random() < 0.5,
            )
        convs.append(record)

    def simple(kind: str, count: int, make: t.Callable[[int], dict[str, t.Any]]) -> list[dict]:
        rows = []
        for n, instant in enumerate(_instants(rng, count, EPOCH, tie_share, days)):
            row: dict[str, t.Any] = {"id": 1 + n + {"contact": 200_000, "tag": 300, "template": 400}[kind]}
            row.update(make(n))
            row.update(created=instant - dt.timedelta(days=1), updated=instant)
            rows.append(row)
        return rows

    contact_rows = simple(
        "contact",
        contacts,
        lambda n: {
            "phone": f"1510{rng.randint(2_000_000, 9_999_999)}",
            "email": None,
            "first": FIRST_NAMES[n % 10],
            "last": "Customer",
            "display_name": f"{FIRST_NAMES[n % 10]} Customer",
            "custom": {"tier": n % 3},
            "tags": [],
            "note": [],
            "inbox_id": inbox_rows[n % len(inbox_rows)]["id"],
            "assigned_user_id": members[n % len(members)]["id"],
            "is_opted_out": n % 17 == 0,
        },
    )
    tag_rows = simple(
        "tag",
        tags,
        lambda n: {
            "tag": f"tag-{n}",
            "color": "#33aa77",
            "team_id": team["id"],
        },
    )
    template_rows = simple(
        "template",
        templates,
        lambda n: {
            "name": f"Template {n}",
            "content": {"text": f"Hello {{name}} #{n}", "gallery": []},
            "team_id": team["id"],
            "creator_id": members[0]["id"],
            "shared": True,
            "archived": False,
        },
    )
    message_rows = []
    for n, instant in enumerate(_instants(rng, messages, EPOCH, tie_share, days)):
        conv = convs[rng.randrange(len(convs))] if convs else {"id": 0, "target": ""}
        message_rows.append(
            {
                "id": 700_000 + n,
                "date": instant,
                "updated": instant,
                "author": rng.choice(members)["id"],
                "user": rng.choice(members)["id"],
                "text": f"Message {n}",
                "media": [],
                "status": rng.choice(("sent", "delivered")),
                "type": "text",
                "target": conv["target"],
                "phone": conv["target"],
                "conversation": conv["id"],
                "flagged": False,
            }
        )
    survey_rows = [
        {
            "id": 60 + n,
            "name": f"Survey {n}",
            "type": "nps",
            "question": "How did we do?",
            "created": EPOCH + dt.timedelta(days=n),
            "updated": EPOCH + dt.timedelta(days=n),
        }
        for n in range(surveys)
    ]
    dataset = Dataset(
        team, inbox_rows, convs, contact_rows, tag_rows, template_rows, message_rows, survey_rows
    )
    story.connect(dataset, seed)
    return dataset
