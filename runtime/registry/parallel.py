"""Blobs handled side by side (a pull's downloads, a push's uploads), the first failure wins."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait
from typing import TypeVar

T = TypeVar("T")


def run_parallel(work: Callable[[T], None], items: Sequence[T], workers: int, stop: threading.Event,
                 name: str, stopped: type[BaseException] | None = None) -> None:
    """``work(item)`` for every item in up to ``workers`` threads. On the first failure (or
    Ctrl-C) ``stop`` is set, so the others give up at their next step, the queued ones never
    start, and that failure is raised; ``stopped`` is what a worker raises when it saw ``stop``
    (never the failure to report)."""
    with ThreadPoolExecutor(max_workers=max(1, min(workers, len(items))), thread_name_prefix=name) as pool:
        futures = [pool.submit(work, item) for item in items]
        try:
            _done, pending = wait(futures, return_when=FIRST_EXCEPTION)
        except BaseException:  # Ctrl-C
            stop.set()
            raise
        for future in pending:
            future.cancel()
        errors = [f.exception() for f in futures if f.done() and not f.cancelled() and f.exception() is not None]
        real = [e for e in errors if stopped is None or not isinstance(e, stopped)]
        if real:
            stop.set()
            raise real[0]
