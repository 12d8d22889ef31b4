"""Read independent windows at once; hand their pages to one consumer, interruptibly.

Only the calling (main) thread emits messages and touches state: daemon worker threads fetch
and shape pages and put them on a bounded queue (memory stays flat however large the
account), and the consumer records each page's state right after emitting its records.

The main thread never blocks on the network: every request runs on a worker, and the
consumer waits on the queue in short slices, checking for a stop request (SIGTERM, SIGINT)
between them. Workers are daemon threads, so a stopped run exits at once even while a
request or a retry wait is in flight; nothing a worker holds has been emitted or recorded.
"""

from __future__ import annotations

import queue
import threading
import typing as t

T = t.TypeVar("T")
R = t.TypeVar("R")
POLL_SECONDS = 0.05


class _Done:
    pass


_DONE = _Done()


def interleave(
    producers: t.Sequence[t.Callable[[], t.Iterator[T]]],
    max_workers: int,
    check_stop: t.Callable[[], None] = lambda: None,
) -> t.Iterator[T]:
    """Items of every producer, at most ``max_workers`` producers running at once.

    ``check_stop`` is called between waits and raises to abandon the run; a producer's
    exception is raised in the consumer and stops the other producers at their next item.
    """
    pending: queue.SimpleQueue[t.Callable[[], t.Iterator[T]]] = queue.SimpleQueue()
    for produce in producers:
        pending.put(produce)
    workers = max(1, min(max_workers, len(producers)))
    items: queue.Queue[tuple[T | None, BaseException | None] | _Done] = queue.Queue(maxsize=2 * workers)
    stop = threading.Event()

    def put(item: tuple[T | None, BaseException | None] | _Done) -> bool:
        while not stop.is_set():
            try:
                items.put(item, timeout=POLL_SECONDS)
            except queue.Full:
                continue
            return True
        return False

    def work() -> None:
        while not stop.is_set():
            try:
                produce = pending.get_nowait()
            except queue.Empty:
                return
            try:
                for item in produce():
                    if not put((item, None)):
                        return
            except BaseException as exc:  # handed to the consumer, which re-raises it
                put((None, exc))
                return
            finally:
                put(_DONE)

    for number in range(workers):
        threading.Thread(target=work, name=f"walk-{number}", daemon=True).start()
    remaining = len(producers)
    try:
        while remaining:
            check_stop()
            try:
                entry = items.get(timeout=POLL_SECONDS)
            except queue.Empty:
                continue
            if isinstance(entry, _Done):
                remaining -= 1
                continue
            value, error = entry
            if error is not None:
                raise error
            yield t.cast("T", value)
    finally:
        stop.set()


def call_interruptibly(func: t.Callable[[], R], check_stop: t.Callable[[], None]) -> R:
    """``func()`` on a worker thread, the caller waiting interruptibly (see module docstring)."""
    return next(iter(interleave([lambda: iter([func()])], 1, check_stop)))
