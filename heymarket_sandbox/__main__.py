"""``heymarket-sandbox`` (or ``python -m heymarket_sandbox``): a generated Heymarket account on localhost.

It answers the API's documented endpoints the way the tap's tests read the reference, needs
no Heymarket account, and accepts two demo credentials: the legacy key ``sandbox-key`` and the
signed-JWT pair ``sandbox-id`` / ``sandbox-secret``. Sandbox-only endpoints under
``/_sandbox/`` change its data from outside, e.g. ``POST /_sandbox/touch {"ids": [...]}``
gives conversations new activity, for an incremental run to pick up.
"""

from __future__ import annotations

import argparse
import contextlib
import signal
import sys
import threading

from heymarket_sandbox.data import generate
from heymarket_sandbox.http import serve
from heymarket_sandbox.readings import parse_reading
from heymarket_sandbox.server import SandboxAPI


def parser() -> argparse.ArgumentParser:
    """The command line, every option described."""
    out = argparse.ArgumentParser(
        prog="heymarket-sandbox",
        description=__doc__.split("\n\n", 1)[1] if __doc__ else None,
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    out.add_argument("--host", default="127.0.0.1", help="address to listen on (keep it on loopback)")
    out.add_argument("--port", type=int, default=8765, help="TCP port (0: any free port, printed at start)")
    out.add_argument(
        "--conversations",
        type=int,
        default=2000,
        help="conversations in the account; contacts are a fifth of it, messages half",
    )
    out.add_argument("--messages", type=int, help="messages in the account (default: half the conversations)")
    out.add_argument("--inboxes", type=int, default=3, help="inboxes the conversations are spread over")
    out.add_argument(
        "--days",
        type=float,
        default=90,
        help="days every listing's records are spread over, ending about that long after 2024-01-01",
    )
    out.add_argument(
        "--aging",
        type=float,
        default=0.0,
        help="older conversations sparser: the oldest gap is 1 + AGING times the newest's (0: even)",
    )
    out.add_argument("--seed", type=int, default=7, help="random seed: the same seed, the same account")
    out.add_argument("--latency", type=float, default=0.0, help="seconds added to every response")
    out.add_argument("--page-size", type=int, default=30, help="records per page of each listing")
    out.add_argument(
        "--reading",
        default="",
        help="how the date cursor is read, e.g. precision=s,inclusive=true "
        "(fields of heymarket_sandbox/readings.py; empty: the reference's reading)",
    )
    return out


def main(argv: list[str] | None = None) -> int:
    """Serve until interrupted; prints the URL and the demo credentials."""
    args = parser().parse_args(argv)
    api = SandboxAPI(
        generate(
            args.conversations,
            args.inboxes,
            seed=args.seed,
            contacts=args.conversations // 5,
            messages=args.conversations // 2 if args.messages is None else args.messages,
            days=args.days,
            aging=args.aging,
        ),
        page_size=args.page_size,
    )
    api.latency = args.latency
    api.reading = parse_reading(args.reading)
    api.warm()
    running = serve(api, args.host, args.port)
    print(  # noqa: T201
        f"Heymarket sandbox on {running.url} "
        "(api_key: sandbox-key, or api_secret_id: sandbox-id with api_secret_key: sandbox-secret)",
        flush=True,
    )
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    with contextlib.suppress(KeyboardInterrupt):
        stop.wait()
    running.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
