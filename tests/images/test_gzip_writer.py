"""The parallel gzip writer: one standard member, any reader inflates it, reproducible output."""

from __future__ import annotations

import gzip
import io
import os
import random
import zlib

import pytest

from runtime.images import gzip_writer
from runtime.images.gunzip import GunzipReader
from runtime.images.gzip_writer import BLOCK, ParallelGzipWriter


def compress(pieces: list[bytes], level: int = 6, workers: int | None = None) -> bytes:
    out = io.BytesIO()
    w = ParallelGzipWriter(out, level, workers)
    for piece in pieces:
        w.write(piece)
    w.close()
    return out.getvalue()


def sample(size: int, seed: int = 1) -> bytes:
    rnd = random.Random(seed)  # text-like: compressible, with repeats across block boundaries
    words = [bytes(rnd.choice(b"abcdefghij") for _ in range(rnd.randint(2, 9))) for _ in range(500)]
    data = bytearray()
    while len(data) < size:
        data += rnd.choice(words) + b" "
        if rnd.random() < 0.01:
            data += os.urandom(64)
    return bytes(data[:size])


@pytest.mark.parametrize("size", [0, 1, BLOCK - 1, BLOCK, BLOCK + 1, 5 * BLOCK + 12345])
def test_round_trip_through_python_gzip_and_zlib(size: int) -> None:
    data = sample(size)
    blob = compress([data[i:i + 7000] for i in range(0, len(data), 7000)] or [b""])
    assert gzip.decompress(blob) == data
    d = zlib.decompressobj(31)  # one member: nothing is left after its end
    assert d.decompress(blob) == data and d.eof and d.unused_data == b""
    reader = GunzipReader(io.BytesIO(blob))
    assert b"".join(iter(lambda: reader.read(1 << 16), b"")) == data


def test_header_is_gzipfiles_for_mtime_zero_and_no_name() -> None:
    blob = compress([b"x" * 10])
    ref = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=ref, mtime=0, compresslevel=6) as g:
        g.write(b"x" * 10)
    assert blob[:10] == ref.getvalue()[:10]
    assert blob[-8:] == ref.getvalue()[-8:]  # CRC32 and size


def test_output_does_not_depend_on_threads_or_write_sizes() -> None:
    data = sample(3 * BLOCK + 999, seed=7)
    one = compress([data], workers=1)
    assert compress([data[i:i + 100_000] for i in range(0, len(data), 100_000)], workers=4) == one
    assert compress([data], workers=2) == one


def test_blocks_keep_the_ratio_of_one_stream() -> None:
    data = sample(8 * BLOCK, seed=3)
    serial = gzip.compress(data, compresslevel=6, mtime=0)
    assert len(compress([data])) <= len(serial) * 1.01  # the dictionaries carry the history over


def test_blocks_are_deflated_on_worker_threads(monkeypatch: pytest.MonkeyPatch) -> None:
    import threading

    seen: set[str] = set()
    real = gzip_writer._deflate

    def spy(*args: object) -> bytes:
        seen.add(threading.current_thread().name)
        return real(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(gzip_writer, "_deflate", spy)
    data = sample(4 * BLOCK)
    assert gzip.decompress(compress([data], workers=2)) == data
    assert any(name.startswith("gzip") for name in seen)


def test_abort_stops_the_workers() -> None:
    import threading

    before = {t.name for t in threading.enumerate()}
    w = ParallelGzipWriter(io.BytesIO(), 6, 2)
    w.write(sample(6 * BLOCK))
    w.abort()
    assert {t.name for t in threading.enumerate() if t.name.startswith("gzip")} - before == set()
