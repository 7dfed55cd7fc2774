"""The gzip reader that layers are unpacked through: members, padding, corruption."""

from __future__ import annotations

import gzip
import io
import os
import struct
import zlib

import pytest

from runtime.images.gunzip import GunzipReader


def read_all(data: bytes, size: int = 1 << 16) -> bytes:
    reader = GunzipReader(io.BytesIO(data))
    out = []
    while chunk := reader.read(size):
        assert len(chunk) <= size
        out.append(chunk)
    return b"".join(out)


def test_a_stream_reads_back_whole_in_pieces_of_the_asked_size() -> None:
    plain = os.urandom(3 << 20) + b"a" * (5 << 20)  # incompressible, then highly compressible
    assert read_all(gzip.compress(plain), size=10_240) == plain
    assert GunzipReader(io.BytesIO(gzip.compress(plain))).read() == plain


def test_concatenated_members_and_zero_padding_read_as_one_stream() -> None:
    data = gzip.compress(b"first ") + gzip.compress(b"second") + b"\x00" * 512
    assert read_all(data) == b"first second"
    assert read_all(gzip.compress(b"x") + b"\x00" * 3 + gzip.compress(b"y")) == b"xy"


def test_an_empty_stream_and_an_empty_member_read_as_nothing() -> None:
    assert read_all(b"") == b""
    assert read_all(gzip.compress(b"")) == b""


def test_a_wrong_crc_is_refused() -> None:
    data = bytearray(gzip.compress(b"payload" * 1000))
    crc = struct.unpack("<I", data[-8:-4])[0]
    data[-8:-4] = struct.pack("<I", crc ^ 1)
    with pytest.raises(zlib.error, match="incorrect data check"):
        read_all(bytes(data))


def test_a_truncated_stream_is_refused() -> None:
    data = gzip.compress(os.urandom(100_000))
    with pytest.raises(EOFError):
        read_all(data[: len(data) // 2])
    with pytest.raises(EOFError):
        read_all(data[:-4])  # the length of the trailer missing


def test_garbage_after_a_member_is_refused() -> None:
    with pytest.raises(zlib.error):
        read_all(gzip.compress(b"ok") + b"not gzip at all")


def test_readinto_fills_a_buffer() -> None:
    reader = GunzipReader(io.BytesIO(gzip.compress(b"hello world")))
    buf = bytearray(5)
    assert reader.readinto(buf) == 5 and bytes(buf) == b"hello"
