"""One generated block of README.md: rewrite it, or check that it is current (``--check``).

README holds blocks rendered from the code (the settings table from ``tap-heymarket --about``,
the data dictionary from ``schemas/*.json``) between a pair of HTML comment markers. Each
generator script renders its block's text and hands it here, so the marker handling and the
rewrite-or-check behaviour (what CI and the pre-commit hooks run) live in one place.
"""

from __future__ import annotations

import typing as t
from pathlib import Path

README = Path(__file__).resolve().parent.parent / "README.md"


def replaced(readme: str, start: str, end: str, body: str) -> str:
    """``readme`` with the text between ``start`` and ``end`` replaced by ``body``."""
    head, rest = readme.split(start, 1)
    _old, tail = rest.split(end, 1)
    return f"{head}{start}\n{body}\n{end}{tail}"


def rewrite_or_check(
    argv: list[str], *, start: str, end: str, render: t.Callable[[], str], what: str, script: str
) -> int:
    """Rewrite README's block (default), or with ``--check`` exit 1 when it is out of step.

    ``what`` names the block and ``script`` the generator in the message that says how to
    bring it back in step.
    """
    current = README.read_text(encoding="utf-8")
    wanted = replaced(current, start, end, render())
    if "--check" in argv:
        if current != wanted:
            print(f"README.md's {what} is out of step: run python scripts/{script}")
            return 1
        return 0
    README.write_text(wanted, encoding="utf-8")
    return 0
