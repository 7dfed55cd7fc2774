"""The side-by-side runner of a pull's downloads and a push's uploads (pure logic)."""

from __future__ import annotations

import threading

import pytest

from runtime.registry.parallel import run_parallel


class Stopped(Exception):
    pass


def test_every_item_runs_and_stop_stays_clear() -> None:
    seen: list[int] = []
    lock = threading.Lock()

    def work(i: int) -> None:
        with lock:
            seen.append(i)

    stop = threading.Event()
    run_parallel(work, list(range(20)), 3, stop, "t")
    assert sorted(seen) == list(range(20)) and not stop.is_set()


def test_the_first_failure_is_raised_stop_is_set_and_queued_items_never_start() -> None:
    started: list[str] = []

    def work(item: str) -> None:
        started.append(item)
        if item == "bad":
            raise ValueError("denied")

    stop = threading.Event()
    with pytest.raises(ValueError, match="denied"):
        run_parallel(work, ["bad", "later", "later too"], 1, stop, "t")
    assert stop.is_set() and started == ["bad"]


def test_a_worker_that_gave_up_on_stop_does_not_hide_the_real_failure() -> None:
    stop = threading.Event()
    gave_up = threading.Event()

    def work(item: str) -> None:
        if item == "bad":
            raise ValueError("corrupt blob")
        assert stop.wait(30), "stop was never set"
        gave_up.set()
        raise Stopped()

    with pytest.raises(ValueError, match="corrupt blob"):
        run_parallel(work, ["slow", "bad"], 2, stop, "t", Stopped)
    assert gave_up.is_set()  # the running worker was waited for, and it saw stop
