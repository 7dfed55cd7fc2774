"""A seeded generator of compose documents for comparing two schemas.

``examples(schema, rng)`` walks a JSON schema and builds a document it is meant to
accept (picking among alternatives at random); ``mutate(doc, rng)`` then breaks it in
one typical way: a value of the wrong type, an unknown or misspelt key, an ``x-``
extension, a null, a wrong enum value, a value that misses a pattern or a bound, a
missing required key, a duplicated list item. Every document is plain data, so both
schemas can be asked about the very same input.
"""

from __future__ import annotations

import copy
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from compose.loader.yamlsource import parse_documents
from compose.validate.document import strip_merge_tags

REPO = Path(__file__).resolve().parents[2]
REFERENCE_DIR = REPO.parent / "shared" / "reference"
REFERENCE = REFERENCE_DIR / "compose-spec.compose-go-v2.9.1.json"  # what Docker Compose v2.40 applies
FIXTURES = REFERENCE_DIR / "compose-fixtures"
CONFORMANCE = REPO / "tests" / "conformance" / "cases"

# A key that matches each name pattern used by the compose schemas.
_PATTERN_KEYS = {
    "^[a-zA-Z0-9._-]+$": ["web", "db", "cache.1", "a_b-c"],
    "^x-": ["x-ext", "x-"],
    ".+": ["KEY", "com.example.label"],
    "^.+$": ["opt", "com.docker.network.bridge.name"],
    "^[a-z]+$": ["nofile", "nproc"],
}
_PATTERN_VALUES = {
    "[a-zA-Z0-9][a-zA-Z0-9_.-]+": ["web1", "my_app.1", "ab"],
    "always|never|build|if_not_present|missing|refresh|daily|weekly|every_([0-9]+[wdhms])+": [
        "always", "never", "missing", "every_12h", "daily",
    ],
}
# Values that break patterns, bounds and types.
ODD_STRINGS = ["", "-", "a", "_x", "every_5x", "never-ever", "ALWAYS", "80:80:80", "web\u00e9", "a b", "x-"]
ODD_NUMBERS = [-1, 0, 1, 100, 101, -1000, -1001, 1000, 1001, 1.0, 1.5, -0.5, 2**40]
WRONG_VALUES: list[Any] = [
    None, True, False, 0, 7, 2.5, "", "text", "80:80", [], ["a"], ["a", "a"], [1, 2],
    {}, {"a": 1}, {"x-a": 1}, [{"a": 1}], [None],
]
UNKNOWN_KEYS = ["foo", "imagee", "port", "volume", "x-extra", "X-upper", "x", "wrongField", "1"]


class _Walker:
    def __init__(self, schema: dict[str, Any], rng: random.Random) -> None:
        self.schema = schema
        self.rng = rng

    def resolve(self, node: Any) -> Any:
        while isinstance(node, dict) and "$ref" in node:
            target: Any = self.schema
            for part in node["$ref"].lstrip("#/").split("/"):
                target = target[part]
            node = target
        return node

    def example(self, node: Any, depth: int = 0) -> Any:
        node = self.resolve(node)
        rng = self.rng
        if not isinstance(node, dict) or not node:
            return rng.choice(["any", 1, None, {"k": "v"}])
        for word in ("oneOf", "anyOf"):
            if word in node:
                return self.example(rng.choice(node[word]), depth)
        if "enum" in node:
            return rng.choice(node["enum"])
        kind = node.get("type")
        if isinstance(kind, list):
            kind = rng.choice(kind)
        if kind is None:
            kind = "object" if "properties" in node or "patternProperties" in node else "string"
        if kind == "object":
            return self._object(node, depth)
        if kind == "array":
            count = rng.randint(0, 2) if depth < 6 else 0
            items: list[Any] = []
            for _ in range(count * 3):
                if len(items) >= count:
                    break
                item = self.example(node.get("items", {}), depth + 1)
                if item not in items:
                    items.append(item)
            return items
        if kind == "string":
            if "pattern" in node:
                return rng.choice(_PATTERN_VALUES.get(node["pattern"], ["abc"]))
            return rng.choice(["value", "1", "true", "8080:80", "/data", "${X}"])
        if kind in ("integer", "number"):
            low = node.get("minimum", -5 if rng.random() < 0.2 else 0)
            high = node.get("maximum", 4096)
            value: Any = rng.randint(int(low), int(high))
            if kind == "number" and rng.random() < 0.3:
                value = value + 0.5 if value + 0.5 <= high else value
            return value
        if kind == "boolean":
            return rng.choice([True, False])
        if kind == "null":
            return None
        return "?"

    def _object(self, node: dict[str, Any], depth: int) -> dict[str, Any]:
        rng = self.rng
        out: dict[str, Any] = {}
        props = node.get("properties", {})
        required = node.get("required", [])
        if depth < 7:
            share = 0.8 if depth < 2 else 0.35
            for key, sub in props.items():
                if key in required or rng.random() < share:
                    out[key] = self.example(sub, depth + 1)
            for pattern, sub in node.get("patternProperties", {}).items():
                if rng.random() < 0.5:
                    key = rng.choice(_PATTERN_KEYS.get(pattern, ["k"]))
                    out.setdefault(key, self.example(sub, depth + 1))
        for key in required:
            out.setdefault(key, self.example(props.get(key, {}), depth + 1))
        return out


def examples(schema: dict[str, Any], rng: random.Random) -> Any:
    """A document ``schema`` is meant to accept (usually does: alternatives may overlap)."""
    return _Walker(schema, rng).example(schema)


def _paths(doc: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    yield path
    if isinstance(doc, dict):
        for k, v in doc.items():
            yield from _paths(v, (*path, k))
    elif isinstance(doc, list):
        for i, v in enumerate(doc):
            yield from _paths(v, (*path, i))


def _get(doc: Any, path: tuple[Any, ...]) -> Any:
    for part in path:
        doc = doc[part]
    return doc


def _set(doc: Any, path: tuple[Any, ...], value: Any) -> Any:
    if not path:
        return value
    _get(doc, path[:-1])[path[-1]] = value
    return doc


def _typo(word: str, rng: random.Random) -> str:
    if len(word) < 2:
        return word + "x"
    i = rng.randrange(len(word))
    action = rng.choice(["drop", "double", "swap", "upper"])
    if action == "drop":
        return word[:i] + word[i + 1 :]
    if action == "double":
        return word[:i] + word[i] + word[i:]
    if action == "upper":
        return word.upper()
    j = min(i + 1, len(word) - 1)
    chars = list(word)
    chars[i], chars[j] = chars[j], chars[i]
    return "".join(chars)


def mutate(doc: Any, rng: random.Random) -> Any:
    """A copy of ``doc`` with one random, typical mistake (or extension) in it."""
    doc = copy.deepcopy(doc)
    path = rng.choice(list(_paths(doc)))
    target = _get(doc, path)
    kind = rng.choice(["wrong", "wrong", "key", "typo", "null", "odd_string", "odd_number", "drop", "dup", "ext"])
    if kind == "wrong":
        return _set(doc, path, copy.deepcopy(rng.choice(WRONG_VALUES)))
    if kind == "null":
        return _set(doc, path, None)
    if kind == "odd_string":
        return _set(doc, path, rng.choice(ODD_STRINGS))
    if kind == "odd_number":
        return _set(doc, path, rng.choice(ODD_NUMBERS))
    if isinstance(target, dict):
        if kind in ("key", "ext"):
            key = rng.choice(UNKNOWN_KEYS) if kind == "key" else "x-" + rng.choice(["a", "b", "note"])
            target[key] = copy.deepcopy(rng.choice(WRONG_VALUES))
        elif kind == "typo" and target:
            old = rng.choice(list(target))
            target[_typo(str(old), rng)] = target.pop(old)
        elif kind == "drop" and target:
            del target[rng.choice(list(target))]
        return doc
    if isinstance(target, list) and target:
        if kind == "dup":
            target.append(copy.deepcopy(rng.choice(target)))
        elif kind == "drop":
            del target[rng.randrange(len(target))]
        return doc
    return _set(doc, path, copy.deepcopy(rng.choice(WRONG_VALUES)))


def generated_corpus(schemas: list[dict[str, Any]], seed: int, count: int) -> Iterator[Any]:
    """``count`` documents: examples of each schema in turn, most of them mutated."""
    rng = random.Random(seed)
    for i in range(count):
        doc = examples(schemas[i % len(schemas)], rng)
        mutations = rng.choice([0, 1, 1, 1, 2, 3])
        for _ in range(mutations):
            doc = mutate(doc, rng)
        yield doc


def yaml_files(root: Path) -> list[Path]:
    """Every ``.yaml``/``.yml`` file under ``root`` (none if it is missing)."""
    if not root.is_dir():
        return []
    return sorted(p for p in root.rglob("*") if p.suffix in (".yaml", ".yml"))


def file_documents(path: Path) -> list[Any]:
    """The documents of a compose file as the schema sees them (unreadable YAML: none)."""
    try:
        docs = parse_documents(path.read_text(), str(path))
    except Exception:
        return []
    return [strip_merge_tags(d.data) for d in docs if d.data is not None]
