"""Read independent slices at once, hand their pages to one consumer in arrival order.

Only the calling thread emits messages and touches state: workers fetch and shape pages and
put them on a bounded queue (so memory stays flat however large the account), and the
consumer records each page's state right after emitting its records. A worker's exception
stops the others at their next page and is raised in the consumer.
"""

from __future__ import annotations

import queue
import threading
import typing as t
from concurrent.futures import ThreadPoolExecutor

T = t.TypeVar("T")
_POLL_SECONDS = 0.1


class _Done:
    pass


_DONE = _Done()


def interleave(
    producers: t.Sequence[t.Callable[[], t.Iterator[T]]],
    max_workers: int,
) -> t.Iterator[T]:
    """Items of every producer, at most ``max_workers`` producers running at once."""
    if max_workers <= 1 or len(producers) <= 1:
        for produce in producers:
            yield from produce()
        return

    items: queue.Queue[tuple[T | None, BaseException | None] | _Done] = queue.Queue(maxsize=2 * max_workers)
    stop = threading.Event()

    def put(item: tuple[T | None, BaseException | None] | _Done) -> bool:
        while not stop.is_set():
            try:
                items.put(item, timeout=_POLL_SECONDS)
            except queue.Full:
                continue
            return True
        return False

    def run(produce: t.Callable[[], t.Iterator[T]]) -> None:
        try:
            if stop.is_set():
                return
            for item in produce():
                if not put((item, None)):
                    return
        except BaseException as exc:
            put((None, exc))
        finally:
            put(_DONE)

    with ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="slice") as pool:
        for produce in producers:
            pool.submit(run, produce)
        remaining = len(producers)
        try:
            while remaining:
                entry = items.get()
                if isinstance(entry, _Done):
                    remaining -= 1
                    continue
                value, error = entry
                if error is not None:
                    raise error
                yield t.cast("T", value)
        finally:
            stop.set()
