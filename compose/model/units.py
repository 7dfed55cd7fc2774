"""Durations and sizes as Docker Compose writes and reads them.

Durations use Go's syntax (``1h2m3.5s``, ``500ms``, ``90s``) and are held as seconds
(float); :func:`format_duration` prints them back exactly as Go's
``time.Duration.String`` does, so a canonical value round-trips. Sizes use Docker's
binary units (``512m`` = 512 MiB, ``1g``, ``64k``, or a plain number of bytes).
"""

from __future__ import annotations

import re
from typing import Any


def duration_ns(value: Any) -> int:
    """A duration as integer nanoseconds (numbers are taken as seconds)."""
    if isinstance(value, bool):
        raise ValueError(f"invalid duration {value!r}")
    if isinstance(value, int | float):
        return round(value * 1_000_000_000)
    if not isinstance(value, str):
        raise ValueError(f"invalid duration {value!r}")
    from compose.loader.transform.values import CastError
    from compose.loader.transform.values import parse_duration as go_duration

    try:
        return go_duration(value.strip())
    except CastError:
        raise ValueError(f"invalid duration {value!r} (expected e.g. 30s, 1m30s, 500ms)") from None


def parse_duration(value: Any) -> float:
    """A duration in seconds: ``"1m30s"`` -> 90.0."""
    return duration_ns(value) / 1_000_000_000


def _fraction(value: int, digits: int) -> str:
    """``value`` / 10**digits with trailing zeros trimmed (Go's fmtFrac)."""
    whole, frac = divmod(value, 10**digits)
    text = str(frac).rjust(digits, "0").rstrip("0")
    return f"{whole}.{text}" if text else str(whole)


def format_ns(ns: int) -> str:
    """Go's ``time.Duration.String``: ``90s`` -> ``1m30s``, ``0.5s`` -> ``500ms``."""
    if ns == 0:
        return "0s"
    sign = "-" if ns < 0 else ""
    ns = abs(ns)
    if ns < 1_000:
        return f"{sign}{ns}ns"
    if ns < 1_000_000:
        return f"{sign}{_fraction(ns, 3)}µs"
    if ns < 1_000_000_000:
        return f"{sign}{_fraction(ns, 6)}ms"
    hours, rest = divmod(ns, 3_600_000_000_000)
    minutes, rest = divmod(rest, 60_000_000_000)
    seconds = _fraction(rest, 9) + "s"
    if hours:
        return f"{sign}{hours}h{minutes}m{seconds}"
    if minutes:
        return f"{sign}{minutes}m{seconds}"
    return f"{sign}{seconds}"


def format_duration(seconds: float) -> str:
    return format_ns(round(seconds * 1_000_000_000))


_SIZE = re.compile(r"^(\d+(?:\.\d+)?) ?([kmgtp])?i?b?$", re.I)
_SIZE_UNIT = {None: 1, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30, "t": 1 << 40, "p": 1 << 50}


def parse_bytes(value: Any) -> int:
    """A size in bytes: ``"512m"`` -> 536870912, ``"1024"`` -> 1024, ``64`` -> 64."""
    if isinstance(value, bool):
        raise ValueError(f"invalid size {value!r}")
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        text = value.strip()
        if text.lstrip("-").isdigit():
            return int(text)
        m = _SIZE.match(text)
        if m:
            unit = m.group(2).lower() if m.group(2) else None
            return int(float(m.group(1)) * _SIZE_UNIT[unit])
    raise ValueError(f"invalid size {value!r} (expected bytes or a number with b, k, m or g)")
