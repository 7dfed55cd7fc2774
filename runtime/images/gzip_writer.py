"""gzip of a stream with its blocks deflated side by side (as pigz does): one standard member.

The input is cut into blocks of :data:`BLOCK` bytes. Each block is deflated by a worker
thread on its own, primed with the last 32 KiB of the block before it as the dictionary, and
ended by a sync flush (the last one by ``Z_FINISH``), so the pieces, written in order, form
one ordinary deflate stream: a reader sees a single gzip member and needs no dictionary (the
back-references point into output it has already produced). zlib lets go of the GIL while it
deflates, so a layer of several MiB is compressed on every core instead of one; a small one is
deflated in the caller's thread. The output depends only on the input and the level (the
block size is fixed): reproducible, as a layer blob must be. The header is the one
``gzip.GzipFile`` writes for ``mtime=0`` and no file name.
"""

from __future__ import annotations

import os
import struct
import zlib
from collections import deque
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from concurrent.futures import Future, ThreadPoolExecutor

BLOCK = 256 << 10
WINDOW = 32 << 10
MAX_WORKERS = 4


class Sink(Protocol):
    def write(self, data: bytes, /) -> object: ...


def _deflate(level: int, block: bytes, window: bytes, last: bool) -> bytes:
    if window:
        c = zlib.compressobj(level, zlib.DEFLATED, -zlib.MAX_WBITS, zlib.DEF_MEM_LEVEL, zlib.Z_DEFAULT_STRATEGY, window)
    else:
        c = zlib.compressobj(level, zlib.DEFLATED, -zlib.MAX_WBITS, zlib.DEF_MEM_LEVEL)
    return c.compress(block) + c.flush(zlib.Z_FINISH if last else zlib.Z_SYNC_FLUSH)


class ParallelGzipWriter:
    """``write`` bytes, then ``close`` (which writes the trailer; ``out`` stays open)."""

    def __init__(self, out: Sink, level: int = 6, workers: int | None = None) -> None:
        self.out = out
        self.level = level
        self.workers = workers or max(1, min(MAX_WORKERS, os.cpu_count() or 1))
        self.buffer = bytearray()
        self.window = b""
        self.crc = 0
        self.size = 0
        self.pending: deque[Future[bytes]] = deque()
        self.pool: ThreadPoolExecutor | None = None
        xfl = 2 if level == 9 else 4 if level == 1 else 0
        out.write(b"\x1f\x8b\x08\x00" + struct.pack("<I", 0) + bytes((xfl, 255)))

    def write(self, data: bytes | bytearray | memoryview) -> int:
        self.crc = zlib.crc32(data, self.crc)
        self.size += len(data)
        self.buffer += data
        while len(self.buffer) > BLOCK:  # more is coming or may come: the block is not the last
            block = bytes(self.buffer[:BLOCK])
            del self.buffer[:BLOCK]
            self._submit(block, last=False)
        return len(data)

    def _submit(self, block: bytes, last: bool) -> None:
        window, self.window = self.window, block[-WINDOW:]
        if self.workers == 1 or (last and not self.pending):
            self.out.write(_deflate(self.level, block, window, last))
            return
        if self.pool is None:
            from concurrent.futures import ThreadPoolExecutor  # with logging: only when a layer is large

            self.pool = ThreadPoolExecutor(self.workers, thread_name_prefix="gzip")
        self.pending.append(self.pool.submit(_deflate, self.level, block, window, last))
        while len(self.pending) > 2 * self.workers:  # bounded: a few blocks in flight
            self.out.write(self.pending.popleft().result())
        if last:
            while self.pending:
                self.out.write(self.pending.popleft().result())

    def close(self) -> None:
        try:
            self._submit(bytes(self.buffer), last=True)
            self.buffer.clear()
            self.out.write(struct.pack("<II", self.crc, self.size & 0xFFFFFFFF))
        finally:
            self.abort()

    def abort(self) -> None:
        """Stop the workers (nothing more is written)."""
        for future in self.pending:
            future.cancel()
        self.pending.clear()
        if self.pool is not None:
            self.pool.shutdown(wait=True)
            self.pool = None
