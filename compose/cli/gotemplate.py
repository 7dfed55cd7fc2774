"""The subset of Go's text/template that Docker's ``--format`` flags are used with.

Actions: ``{{.Field.Sub}}`` (maps and objects, ``.`` itself), ``{{json .X}}``, ``{{index .X "key"}}``
(or a number), ``{{lower .X}}`` ``{{upper .X}}`` ``{{title .X}}``, ``{{join .X ", "}}``,
``{{len .X}}``, ``{{println .X}}``, ``{{printf "%s:%d" .A .B}}``, ``{{range .X}}…{{end}}`` (``.`` is
the element; ``{{range $k, $v := .X}}`` over a map), ``{{if .X}}…{{else}}…{{end}}``, ``{{- trims``
and ``-}}`` trims. Missing fields print ``<no value>`` as Go does. A template that cannot be
parsed is a :class:`TemplateError` naming the place.
"""

from __future__ import annotations

import json
import re
import shlex
from typing import Any

from compose.errors import UsageError


class TemplateError(UsageError):
    pass


_ACTION = re.compile(r"{{(-?)\s*(.*?)\s*(-?)}}", re.S)
NO_VALUE = "<no value>"


def _tokens(text: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    pos = 0
    for m in _ACTION.finditer(text):
        literal = text[pos:m.start()]
        if m.group(1):
            literal = literal.rstrip()
        if out and out[-1][0] == "trim-next":
            out.pop()
            literal = literal.lstrip()
        out.append(("text", literal))
        out.append(("action", m.group(2)))
        if m.group(3):
            out.append(("trim-next", ""))
        pos = m.end()
    rest = text[pos:]
    if out and out[-1][0] == "trim-next":
        out.pop()
        rest = rest.lstrip()
    out.append(("text", rest))
    return out


def _parse(tokens: list[tuple[str, str]], i: int, stop: tuple[str, ...]) -> tuple[list[Any], int, str]:
    nodes: list[Any] = []
    while i < len(tokens):
        kind, value = tokens[i]
        i += 1
        if kind == "text":
            if value:
                nodes.append(("text", value))
            continue
        word = value.split(None, 1)[0] if value else ""
        if word in stop:
            return nodes, i, word
        if word in ("range", "if"):
            body, i, ended = _parse(tokens, i, ("end", "else"))
            other: list[Any] = []
            if ended == "else":
                other, i, ended = _parse(tokens, i, ("end",))
            if ended != "end":
                raise TemplateError(f"template: unexpected EOF: {{{{{value}}}}} has no {{{{end}}}}")
            nodes.append((word, value.split(None, 1)[1] if " " in value else "", body, other))
        elif word in ("end", "else"):
            raise TemplateError(f"template: unexpected {{{{{word}}}}}")
        else:
            nodes.append(("expr", value))
    if stop:
        raise TemplateError(f"template: unexpected EOF (expected {{{{{stop[0]}}}}})")
    return nodes, i, ""


def _field(data: Any, path: str) -> Any:
    value = data
    for part in [p for p in path.split(".") if p]:
        if isinstance(value, dict):
            if part not in value:
                return None
            value = value[part]
        elif hasattr(value, part):
            value = getattr(value, part)
        else:
            return None
    return value


def _text(value: Any) -> str:
    if value is None:
        return NO_VALUE
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return "map[" + " ".join(f"{k}:{_text(v)}" for k, v in sorted(value.items())) + "]"
    if isinstance(value, list | tuple):
        return "[" + " ".join(_text(v) for v in value) + "]"
    return str(value)


class _Renderer:
    def __init__(self) -> None:
        self.vars: dict[str, Any] = {}

    def arg(self, word: str, dot: Any) -> Any:
        if word.startswith('"') or word.startswith("`"):
            return word[1:-1]
        if re.fullmatch(r"-?\d+", word):
            return int(word)
        if word == ".":
            return dot
        if word.startswith("$"):
            name, _, rest = word.partition(".")
            return _field(self.vars.get(name), rest)
        if word.startswith("."):
            return _field(dot, word[1:])
        raise TemplateError(f'template: function "{word}" not defined')

    def expr(self, text: str, dot: Any) -> Any:
        try:
            words = shlex.split(text, posix=False)
        except ValueError as exc:
            raise TemplateError(f"template: {text}: {exc}") from None
        if not words:
            return ""
        fn, args = words[0], words[1:]
        if fn in ("json", "lower", "upper", "title", "len", "println", "join", "index", "printf"):
            values = [self.arg(a, dot) for a in args]
            if fn == "json":
                return json.dumps(values[0] if values else None, separators=(",", ":"))
            if fn in ("lower", "upper", "title"):
                return getattr(_text(values[0]), fn)()
            if fn == "len":
                return len(values[0] or [])
            if fn == "println":
                return " ".join(_text(v) for v in values) + "\n"
            if fn == "join":
                return str(values[1]).join(_text(v) for v in values[0] or [])
            if fn == "index":
                value = values[0]
                for key in values[1:]:
                    value = value.get(key) if isinstance(value, dict) else (value[key] if value else None)
                return value
            fmt = str(values[0]).replace("%v", "%s").replace("%q", '"%s"')
            return fmt % tuple(v if isinstance(v, int | float) else _text(v) for v in values[1:])
        if len(words) == 1:
            return self.arg(fn, dot)
        raise TemplateError(f'template: function "{fn}" not defined')

    def render(self, nodes: list[Any], dot: Any) -> str:
        out = []
        for node in nodes:
            if node[0] == "text":
                out.append(node[1])
            elif node[0] == "expr":
                out.append(_text(self.expr(node[1], dot)))
            elif node[0] == "if":
                out.append(self.render(node[2] if self.expr(node[1], dot) else node[3], dot))
            else:  # range
                spec = node[1]
                m = re.fullmatch(r"(\$\w+)\s*,\s*(\$\w+)\s*:=\s*(.+)", spec)
                items = self.expr(m.group(3) if m else spec, dot)
                if not items:
                    out.append(self.render(node[3], dot))
                    continue
                pairs = sorted(items.items()) if isinstance(items, dict) else list(enumerate(items))
                for key, value in pairs:
                    if m:
                        self.vars[m.group(1)], self.vars[m.group(2)] = key, value
                    out.append(self.render(node[2], value))
        return "".join(out)


def render(template: str, data: Any) -> str:
    """``template`` applied to ``data`` (plain dicts and lists, as Docker's JSON shapes)."""
    nodes, _, _ = _parse(_tokens(template), 0, ())
    return _Renderer().render(nodes, data)
