"""The compiled fast check says exactly what ``jsonschema`` says, on the same corpus."""

from __future__ import annotations

import json
from typing import Any

import pytest
from jsonschema import Draft7Validator
from schema_corpus import FIXTURES, REFERENCE, file_documents, generated_corpus, yaml_files

from compose.validate.fastcheck import SchemaUnsupported, compile_schema, json_equal
from compose.validate.schema import schema


def _schemas() -> list[tuple[str, dict[str, Any]]]:
    out = [("ours", schema())]
    if REFERENCE.exists():
        out.append(("reference", json.loads(REFERENCE.read_text())))
    return out


@pytest.mark.parametrize("which", ["ours", "reference"])
def test_same_verdict_as_jsonschema(which: str) -> None:
    schemas = dict(_schemas())
    if which not in schemas:
        pytest.skip("reference data (../shared) not present")
    target = schemas[which]
    slow, fast = Draft7Validator(target), compile_schema(target)
    docs = list(generated_corpus(list(schemas.values()), 21, 3000))
    docs += [d for p in yaml_files(FIXTURES) for d in file_documents(p)]
    wrong = [json.dumps(d)[:300] for d in docs if slow.is_valid(d) != fast(d)]
    assert wrong == []
    assert {fast(d) for d in docs} == {True, False}


@pytest.mark.parametrize(
    ("node", "value", "valid"),
    [
        ({"type": "integer"}, 1.0, True),
        ({"type": "integer"}, 1.5, False),
        ({"type": "integer"}, True, False),
        ({"type": "number"}, False, False),
        ({"type": ["string", "null"]}, None, True),
        ({"type": "array", "uniqueItems": True}, [1, True], True),
        ({"type": "array", "uniqueItems": True}, [1, 1.0], False),
        ({"type": "array", "uniqueItems": True}, [{"a": [1]}, {"a": [1]}], False),
        ({"enum": ["a", 1]}, True, False),
        ({"pattern": "^x"}, 5, True),
        ({"minimum": 0}, "-1", True),
        ({"oneOf": [{"type": "string"}, {"type": "string"}]}, "s", False),
        ({"anyOf": [{"type": "string"}, {"type": "string"}]}, "s", True),
        ({"required": ["a"]}, [], True),
        ({"additionalProperties": False, "patternProperties": {"^x-": {}}}, {"x-a": 1}, True),
        ({"additionalProperties": False, "properties": {"a": {}}}, {"b": 1}, False),
        ({"$ref": "#/definitions/s", "type": "integer", "definitions": {"s": {"type": "string"}}}, "s", True),
    ],
)
def test_keyword_semantics(node: dict[str, Any], value: Any, valid: bool) -> None:
    assert compile_schema(node)(value) is valid
    assert Draft7Validator(node).is_valid(value) is valid


def test_unknown_keyword_is_refused_at_compile_time() -> None:
    with pytest.raises(SchemaUnsupported, match="minLength"):
        compile_schema({"type": "string", "minLength": 1})


def test_json_equality() -> None:
    assert json_equal([1, {"a": 2.0}], [1.0, {"a": 2}])
    assert not json_equal(True, 1)
    assert not json_equal("1", 1)
