"""A Heymarket-compatible API on localhost: the tests' stand-in and the no-credential demo.

It implements the documented semantics (newest first, a strictly-"before" cursor, open and
closed views, bearer auth with keys or HS256 JWTs, a fixed page size, ``X-Request-Id`` on
every response) over generated data with ties and mixed spellings, and can inject faults.

A package of its own beside ``tap_heymarket`` (same distribution, console script
``heymarket-sandbox``), so the tap's package holds only the tap. It uses two public modules of
the tap on purpose: :mod:`tap_heymarket.clock`, so a test that advances the tap's clock
advances the server's too, and :mod:`tap_heymarket.timestamps`, to read the ``date`` cursor.
"""

from heymarket_sandbox.data import Dataset, generate
from heymarket_sandbox.http import serve
from heymarket_sandbox.server import Fault, SandboxAPI

__all__ = ["Dataset", "Fault", "SandboxAPI", "generate", "serve"]
