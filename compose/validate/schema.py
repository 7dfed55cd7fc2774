"""The project's own Compose schema: where it lives, its digest, and checkers for it.

Two checkers, both built lazily and once per process: :func:`fast_check` (our
compiled yes/no check, for the common valid case) and :func:`validator` (a
``jsonschema`` validator, imported only to explain an invalid document).
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

SCHEMA_PATH = Path(__file__).resolve().parent.parent.parent / "schemas" / "compose-spec.json"


@functools.cache
def schema_bytes() -> bytes:
    """The schema file as shipped: ``schemas/`` sits next to ``compose/`` both in the
    source tree and when installed; package resources are the fallback (zipped installs)."""
    try:
        return SCHEMA_PATH.read_bytes()
    except FileNotFoundError:
        from importlib.resources import files

        return files("schemas").joinpath("compose-spec.json").read_bytes()


@functools.cache
def schema_digest() -> str:
    """Identifies the schema version: any edit to the file changes it (and the cache keys)."""
    return hashlib.sha256(schema_bytes()).hexdigest()[:16]


@functools.cache
def schema() -> dict[str, Any]:
    return json.loads(schema_bytes())


@functools.cache
def fast_check() -> Callable[[Any], bool]:
    """A yes/no check of :func:`schema` that needs no ``jsonschema`` (see ``fastcheck``)."""
    from compose.validate.fastcheck import compile_schema

    return compile_schema(schema())


@functools.cache
def validator() -> Any:
    """A ``jsonschema`` Draft 7 validator for :func:`schema` (built once)."""
    from jsonschema import Draft7Validator

    return Draft7Validator(schema())


def resolve(node: dict[str, Any]) -> dict[str, Any]:
    """Follow a local ``$ref`` (``#/definitions/x``) to the schema it names."""
    while isinstance(node, dict) and "$ref" in node:
        ref = node["$ref"]
        if not ref.startswith("#/"):
            raise ValueError(f"only local references are supported: {ref}")
        target: Any = schema()
        for part in ref[2:].split("/"):
            target = target[part]
        node = target
    return node
