"""A Heymarket-compatible API on localhost: the tests' stand-in and the no-credential demo.

It implements the documented semantics (newest first, a strictly-"before" cursor, open and
closed views, bearer auth with keys or HS256 JWTs, a fixed page size, ``X-Request-Id`` on
every response) over generated data with ties and mixed spellings, and can inject faults.
"""

from tap_heymarket.sandbox.data import Dataset, generate
from tap_heymarket.sandbox.http import serve
from tap_heymarket.sandbox.server import Fault, SandboxAPI

__all__ = ["Dataset", "Fault", "SandboxAPI", "generate", "serve"]
