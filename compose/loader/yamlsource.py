"""Read a compose YAML document into plain Python data plus a map of source positions.

Scalars resolve as Docker Compose's YAML library (go-yaml v3) resolves them, not as
PyYAML's YAML 1.1 defaults: ``yes``/``on`` stay strings, ``0755`` and ``0o755`` are
octal, ``1_000`` is an integer, timestamps become RFC 3339 strings. Anchors, aliases
and ``<<`` merge keys are expanded; duplicate keys are refused. The compose tags
``!reset`` and ``!override`` come back wrapped in :class:`Reset` / :class:`Override`
so that the merge step can honour them.

Every mapping key and sequence item records where it stands, so any later stage can
point at ``file:line:column`` for a path like ``("services", "web", "ports", 0)``.
"""

from __future__ import annotations

import datetime
import math
import re
from dataclasses import dataclass, field
from typing import Any

import yaml

from compose.errors import ConfigError

Path = tuple[str | int, ...]


@dataclass(frozen=True)
class Reset:
    """A value tagged ``!reset``: the merge drops what earlier files set."""

    value: Any


@dataclass(frozen=True)
class Override:
    """A value tagged ``!override``: the merge replaces instead of merging."""

    value: Any


@dataclass
class SourceMap:
    """Where each node of one YAML document stands (1-based line and column)."""

    file: str
    positions: dict[Path, tuple[int, int]] = field(default_factory=dict)

    def locate(self, path: Path) -> tuple[int, int] | None:
        """The position of ``path``, or of its nearest ancestor that has one."""
        path = tuple(path)
        while True:
            pos = self.positions.get(path)
            if pos is not None or not path:
                return pos
            path = path[:-1]

    def error(self, message: str, path: Path, hint: str | None = None) -> ConfigError:
        pos = self.locate(path)
        line, col = pos if pos else (None, None)
        return ConfigError(message, file=self.file, line=line, column=col, path=path, hint=hint)


@dataclass(frozen=True)
class Document:
    """One parsed compose file."""

    data: Any
    source: SourceMap


_BOOL = {
    "true": True, "True": True, "TRUE": True,
    "false": False, "False": False, "FALSE": False,
}  # fmt: skip
_NULL = {"", "~", "null", "Null", "NULL"}
_INT = re.compile(
    r"""^[-+]?(
        0b[01_]+
      | 0o?[0-7_]+
      | 0x[0-9a-fA-F_]+
      | [0-9][0-9_]*
    )$""",
    re.X,
)
_FLOAT = re.compile(r"^[-+]?(\.[0-9]+|[0-9][0-9_]*(\.[0-9_]*)?)([eE][-+]?[0-9]+)?$")
_INF = re.compile(r"^[-+]?\.(inf|Inf|INF)$")
_NAN = re.compile(r"^\.(nan|NaN|NAN)$")
_TIMESTAMP = re.compile(
    r"^\d{4}-\d\d?-\d\d?"
    r"(([Tt]|[ \t]+)\d\d?:\d\d:\d\d(\.\d*)?([ \t]*(Z|[-+]\d\d?(:\d\d)?))?)?$"
)


def _int(text: str) -> int:
    sign = -1 if text.startswith("-") else 1
    body = text.lstrip("+-").replace("_", "")
    if body.startswith("0b"):
        return sign * int(body[2:], 2)
    if body.startswith("0x"):
        return sign * int(body[2:], 16)
    if body.startswith("0o"):
        return sign * int(body[2:], 8)
    if len(body) > 1 and body.startswith("0"):
        return sign * int(body, 8)
    return sign * int(body)


def _timestamp(text: str) -> str:
    try:
        value = yaml.constructor.SafeConstructor.construct_yaml_timestamp(
            yaml.constructor.SafeConstructor(), yaml.ScalarNode("tag:yaml.org,2002:timestamp", text)
        )
    except (ValueError, TypeError):
        return text
    if isinstance(value, datetime.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(datetime.UTC).replace(tzinfo=None)
        return value.isoformat().replace("+00:00", "") + "Z"
    return f"{value.isoformat()}T00:00:00Z"


def resolve_plain(text: str) -> Any:
    """The value of an untagged plain scalar under go-yaml v3's rules."""
    if text in _NULL:
        return None
    if text in _BOOL:
        return _BOOL[text]
    if _INT.match(text):
        try:
            return _int(text)
        except ValueError:
            return text
    if _FLOAT.match(text) and any(c.isdigit() for c in text):
        return float(text.replace("_", ""))
    if _INF.match(text):
        return -math.inf if text.startswith("-") else math.inf
    if _NAN.match(text):
        return math.nan
    if _TIMESTAMP.match(text):
        return _timestamp(text)
    return text


class _PyLoader(yaml.SafeLoader):
    """A composer only: we build values ourselves, so no implicit resolvers."""


class _CLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """The same on libyaml's parser (when PyYAML has it): about ten times faster."""


# Plain scalars keep the str tag; _Builder resolves them with go-yaml's rules.
_PyLoader.yaml_implicit_resolvers = {}
_CLoader.yaml_implicit_resolvers = {}
_Loader = _CLoader

_STR = "tag:yaml.org,2002:str"
_SEQ = "tag:yaml.org,2002:seq"
_MAP = "tag:yaml.org,2002:map"
_KNOWN_SCALAR_TAGS = {
    "tag:yaml.org,2002:str": str,
    "tag:yaml.org,2002:int": _int,
    "tag:yaml.org,2002:float": lambda t: float(t.replace("_", "")),
    "tag:yaml.org,2002:bool": lambda t: _BOOL[t],
    "tag:yaml.org,2002:null": lambda t: None,
}
_MAX_DEPTH = 200


def _plain(node: yaml.ScalarNode) -> bool:
    """An unquoted, non-block scalar (libyaml's parser says ``""``, PyYAML's ``None``)."""
    return not node.style

_MAX_NODES = 2_000_000


class _Builder:
    def __init__(self, source: SourceMap) -> None:
        self.source = source
        self.nodes = 0
        # alias expansion: the same node may be reached by many paths (anchors); the
        # value is rebuilt per path so that positions are per path, but bounded.

    def fail(self, message: str, node: yaml.Node, path: Path) -> ConfigError:
        mark = node.start_mark
        return ConfigError(
            message, file=self.source.file, line=mark.line + 1, column=mark.column + 1, path=path
        )

    def build(self, node: yaml.Node, path: Path, depth: int = 0) -> Any:
        self.nodes += 1
        if depth > _MAX_DEPTH or self.nodes > _MAX_NODES:
            raise self.fail("document is nested too deeply or too large", node, path)
        self.source.positions.setdefault(path, (node.start_mark.line + 1, node.start_mark.column + 1))
        tag = node.tag
        if tag in ("!reset", "!override"):
            inner = self._untagged(node, path, depth)
            return Reset(inner) if tag == "!reset" else Override(inner)
        if isinstance(node, yaml.ScalarNode):
            return self._scalar(node, path)
        if isinstance(node, yaml.SequenceNode):
            if tag not in (_SEQ, "!"):
                raise self.fail(f"unsupported YAML tag {tag}", node, path)
            return [self.build(item, (*path, i), depth + 1) for i, item in enumerate(node.value)]
        if isinstance(node, yaml.MappingNode):
            if tag not in (_MAP, "!"):
                raise self.fail(f"unsupported YAML tag {tag}", node, path)
            return self._mapping(node, path, depth)
        raise self.fail("unsupported YAML node", node, path)

    def _untagged(self, node: yaml.Node, path: Path, depth: int) -> Any:
        if isinstance(node, yaml.ScalarNode):
            if _plain(node) and node.value in _NULL:
                return None
            return self._scalar(yaml.ScalarNode(_STR, node.value, node.start_mark, node.end_mark, node.style), path)
        clone: yaml.Node
        if isinstance(node, yaml.SequenceNode):
            clone = yaml.SequenceNode(_SEQ, node.value, node.start_mark, node.end_mark)
        else:
            clone = yaml.MappingNode(_MAP, node.value, node.start_mark, node.end_mark)
        return self.build(clone, path, depth)

    def _scalar(self, node: yaml.ScalarNode, path: Path) -> Any:
        tag = node.tag
        if tag == _STR:
            # Quoted or block scalars are always strings; plain ones are resolved.
            return resolve_plain(node.value) if _plain(node) else node.value
        if tag == "!":
            return node.value
        convert = _KNOWN_SCALAR_TAGS.get(tag)
        if convert is None:
            raise self.fail(f"unsupported YAML tag {tag}", node, path)
        try:
            return convert(node.value)
        except (ValueError, KeyError):
            raise self.fail(f"cannot read {node.value!r} as {tag.rsplit(':', 1)[-1]}", node, path) from None

    def _mapping(self, node: yaml.MappingNode, path: Path, depth: int) -> dict[Any, Any]:
        out: dict[Any, Any] = {}
        merge_nodes: list[yaml.MappingNode] = []
        seen: dict[Any, yaml.Node] = {}
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge" or (
                isinstance(key_node, yaml.ScalarNode) and _plain(key_node) and key_node.value == "<<"
            ):
                merge_nodes.extend(self._merge_sources(value_node, path))
                continue
            if not isinstance(key_node, yaml.ScalarNode):
                raise self.fail("mapping keys must be scalars", key_node, path)
            key = self._scalar(key_node, path)
            if not isinstance(key, str):
                # Docker Compose refuses these too; quote the key to make it a string.
                raise self.fail(
                    f"non-string key {key_node.value or 'null'} (quote it to use it as a string)", key_node, path
                )
            if key in seen:
                first = seen[key].start_mark.line + 1
                raise self.fail(f"mapping key {key!r} already defined at line {first}", key_node, (*path, key))
            seen[key] = key_node
            self.source.positions[(*path, key)] = (key_node.start_mark.line + 1, key_node.start_mark.column + 1)
            out[key] = self.build(value_node, (*path, key), depth + 1)
        # Keys from ``<<`` sources fill in what the mapping does not set itself; the
        # first source wins. Positions are taken only for the keys actually added.
        for source_node in merge_nodes:
            scratch = _Builder(SourceMap(self.source.file))
            scratch.nodes = self.nodes
            values = scratch.build(source_node, path, depth + 1)
            self.nodes = scratch.nodes
            for k, v in values.items():
                if k in out:
                    continue
                out[k] = v
                prefix = (*path, k)
                for p, pos in scratch.source.positions.items():
                    if p[: len(prefix)] == prefix:
                        self.source.positions.setdefault(p, pos)
        return out

    def _merge_sources(self, node: yaml.Node, path: Path) -> list[yaml.MappingNode]:
        if isinstance(node, yaml.MappingNode):
            return [node]
        if isinstance(node, yaml.SequenceNode) and all(isinstance(n, yaml.MappingNode) for n in node.value):
            return list(node.value)
        raise self.fail("a << merge key takes a mapping or a list of mappings", node, path)


def parse_documents(text: str, file: str) -> list[Document]:
    """Parse every YAML document of ``text``; ``file`` names it in errors."""
    docs: list[Document] = []
    try:
        # The reader checks the characters when it is created: that may fail too.
        loader = _Loader(text)
    except yaml.YAMLError as exc:
        raise ConfigError(f"invalid YAML: {exc}", file=file) from None
    try:
        while loader.check_node():
            node = loader.get_node()
            source = SourceMap(file)
            data = _Builder(source).build(node, ()) if node is not None else None
            docs.append(Document(data, source))
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or exc.context or "invalid YAML"
        raise ConfigError(
            f"invalid YAML: {problem}",
            file=file,
            line=mark.line + 1 if mark else None,
            column=mark.column + 1 if mark else None,
        ) from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"invalid YAML: {exc}", file=file) from None
    except RecursionError:
        raise ConfigError("invalid YAML: nested too deeply", file=file) from None
    finally:
        loader.dispose()
    return docs


def parse_document(text: str, file: str) -> Document:
    """Parse a compose file: one document (an empty file gives ``{}``)."""
    docs = parse_documents(text, file)
    if not docs:
        return Document({}, SourceMap(file))
    # Docker Compose reads every document of a file and merges them in order; the
    # loader does the merging, this helper is for the common single-document case.
    return docs[0]
