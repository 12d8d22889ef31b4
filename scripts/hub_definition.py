"""Generate the extractor's Meltano Hub definition from the tap itself, so the two never drift.

Settings (kinds, labels, descriptions, defaults, ``sensitive``) and capabilities come from
``tap-heymarket --about --format json``; the default ``select`` lists every stream the tap
discovers. Only what the tap cannot know about itself (variant, repository, keywords, which
settings form a credential group) is written below by hand.

``python scripts/hub_definition.py`` rewrites ``hub/tap-heymarket.yml`` (the file users pass
to ``meltano add tap-heymarket --from-ref``) and the lock file the repository's own
``meltano.yml`` resolves the extractor through; ``--check`` exits 1 when either is out of step.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import typing as t
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
VARIANT = "heymarket"
DEFINITION = ROOT / "hub" / "tap-heymarket.yml"
LOCK = ROOT / "plugins" / "extractors" / f"tap-heymarket--{VARIANT}.lock"
#: The repository's address: the one place to change when the repository moves (docs, repo and
#: the default pip_url below all derive from it; README's ``meltano add`` line names it too).
REPO = "https://github.com/heymarket/tap-heymarket"
#: Where ``meltano install`` gets the tap. The tap is not on PyPI yet, so the default installs
#: from the repository itself (as MeltanoLabs definitions do); once it is published, this
#: becomes the PyPI name, ``tap-heymarket``.
PIP_URL = f"git+{REPO}.git"

IDENTITY: dict[str, t.Any] = {
    "name": "tap-heymarket",
    "namespace": "tap_heymarket",
    "variant": VARIANT,
    "label": "Heymarket",
    "description": "Business texting: shared inboxes over SMS, MMS, email and chat",
    "docs": f"{REPO}#readme",
    "repo": REPO,
    "pip_url": PIP_URL,
    "executable": "tap-heymarket",
}
KEYWORDS = ["meltano_sdk", "api", "messaging"]
MAINTENANCE_STATUS = "active"
#: Either the signed-JWT pair or the legacy team key; the tap refuses a config with neither.
CREDENTIAL_GROUPS = [["api_secret_id", "api_secret_key"], ["api_key"]]
ACRONYMS = {"api": "API", "id": "ID", "url": "URL", "jwt": "JWT"}


class DefinitionError(Exception):
    """The tap's ``--about`` output holds something the Hub format cannot express."""


def _tap(*args: str) -> str:
    """Output of the tap installed next to this Python; a failure is one DefinitionError line."""
    tap = Path(sys.executable).with_name("tap-heymarket")
    try:
        return subprocess.run([str(tap), *args], capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError) as error:
        detail = (getattr(error, "stderr", "") or str(error)).strip().splitlines()
        last = detail[-1] if detail else "no output"
        raise DefinitionError(f"`{tap} {' '.join(args)}` failed: {last}") from None


def kind(name: str, schema: dict[str, t.Any]) -> str:
    """Meltano's setting kind for one JSON-schema property (``number`` is ``decimal``, not integer)."""
    if "enum" in schema:
        return "options"
    types = schema.get("type")
    if types is None and "anyOf" in schema:
        types = [s["type"] for s in schema["anyOf"] if isinstance(s, dict) and "type" in s]
    found = {types} if isinstance(types, str) else set(types or ()) - {"null"}
    if len(found) != 1:
        raise DefinitionError(f"setting {name!r}: cannot map JSON-schema type {types!r} to one Meltano kind")
    (json_type,) = found
    if json_type == "string" and schema.get("format") == "date-time":
        return "date_iso8601"
    kinds = {
        "string": "string",
        "integer": "integer",
        "number": "decimal",
        "boolean": "boolean",
        "array": "array",
        "object": "object",
    }
    if json_type not in kinds:
        raise DefinitionError(f"setting {name!r}: JSON-schema type {json_type!r} has no Meltano kind")
    return kinds[json_type]


def label(name: str, schema: dict[str, t.Any]) -> str:
    """The schema's ``title`` when it has one, else the name in words (``api_url`` → ``API URL``)."""
    if schema.get("title"):
        return str(schema["title"])
    return " ".join(ACRONYMS.get(word, word.capitalize()) for word in name.split("_"))


def setting(name: str, schema: dict[str, t.Any]) -> dict[str, t.Any]:
    """One Hub setting entry."""
    entry: dict[str, t.Any] = {"name": name, "kind": kind(name, schema), "label": label(name, schema)}
    if schema.get("description"):
        entry["description"] = schema["description"]
    if "default" in schema:
        entry["value"] = schema["default"]
    if schema.get("enum"):
        entry["options"] = [{"label": str(v), "value": v} for v in schema["enum"] if v is not None]
    if schema.get("secret"):
        entry["sensitive"] = True
    return entry


def definition(about: dict[str, t.Any], streams: list[str]) -> dict[str, t.Any]:
    """The Hub definition for ``--about`` output and the discovered stream names."""
    properties = about["settings"]["properties"]
    for group in CREDENTIAL_GROUPS:
        unknown = [name for name in group if name not in properties]
        if unknown:
            raise DefinitionError(f"settings_group_validation names unknown settings: {unknown}")
    return {
        **IDENTITY,
        "capabilities": sorted(about["capabilities"]),
        "keywords": KEYWORDS,
        "maintenance_status": MAINTENANCE_STATUS,
        "settings_group_validation": CREDENTIAL_GROUPS,
        "settings": [setting(name, schema) for name, schema in properties.items()],
        "select": [f"{stream}.*" for stream in sorted(streams)],
    }


def current_definition() -> dict[str, t.Any]:
    """The definition of the installed tap (its ``--about`` and an offline ``--discover``)."""
    about = json.loads(_tap("--about", "--format", "json"))
    with tempfile.TemporaryDirectory() as tmp:
        config = Path(tmp) / "config.json"
        config.write_text('{"api_key": "placeholder-for-discovery"}', encoding="utf-8")
        catalog = json.loads(_tap("--config", str(config), "--discover"))
    return definition(about, [stream["tap_stream_id"] for stream in catalog["streams"]])


def rendered(plugin: dict[str, t.Any]) -> dict[Path, str]:
    """File contents: the Hub YAML and Meltano's lock file (the same definition as JSON)."""
    header = "# Generated by scripts/hub_definition.py from `tap-heymarket --about`: do not edit.\n"
    hub = header + yaml.safe_dump(plugin, sort_keys=False, allow_unicode=True, width=100)
    lock = json.dumps({"plugin_type": "extractors", **plugin}, indent=2, ensure_ascii=False) + "\n"
    return {DEFINITION: hub, LOCK: lock}


def main(argv: list[str]) -> int:
    """Rewrite both files (default) or only check them (``--check``)."""
    try:
        files = rendered(current_definition())
    except DefinitionError as error:
        print(f"hub_definition: {error}", file=sys.stderr)
        return 2
    if "--check" in argv:
        stale = [p.name for p, text in files.items() if _read(p) != text]
        if stale:
            print(f"{', '.join(stale)} out of step with the tap: run python scripts/hub_definition.py")
            return 1
        return 0
    for path, text in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return 0


def _read(path: Path) -> str | None:
    return path.read_text(encoding="utf-8") if path.exists() else None


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
