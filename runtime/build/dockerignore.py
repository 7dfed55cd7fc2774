""".dockerignore with Docker's matching rules (moby's patternmatcher).

* One pattern a line; blank lines and lines starting with ``#`` are skipped; surrounding
  blanks trimmed; a leading ``!`` makes an exception; each pattern is cleaned as Go's
  ``filepath.Clean`` does and a leading ``/`` dropped (patterns are relative to the context).
* ``*`` matches any run of characters but ``/``, ``?`` one such character, ``[...]`` a class,
  ``\\`` escapes; ``**`` matches any number of directories (none included).
* A path is excluded when the last pattern that matches it, or one of its parent
  directories, is not an exception: patterns are read in order, an exception re-includes.
* ``<Dockerfile>.dockerignore`` next to the Dockerfile is used instead of the context's
  ``.dockerignore`` when it exists (BuildKit).
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class _Pattern:
    text: str
    exclusion: bool
    regex: re.Pattern[str]
    dirs: tuple[str, ...]


def clean(path: str) -> str:
    """Go's ``filepath.Clean`` on a slash path, without the leading slash."""
    cleaned = posixpath.normpath(path)
    if cleaned.startswith("//"):
        cleaned = cleaned[1:]
    cleaned = cleaned.lstrip("/") if len(cleaned) > 1 else cleaned
    return cleaned or "."


def _compile(pattern: str) -> re.Pattern[str]:
    out = ["^"]
    i, n = 0, len(pattern)
    while i < n:
        c = pattern[i]
        if c == "*":
            if i + 1 < n and pattern[i + 1] == "*":
                i += 2
                if i < n and pattern[i] == "/":
                    i += 1
                out.append(".*" if i >= n else "(.*/)?")
                continue
            out.append("[^/]*")
        elif c == "?":
            out.append("[^/]")
        elif c == "\\" and i + 1 < n:
            out.append(re.escape(pattern[i + 1]))
            i += 1
        elif c == "[":
            end = pattern.find("]", i + 2 if i + 1 < n and pattern[i + 1] in "!^" else i + 1)
            if end < 0:
                out.append(re.escape(c))
            else:
                body = pattern[i + 1:end]
                if body.startswith("!"):
                    body = "^" + body[1:]
                out.append(f"[{body}]")
                i = end
        else:
            out.append(re.escape(c))
        i += 1
    out.append("$")
    return re.compile("".join(out), re.DOTALL)


def read_patterns(text: str) -> list[str]:
    out = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        exclusion = line.startswith("!")
        body = line[1:].strip() if exclusion else line
        if not body:
            continue
        body = clean(body)
        out.append(f"!{body}" if exclusion else body)
    return out


class IgnoreMatcher:
    def __init__(self, patterns: list[_Pattern]) -> None:
        self.patterns = patterns
        self.has_exceptions = any(p.exclusion for p in patterns)

    @classmethod
    def from_patterns(cls, patterns: Iterable[str]) -> IgnoreMatcher:
        compiled = []
        for text in patterns:
            exclusion = text.startswith("!")
            body = clean(text[1:] if exclusion else text)
            compiled.append(_Pattern(text, exclusion, _compile(body), tuple(body.split("/"))))
        return cls(compiled)

    @classmethod
    def load(cls, context: Path, dockerfile: Path | None = None) -> IgnoreMatcher:
        candidates = []
        if dockerfile is not None:
            candidates.append(dockerfile.with_name(dockerfile.name + ".dockerignore"))
        candidates.append(context / ".dockerignore")
        for candidate in candidates:
            try:
                return cls.from_patterns(read_patterns(candidate.read_text(errors="replace")))
            except (FileNotFoundError, NotADirectoryError):
                continue
        return cls([])

    def excluded(self, relpath: str) -> bool:
        path = clean(relpath)
        if path == "." or not self.patterns:
            return False
        parents = path.split("/")[:-1]
        matched = False
        for pattern in self.patterns:
            if pattern.exclusion != matched:
                continue
            hit = bool(pattern.regex.match(path))
            if not hit:
                for k in range(1, len(parents) + 1):
                    if pattern.regex.match("/".join(parents[:k])):
                        hit = True
                        break
            if hit:
                matched = not pattern.exclusion
        return matched

    def may_contain_included(self, reldir: str) -> bool:
        """Whether an excluded directory may still hold something an exception re-includes
        (so that a walk must enter it)."""
        if not self.has_exceptions:
            return False
        parts = clean(reldir).split("/")
        for pattern in self.patterns:
            if not pattern.exclusion:
                continue
            for mine, theirs in zip(parts, pattern.dirs, strict=False):
                if "*" in theirs and theirs.startswith("**"):
                    return True
                if not _compile(theirs).match(mine):
                    break
            else:
                return True
        return False
