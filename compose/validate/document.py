"""Schema validation of one compose file (after interpolation, before merging)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from compose.errors import ConfigError
from compose.loader.yamlsource import Override, Reset, SourceMap
from compose.validate import cache
from compose.validate.schema import fast_check, schema_digest, validator

if TYPE_CHECKING:
    from compose.validate.messages import Problem

Path = tuple[str | int, ...]


def strip_merge_tags(value: Any) -> Any:
    """The document as the schema sees it: ``!reset`` nodes removed, ``!override`` unwrapped.

    Docker Compose drops ``!reset`` values (mapping entries and list items alike)
    before validating, and validates the value under ``!override`` as written.
    """
    if isinstance(value, Override):
        return strip_merge_tags(value.value)
    if isinstance(value, dict):
        return {k: strip_merge_tags(v) for k, v in value.items() if not isinstance(v, Reset)}
    if isinstance(value, list):
        return [strip_merge_tags(v) for v in value if not isinstance(v, Reset)]
    return value


def original_path(data: Any, path: Path) -> Path:
    """Map a path in the stripped document back to the path in ``data`` (list indices shift)."""
    out: list[str | int] = []
    node = data
    for part in path:
        while isinstance(node, Override):
            node = node.value
        if isinstance(node, list) and isinstance(part, int):
            kept = [i for i, item in enumerate(node) if not isinstance(item, Reset)]
            index = kept[part] if part < len(kept) else part
            out.append(index)
            node = node[index] if index < len(node) else None
        elif isinstance(node, dict):
            out.append(part)
            node = node.get(part)
        else:
            out.append(part)
            node = None
    return tuple(out)


def to_error(problem: Problem, source: SourceMap, data: Any) -> ConfigError:
    path = original_path(data, problem.path)
    where = (*path, problem.at_key) if problem.at_key is not None else path
    pos = source.locate(where)
    line, column = pos if pos else (None, None)
    return ConfigError(problem.message, file=source.file, line=line, column=column, path=path, hint=problem.hint)


def validate_file(data: Any, source: SourceMap) -> None:
    """Check one compose file against the schema; raise :class:`ConfigError` for the
    most relevant problem, located in ``source``.

    A document that passed before (same content, same schema) is recognised from the
    on-disk cache; a valid one is accepted by the compiled fast check. ``jsonschema``
    is imported only to explain a document the fast check refuses (and it has the
    last word).
    """
    plain = strip_merge_tags(data)
    key = cache.document_key(schema_digest(), plain)
    if cache.is_known_valid(key):
        return
    if not fast_check()(plain):
        from compose.validate.messages import best_error, describe

        err = best_error(validator().iter_errors(plain))
        if err is not None:
            raise to_error(describe(err), source, data)
    cache.remember_valid(key)
