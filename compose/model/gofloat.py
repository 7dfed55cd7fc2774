"""Floats printed as Go prints them: ``encoding/json`` and ``strconv.FormatFloat(v, 'g', -1, 64)``."""

from __future__ import annotations

import math
from decimal import Decimal


def shortest_digits(value: float) -> tuple[str, int]:
    """Shortest round-trip digits of ``|value|`` and its decimal exponent (1234.5 -> ("12345", 3))."""
    _sign, digits, exponent = Decimal(repr(abs(value))).as_tuple()
    text = "".join(map(str, digits)).rstrip("0") or "0"
    return text, len(digits) + int(exponent) - 1


def exp_form(value: float, *, two_digit_exp: bool) -> str:
    """``1e-07`` (Go's %e with the shortest mantissa); JSON drops the exponent's zero padding."""
    digits, exp = shortest_digits(value)
    mantissa = digits[0] + ("." + digits[1:] if len(digits) > 1 else "")
    sign = "-" if value < 0 else ""
    exp_text = f"{abs(exp):02d}" if two_digit_exp else str(abs(exp))
    return f"{sign}{mantissa}e{'-' if exp < 0 else '+'}{exp_text}"


def plain_form(value: float) -> str:
    """Positional notation without a needless ``.0``."""
    text = repr(value)
    if "e" in text or "E" in text:
        text = f"{Decimal(text):f}"
    return text[:-2] if text.endswith(".0") else text


def json_float(value: float) -> str:
    """Go's encoding/json: ``0.5``, ``1000000``, ``1e-7``, ``1e+21``."""
    if math.isnan(value) or math.isinf(value):
        raise ValueError(f"unsupported value: {value}")
    magnitude = abs(value)
    if magnitude != 0 and (magnitude < 1e-6 or magnitude >= 1e21):
        return exp_form(value, two_digit_exp=False)
    return plain_form(value)


def yaml_float(value: float) -> str:
    """go-yaml v3: ``FormatFloat(v, 'g', -1, 64)`` (%e from exponent 6 or below -4), ``.inf``, ``.nan``."""
    if math.isnan(value):
        return ".nan"
    if math.isinf(value):
        return ".inf" if value > 0 else "-.inf"
    if value == 0:
        return "-0" if math.copysign(1, value) < 0 else "0"
    _digits, exp = shortest_digits(value)
    if exp < -4 or exp >= 6:
        return exp_form(value, two_digit_exp=True)
    return plain_form(value)
