"""A YAML writer that prints plain data exactly as go-yaml v3 (indent 2) prints it.

Docker Compose's YAML output comes from go-yaml v3, and users diff it, so the
details matter: block style everywhere, sequences indented under their key,
strings that would read back as something else (``"yes"``, ``"80"``, ``"1:30"``,
``""``) double-quoted, strings with indicator characters single-quoted,
multi-line strings as ``|`` literals, no line folding.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from compose.model.gofloat import yaml_float

INDENT = 2

# -- what a plain scalar would read back as (go-yaml v3's resolve) ---------------------------

_NULLS = {"", "~", "null", "Null", "NULL"}
_BOOLS = {"true", "True", "TRUE", "false", "False", "FALSE"}
_FLOAT_WORDS = {".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF", "-.inf", "-.Inf", "-.INF",
                ".nan", ".NaN", ".NAN"}
_OLD_BOOLS = {"y", "Y", "yes", "Yes", "YES", "on", "On", "ON",
              "n", "N", "no", "No", "NO", "off", "Off", "OFF"}
_BASE60 = re.compile(r"^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$")
_YAML_FLOAT = re.compile(r"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$")
_GO_INT = re.compile(r"^[-+]?(0[xX][0-9a-fA-F]+|0[oO]?[0-7]+|0[bB][01]+|[1-9][0-9]*|0)$")
_TIMESTAMP = re.compile(
    r"^\d{4}-\d\d?-\d\d?"
    r"(([Tt]|[ \t]+)\d\d?:\d\d?:\d\d?(\.\d*)?([ \t]*(Z|[-+]\d\d?(:\d\d)?))?)?$"
)
_GO_FLOAT_BODY = re.compile(r"^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$")


def _reads_as_non_string(text: str) -> bool:
    if text in _NULLS or text in _BOOLS or text in _FLOAT_WORDS:
        return True
    first = text[0]
    if first in "+-0123456789":
        if _TIMESTAMP.match(text):
            return True
        plain = text.replace("_", "")
        return bool(_GO_INT.match(plain) or _YAML_FLOAT.match(plain))
    if first == ".":
        return bool(_GO_FLOAT_BODY.match(text))
    return False


def _plain_may_resolve(text: str) -> bool:
    """go-yaml's ``canUsePlain``: the plain form reads back as this very string."""
    return not (_reads_as_non_string(text) or _BASE60.match(text) or text in _OLD_BOOLS)


# -- libyaml's scalar analysis -----------------------------------------------------------------

_BREAKS = "\n\r\x85\u2028\u2029"


def _printable(c: str) -> bool:
    """go-yaml's ``is_printable``: NEL and characters beyond the BMP are not."""
    o = ord(c)
    return (c == "\n" or 0x20 <= o <= 0x7E or 0xA0 <= o <= 0xD7FF
            or (0xE000 <= o <= 0xFFFD and o != 0xFEFF))


class _Analysis:
    __slots__ = ("block", "block_plain", "single")

    def __init__(self, text: str) -> None:
        block_ind = False  # (flow indicators do not matter: output is all block style)
        line_breaks = special = tabs = False
        leading_space = leading_break = trailing_space = trailing_break = False
        break_space = space_break = previous_space = previous_break = False
        if text.startswith(("---", "...")):
            block_ind = True
        preceded_ws = True
        n = len(text)
        for i, c in enumerate(text):
            followed_ws = i + 1 >= n or text[i + 1] in " \t" + _BREAKS
            if i == 0:
                if c in "#,[]{}&*!|>'\"%@`":
                    block_ind = True
                if c in "?:-" and followed_ws:
                    block_ind = True
            else:
                if c == ":" and followed_ws:
                    block_ind = True
                if c == "#" and preceded_ws:
                    block_ind = True
            if c == "\t":
                tabs = True
            elif not _printable(c):
                special = True
            if c in _BREAKS:
                line_breaks = True
            if c == " ":
                leading_space = leading_space or i == 0
                trailing_space = trailing_space or i == n - 1
                break_space = break_space or previous_break
                previous_space, previous_break = True, False
            elif c in _BREAKS:
                leading_break = leading_break or i == 0
                trailing_break = trailing_break or i == n - 1
                space_break = space_break or previous_space
                previous_space, previous_break = False, True
            else:
                previous_space = previous_break = False
            preceded_ws = c in " \t" + _BREAKS

        plain = single = block = True
        if leading_space or leading_break or trailing_space or trailing_break:
            plain = False
        if trailing_space:
            block = False
        if break_space:
            plain = single = False
        if space_break or tabs or special:
            plain = single = False
        if space_break or special:
            block = False
        if line_breaks:
            plain = False
        if block_ind:
            plain = False
        self.block_plain, self.single, self.block = plain, single, block


# -- scalars -----------------------------------------------------------------------------------


def _double_quoted(text: str) -> str:
    out = ['"']
    for c in text:
        if c == '"':
            out.append('\\"')
        elif c == "\\":
            out.append("\\\\")
        elif c == "\t":
            out.append("\\t")
        elif c == "\n":
            out.append("\\n")
        elif c == "\r":
            out.append("\\r")
        elif c == "\x00":
            out.append("\\0")
        elif c == "\x85":
            out.append("\\N")
        elif c == "\u2028":
            out.append("\\L")
        elif c == "\u2029":
            out.append("\\P")
        elif not _printable(c) or c == "\ufeff":
            o = ord(c)
            out.append(f"\\x{o:02X}" if o <= 0xFF else f"\\u{o:04X}" if o <= 0xFFFF else f"\\U{o:08X}")
        else:
            out.append(c)
    out.append('"')
    return "".join(out)


def _single_quoted(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _literal(text: str, indent: int) -> list[str]:
    """A ``|`` block: header then content lines (the first element is the header)."""
    header = "|"
    if text[:1] == " " or text[:1] in _BREAKS:
        header += str(INDENT)
    if not text.endswith("\n"):
        header += "-"
        body = text
    elif text == "\n" or text.endswith("\n\n"):
        header += "+"
        body = text[:-1]
    else:
        body = text[:-1]
    pad = " " * indent
    return [header] + [pad + line if line else "" for line in body.split("\n")]


def _scalar(value: Any, indent: int, *, key: bool = False) -> list[str]:
    """A scalar's text: one line, or a literal block (header + lines at ``indent``)."""
    if value is None:
        return ["null"]
    if value is True or value is False:
        return ["true" if value else "false"]
    if isinstance(value, int):
        return [str(value)]
    if isinstance(value, float):
        return [yaml_float(value)]
    text = str(value)
    if any(c in text for c in _BREAKS[1:]):
        # \r, NEL, LS, PS: go-yaml folds them into quoted lines; escapes are exact and read back the same.
        return [_double_quoted(text)]
    analysis = _Analysis(text)
    if "\n" in text:
        if analysis.block and not key:
            return _literal(text, indent)
        return [_double_quoted(text)]
    if _plain_may_resolve(text):
        if analysis.block_plain:
            return [text]
        if analysis.single:
            return [_single_quoted(text)]
    return [_double_quoted(text)]


# -- blocks ------------------------------------------------------------------------------------


def _is_collection(value: Any) -> bool:
    return isinstance(value, Mapping | list | tuple) and len(value) > 0


def _empty(value: Any) -> str:
    return "{}" if isinstance(value, Mapping) else "[]"


def _node(value: Any, indent: int) -> list[str]:
    """Lines of a non-empty collection, each already indented by ``indent``."""
    pad = " " * indent
    lines: list[str] = []
    if isinstance(value, Mapping):
        for k, v in value.items():
            lines.extend(_entry(str(k), v, indent))
        return lines
    for item in value:
        if _is_collection(item):
            inner = _node(item, indent + INDENT)
            lines.append(pad + "- " + inner[0][indent + INDENT:])
            lines.extend(inner[1:])
        elif isinstance(item, Mapping | list | tuple):
            lines.append(pad + "- " + _empty(item))
        else:
            text = _scalar(item, indent + INDENT)
            lines.append(pad + "- " + text[0])
            lines.extend(text[1:])
    return lines


def _entry(key: str, value: Any, indent: int) -> list[str]:
    pad = " " * indent
    if "\n" in key or len(key) > 128:  # not a simple key: the explicit "? key" form
        key_lines = _scalar(key, indent + INDENT)
        lines = [pad + "? " + key_lines[0], *key_lines[1:]]
        if _is_collection(value):
            inner = _node(value, indent + INDENT)
            return [*lines, pad + ": " + inner[0][indent + INDENT:], *inner[1:]]
        text = _empty(value) if isinstance(value, Mapping | list | tuple) else _scalar(value, indent + INDENT)
        text = [text] if isinstance(text, str) else text
        return [*lines, pad + ": " + text[0], *text[1:]]
    head = pad + _scalar(key, indent, key=True)[0] + ":"
    if _is_collection(value):
        return [head, *_node(value, indent + INDENT)]
    if isinstance(value, Mapping | list | tuple):
        return [head + " " + _empty(value)]
    text = _scalar(value, indent + INDENT)
    return [head + " " + text[0], *text[1:]]


def emit_yaml(value: Any) -> str:
    """A YAML document for ``value`` (a mapping, list or scalar), ending in a newline."""
    if _is_collection(value):
        lines = _node(value, 0)
    elif isinstance(value, Mapping | list | tuple):
        lines = [_empty(value)]
    else:
        lines = _scalar(value, 0)
    return "\n".join(lines) + "\n"
