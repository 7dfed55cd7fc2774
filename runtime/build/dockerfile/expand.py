"""BuildKit's shell-word processing: quotes, escapes and variable substitution.

One word in, one word out (``expand``): single quotes are literal, double quotes allow
``$`` substitution and escape ``"``, ``$`` and the escape character; outside quotes the escape
character makes the next character literal. Substitutions: ``$V ${V}``; ``${V:-w} ${V-w}``
(default when unset-or-empty / unset), ``${V:+w} ${V+w}`` (alternative when set-and-non-empty /
set), ``${V:?msg} ${V?msg}`` (an error), ``${V#p} ${V##p} ${V%p} ${V%%p}`` (shortest / longest
prefix or suffix matching the glob ``p``), ``${V/p/r} ${V//p/r}`` (first / every match). An
unset variable expands to nothing; a ``$`` not followed by a name or ``{`` stays.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Mapping

from runtime.build.errors import DockerfileError

_NAME_START = re.compile(r"[A-Za-z_]")
_NAME_CHAR = re.compile(r"[A-Za-z0-9_]")


class _Lexer:
    def __init__(self, text: str, env: Mapping[str, str], escape: str, file: str, line: int) -> None:
        self.text, self.env, self.escape, self.file, self.line = text, env, escape, file, line

    def fail(self, message: str) -> DockerfileError:
        return DockerfileError(f"{message} in {self.text!r}", self.file, self.line)

    def word(self, i: int, stop: str = "") -> tuple[str, int]:
        """Process from ``i`` up to an unquoted character of ``stop`` (or the end)."""
        out: list[str] = []
        text, n = self.text, len(self.text)
        while i < n:
            c = text[i]
            if c in stop:
                return "".join(out), i
            if c == "'":
                end = text.find("'", i + 1)
                if end < 0:
                    raise self.fail("unexpected end of statement while looking for matching single-quote")
                out.append(text[i + 1:end])
                i = end + 1
            elif c == '"':
                part, i = self.double_quoted(i + 1)
                out.append(part)
            elif c == self.escape:
                if i + 1 < n:
                    out.append(text[i + 1])
                    i += 2
                else:
                    out.append(c)
                    i += 1
            elif c == "$":
                part, i = self.dollar(i)
                out.append(part)
            else:
                out.append(c)
                i += 1
        if stop:
            raise self.fail(f"missing '{stop[0]}'")
        return "".join(out), i

    def double_quoted(self, i: int) -> tuple[str, int]:
        out: list[str] = []
        text, n = self.text, len(self.text)
        while i < n:
            c = text[i]
            if c == '"':
                return "".join(out), i + 1
            if c == self.escape and i + 1 < n and text[i + 1] in ('"', "$", self.escape):
                out.append(text[i + 1])
                i += 2
            elif c == "$":
                part, i = self.dollar(i)
                out.append(part)
            else:
                out.append(c)
                i += 1
        raise self.fail("unexpected end of statement while looking for matching double-quote")

    def dollar(self, i: int) -> tuple[str, int]:
        text, n = self.text, len(self.text)
        if i + 1 >= n:
            return "$", i + 1
        if text[i + 1] == "{":
            return self.braced(i + 2)
        if not _NAME_START.match(text[i + 1]):
            return "$", i + 1
        j = i + 1
        while j < n and _NAME_CHAR.match(text[j]):
            j += 1
        return self.env.get(text[i + 1:j], ""), j

    def braced(self, i: int) -> tuple[str, int]:
        text, n = self.text, len(self.text)
        j = i
        while j < n and _NAME_CHAR.match(text[j]):
            j += 1
        name = text[i:j]
        if not name:
            raise self.fail("bad substitution")
        if j >= n:
            raise self.fail("missing '}'")
        value = self.env.get(name)
        c = text[j]
        if c == "}":
            return value or "", j + 1
        if c == ":" and j + 1 < n and text[j + 1] in "-+?":
            op, j = ":" + text[j + 1], j + 2
        elif c in "-+?":
            op, j = c, j + 1
        elif c in "#%":
            op = c * 2 if j + 1 < n and text[j + 1] == c else c
            j += len(op)
        elif c == "/":
            op = "//" if j + 1 < n and text[j + 1] == "/" else "/"
            j += len(op)
        else:
            raise self.fail(f"unsupported modifier ({c}) in substitution")
        if op in ("/", "//"):
            pattern, j = self.word(j, "/}")
            replacement = ""
            if text[j] == "/":
                replacement, j = self.word(j + 1, "}")
            return _replace(value or "", pattern, replacement, op == "//"), j + 1
        arg, j = self.word(j, "}")
        j += 1
        if op == ":-":
            return (value if value else arg), j
        if op == "-":
            return (value if value is not None else arg), j
        if op == ":+":
            return (arg if value else ""), j
        if op == "+":
            return (arg if value is not None else ""), j
        if op in (":?", "?"):
            if (op == ":?" and not value) or value is None:
                raise DockerfileError(f"{name}: {arg or 'is not allowed to be unset'}", self.file, self.line)
            return value, j
        return _trim(value or "", arg, op), j


def _trim(value: str, pattern: str, op: str) -> str:
    """``#``/``##``: shortest/longest matching prefix removed; ``%``/``%%``: suffix."""
    cuts = range(len(value) + 1)
    if op in ("#", "##"):
        order = reversed(cuts) if op == "##" else cuts
        for k in order:
            if fnmatch.fnmatchcase(value[:k], pattern):
                return value[k:]
        return value
    order = cuts if op == "%%" else reversed(cuts)
    for k in order:
        if fnmatch.fnmatchcase(value[k:], pattern):
            return value[:k]
    return value


def _replace(value: str, pattern: str, replacement: str, every: bool) -> str:
    if not pattern:
        return value
    out, i = [], 0
    while i < len(value):
        for end in range(len(value), i, -1):  # the longest match at i, as the shell does
            if fnmatch.fnmatchcase(value[i:end], pattern):
                out.append(replacement)
                i = end
                break
        else:
            out.append(value[i])
            i += 1
            continue
        if not every:
            out.append(value[i:])
            return "".join(out)
    return "".join(out)


def expand(word: str, env: Mapping[str, str], *, escape: str = "\\", file: str = "", line: int = 0) -> str:
    """One word with its quotes removed and its variables substituted, as BuildKit does."""
    result, _ = _Lexer(word, env, escape, file, line).word(0)
    return result


def split_words(text: str, escape: str = "\\") -> list[str]:
    """``text`` split at whitespace outside quotes, each word kept raw (quotes and escapes in
    place, for :func:`expand`): how ``ENV``/``LABEL``/``ARG`` name=value lists are read."""
    words: list[str] = []
    current: list[str] = []
    quote = ""
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if quote:
            current.append(c)
            if c == escape and quote == '"' and i + 1 < n:
                current.append(text[i + 1])
                i += 1
            elif c == quote:
                quote = ""
        elif c in " \t\r\n":
            if current:
                words.append("".join(current))
                current = []
        else:
            current.append(c)
            if c in "'\"":
                quote = c
            elif c == escape and i + 1 < n:
                current.append(text[i + 1])
                i += 1
        i += 1
    if current:
        words.append("".join(current))
    return words
