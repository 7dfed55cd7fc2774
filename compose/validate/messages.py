"""Turn ``jsonschema`` errors into one precise, plain-words message.

Choosing the error: like Docker Compose, the deepest problem wins (an unknown key
counts one level deeper than its mapping). Where the schema offers alternatives
(``oneOf``/``anyOf``), only the alternatives that accept the value's *type* are
looked into: ``ports: [{target: "x", hots_ip: 1}]`` is about the long syntax, not
about "must be a string". When no alternative accepts the type, the message lists
every accepted type ("must be a string or a list").

Each schema keyword has one message builder (the ``_MESSAGES`` table).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from compose.validate.schema import resolve

Path = tuple[str | int, ...]

_TYPE_NAMES = {
    "object": "a mapping",
    "array": "a list",
    "string": "a string",
    "integer": "an integer",
    "number": "a number",
    "boolean": "a boolean",
    "null": "null",
}
_TYPE_ORDER = ("string", "integer", "number", "boolean", "array", "object", "null")

# Fields whose pattern is better explained in words than as a regular expression.
_PATTERN_HELP = {
    "container_name": "a container name starts with a letter or digit and has at least two characters "
    "of letters, digits, '_', '.' or '-'",
    "pull_policy": "use always, never, missing, build, refresh, daily, weekly or every_<duration> "
    "(e.g. every_12h)",
}
_NAME_RULE = "names may contain only letters, digits, '.', '_' and '-'"


@dataclass(frozen=True)
class Problem:
    """One schema problem, ready to be rendered: where it is and what to say."""

    path: Path
    message: str
    hint: str | None = None
    at_key: str | None = None  # point at this key of the mapping at ``path`` (unknown keys)


def json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return type(value).__name__


def show(value: Any, limit: int = 60) -> str:
    """A short rendering of a value as the user wrote it."""
    if isinstance(value, str):
        text = repr(value)
    elif isinstance(value, bool):
        text = "true" if value else "false"
    elif value is None:
        text = "null"
    elif isinstance(value, dict):
        return "a mapping"
    elif isinstance(value, list):
        return "a list"
    else:
        text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def types_phrase(types: Iterable[str]) -> str:
    """``["string", "array"]`` -> ``a string or a list``."""
    wanted = set(types)
    if "number" in wanted:
        wanted.discard("integer")
    names = [_TYPE_NAMES.get(t, t) for t in _TYPE_ORDER if t in wanted]
    if not names:
        return "something else"
    if len(names) == 1:
        return names[0]
    return ", ".join(names[:-1]) + " or " + names[-1]


def accepted_types(node: Any) -> list[str]:
    """Every JSON type a (sub)schema accepts at its own level."""
    node = resolve(node) if isinstance(node, dict) else node
    if not isinstance(node, dict):
        return []
    out: list[str] = []
    kind = node.get("type")
    if isinstance(kind, str):
        out.append(kind)
    elif isinstance(kind, list):
        out.extend(kind)
    for word in ("oneOf", "anyOf"):
        for branch in node.get(word, ()):
            out.extend(t for t in accepted_types(branch) if t not in out)
    return out


def _type_matches(kind: str, value: Any) -> bool:
    actual = json_type(value)
    if kind == actual:
        return True
    if kind == "number" and actual == "integer":
        return True
    return kind == "integer" and isinstance(value, float) and value.is_integer()


def suggest(word: str, choices: Iterable[str], cutoff: float = 0.6) -> str | None:
    """``did you mean 'image'?`` for a near miss among ``choices``."""
    choices = [c for c in choices if isinstance(c, str)]
    if not isinstance(word, str):
        return None
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=cutoff)
    if not close:
        lowered = {c.lower(): c for c in choices}
        if word.lower() in lowered:
            close = [lowered[word.lower()]]
    return f"did you mean {close[0]!r}?" if close else None


# -- choosing the error ---------------------------------------------------------------


def _depth(err: Any) -> int:
    depth = len(err.absolute_path)
    return depth + 1 if err.validator == "additionalProperties" else depth


def _branches(err: Any) -> dict[int, list[Any]]:
    out: dict[int, list[Any]] = {}
    for sub in err.context or ():
        out.setdefault(sub.relative_schema_path[0], []).append(sub)
    return out


def _fits(branch: Any, value: Any) -> bool:
    """Whether an alternative accepts the value's type (at its own level, nested
    alternatives included); an alternative without a type constraint fits anything."""
    types = accepted_types(branch)
    return not types or any(_type_matches(t, value) for t in types)


def refine(err: Any) -> Any:
    """The most specific error under ``err`` (``err`` itself unless it is a oneOf/anyOf)."""
    if err.validator not in ("oneOf", "anyOf") or not err.context:
        return err
    branches = _branches(err)
    fitting = [branches.get(i, []) for i, branch in enumerate(err.validator_value) if _fits(branch, err.instance)]
    candidates = [refine(e) for errs in fitting for e in errs]
    if not candidates:
        return err  # no alternative takes this type: reported as a type error by _one_of
    return max(candidates, key=_depth)


def best_error(errors: Iterable[Any]) -> Any | None:
    """The error Docker Compose users need to see first (deepest, unknown keys first)."""
    best = None
    for err in errors:
        err = refine(err)
        if best is None or _depth(err) > _depth(best):
            best = err
    return best


# -- one message per keyword ----------------------------------------------------------


def _path(err: Any) -> Path:
    return tuple(err.absolute_path)


def _type(err: Any) -> Problem:
    wanted = err.validator_value if isinstance(err.validator_value, list) else [err.validator_value]
    return _type_problem(_path(err), wanted, err.instance)


def _type_problem(path: Path, wanted: Iterable[str], value: Any) -> Problem:
    actual = _TYPE_NAMES.get(json_type(value), json_type(value))
    shown = "" if isinstance(value, dict | list) or value is None else f" ({show(value)})"
    where = "the file" if not path else None
    text = f"must be {types_phrase(wanted)}, not {actual}{shown}"
    if where:
        text = f"{where} {text}"
    hint = None
    if len(path) == 2 and path[0] == "services" and path[1] in resolve({"$ref": "#/definitions/service"})["properties"]:
        hint = f"{path[1]!r} is a setting of a service: put it under the service's name, as in services.web.{path[1]}"
    return Problem(path, text, hint)


def _one_of(err: Any) -> Problem:
    if not err.context:
        return Problem(_path(err), f"{show(err.instance)} matches more than one accepted form")
    wanted = accepted_types({err.validator: err.validator_value})
    return _type_problem(_path(err), wanted, err.instance)


def _additional(err: Any) -> Problem:
    schema = err.schema
    known = list(schema.get("properties", {}))
    patterns = list(schema.get("patternProperties", {}))
    extras = [
        k for k in err.instance
        if k not in known and not any(re.search(p, k) for p in patterns)
    ]  # fmt: skip
    key = extras[0] if extras else "?"
    path = _path(err)
    if not known:
        # A mapping of user-chosen names (services, volumes, ...).
        return Problem(path, f"invalid name {key!r}", _NAME_RULE, at_key=key)
    hint = suggest(key, known, cutoff=0.75) or _misplaced(key, schema, err.instance.get(key)) or suggest(key, known)
    if hint is None and "^x-" in patterns:
        hint = "extension keys must start with 'x-'" if not path else None
    if hint is None:
        hint = "allowed: " + ", ".join(sorted(known)) if len(known) <= 12 else None
    return Problem(path, f"unknown key {key!r}", hint, at_key=key)


def _object_schemas(node: Any) -> list[dict[str, Any]]:
    """The object-typed schemas a (sub)schema offers, alternatives included."""
    node = resolve(node) if isinstance(node, dict) else node
    if not isinstance(node, dict):
        return []
    out = [node] if "properties" in node or "patternProperties" in node else []
    if isinstance(node.get("items"), dict):
        out.extend(_object_schemas(node["items"]))
    for word in ("oneOf", "anyOf"):
        for branch in node.get(word, ()):
            out.extend(_object_schemas(branch))
    return out


_SERVICE_KEYS = ("image", "build", "command", "ports", "environment")


def _misplaced(key: str, schema: dict[str, Any], value: Any) -> str | None:
    """``'dockerfile' belongs under 'build'``: the key exists one to three levels down."""
    services = schema.get("properties", {}).get("services")
    if services is not None and isinstance(value, dict) and any(k in value for k in _SERVICE_KEYS):
        return f"a service definition belongs under 'services:' ('services.{key}')"
    level: list[tuple[str, dict[str, Any]]] = [("", schema)]
    for _ in range(3):
        deeper: list[tuple[str, dict[str, Any]]] = []
        for prefix, node in level:
            named = [(name, sub) for name, sub in node.get("properties", {}).items()]
            named += [("<name>", sub) for pattern, sub in node.get("patternProperties", {}).items()
                      if pattern != "^x-"]
            for name, sub in named:
                for child in _object_schemas(sub):
                    where = f"{prefix}.{name}" if prefix else name
                    if key in child.get("properties", {}):
                        return f"{key!r} belongs under {where!r}"
                    deeper.append((where, child))
        level = deeper
    return None


def _required(err: Any) -> Problem:
    missing = [k for k in err.validator_value if k not in err.instance]
    key = missing[0] if missing else err.validator_value[0]
    return Problem(_path(err), f"missing required key {key!r}")


def _enum(err: Any) -> Problem:
    allowed = [str(v) for v in err.validator_value]
    hint = suggest(str(err.instance), allowed) if isinstance(err.instance, str) else None
    listed = ", ".join(repr(v) for v in allowed)
    return Problem(_path(err), f"{show(err.instance)} is not one of {listed}", hint)


def _pattern(err: Any) -> Problem:
    path = _path(err)
    field = next((p for p in reversed(path) if isinstance(p, str)), "")
    help_text = _PATTERN_HELP.get(field, f"it must match the pattern {err.validator_value}")
    return Problem(path, f"{show(err.instance)} is not valid here", help_text)


def _minimum(err: Any) -> Problem:
    return Problem(_path(err), f"must be greater than or equal to {err.validator_value} (got {show(err.instance)})")


def _maximum(err: Any) -> Problem:
    return Problem(_path(err), f"must be less than or equal to {err.validator_value} (got {show(err.instance)})")


def _unique(err: Any) -> Problem:
    seen: list[Any] = []
    for index, item in enumerate(err.instance):
        if item in seen:
            first = seen.index(item)
            return Problem((*_path(err), index), f"{show(item)} is listed more than once (also at [{first}])",
                           "items must be unique")
        seen.append(item)
    return Problem(_path(err), "items must be unique")


def _fallback(err: Any) -> Problem:
    return Problem(_path(err), err.message)


_MESSAGES: dict[str, Callable[[Any], Problem]] = {
    "type": _type,
    "oneOf": _one_of,
    "anyOf": _one_of,
    "additionalProperties": _additional,
    "required": _required,
    "enum": _enum,
    "pattern": _pattern,
    "minimum": _minimum,
    "maximum": _maximum,
    "uniqueItems": _unique,
}


def describe(err: Any) -> Problem:
    """The :class:`Problem` for one (already chosen) ``jsonschema`` error."""
    return _MESSAGES.get(err.validator, _fallback)(err)
