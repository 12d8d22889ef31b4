"""The singer-sdk's standard tap tests, run against a sandbox account.

The SDK's final-state test cannot fail, so our own final-state tests live in
``test_incremental_streams.py``; this suite adds the SDK's discovery, sync and schema checks.
"""

from __future__ import annotations

from singer_sdk.testing import SuiteConfig, get_tap_test_class

from heymarket_sandbox import SandboxAPI, generate, serve
from tap_heymarket.tap import TapHeymarket
from tests.harness import config_for

# One account for the whole class; the server thread is a daemon and ends with pytest.
_SANDBOX = serve(SandboxAPI(generate(240, 2, contacts=60, messages=90, seed=5)))

TestTapHeymarket = get_tap_test_class(
    tap_class=TapHeymarket,
    config=config_for(_SANDBOX.url),
    suite_config=SuiteConfig(max_records_limit=None),
)
