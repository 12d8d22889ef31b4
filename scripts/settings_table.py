"""Keep README's settings table in step with ``tap-heymarket --about --format markdown``.

``python scripts/settings_table.py`` rewrites the block between the settings markers;
``--check`` exits 1 when the block is out of step (the test suite runs that check); both
through :mod:`readme_block`, which the data dictionary's generator shares.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from readme_block import rewrite_or_check

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


def main(argv: list[str]) -> int:
    """Rewrite README (default) or only check it (``--check``)."""
    return rewrite_or_check(
        argv, start=START, end=END, render=settings_table, what="settings table", script="settings_table.py"
    )


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
