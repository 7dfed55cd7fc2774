"""``.env`` files, read with Docker Compose's rules.

One ``KEY=VALUE`` (or ``KEY: VALUE``) per statement:

* blank lines and lines starting with ``#`` are skipped; ``export KEY=...`` is allowed;
* a key is letters, digits, ``_ . - [ ]``; a bare ``KEY`` line takes the value from the
  environment (and is skipped when the environment does not have it);
* unquoted values end at the line end or at `` #``, trailing blanks dropped, and ``$``
  expressions in them are substituted;
* ``'single'`` quoted values are literal (they may span lines);
* ``"double"`` quoted values may span lines, understand ``\\n \\t \\" \\\\ \\$`` and
  friends, and are substituted;
* a value may use variables of the environment first, then those defined earlier
  in the same file or in an earlier file of the same list.

Errors are :class:`ConfigError` naming the file and the line.
"""

from __future__ import annotations

import os
import re
import unicodedata
from collections.abc import Iterable, Mapping

from compose.errors import ConfigError, InterpolationError
from compose.loader import observe, template

__all__ = ["FORMATS", "parse", "parse_format", "parse_raw", "read_env_files"]

_EXPORT = re.compile(r"^export\s+")
_ESCAPE = re.compile(r'(\\(?:[abcfnrtv$"\\]|0\d{0,3}))')
_SIMPLE_ESCAPES = {
    "a": "\a", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v",
    '"': '"', "\\": "\\",
}  # fmt: skip
_BLANK = "\t\v\f\r \x85\xa0"  # blanks inside a line (never the newline)


class _Error(Exception):
    """A syntax error at a line of the file being read."""


def _is_key_char(char: str) -> bool:
    return char in "_.-[]" or unicodedata.category(char)[0] in "LN"


def _unescape(match: re.Match[str]) -> str:
    text = match.group(0)
    if text == "\\$":
        return "$$"
    if text.startswith("\\0"):
        text = "\\" + text[2:]
        digits = text[1:]
        if len(digits) == 3 and all(c in "01234567" for c in digits) and int(digits, 8) < 256:
            return chr(int(digits, 8))
        return text
    return _SIMPLE_ESCAPES.get(text[1:], text)


class _Parser:
    def __init__(self, lookup: template.Lookup) -> None:
        self.line = 1
        self.lookup = lookup

    def statement_start(self, src: str) -> str:
        while True:
            pos = -1
            for i, char in enumerate(src):
                if char == "\n":
                    self.line += 1
                if not char.isspace():
                    pos = i
                    break
            if pos == -1:
                return ""
            src = src[pos:]
            if src[0] != "#":
                return src
            newline = src.find("\n")
            if newline == -1:
                return ""
            src = src[newline:]

    def key(self, src: str) -> tuple[str, str, bool]:
        if _EXPORT.match(src):
            src = src[len("export") :].lstrip(_BLANK)
        key, offset, inherited = "", 0, False
        for i, char in enumerate(src):
            if char in _BLANK:
                continue
            if char in "=:\n":
                key, offset, inherited = src[:i], i + 1, char == "\n"
                break
            if not _is_key_char(char):
                first = src.split("\n", 1)[0]
                raise _Error(f"line {self.line}: unexpected character {char!r} in variable name {first!r}")
        if not src:
            raise _Error("zero length string")
        if inherited and " " not in key:
            self.line += 1
        return key.rstrip(), src[offset:].lstrip(_BLANK), inherited

    def value(self, src: str, found: Mapping[str, str]) -> tuple[str, str]:
        if not src or src[0] not in "\"'":
            value, _, rest = src.partition("\n")
            self.line += 1
            value = value.split(" #", 1)[0].rstrip()
            return self.expand(value, found), rest
        quote = src[0]
        escaped = False
        chars: list[str] = []
        for i in range(1, len(src)):
            char = src[i]
            if char == "\n":
                self.line += 1
            if char != quote:
                if not escaped and char == "\\":
                    escaped = True
                    continue
                if escaped:
                    escaped = False
                    chars.append("\\")
                chars.append(char)
                continue
            if escaped:
                escaped = False
                chars.append(char)
                continue
            value = "".join(chars)
            if quote == '"':
                value = self.expand(_ESCAPE.sub(_unescape, value), found)
            return value, src[i + 1 :]
        first = src.split("\n", 1)[0]
        raise _Error(f"line {self.line}: unterminated quoted value {first}")

    def expand(self, value: str, found: Mapping[str, str]) -> str:
        def lookup(name: str) -> str | None:
            value = self.lookup(name)
            return value if value is not None else found.get(name)

        try:
            return template.substitute(value, lookup)
        except InterpolationError as exc:
            raise _Error(f"line {self.line}: {exc.message}") from None

    def parse(self, src: str, out: dict[str, str]) -> None:
        while True:
            src = self.statement_start(src)
            if not src:
                return
            key, rest, inherited = self.key(src)
            if " " in key:
                raise _Error(f"line {self.line}: key cannot contain a space")
            if inherited:
                value = self.lookup(key)
                if value is not None:
                    out[key] = value
                src = rest
                continue
            out[key], src = self.value(rest, out)


def parse(text: str, lookup: template.Lookup | None = None, *, into: dict[str, str] | None = None,
          file: str | None = None) -> dict[str, str]:
    """The variables of one ``.env`` text; ``lookup`` gives outside values (``None`` if unset)."""
    out = into if into is not None else {}
    text = text.removeprefix("\ufeff")
    try:
        _Parser(lookup or (lambda _name: None)).parse(text, out)
    except _Error as exc:
        raise ConfigError(f"failed to read env file: {exc}", file=file) from None
    return out


def parse_raw(text: str, lookup: template.Lookup | None = None, *, into: dict[str, str] | None = None,
              file: str | None = None) -> dict[str, str]:
    """``env_file`` with ``format: raw``: ``docker run --env-file`` lines, taken literally.

    Leading blanks and ``#`` lines are skipped; everything after the first ``=`` is the
    value, untouched; a bare ``KEY`` takes the value from ``lookup`` when it has one.
    """
    out = into if into is not None else {}
    for number, raw in enumerate(text.removeprefix("\ufeff").split("\n"), start=1):
        line = raw.removesuffix("\r").lstrip()
        if not line or line.startswith("#"):
            continue
        key, sep, value = line.partition("=")
        if not key:
            raise ConfigError(f"failed to parse env_file: no variable name on line '{line}'", file=file, line=number)
        if " " in key or "\t" in key:
            raise ConfigError(f"failed to parse env_file: variable '{key}' contains whitespaces", file=file,
                              line=number)
        if sep:
            out[key] = value
        elif lookup is not None and (found := lookup(key)) is not None:
            out[key] = found
    return out


# env_file format -> parser (Docker Compose registers "raw" next to the default ".env")
FORMATS = {".env": parse, "raw": parse_raw}


def parse_format(text: str, format: str | None, lookup: template.Lookup | None = None, *,
                 into: dict[str, str] | None = None, file: str | None = None) -> dict[str, str]:
    """Parse ``text`` with the ``env_file`` ``format`` (``None`` or ``""``: the ``.env`` rules)."""
    parser = FORMATS.get(format or ".env")
    if parser is None:
        raise ConfigError(f"unsupported env_file format {format!r}", file=file)
    return parser(text, lookup, into=into, file=file)


def read_env_files(files: Iterable[str], environ: Mapping[str, str], *, cwd: str) -> dict[str, str]:
    """The variables of ``files`` in order (later files override earlier ones).

    Values may refer to ``environ`` (which wins) and to variables read before.
    """
    out: dict[str, str] = {}

    def lookup(name: str) -> str | None:
        value = environ.get(name)
        return value if value is not None else out.get(name)

    for name in files:
        path = os.path.normpath(os.path.join(cwd, name))
        if not observe.exists(path):
            raise ConfigError(f"couldn't find env file: {path}")
        if observe.isdir(path):
            raise ConfigError(f"{path} is a directory")
        try:
            text = observe.read_text(path, errors="surrogateescape")
        except OSError as exc:
            raise ConfigError(f"couldn't read env file: {path}: {exc.strerror}") from None
        parse(text, lookup, into=out, file=path)
    return out
