"""The Hub definition is generated from the tap, in Meltano's own vocabulary, and checked for drift.

``hub/tap-heymarket.yml`` is what users pass to ``meltano add --from-ref``; the lock file next
to ``meltano.yml`` is the same definition for this repository's project. Both must follow
``tap-heymarket --about`` exactly, and every kind must be one Meltano accepts.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import typing as t
from pathlib import Path

import pytest
import yaml

from tap_heymarket.settings import TAP_SETTINGS

ROOT = Path(__file__).resolve().parent.parent
MELTANO_PYTHON = ROOT / ".venv-meltano" / "bin" / "python"
SCRIPT = ROOT / "scripts" / "hub_definition.py"


def _generator() -> t.Any:
    spec = importlib.util.spec_from_file_location("hub_definition", SCRIPT)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


HUB = _generator()
DEFINITION = yaml.safe_load(HUB.DEFINITION.read_text(encoding="utf-8"))
ABOUT = json.loads(
    subprocess.run(
        [str(Path(sys.executable).with_name("tap-heymarket")), "--about", "--format", "json"],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    ).stdout
)


def test_committed_definition_and_lock_file_match_what_the_tap_reports_now() -> None:
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "--check"], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_check_fails_and_names_the_file_when_the_definition_was_edited_by_hand(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    edited = tmp_path / "tap-heymarket.yml"
    edited.write_text(
        HUB.DEFINITION.read_text(encoding="utf-8").replace("kind: date_iso8601", "kind: string")
    )
    monkeypatch.setattr(HUB, "DEFINITION", edited)
    assert HUB.main(["--check"]) == 1
    assert "tap-heymarket.yml out of step" in capsys.readouterr().out


def test_every_setting_of_about_is_declared_with_its_schema_default_and_description() -> None:
    declared = {s["name"]: s for s in DEFINITION["settings"]}
    properties = ABOUT["settings"]["properties"]
    assert list(declared) == list(properties)
    assert set(TAP_SETTINGS) <= set(declared)
    for name, schema in properties.items():
        assert declared[name].get("value") == schema.get("default"), name
        assert declared[name]["description"] == schema["description"], name
        assert declared[name]["label"], name
    assert DEFINITION["capabilities"] == sorted(ABOUT["capabilities"])


def test_kinds_follow_the_json_schema_type_so_numbers_stay_decimal() -> None:
    kinds = {s["name"]: s["kind"] for s in DEFINITION["settings"]}
    assert kinds["messages_lookback_days"] == kinds["progress_interval"] == "integer"
    assert kinds["request_timeout"] == kinds["user_id"] == "integer"
    assert kinds["start_date"] == "date_iso8601"
    assert (kinds["inboxes"], kinds["closed"], kinds["stream_maps"]) == ("array", "boolean", "object")
    assert HUB.kind("x", {"type": ["number", "null"]}) == "decimal"
    assert HUB.kind("x", {"type": "string", "enum": ["a", "b"]}) == "options"


def test_a_schema_type_meltano_cannot_express_is_one_error_naming_the_setting() -> None:
    with pytest.raises(HUB.DefinitionError, match=r"^setting 'odd': cannot map JSON-schema type"):
        HUB.kind("odd", {"type": ["string", "integer"]})
    about = {"capabilities": [], "settings": {"properties": {"api_key": {"type": "string"}}}}
    with pytest.raises(
        HUB.DefinitionError, match="unknown settings: \\['api_secret_id', 'api_secret_key'\\]"
    ):
        HUB.definition(about, [])


def test_secrets_are_sensitive_and_the_credentials_are_a_pair_or_a_key() -> None:
    sensitive = {s["name"] for s in DEFINITION["settings"] if s.get("sensitive")}
    secret = {name for name, schema in ABOUT["settings"]["properties"].items() if schema.get("secret")}
    assert sensitive == secret == {"api_key", "api_secret_id", "api_secret_key"}
    assert DEFINITION["settings_group_validation"] == [["api_secret_id", "api_secret_key"], ["api_key"]]


def test_the_definition_carries_every_hub_field_and_selects_every_stream() -> None:
    for field in ("name", "namespace", "variant", "label", "description", "docs", "repo", "pip_url"):
        assert isinstance(DEFINITION[field], str) and DEFINITION[field], field
    assert DEFINITION["executable"] == "tap-heymarket"
    assert DEFINITION["keywords"] and DEFINITION["maintenance_status"] == "active"
    streams = {
        "conversations",
        "contacts",
        "inboxes",
        "messages",
        "surveys",
        "tags",
        "team_members",
        "templates",
    }
    assert DEFINITION["select"] == [f"{s}.*" for s in sorted(streams)]


def test_meltano_accepts_every_kind_and_reads_the_lock_file_as_the_same_definition() -> None:
    if not MELTANO_PYTHON.exists():
        if os.environ.get("CI") == "true":
            pytest.fail("Meltano is missing in CI: .ci/run must install it")
        pytest.skip("Meltano is not installed (run ./scripts/setup-meltano)")
    probe = (
        "import json, sys; from pathlib import Path;"
        "from meltano.core.setting_definition import SettingKind;"
        "from meltano.core.plugin.base import StandalonePlugin;"
        "lock = StandalonePlugin.parse(json.loads(Path(sys.argv[1]).read_text()));"
        "print(json.dumps([[k.value for k in SettingKind],"
        " [[s.name, s.kind.value, bool(s.sensitive)] for s in lock.settings], lock.extras.get('select')]))"
    )
    out = subprocess.run(
        [str(MELTANO_PYTHON), "-c", probe, str(HUB.LOCK)],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    ).stdout
    meltano_kinds, locked, select = json.loads(out)
    assert {s["kind"] for s in DEFINITION["settings"]} <= set(meltano_kinds)
    assert locked == [[s["name"], s["kind"], bool(s.get("sensitive"))] for s in DEFINITION["settings"]]
    assert select == DEFINITION["select"]


def test_readme_meltano_section_starts_with_the_one_command_install_from_this_definition() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("\n## Meltano\n", 1)[1]
    first_block = section.split("```bash\n", 1)[1].split("```", 1)[0].strip()
    assert section.lstrip().startswith("```bash\n")
    command, ref = first_block.split(" --from-ref ")
    assert command == "meltano add tap-heymarket"  # Meltano 4: the type comes from the definition
    owner_and_name = DEFINITION["repo"].removeprefix("https://github.com/")
    assert ref == f"https://raw.githubusercontent.com/{owner_and_name}/main/hub/{HUB.DEFINITION.name}"


def test_the_definition_installs_from_the_repository_it_names_not_an_unpublished_pypi_name() -> None:
    assert DEFINITION["repo"] == HUB.REPO
    assert DEFINITION["docs"] == f"{HUB.REPO}#readme"
    assert DEFINITION["pip_url"] == f"git+{HUB.REPO}.git"
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert f"`pip_url: {DEFINITION['pip_url']}`" in readme.split("\n## Meltano\n", 1)[1]


def test_a_tap_that_cannot_run_is_one_error_line_not_a_traceback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(sys, "executable", str(tmp_path / "python"))  # no tap-heymarket beside it
    assert HUB.main(["--check"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith(f"hub_definition: `{tmp_path}/tap-heymarket --about"), err
