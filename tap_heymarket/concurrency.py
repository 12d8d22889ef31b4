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
#: Pages waiting for the consumer, however many producers: memory does not grow with them.
QUEUED_PAGES = 4


class _Done:
    pass


_DONE = _Done()


class Interleaver(t.Generic[T]):
    """Producers run on up to ``max_workers`` daemon threads; their items reach one consumer.

    More producers may be submitted while the consumer iterates (a window that splits hands
    its lower part over this way). ``check_stop`` is called between waits and raises to
    abandon the run; a producer's exception is raised in the consumer and stops the others.
    """

    def __init__(self, max_workers: int, check_stop: t.Callable[[], None] = lambda: None) -> None:
        self.max_workers = max(1, max_workers)
        self.check_stop = check_stop
        self._pending: queue.SimpleQueue[t.Callable[[], t.Iterator[T]]] = queue.SimpleQueue()
        self._items: queue.Queue[tuple[T | None, BaseException | None] | _Done] = queue.Queue(
            maxsize=QUEUED_PAGES
        )
        self._stop = threading.Event()
        self._failed = threading.Event()
        self._lock = threading.Lock()
        self._outstanding = 0  # submitted producers not yet finished
        self._workers = 0  # worker threads alive

    def close(self) -> None:
        """Stop every worker (the run is abandoned before its pages were consumed)."""
        self._stop.set()

    def submit(self, produce: t.Callable[[], t.Iterator[T]]) -> None:
        """Run ``produce`` when a worker is free (a new worker if fewer than the maximum)."""
        with self._lock:
            self._outstanding += 1
            self._pending.put(produce)
            if self._workers < self.max_workers:
                self._workers += 1
                threading.Thread(target=self._work, name=f"walk-{self._workers}", daemon=True).start()

    def _put(self, item: tuple[T | None, BaseException | None] | _Done) -> bool:
        while not self._stop.is_set():
            try:
                self._items.put(item, timeout=POLL_SECONDS)
            except queue.Full:
                continue
            return True
        return False

    def _work(self) -> None:
        while not self._stop.is_set() and not self._failed.is_set():
            with self._lock:
                try:
                    produce = self._pending.get_nowait()
                except queue.Empty:
                    self._workers -= 1
                    return
            try:
                for item in produce():
                    if not self._put((item, None)):
                        return
            except BaseException as exc:  # handed to the consumer, which re-raises it
                self._failed.set()  # no worker starts another producer: the run is over
                self._put((None, exc))
                return
            finally:
                self._put(_DONE)

    def __iter__(self) -> t.Iterator[T]:
        try:
            while True:
                with self._lock:
                    if self._outstanding == 0:
                        return
                self.check_stop()
                try:
                    entry = self._items.get(timeout=POLL_SECONDS)
                except queue.Empty:
                    continue
                if isinstance(entry, _Done):
                    with self._lock:
                        self._outstanding -= 1
                    continue
                value, error = entry
                if error is not None:
                    raise error
                yield t.cast("T", value)
        finally:
            self._stop.set()


def call_interruptibly(func: t.Callable[[], R], check_stop: t.Callable[[], None]) -> R:
    """``func()`` on a worker thread, the caller waiting interruptibly (see module docstring)."""
    pool: Interleaver[R] = Interleaver(1, check_stop)
    pool.submit(lambda: iter([func()]))
    return next(iter(pool))
