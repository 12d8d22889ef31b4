"""README's code blocks, read the way a user copies them, for the tests that run them as written."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"


def section(title: str) -> str:
    """The text of README's ``## <title>`` section (up to the next ``## ``)."""
    text = README.read_text(encoding="utf-8")
    body = text.split(f"\n## {title}\n", 1)[1]
    return body.split("\n## ", 1)[0]


def blocks(text: str, language: str = "bash") -> list[str]:
    """The fenced blocks of one language, in order."""
    fence = f"```{language}\n"
    return [part.split("```", 1)[0] for part in text.split(fence)[1:]]
