"""Schema validation of one compose file (after interpolation, before merging)."""

from __future__ import annotations

from collections.abc import Callable
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


# path -> (file, line, column) of the node that set it (line and column may be unknown)
Locator = Callable[[Path], "tuple[str, int | None, int | None] | None"]


def to_error(problem: Problem, locate: Locator, data: Any) -> ConfigError:
    path = original_path(data, problem.path)
    where = locate((*path, problem.at_key) if problem.at_key is not None else path)
    file, line, column = where if where else (None, None, None)
    return ConfigError(problem.message, file=file, line=line, column=column, path=path, hint=problem.hint)


def _validate(data: Any, locate: Locator) -> None:
    plain = strip_merge_tags(data)
    key = cache.document_key(schema_digest(), plain)
    if cache.is_known_valid(key):
        return
    if not fast_check()(plain):
        from compose.validate.messages import best_error, describe

        err = best_error(validator().iter_errors(plain))
        if err is not None:
            raise to_error(describe(err), locate, data)
    cache.remember_valid(key)


def validate_file(data: Any, source: SourceMap) -> None:
    """Check one compose file against the schema; raise :class:`ConfigError` for the
    most relevant problem, located in ``source``.

    A document that passed before (same content, same schema) is recognised from the
    on-disk cache; a valid one is accepted by the compiled fast check. ``jsonschema``
    is imported only to explain a document the fast check refuses (and it has the
    last word).
    """

    def locate(path: Path) -> tuple[str, int | None, int | None]:
        pos = source.locate(path)
        return (source.file, pos[0], pos[1]) if pos else (source.file, None, None)

    _validate(data, locate)


def validate_merged(data: Any, locate: Locator) -> None:
    """Check the merge of several files (not yet in canonical form) against the schema,
    as Docker Compose does after adding each file: an override may leave out what an
    earlier file already set (``depends_on: {db: {restart: true}}`` over an entry that
    has its ``condition``). ``locate(path)`` gives ``(file, line, column)`` of the node
    that set ``path``, as for :func:`check_project`.
    """
    _validate(data, locate)
