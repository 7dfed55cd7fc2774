"""Scalar casts of the compose model, with Docker Compose's meanings and spellings.

Durations (``1m30s``, also ``d`` and ``w``), byte sizes (``64m`` -> 67108864),
CPU counts (single precision, printed shortest), file modes (``0440``), shell
command lines (split as Docker Compose splits them: quotes, backslashes, and the
line ends at an unquoted ``;``, ``&``, ``|``, ``<`` or ``>``).
"""

from __future__ import annotations

import math
import re
import struct
from decimal import Decimal
from typing import Any

_NS = {"ns": 1, "us": 10**3, "µs": 10**3, "μs": 10**3, "ms": 10**6, "s": 10**9,
       "m": 60 * 10**9, "h": 3600 * 10**9, "d": 86400 * 10**9, "w": 7 * 86400 * 10**9}
_DURATION_PART = re.compile(r"([0-9]*(?:\.[0-9]*)?)(ns|us|µs|μs|ms|s|m|h|d|w)")
_BYTES = re.compile(r"^(\d+(?:\.\d+)*) ?([kKmMgGtTpP])?[iI]?[bB]?$")  # several dots: refused later
_BYTE_UNITS = {"k": 1 << 10, "m": 1 << 20, "g": 1 << 30, "t": 1 << 40, "p": 1 << 50}


class CastError(ValueError):
    """A value that cannot be read as the type its key needs."""


def parse_duration(value: Any) -> int:
    """``"1m30s"`` -> nanoseconds. Go's syntax plus ``d`` (days) and ``w`` (weeks)."""
    text = "true" if value is True else "false" if value is False else str(value)
    body = text
    sign = 1
    if body[:1] in "+-" and body:
        sign = -1 if body[0] == "-" else 1
        body = body[1:]
    if body == "0":
        return 0
    if not body:
        raise CastError(f"invalid duration {text!r}")
    total = 0
    pos = 0
    while pos < len(body):
        m = _DURATION_PART.match(body, pos)
        if not m or m.group(1) in ("", "."):
            raise CastError(f"invalid duration {text!r}", "expected a number and a unit, as in 10s or 1m30s")
        number, unit = m.group(1), m.group(2)
        whole, _, frac = number.partition(".")
        ns = int(whole or "0") * _NS[unit]
        if frac:
            ns += int(frac) * _NS[unit] // 10 ** len(frac)
        total += ns
        pos = m.end()
    return sign * total


def _fraction(value: int, digits: int) -> str:
    whole, rest = divmod(value, 10**digits)
    frac = f"{rest:0{digits}d}".rstrip("0")
    return f"{whole}.{frac}" if frac else str(whole)


def format_duration(ns: int) -> str:
    """Nanoseconds -> Go's ``time.Duration.String()``: ``1m30s``, ``1.5s``, ``500ms``."""
    if ns == 0:
        return "0s"
    sign = "-" if ns < 0 else ""
    u = abs(ns)
    if u < 10**9:
        if u < 10**3:
            return f"{sign}{u}ns"
        if u < 10**6:
            return f"{sign}{_fraction(u, 3)}µs"
        return f"{sign}{_fraction(u, 6)}ms"
    hours, rest = divmod(u, 3600 * 10**9)
    minutes, rest = divmod(rest, 60 * 10**9)
    seconds = _fraction(rest, 9)
    if hours:
        return f"{sign}{hours}h{minutes}m{seconds}s"
    if minutes:
        return f"{sign}{minutes}m{seconds}s"
    return f"{sign}{seconds}s"


def duration(value: Any) -> str:
    """Any accepted duration spelling -> Go's canonical one."""
    return format_duration(parse_duration(value))


def ram_bytes(value: Any) -> int:
    """``"64m"`` -> 67108864 (binary multiples, as Docker reads memory sizes)."""
    if isinstance(value, bool):
        raise CastError(f"invalid size {value!r}")
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value)
    m = _BYTES.match(str(value))
    if not m:
        raise CastError(f"invalid size {value!r}", "expected a number with an optional unit: b, k, m, g, t, p")
    if m.group(1).count(".") > 1:
        raise CastError(f"invalid size {value!r}: {m.group(1)!r} is not a number")
    number = float(m.group(1))
    unit = (m.group(2) or "").lower()
    return int(number * _BYTE_UNITS.get(unit, 1))


def float32(value: Any) -> int | float:
    """A single-precision number as Go prints it (shortest digits; integral -> int)."""
    number = float(value)
    if math.isnan(number) or math.isinf(number):
        raise CastError(f"invalid number {value!r}")
    single = struct.unpack("f", struct.pack("f", number))[0]
    for digits in range(1, 10):
        text = f"{single:.{digits}g}"
        if struct.unpack("f", struct.pack("f", float(text)))[0] == single:
            break
    result = float(text)
    return int(result) if result.is_integer() and abs(result) < 2**53 else result


def file_mode(value: Any) -> str:
    """A mode as Docker Compose prints it: ``0440`` (octal, with a leading 0)."""
    if isinstance(value, str):
        try:
            number = int(value, 8)
        except ValueError:
            raise CastError(f"invalid file mode {value!r}", "expected an octal number such as 0440") from None
    elif isinstance(value, int) and not isinstance(value, bool):
        number = value
    else:
        raise CastError(f"invalid file mode {value!r}")
    return f"0{number:o}" if number >= 0 else f"-0{-number:o}"


def go_string(value: Any) -> str:
    """Go's ``fmt.Sprint`` of a YAML scalar."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return _go_float(value)
    return str(value)


def _go_float(value: float) -> str:
    """Go's ``%v`` of a float64: shortest digits, exponent form below 1e-4 and from 1e6."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    sign = "-" if math.copysign(1.0, value) < 0 else ""
    if value == 0:
        return sign + "0"
    number = Decimal(repr(abs(value))).normalize()
    _, digit_tuple, exponent = number.as_tuple()
    figures = "".join(map(str, digit_tuple))
    exp10 = len(figures) + int(exponent) - 1
    if -4 <= exp10 < 6:
        return sign + format(number, "f")
    tail = figures[1:].rstrip("0")
    body = f"{figures[0]}.{tail}" if tail else figures[0]
    return f"{sign}{body}e{'-' if exp10 < 0 else '+'}{abs(exp10):02d}"


_STOP = frozenset(";&|<>")
_SPACE = frozenset(" \t\r\n")
_NO_ARG, _WORD, _QUOTED = 0, 1, 2


def split_command(line: str) -> list[str]:
    """A command line -> its words, as Docker Compose splits ``command``/``entrypoint``.

    Quotes work as in a POSIX shell and a backslash takes the next character as it is
    (also inside double quotes); the line ends at the first unquoted ``;``, ``&``,
    ``|``, ``<`` or ``>`` (a word of digits just before ``>``, a redirected descriptor,
    is dropped). ``$(...)`` and backquotes are kept as text; any other ``(`` and an
    unbalanced quote, backquote or parenthesis are errors.
    """
    words: list[str] = []
    buf = ""
    got = _NO_ARG
    escaped = single = double = back = dollar = False

    def refuse() -> CastError:
        return CastError(f"invalid command line {line!r}", "unbalanced quote, backslash or parenthesis")

    for char in line:
        if escaped:
            buf += char
            escaped, got = False, _WORD
            continue
        if char == "\\":
            if single:
                buf += char
            else:
                escaped = True
            continue
        if char in _SPACE:
            if single or double or back or dollar:
                buf += char
            elif got != _NO_ARG:
                words.append(buf)
                buf, got = "", _NO_ARG
            continue
        if char == "`" and not (single or double or dollar):
            back = not back
        elif char == ")" and not (single or double or back):
            dollar = not dollar
        elif char == "(" and not (single or double or back):
            if dollar or not buf.endswith("$"):
                raise refuse()
            dollar = True
            buf += char
            continue
        elif char == '"' and not (single or dollar):
            if double:
                got = _QUOTED
            double = not double
            continue
        elif char == "'" and not (double or dollar):
            if single:
                got = _QUOTED
            single = not single
            continue
        elif char in _STOP and not (single or double or back or dollar):
            if char == ">" and buf[:1].isdigit():
                got = _NO_ARG
            break
        got = _WORD
        buf += char
    if got != _NO_ARG:
        words.append(buf)
    if escaped or single or double or back or dollar:
        raise refuse()
    return words
