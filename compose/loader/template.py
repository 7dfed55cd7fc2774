"""``$VAR`` substitution in one string, with Docker Compose's exact rules.

The grammar is the one of compose-go's ``template`` package:

* ``$$`` is a literal ``$``;
* ``$NAME`` and ``${NAME}`` take the variable (unset gives ``""``);
* ``${NAME:-default}`` / ``${NAME-default}``: the default when unset-or-empty / unset;
* ``${NAME:+alt}`` / ``${NAME+alt}``: the alternative when set-and-non-empty / set;
* ``${NAME:?msg}`` / ``${NAME?msg}``: an error when unset-or-empty / unset;
* defaults, alternatives and messages are themselves substituted, so they nest;
* a ``${`` that does not open a valid expression is an error; a ``$`` followed by
  anything else (``$1``, ``$ ``, a trailing ``$``) is left as it is.

Names are ``[_a-zA-Z][_a-zA-Z0-9]*``. The matching follows the reference
implementation step by step (one regular expression, then the first closing brace
that balances the opening one), so that odd inputs give the same result.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from compose.errors import InterpolationError

__all__ = [
    "InvalidTemplate",
    "Lookup",
    "MissingRequired",
    "substitute",
]

Lookup = Callable[[str], "str | None"]
OnUnset = Callable[[str], None]

_PATTERN = re.compile(
    r"\$(?i:(?P<escaped>\$)|(?P<named>[_a-z][_a-z0-9]*)"
    r"|\{(?:(?P<braced>[_a-z][_a-z0-9]*(?::?[-+?](.*))?)\}|(?P<invalid>)))"
)


class InvalidTemplate(InterpolationError):
    """A ``${`` that does not open a valid expression."""

    def __init__(self, template: str) -> None:
        self.template = template
        super().__init__(
            f"invalid interpolation format: {template!r}", hint="you may need to escape any $ with another $"
        )


class MissingRequired(InterpolationError):
    """``${VAR:?message}`` or ``${VAR?message}`` with the variable missing."""

    def __init__(self, variable: str, reason: str) -> None:
        self.variable = variable
        self.reason = reason
        text = f"required variable {variable} is missing a value"
        super().__init__(f"{text}: {reason}" if reason else text)


@dataclass(frozen=True)
class _Operator:
    token: str
    kind: str  # "required", "default" or "alternative"
    strict: bool  # the ":" forms: an empty value counts as missing


# The order matters only to break ties, which cannot happen (distinct tokens).
_OPERATORS = (
    _Operator(":?", "required", True),
    _Operator("?", "required", False),
    _Operator(":-", "default", True),
    _Operator("-", "default", False),
    _Operator(":+", "alternative", True),
    _Operator("+", "alternative", False),
)


def _first_operator(text: str) -> _Operator:
    """The operator whose token appears first in ``text`` (absent ones last)."""

    def position(op: _Operator) -> tuple[int, int]:
        index = text.find(op.token)
        return (1, 0) if index < 0 else (0, index)

    return min(_OPERATORS, key=position)


def _closing_brace(text: str) -> int:
    """Index of the ``}`` that closes the first ``{`` of ``text``, or -1."""
    depth = 0
    i = 0
    while i < len(text):
        char = text[i]
        if char == "}":
            depth -= 1
            if depth == 0:
                return i
        if char == "{":
            depth += 1
            i += 1  # the reference skips the character after each "{"
        i += 1
    return -1


def _apply(op: _Operator, expression: str, lookup: Lookup, on_unset: OnUnset | None) -> tuple[str, bool]:
    """Evaluate ``NAME<op>argument``; the bool says whether ``op`` applied at all."""
    if op.token not in expression:
        return "", False
    name, argument = expression.split(op.token, 1)
    argument = substitute(argument, lookup, on_unset)
    value = lookup(name)
    present = value is not None and (not op.strict or value != "")
    if op.kind == "default":
        return (value if present and value is not None else argument), True
    if op.kind == "alternative":
        return (argument if present else (value or "")), True
    if not present:
        raise MissingRequired(name, argument)
    return value or "", True


def _replace(match_text: str, lookup: Lookup, on_unset: OnUnset | None) -> str:
    op = _first_operator(match_text)
    rest = ""
    end = _closing_brace(match_text)
    if end > -1:
        rest = match_text[end + 1 :]
        match_text = match_text[: end + 1]
    match = _PATTERN.search(match_text)
    if match is None:
        raise InvalidTemplate("")
    if match.group("escaped"):
        return "$"
    name = match.group("named")
    braced = False
    if not name:
        name = match.group("braced")
        braced = True
    if not name:
        raise InvalidTemplate("")
    if braced:
        value, applied = _apply(op, name, lookup, on_unset)
        if applied:
            return value + substitute(rest, lookup, on_unset)
    found = lookup(name)
    if found is None and on_unset is not None:
        on_unset(name)
    return found or ""


def substitute(template: str, lookup: Lookup, on_unset: OnUnset | None = None) -> str:
    """``template`` with every ``$`` expression replaced; ``lookup`` gives a
    variable's value or ``None`` when it is unset. ``on_unset(name)`` is told about
    each unset variable used without a default (Docker Compose warns about those).

    Raises :class:`InvalidTemplate` or :class:`MissingRequired` (the first error met).
    """
    if "$" not in template:
        return template
    errors: list[InterpolationError] = []

    def replace(match: re.Match[str]) -> str:
        try:
            return _replace(match.group(0), lookup, on_unset)
        except InvalidTemplate as exc:
            errors.append(InvalidTemplate(exc.template or template))
        except InterpolationError as exc:
            errors.append(exc)
        return ""

    result = _PATTERN.sub(replace, template)
    if errors:
        raise errors[0]
    return result

