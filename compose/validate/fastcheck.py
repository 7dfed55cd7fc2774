"""A fast yes/no check of a document against the schema, without ``jsonschema``.

The schema is compiled once into nested closures, one per schema node, covering
exactly the Draft 7 keywords the compose schema uses (an unknown keyword is a
:class:`SchemaUnsupported` error at compile time, never silently skipped). Valid
documents -- the common case -- are accepted here, in a few milliseconds and with no
``jsonschema`` import. When this check says "invalid", ``jsonschema`` is asked for
the errors (and has the last word), so a message is always built from the real
validator.

Type and equality rules are ``jsonschema``'s: booleans are not numbers, ``1.0`` is
an integer, ``True`` and ``1`` are different list items. The agreement of the two
is tested on the whole schema-comparison corpus.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

Check = Callable[[Any], bool]

# Keywords that carry no constraint.
_ANNOTATIONS = frozenset({"description", "$comment", "title", "default", "deprecated", "$schema", "$id",
                          "definitions", "examples"})


class SchemaUnsupported(Exception):
    """The schema uses a keyword this checker does not implement."""


def _is_integer(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    return isinstance(value, int) or (isinstance(value, float) and value.is_integer())


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


_TYPES: dict[str, Check] = {
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "string": lambda v: isinstance(v, str),
    "integer": _is_integer,
    "number": _is_number,
    "boolean": lambda v: isinstance(v, bool),
    "null": lambda v: v is None,
}


def json_equal(one: Any, two: Any) -> bool:
    """Equality as JSON Schema means it (``True`` is not ``1``; lists and maps deeply)."""
    if isinstance(one, str) or isinstance(two, str):
        return one == two
    if isinstance(one, list) and isinstance(two, list):
        return len(one) == len(two) and all(json_equal(a, b) for a, b in zip(one, two, strict=True))
    if isinstance(one, dict) and isinstance(two, dict):
        return len(one) == len(two) and all(k in two and json_equal(v, two[k]) for k, v in one.items())
    if isinstance(one, bool) or isinstance(two, bool):
        return isinstance(one, bool) and isinstance(two, bool) and one == two
    return bool(one == two)


def _unique(items: list[Any]) -> bool:
    if all(type(i) is str for i in items) or all(type(i) is int for i in items):
        return len(set(items)) == len(items)
    for i, item in enumerate(items):
        for other in items[:i]:
            if json_equal(item, other):
                return False
    return True


class _Compiler:
    def __init__(self, root: dict[str, Any]) -> None:
        self.root = root
        self.refs: dict[str, Check] = {}

    def ref(self, pointer: str) -> Check:
        if pointer not in self.refs:
            if not pointer.startswith("#/"):
                raise SchemaUnsupported(f"non-local $ref {pointer}")
            slot: list[Check] = []
            self.refs[pointer] = lambda v: slot[0](v)  # recursion-safe forward reference
            target: Any = self.root
            for part in pointer[2:].split("/"):
                target = target[part]
            slot.append(self.node(target))
        return self.refs[pointer]

    def node(self, schema: Any) -> Check:
        if schema is True or schema == {}:
            return lambda v: True
        if schema is False:
            return lambda v: False
        if not isinstance(schema, dict):
            raise SchemaUnsupported(f"schema node {schema!r}")
        if "$ref" in schema:  # Draft 7: a reference replaces its sibling keywords
            return self.ref(schema["$ref"])
        checks: list[Check] = []
        for word in schema:
            if word in _ANNOTATIONS or word in ("properties", "patternProperties", "additionalProperties"):
                continue
            build = _KEYWORDS.get(word)
            if build is None:
                raise SchemaUnsupported(f"keyword {word!r}")
            checks.append(build(self, schema[word], schema))
        if any(w in schema for w in ("properties", "patternProperties", "additionalProperties")):
            checks.append(self.object_members(schema))
        if not checks:
            return lambda v: True
        if len(checks) == 1:
            return checks[0]
        return lambda v: all(c(v) for c in checks)

    def object_members(self, schema: dict[str, Any]) -> Check:
        props = {k: self.node(s) for k, s in schema.get("properties", {}).items()}
        patterns = [(re.compile(p), self.node(s)) for p, s in schema.get("patternProperties", {}).items()]
        extra = schema.get("additionalProperties", True)
        if extra not in (True, False):
            raise SchemaUnsupported("additionalProperties with a schema")
        closed = extra is False

        def check(value: Any) -> bool:
            if not isinstance(value, dict):
                return True
            for key, item in value.items():
                matched = False
                prop = props.get(key)
                if prop is not None:
                    matched = True
                    if not prop(item):
                        return False
                for pattern, sub in patterns:
                    if pattern.search(key):
                        matched = True
                        if not sub(item):
                            return False
                if closed and not matched:
                    return False
            return True

        return check


def _type(c: _Compiler, kind: Any, schema: dict[str, Any]) -> Check:
    kinds = [kind] if isinstance(kind, str) else list(kind)
    tests = [_TYPES[k] for k in kinds]
    if len(tests) == 1:
        return tests[0]
    return lambda v: any(t(v) for t in tests)


def _one_of(c: _Compiler, branches: list[Any], schema: dict[str, Any]) -> Check:
    checks = [c.node(b) for b in branches]
    return lambda v: sum(1 for check in checks if check(v)) == 1


def _any_of(c: _Compiler, branches: list[Any], schema: dict[str, Any]) -> Check:
    checks = [c.node(b) for b in branches]
    return lambda v: any(check(v) for check in checks)


def _enum(c: _Compiler, allowed: list[Any], schema: dict[str, Any]) -> Check:
    return lambda v: any(json_equal(v, a) for a in allowed)


def _pattern(c: _Compiler, pattern: str, schema: dict[str, Any]) -> Check:
    search = re.compile(pattern).search
    return lambda v: not isinstance(v, str) or search(v) is not None


def _minimum(c: _Compiler, bound: float, schema: dict[str, Any]) -> Check:
    return lambda v: not _is_number(v) or v >= bound


def _maximum(c: _Compiler, bound: float, schema: dict[str, Any]) -> Check:
    return lambda v: not _is_number(v) or v <= bound


def _required(c: _Compiler, keys: list[str], schema: dict[str, Any]) -> Check:
    return lambda v: not isinstance(v, dict) or all(k in v for k in keys)


def _items(c: _Compiler, items: Any, schema: dict[str, Any]) -> Check:
    if isinstance(items, list):
        raise SchemaUnsupported("tuple-form items")
    check = c.node(items)
    return lambda v: not isinstance(v, list) or all(check(i) for i in v)


def _unique_items(c: _Compiler, flag: bool, schema: dict[str, Any]) -> Check:
    if not flag:
        return lambda v: True
    return lambda v: not isinstance(v, list) or _unique(v)


_KEYWORDS: dict[str, Callable[[_Compiler, Any, dict[str, Any]], Check]] = {
    "type": _type,
    "oneOf": _one_of,
    "anyOf": _any_of,
    "enum": _enum,
    "pattern": _pattern,
    "minimum": _minimum,
    "maximum": _maximum,
    "required": _required,
    "items": _items,
    "uniqueItems": _unique_items,
}


def compile_schema(schema: dict[str, Any]) -> Check:
    """A function telling whether a document is valid against ``schema``."""
    return _Compiler(schema).node(schema)
