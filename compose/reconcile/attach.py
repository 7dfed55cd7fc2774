"""An attached ``up``: each container's log lines with a coloured ``name  | `` prefix.

One worker thread per container follows its log (``Containers.follow_logs`` returns when the
container has stopped for good); the trio side waits for them, for ``--abort-on-container-exit``
and for Ctrl-C (first: stop gracefully; second: kill).
"""

from __future__ import annotations

import signal
import sys
import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TextIO

import trio

from compose.project_state import ContainerView

COLORS = ("36", "33", "32", "35", "34", "96", "93", "92", "95", "94")


@dataclass
class LogPrinter:
    width: int
    color: bool
    timestamps: bool = False
    prefix: bool = True
    out: TextIO = field(default_factory=lambda: sys.stdout)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def line(self, name: str, index: int, text: str, time: str = "") -> None:
        head = ""
        if self.prefix:
            label = f"{name:<{self.width}} | "
            head = f"\x1b[{COLORS[index % len(COLORS)]}m{label}\x1b[0m" if self.color else label
        stamp = f"{time} " if self.timestamps and time else ""
        with self.lock:
            self.out.write(f"{head}{stamp}{text.rstrip(chr(10))}\n")
            self.out.flush()

    def raw(self, text: str) -> None:
        with self.lock:
            self.out.write(text + "\n")
            self.out.flush()


@dataclass
class Attached:
    containers: list[ContainerView]
    follow: Callable[..., None]  # Containers.follow_logs(cid, emit, tail=...)
    printer: LogPrinter
    exit_code: Callable[[str], int]  # container ID -> exit code (after it stopped)
    exited: list[tuple[ContainerView, int]] = field(default_factory=list)
    # services others wait on with service_completed_successfully: their exit is expected, not a reason to abort
    one_shot: frozenset[str] = frozenset()
    # containers already running before this ``up``: only their new lines are shown
    new_lines_only: frozenset[str] = frozenset()

    async def _follow(self, c: ContainerView, index: int, done: trio.MemorySendChannel) -> None:
        def emit(entry: object) -> None:
            self.printer.line(c.log_name, index, getattr(entry, "text", ""), getattr(entry, "time", ""))

        tail = 0 if c.id in self.new_lines_only else None
        await trio.to_thread.run_sync(lambda: self.follow(c.id, emit, tail=tail), abandon_on_cancel=True)
        code = await trio.to_thread.run_sync(self.exit_code, c.id)
        self.printer.raw(f"{c.log_name} exited with code {code}")
        self.exited.append((c, code))
        await done.send((c, code))

    async def run(self, *, abort_on_exit: bool, on_interrupt: Callable[[bool], Awaitable[None]],
                  failures_only: bool = False) -> tuple[str, object]:
        """Until every container has stopped, or one exited (``abort_on_exit``; with
        ``failures_only``, exited with a non-zero code).

        Returns ("done"|"abort"|"interrupt", detail). Ctrl-C (or SIGTERM) runs
        ``on_interrupt(False)`` (stop gracefully) while the logs keep flowing; a second one
        runs ``on_interrupt(True)`` (kill).
        """
        send, recv = trio.open_memory_channel[tuple[ContainerView, int]](len(self.containers) + 1)
        result: tuple[str, object] = ("done", None)
        async with trio.open_nursery() as nursery:
            for i, c in enumerate(self.containers):
                nursery.start_soon(self._follow, c, i, send)

            async def watch_signals() -> None:
                nonlocal result
                with trio.open_signal_receiver(signal.SIGINT, signal.SIGTERM) as signals:
                    count = 0
                    async for _ in signals:
                        count += 1
                        result = ("interrupt", None)
                        nursery.start_soon(on_interrupt, count > 1)

            nursery.start_soon(watch_signals)
            left = len(self.containers)
            async for c, code in recv:
                left -= 1
                expected = code == 0 and (failures_only or c.service in self.one_shot)
                if abort_on_exit and not expected:
                    result = ("abort", (c, code))
                    break
                if left == 0:
                    break
            nursery.cancel_scope.cancel()
        return result


__all__ = ["COLORS", "Attached", "LogPrinter"]
