"""Under real Meltano the log is quiet too: METRIC lines go to a file, not one stderr line each.

Meltano hands every SDK plugin a logging config of its own through ``SINGER_SDK_LOG_CONFIG``
(root logger at INFO on stderr), which replaces the tap's default, so without more every
request's METRIC line reached ``meltano run``'s log. The project's ``meltano.yml`` points that
variable at the config the wheel installs in the plugin's virtualenv
(``tap_heymarket/meltano_logging.yaml``), as README's "Logs" paragraph tells a project of one's own to.
"""

from __future__ import annotations

import json
import typing as t
from pathlib import Path

import pytest
import yaml

from heymarket_sandbox import SandboxAPI, generate
from tests.readme_blocks import ROOT, blocks, section
from tests.warehouse import meltano_run

pytestmark = pytest.mark.warehouse
METRICS = ROOT / "tap-heymarket-metrics.log"
NOT_RESUMABLE = "Stream is assumed to be unsorted, progress is not resumable if interrupted"


def _durations() -> list[str]:
    lines = METRICS.read_text(encoding="utf-8").splitlines() if METRICS.exists() else []
    return [line for line in lines if '"metric":"http_request_duration"' in line]


def test_meltano_run_writes_no_metric_line_to_its_log_and_every_one_to_the_metrics_file(
    tmp_path: Path, start_sandbox: t.Callable[..., t.Any]
) -> None:
    api = SandboxAPI(generate(300, 3, contacts=60, messages=150, seed=3))
    before = len(_durations())
    env = {"TARGET_JSONL_DESTINATION_PATH": str(tmp_path)}
    done = meltano_run("target-jsonl", start_sandbox(api).url, tmp_path, env)
    log = done.stdout + done.stderr
    tap_lines = [line for line in log.splitlines() if " tap-heymarket " in line]
    assert not [line for line in tap_lines if "METRIC" in line]
    assert NOT_RESUMABLE not in log and "Logging config file not found" not in log
    assert any("conversations: " in line and "(done)" in line for line in tap_lines), log[-3000:]
    assert len(tap_lines) < 40, "\n".join(tap_lines)
    assert len(_durations()) - before == len(api.requests)  # routed, none dropped
    assert all(json.loads(line.split("METRIC: ", 1)[1])["type"] == "timer" for line in _durations()[before:])


def test_readme_names_the_same_logging_config_for_a_project_of_ones_own() -> None:
    project = yaml.safe_load((ROOT / "meltano.yml").read_text(encoding="utf-8"))
    (dev,) = project["environments"]
    (extractor,) = dev["config"]["plugins"]["extractors"]
    path = extractor["env"]["SINGER_SDK_LOG_CONFIG"]
    assert path.endswith("/share/tap-heymarket/meltano_logging.yaml")
    logs = section("Configure").split("**Logs.**", 1)[1]
    (recipe,) = blocks(logs, "yaml")
    (documented,) = yaml.safe_load(recipe)
    assert documented == {"name": "tap-heymarket", "env": {"SINGER_SDK_LOG_CONFIG": path}}
