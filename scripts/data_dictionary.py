"""Keep README's data dictionary in step with the stream schemas (``schemas/*.json``).

Each stream gets a table of its columns (nested fields as ``assigned.id``, list items as
``members[].id``), their JSON types and the schema's ``description``. ``python
scripts/data_dictionary.py`` rewrites the block between the data-dictionary markers;
``--check`` exits 1 when it is out of step, or when a property has no description.
"""

from __future__ import annotations

import json
import sys
import typing as t
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
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


def rendered(readme: str) -> str:
    """README with its data-dictionary block replaced by the current tables."""
    head, rest = readme.split(START, 1)
    _old, tail = rest.split(END, 1)
    return f"{head}{START}\n{dictionary()}\n{END}{tail}"


def main(argv: list[str]) -> int:
    """Rewrite README (default) or only check it (``--check``)."""
    missing = undescribed()
    if missing:
        print(f"schema properties without a description: {', '.join(missing)}")
        return 1
    current = README.read_text(encoding="utf-8")
    wanted = rendered(current)
    if "--check" in argv:
        if current != wanted:
            print("README.md's data dictionary is out of step: run python scripts/data_dictionary.py")
            return 1
        return 0
    README.write_text(wanted, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
