"""Container logs in Docker's json-file shape, with max-size/max-file rotation.

One JSON object per line: ``{"log": "text\\n", "stream": "stdout", "time": "...Z"}``; a line
longer than 16 KiB, or the unfinished tail at end of stream, is written without its newline,
as Docker does. ``LogWriter`` is used by the supervisor; ``read_logs`` by ``logs``.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

MAX_LINE = 16 * 1024


def timestamp(now: float | None = None) -> str:
    """RFC 3339 with nanoseconds in UTC, as Docker writes ``time``."""
    ns = time.time_ns() if now is None else int(now * 1e9)
    secs, frac = divmod(ns, 1_000_000_000)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(secs)) + f".{frac:09d}Z"


class LogWriter:
    """Appends entries to ``path``; rotates to ``path.1`` … ``path.<max_file-1>``."""

    def __init__(self, path: Path, *, max_size: int = 0, max_file: int = 1, enabled: bool = True) -> None:
        self.path = path
        self.max_size = max_size
        self.max_file = max(1, max_file)
        self.enabled = enabled
        self._partial: dict[str, bytes] = {}
        self._fd = -1
        self._size = 0
        if enabled:
            self._open()

    def _open(self) -> None:
        self._fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o640)
        self._size = os.fstat(self._fd).st_size

    def feed(self, stream: str, data: bytes) -> None:
        """Raw bytes read from the container's ``stream`` (stdout or stderr)."""
        if not self.enabled:
            return
        buffer = self._partial.get(stream, b"") + data
        while True:
            cut = buffer.find(b"\n")
            if cut < 0:
                break
            line, buffer = buffer[: cut + 1], buffer[cut + 1 :]
            while len(line) > MAX_LINE:
                self._write(stream, line[:MAX_LINE])
                line = line[MAX_LINE:]
            self._write(stream, line)
        while len(buffer) >= MAX_LINE:
            self._write(stream, buffer[:MAX_LINE])
            buffer = buffer[MAX_LINE:]
        self._partial[stream] = buffer

    def flush(self, stream: str) -> None:
        """End of ``stream``: write what is left without a newline."""
        rest = self._partial.pop(stream, b"")
        if rest and self.enabled:
            self._write(stream, rest)

    def _write(self, stream: str, chunk: bytes) -> None:
        entry = json.dumps({"log": chunk.decode("utf-8", "replace"), "stream": stream, "time": timestamp()},
                           ensure_ascii=False, separators=(",", ":"))
        raw = (entry + "\n").encode()
        if self.max_size and self._size and self._size + len(raw) > self.max_size:
            self._rotate()
        os.write(self._fd, raw)
        self._size += len(raw)

    def _rotate(self) -> None:
        os.close(self._fd)
        if self.max_file <= 1:
            os.truncate(self.path, 0)
        else:
            for i in range(self.max_file - 1, 0, -1):
                src = self.path if i == 1 else self.path.with_name(f"{self.path.name}.{i - 1}")
                if src.exists():
                    os.replace(src, self.path.with_name(f"{self.path.name}.{i}"))
        self._open()

    def close(self) -> None:
        for stream in list(self._partial):
            self.flush(stream)
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1


@dataclass(frozen=True)
class LogEntry:
    stream: str
    time: str
    text: str


def log_files(path: Path) -> list[Path]:
    """Oldest first: path.N … path.1, path."""
    rotated = sorted(path.parent.glob(path.name + ".*"), key=lambda p: -int(p.suffix[1:]) if p.suffix[1:].isdigit()
                     else 0)
    return [p for p in rotated if p.suffix[1:].isdigit()] + ([path] if path.exists() else [])


def read_logs(path: Path, *, tail: int | None = None) -> list[LogEntry]:
    entries: list[LogEntry] = []
    for file in log_files(path):
        entries.extend(_parse(file))
    if tail is not None:
        entries = entries[-tail:] if tail > 0 else []
    return entries


def _parse(file: Path) -> Iterator[LogEntry]:
    try:
        with open(file, encoding="utf-8") as f:
            for line in f:
                try:
                    obj = json.loads(line)
                except json.JSONDecodeError:
                    continue  # a torn last line of a killed writer
                yield LogEntry(obj.get("stream", "stdout"), obj.get("time", ""), obj.get("log", ""))
    except FileNotFoundError:
        return


def follow(path: Path, offset: int, inode: int = 0) -> tuple[list[LogEntry], int, int]:
    """Complete entries of ``path`` after byte ``offset``, the new offset and the file's inode.

    A different inode than ``inode`` means the file was rotated: it is read from its start."""
    try:
        with open(path, "rb") as f:
            current = os.fstat(f.fileno()).st_ino
            if inode and current != inode:
                offset = 0
            f.seek(offset)
            data = f.read()
    except FileNotFoundError:
        return [], 0, 0
    end = data.rfind(b"\n") + 1
    out: list[LogEntry] = []
    for line in data[:end].splitlines():
        try:
            obj = json.loads(line)
        except json.JSONDecodeError:
            continue
        out.append(LogEntry(obj.get("stream", "stdout"), obj.get("time", ""), obj.get("log", "")))
    return out, offset + end, current
