"""A gzip stream reader that works in large pieces.

Python 3.11's :class:`gzip.GzipFile` reads its source 8 KiB at a time and checks the CRC in
Python, so unpacking a 200 MB layer costs ~25,000 turns of an interpreted loop. zlib itself
parses gzip headers and verifies each member's CRC-32 and length when given ``wbits=31``
(``inflate`` fails with "incorrect data check" otherwise), so this reader only feeds it 1 MiB
pieces, starts a new decompressor for each further member (a concatenation of gzip members is
one gzip stream) and skips the zero padding some tools append, as :mod:`gzip` does.
"""

from __future__ import annotations

import io
import zlib
from typing import BinaryIO

PIECE = 1 << 20


class GunzipReader(io.RawIOBase):
    """The decompressed bytes of the gzip stream ``raw``; raises ``zlib.error`` or EOFError when
    it is corrupt or truncated."""

    def __init__(self, raw: BinaryIO) -> None:
        self.raw = raw
        self._inflate = zlib.decompressobj(31)
        self._pending = b""  # compressed input not yet given to the decompressor
        self._member = False  # inside a member (its header has been seen)
        self._done = False

    def readable(self) -> bool:
        return True

    def readinto(self, buf: bytearray | memoryview) -> int:  # type: ignore[override]
        data = self.read(len(buf))
        buf[: len(data)] = data
        return len(data)

    def read(self, size: int = -1) -> bytes:
        if size is None or size < 0:
            return b"".join(iter(lambda: self.read(PIECE), b""))
        while not self._done:
            if self._inflate.unconsumed_tail:
                out = self._inflate.decompress(self._inflate.unconsumed_tail, size)
            else:
                if not self._pending:
                    self._pending = self.raw.read(PIECE)
                    if not self._pending:
                        if self._member:
                            raise EOFError("compressed file ended before the end-of-stream marker was reached")
                        self._done = True
                        return b""
                if not self._member:
                    self._pending = self._pending.lstrip(b"\x00")  # padding between or after members
                    if not self._pending:
                        continue
                    self._member = True
                out = self._inflate.decompress(self._pending, size)
                self._pending = b""
            if self._inflate.eof:
                self._pending = self._inflate.unused_data
                self._inflate = zlib.decompressobj(31)
                self._member = False
            if out:
                return out
        return b""
