"""Keep README's settings table in step with ``tap-heymarket --about --format markdown``.

``python scripts/settings_table.py`` rewrites the block between the settings markers;
``--check`` exits 1 when the block is out of step (the test suite runs that check).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
START, END = "<!-- settings:start -->", "<!-- settings:end -->"


def settings_table() -> str:
    """The ``## Settings`` table of the tap's own ``--about`` output."""
    tap = Path(sys.executable).with_name("tap-heymarket")
    about = subprocess.run(
        [str(tap), "--about", "--format", "markdown"], capture_output=True, text=True, check=True
    ).stdout
    lines = about.splitlines()
    start = lines.index("## Settings") + 1
    table = [line for line in lines[start:] if line.startswith("|")]
    return "\n".join(table)


def rendered(readme: str) -> str:
    """README with its settings block replaced by the current table."""
    head, rest = readme.split(START, 1)
    _old, tail = rest.split(END, 1)
    return f"{head}{START}\n{settings_table()}\n{END}{tail}"


def main(argv: list[str]) -> int:
    """Rewrite README (default) or only check it (``--check``)."""
    current = README.read_text(encoding="utf-8")
    wanted = rendered(current)
    if "--check" in argv:
        if current != wanted:
            print("README.md's settings table is out of step: run python scripts/settings_table.py")
            return 1
        return 0
    README.write_text(wanted, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
