"""Where a window is cut: whole seconds strictly inside it, newest first.

By the shares of its records the count curve gives (:meth:`.Splitter.shares`), else by an
even split of its time. A boundary is a whole second, which no reading of the cursor can
move; exactly once across it is :mod:`tap_heymarket.walk.splitting`'s.
"""

from __future__ import annotations

import typing as t

from tap_heymarket.timestamps import format_instant, parse_instant

#: The share of records the part that reads to the listing's end gets, against each other
#: part's: where the listing ends is only estimated (:meth:`.Splitter.oldest`), and a bottom part
#: with more to read than the others is the walk that goes on alone at the run's end, while one
#: with less ends early and its slot goes to a window still far from done.
OPEN_END_SHARE = 0.5


def even_splits(top: str, floor: str, parts: int, last: float = 1.0) -> list[str]:
    """``parts`` whole seconds cutting the time between ``floor`` and ``top`` evenly, newest
    first (those that fall outside, or on one another, left out)."""
    low, high = parse_instant(floor), parse_instant(top)
    step = (high - low) / (parts + last)
    cuts = [format_instant((high - step * n).replace(microsecond=0)) for n in range(1, parts + 1)]
    return [cut for n, cut in enumerate(cuts) if floor < cut < top and (n == 0 or cut < cuts[n - 1])]


def boundaries(
    top: str,
    floor: str | None,
    bottom: str | None,
    parts: int,
    *,
    shares: t.Callable[[str, str, int, float], list[str] | None] | None,
) -> list[str]:
    """Where a window reading down from ``top`` to ``floor`` (None: the listing's end, about
    ``bottom``) splits into ``parts`` more: whole seconds strictly inside, newest first.

    The shares of the records the counts asked so far say (``shares``), else an even split of
    the time. Fewer
    when the span has fewer whole seconds, none when nothing says where the listing ends.
    """
    if bottom is None:
        return []
    last = 1.0 if floor is not None else OPEN_END_SHARE
    candidates = (shares(top, bottom, parts, last) if shares is not None else None) or even_splits(
        top, bottom, parts, last
    )
    out: list[str] = []
    for candidate in candidates:
        if (floor or "") < candidate < (out[-1] if out else top):
            out.append(candidate)
    return out
