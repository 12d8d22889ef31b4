"""``python -m tap_heymarket.sandbox``: serve a generated Heymarket account on localhost."""

from __future__ import annotations

import argparse
import contextlib
import signal
import sys
import threading

from tap_heymarket.sandbox.data import generate
from tap_heymarket.sandbox.http import serve
from tap_heymarket.sandbox.readings import parse_reading
from tap_heymarket.sandbox.server import SandboxAPI


def main(argv: list[str] | None = None) -> int:
    """Serve until interrupted; prints the URL and the demo credentials."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--conversations", type=int, default=2000)
    parser.add_argument("--inboxes", type=int, default=3)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--latency", type=float, default=0.0, help="seconds added per request")
    parser.add_argument("--page-size", type=int, default=30)
    parser.add_argument(
        "--reading",
        default="",
        help="how the cursor is read, e.g. precision=s,inclusive=true (see sandbox/readings.py)",
    )
    args = parser.parse_args(argv)
    api = SandboxAPI(
        generate(
            args.conversations,
            args.inboxes,
            seed=args.seed,
            contacts=args.conversations // 5,
            messages=args.conversations // 2,
        ),
        page_size=args.page_size,
    )
    api.latency = args.latency
    api.reading = parse_reading(args.reading)
    running = serve(api, args.host, args.port)
    print(f"Heymarket sandbox on {running.url} (api_key: sandbox-key)", flush=True)  # noqa: T201
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    with contextlib.suppress(KeyboardInterrupt):
        stop.wait()
    running.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
