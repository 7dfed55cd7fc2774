"""The short syntax of ``services.*.volumes``: ``[SOURCE:]TARGET[:OPTIONS]``.

Read as Docker Compose reads it: a source starting with ``.``, ``/``, ``~`` (or a
Windows drive or pipe) is a bind mount, any other source names a volume, no source
makes an anonymous volume. Options are ``ro``/``rw``, ``nocopy``, the SELinux labels
``z``/``Z`` and the bind propagations; other options are ignored, as Docker Compose
does. A ``${...}`` left in the spec is never split at its colons.
"""

from __future__ import annotations

import posixpath
from typing import Any

from compose.errors import ConfigError

PROPAGATIONS = ("rprivate", "private", "rshared", "shared", "rslave", "slave")
SELINUX = ("z", "Z")
_END = "\0"


class VolumeSyntaxError(ConfigError):
    """A volume spec that Docker Compose refuses; the message says why."""


def clean_path(path: str) -> str:
    """Go's ``path.Clean``: like ``posixpath.normpath`` but ``//x`` becomes ``/x``."""
    if not path:
        return "."
    cleaned = posixpath.normpath(path)
    return cleaned[1:] if cleaned.startswith("//") else cleaned


def _windows_drive(buffer: list[str], char: str) -> bool:
    return char == ":" and len(buffer) == 1 and buffer[0].isalpha()


def _is_file_path(source: str) -> bool:
    if not source:
        return False
    if source[0] in "./~" or source.startswith("\\\\"):
        return True
    return len(source) > 1 and _windows_drive([source[0]], source[1])


class _Volume:
    def __init__(self) -> None:
        self.source = ""
        self.target = ""
        self.read_only = False
        self.bind: dict[str, Any] | None = None
        self.volume: dict[str, Any] | None = None

    def take(self, char: str, buffer: list[str]) -> None:
        text = "".join(buffer)
        if not buffer:
            raise VolumeSyntaxError("empty section between colons")
        if not self.source and char == _END:
            self.target = text
            return
        if not self.source:
            self.source = text
            return
        if not self.target:
            self.target = text
            return
        if char == ":":
            raise VolumeSyntaxError("too many colons")
        for option in text.split(","):
            if option in ("ro", "rw"):
                self.read_only = option == "ro"
            elif option == "nocopy":
                self.volume = {"nocopy": True}
            elif option in PROPAGATIONS:
                self.bind = {**(self.bind or {}), "propagation": option}
            elif option in SELINUX:
                self.bind = {**(self.bind or {}), "selinux": option}

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if _is_file_path(self.source):
            out["type"] = "bind"
            self.bind = {**(self.bind or {}), "create_host_path": True}
        else:
            out["type"] = "volume"
            if self.volume is None:
                self.volume = {}
        if self.source:
            out["source"] = self.source
        if self.target:
            out["target"] = clean_path(self.target)
        if self.read_only:
            out["read_only"] = True
        if self.bind is not None:
            out["bind"] = self.bind
        if self.volume is not None:
            out["volume"] = self.volume
        return out


def parse_volume(spec: str) -> dict[str, Any]:
    """One short volume spec -> its long-syntax mapping."""
    if not spec:
        raise VolumeSyntaxError("empty volume spec")
    if len(spec) <= 2:
        return {"type": "volume", "target": clean_path(spec)}
    volume = _Volume()
    buffer: list[str] = []
    depth = 0
    text = spec + _END
    for i, char in enumerate(text):
        if char == "$" and i + 1 < len(spec) and spec[i + 1] == "{":
            depth += 1
            buffer.append(char)
            continue
        if char == "}" and depth > 0:
            depth -= 1
            buffer.append(char)
            continue
        if _windows_drive(buffer, char):
            buffer.append(char)
        elif char in (":", _END) and depth == 0:
            try:
                volume.take(char, buffer)
            except VolumeSyntaxError as exc:
                raise VolumeSyntaxError(f"invalid volume {spec!r}: {exc}") from None
            buffer = []
        else:
            buffer.append(char)
    return volume.as_dict()
