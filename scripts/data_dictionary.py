"""Keep README's data dictionary in step with the stream schemas (``schemas/*.json``).

Each stream gets a table of its columns (nested fields as ``assigned.id``, list items as
``members[].id``), their JSON types and the schema's ``description``. ``python
scripts/data_dictionary.py`` rewrites the block between the data-dictionary markers;
``--check`` exits 1 when it is out of step, or when a property has no description (the block
handling shared with the settings table's generator, :mod:`readme_block`).
"""

from __future__ import annotations

import json
import sys
import typing as t
from pathlib import Path

from readme_block import rewrite_or_check

ROOT = Path(__file__).resolve().parent.parent
SCHEMAS = ROOT / "schemas"
START, END = "<!-- data-dictionary:start -->", "<!-- data-dictionary:end -->"


def columns(properties: dict[str, t.Any], prefix: str = "") -> t.Iterator[tuple[str, dict[str, t.Any]]]:
    """Every property, nested ones after their parent, as ``(dotted name, schema)``."""
    for key, schema in properties.items():
        name = f"{prefix}{key}"
        yield name, schema
        if "properties" in schema:
            yield from columns(schema["properties"], f"{name}.")
        items = schema.get("items")
        if isinstance(items, dict) and "properties" in items:
            yield from columns(items["properties"], f"{name}[].")


def type_of(schema: dict[str, t.Any]) -> str:
    """``string (date-time)``, ``integer or null``, … as the schema declares it."""
    types = schema.get("type", [])
    types = [types] if isinstance(types, str) else list(types)
    named = [x for x in types if x != "null"] or ["any"]
    text = " or ".join(named)
    if schema.get("format"):
        text += f" ({schema['format']})"
    return text + (", nullable" if "null" in types else "")


def undescribed() -> list[str]:
    """``stream.column`` of every property without a description."""
    out = []
    for path in sorted(SCHEMAS.glob("*.json")):
        schema = json.loads(path.read_text(encoding="utf-8"))
        out += [f"{path.stem}.{n}" for n, s in columns(schema["properties"]) if not s.get("description")]
    return out


def _cell(text: str) -> str:
    """Text safe inside a markdown table cell."""
    return text.replace("|", "\\|")


def dictionary() -> str:
    """One table per stream."""
    parts = []
    for path in sorted(SCHEMAS.glob("*.json")):
        schema = json.loads(path.read_text(encoding="utf-8"))
        rows = [
            f"| `{name}` | {type_of(column)} | {_cell(column.get('description', ''))} |"
            for name, column in columns(schema["properties"])
        ]
        parts.append(
            "\n".join([f"**`{path.stem}`**", "", "| column | type | meaning |", "|---|---|---|", *rows])
        )
    return "\n\n".join(parts)


def main(argv: list[str]) -> int:
    """Rewrite README (default) or only check it (``--check``); never with a column undescribed."""
    missing = undescribed()
    if missing:
        print(f"schema properties without a description: {', '.join(missing)}")
        return 1
    return rewrite_or_check(
        argv, start=START, end=END, render=dictionary, what="data dictionary", script="data_dictionary.py"
    )


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
