"""Print a canonical project as Docker Compose prints it: JSON and YAML.

``docker compose config`` marshals Go structs: keys come in struct field order
(the field order of the model classes), Go maps with sorted keys, ``x-``
extensions of a struct after its fields in YAML and not at all in JSON (except at
the top level). JSON is Go's ``encoding/json`` (``<``, ``>``, ``&`` escaped,
floats without a needless fraction); YAML is go-yaml v3's block style with its
quoting rules (strings that would read back as another type are double-quoted,
multi-line strings become ``|`` literals, ...).
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterable, Mapping
from typing import Any

from compose.model.fields import Kind, Map, Obj, Optional, Seq, field_for, specs
from compose.model.gofloat import json_float
from compose.model.project import Project

# ------------------------------------------------------------------------------------------
# Key order


def _is_extension(key: str) -> bool:
    return key.startswith("x-")


def _yaml_less(a: str, b: str) -> bool:
    """go-yaml v3's map key order: runes, but letters after other characters and digit runs
    compared as numbers (``web2`` before ``web10``)."""
    digits = False
    for i in range(min(len(a), len(b))):
        ca, cb = a[i], b[i]
        if ca == cb:
            digits = ca.isdecimal()
            continue
        al, bl = ca.isalpha(), cb.isalpha()
        if al and bl:
            return ca < cb
        if al or bl:
            return al if digits else bl
        an = bn = 0
        if ca == "0" or cb == "0":
            j = i - 1
            while j >= 0 and a[j].isdecimal():
                if a[j] != "0":
                    an = bn = 1
                    break
                j -= 1
        ai = i
        while ai < len(a) and a[ai].isdecimal():
            an = an * 10 + int(a[ai])
            ai += 1
        bi = i
        while bi < len(b) and b[bi].isdecimal():
            bn = bn * 10 + int(b[bi])
            bi += 1
        if an != bn:
            return an < bn
        if ai != bi:
            return ai < bi
        return ca < cb
    return len(a) < len(b)


_YAML_KEY = functools.cmp_to_key(lambda a, b: -1 if _yaml_less(a, b) else (1 if _yaml_less(b, a) else 0))


def _sorted_keys(mapping: Iterable[str], yaml: bool) -> list[str]:
    """Go map key order: bytes for encoding/json, go-yaml's own order for YAML."""
    return sorted(mapping, key=_YAML_KEY) if yaml else sorted(mapping)


def arrange(value: Any, kind: Kind | None, *, yaml: bool) -> Any:
    """``value`` with keys in print order; empty Go structs and nil fields dropped for YAML."""
    while isinstance(kind, Optional):
        kind = kind.inner
    if isinstance(kind, Obj) and isinstance(value, Mapping):
        return _arrange_struct(value, kind.cls, yaml=yaml)
    if isinstance(kind, Map) and isinstance(value, Mapping):
        return {k: arrange(value[k], kind.item, yaml=yaml) for k in _sorted_keys(value, yaml)}
    if isinstance(kind, Seq) and isinstance(value, list | tuple):
        return [arrange(v, kind.item, yaml=yaml) for v in value]
    if isinstance(value, Mapping):  # free-form data: a Go map
        return {k: arrange(value[k], None, yaml=yaml) for k in _sorted_keys(value, yaml)}
    if isinstance(value, list | tuple):
        return [arrange(v, None, yaml=yaml) for v in value]
    return value


def _arrange_struct(value: Mapping[str, Any], cls: type, *, yaml: bool) -> dict[str, Any]:
    yaml_form = getattr(cls, "yaml_form", None)
    if yaml and yaml_form is not None:
        value = yaml_form(value)
    out: dict[str, Any] = {}
    for spec in specs(cls):
        if spec.key not in value:
            continue
        item = arrange(value[spec.key], spec.kind, yaml=yaml)
        if yaml and hasattr(spec.kind, "yaml_value"):
            item = spec.kind.yaml_value(item)  # a value go-yaml prints differently from JSON
        if yaml:
            if item is None and not spec.yaml_always:
                continue  # a nil pointer: yaml omitempty (JSON prints command: null)
            if spec.struct and item == {}:
                continue  # an all-zero struct: yaml omitempty (JSON prints ipam: {})
        out[spec.yaml_key or spec.key if yaml else spec.key] = item
    rest = _sorted_keys([k for k in value if field_for(cls, k) is None], yaml)
    for key in (k for k in rest if not _is_extension(k)):
        out[key] = arrange(value[key], None, yaml=yaml)
    if yaml or cls is Project:
        for key in (k for k in rest if _is_extension(k)):
            out[key] = arrange(value[key], None, yaml=yaml)
    return out


def arrange_project(data: Mapping[str, Any], *, yaml: bool) -> dict[str, Any]:
    out = _arrange_struct(data, Project, yaml=yaml)
    if not yaml:  # Docker Compose builds the top level of its JSON as a Go map, without models
        out = {k: out[k] for k in sorted(out) if k != "models"}
    return out


# ------------------------------------------------------------------------------------------
# JSON as Go's encoding/json writes it

_HTML = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"}
_HTML_RE = re.compile("[<>&\u2028\u2029]")


def _json_string(text: str) -> str:
    return _HTML_RE.sub(lambda m: _HTML[m.group()], json.dumps(text, ensure_ascii=False))


def go_json(value: Any, indent: str | None = "  ") -> str:
    """``value`` as Go's ``json.MarshalIndent(v, "", indent)`` (``json.Marshal`` with None)."""
    out: list[str] = []
    _write_json(value, out, indent, 0)
    return "".join(out)


def _write_json(value: Any, out: list[str], indent: str | None, depth: int) -> None:
    if value is None:
        out.append("null")
    elif value is True or value is False:
        out.append("true" if value else "false")
    elif isinstance(value, int):
        out.append(str(value))
    elif isinstance(value, float):
        out.append(json_float(value))
    elif isinstance(value, str):
        out.append(_json_string(value))
    elif isinstance(value, Mapping | list | tuple):
        items = list(value.items()) if isinstance(value, Mapping) else list(value)
        opening, closing = ("{", "}") if isinstance(value, Mapping) else ("[", "]")
        if not items:
            out.append(opening + closing)
            return
        out.append(opening)
        for i, item in enumerate(items):
            if i:
                out.append(",")
            if indent is not None:
                out.append("\n" + indent * (depth + 1))
            if isinstance(value, Mapping):
                key, item = item
                out.append(_json_string(str(key)) + (": " if indent is not None else ":"))
            _write_json(item, out, indent, depth + 1)
        if indent is not None:
            out.append("\n" + indent * depth)
        out.append(closing)
    else:
        raise TypeError(f"cannot encode {type(value).__name__}")


def render_json(data: Mapping[str, Any]) -> str:
    """The project as ``docker compose config --format json`` prints it (no final newline)."""
    return go_json(arrange_project(data, yaml=False))


# ------------------------------------------------------------------------------------------
# YAML as go-yaml v3 writes it


def render_yaml(data: Mapping[str, Any]) -> str:
    """The project as ``docker compose config`` prints it."""
    from compose.model.yamlemit import emit_yaml

    return emit_yaml(arrange_project(data, yaml=True))
