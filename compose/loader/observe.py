"""What the loader learns from the file system, and a way to check it again later.

Every question the loader asks the file system (does this path exist, is it a
directory, what does it resolve to, what is in this file) goes through the
functions here. While a :class:`Recorder` is active (``with recording() as rec``)
each question and its answer is noted; :func:`still_true` asks them all again and
says whether every answer is the same. That is what lets ``pycompose config``
reuse an earlier result exactly: same questions, same answers, same output.

A file's content is noted as the SHA-256 of its bytes (or the error reading it
gave). The recorder lives in a context variable, so nothing is shared between
threads or tasks, and without one the functions are plain ``os.path`` calls.

This module imports only the standard library: the cached path of ``config``
uses it without importing the loader.
"""

from __future__ import annotations

import contextlib
import contextvars
import hashlib
import io
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

__all__ = ["Recorder", "exists", "isdir", "isfile", "read_text", "realpath", "recording", "still_true"]

# (question, path, answer): answers are JSON scalars so that an entry can be stored as JSON.
Observation = tuple[str, str, "bool | str"]


@dataclass
class Recorder:
    """The questions asked while loading, in order, with their answers."""

    observations: list[Observation] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)  # what the command printed to stderr

    def note(self, question: str, path: str, answer: bool | str) -> None:
        self.observations.append((question, path, answer))


_ACTIVE: contextvars.ContextVar[Recorder | None] = contextvars.ContextVar("pycompose_loader_recorder", default=None)


@contextlib.contextmanager
def recording() -> Iterator[Recorder]:
    """Note every file-system question asked inside the ``with`` block."""
    recorder = Recorder()
    token = _ACTIVE.set(recorder)
    try:
        yield recorder
    finally:
        _ACTIVE.reset(token)


def active() -> Recorder | None:
    return _ACTIVE.get()


def _content(path: str) -> tuple[bytes | None, str]:
    """The bytes of ``path`` and their digest, or ``None`` and the error's name."""
    try:
        with open(path, "rb") as stream:
            data = stream.read()
    except OSError as exc:
        return None, f"error:{exc.errno}"
    return data, hashlib.sha256(data).hexdigest()


def _realpath(path: str) -> str:
    return os.path.realpath(path)


# question -> how to ask it again; each returns the answer as it is noted.
_QUESTIONS = {
    "exists": os.path.exists,
    "isdir": os.path.isdir,
    "isfile": os.path.isfile,
    "realpath": _realpath,
    "content": lambda path: _content(path)[1],
}


def _ask(question: str, path: str) -> bool | str:
    answer = _QUESTIONS[question](path)
    recorder = _ACTIVE.get()
    if recorder is not None:
        recorder.note(question, path, answer)
    return answer


def exists(path: str) -> bool:
    return bool(_ask("exists", path))


def isdir(path: str) -> bool:
    return bool(_ask("isdir", path))


def isfile(path: str) -> bool:
    return bool(_ask("isfile", path))


def realpath(path: str) -> str:
    return str(_ask("realpath", path))


def read_text(path: str, *, encoding: str = "utf-8", errors: str = "strict") -> str:
    """The text of ``path`` as ``open(path, encoding=..., errors=...).read()`` gives it
    (same newline translation, same exceptions), its content noted when recording."""
    data, digest = _content(path)
    recorder = _ACTIVE.get()
    if recorder is not None:
        recorder.note("content", path, digest)
    if data is None:
        with open(path, encoding=encoding, errors=errors) as stream:  # raises the same error again
            return stream.read()
    return io.TextIOWrapper(io.BytesIO(data), encoding=encoding, errors=errors).read()


def still_true(observations: Sequence[Sequence[object]]) -> bool:
    """Whether every noted question gets the same answer now (``False`` for anything malformed)."""
    try:
        for question, path, answer in observations:
            ask = _QUESTIONS.get(question) if isinstance(question, str) else None
            if ask is None or not isinstance(path, str) or ask(path) != answer:
                return False
    except (TypeError, ValueError, OSError):
        return False
    return True
