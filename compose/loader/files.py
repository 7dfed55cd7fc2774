"""One compose file through the per-file steps, merged onto what came before.

For every YAML document of a file, in Docker Compose's order: take the ``!reset`` /
``!override`` tags out, substitute variables, validate against the schema, rewrite
the short syntaxes to the long ones, resolve ``extends``, drop what the tags reset
from the earlier files, import the ``include``\\ d projects, and merge.

:class:`Provenance` remembers which file and line set each path of the result.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from compose.errors import ConfigError
from compose.loader import merge as merging
from compose.loader import observe
from compose.loader.interpolate import interpolate
from compose.loader.yamlsource import Document, SourceMap, parse_documents
from compose.validate import validate_file

__all__ = ["Context", "Notes", "Provenance", "load_file", "load_files", "parse_file", "read_file"]

Path = tuple[str | int, ...]
Where = tuple[str, int, int]


@dataclass
class Provenance:
    """Path in the merged data -> (file, line, column) of the last node that set it."""

    positions: dict[Path, Where] = field(default_factory=dict)

    def record(self, source: SourceMap, *, prefix: Path = (), into: Path | None = None, keep: bool = False) -> None:
        """Take the positions of ``source`` under ``prefix``, moved to ``into``; with
        ``keep``, positions already known stay (a base under its extending service)."""
        target = prefix if into is None else into
        for path, (line, col) in source.positions.items():
            if path[: len(prefix)] != prefix:
                continue
            moved = target + path[len(prefix) :]
            if keep and moved in self.positions:
                continue
            self.positions[moved] = (source.file, line, col)

    def locate(self, path: Path) -> Where | None:
        path = tuple(path)
        while True:
            where = self.positions.get(path)
            if where is not None or not path:
                return where
            path = path[:-1]


@dataclass
class Notes:
    """What loading met on the way: warnings (each once, in order; the CLI shows
    them), and the paths it resolved in other files."""

    warnings: list[str] = field(default_factory=list)
    # absolute paths made from relative ones of other files (extends bases, includes)
    resolved_paths: set[str] = field(default_factory=set)

    def warn(self, message: str) -> None:
        if message not in self.warnings:
            self.warnings.append(message)

    def unset(self, name: str) -> None:
        self.warn(f'The "{name}" variable is not set. Defaulting to a blank string.')


@dataclass(frozen=True)
class Context:
    """What the per-file steps need to know about the project being loaded."""

    environment: Mapping[str, str]
    working_dir: str  # absolute; relative ``include``/``extends`` paths start here
    provenance: Provenance
    notes: Notes = field(default_factory=Notes)
    interpolate: bool = True
    validate: bool = True
    extends: bool = True
    include: bool = True
    included: tuple[str, ...] = ()  # the chain of files including this one
    stdin: str | None = None

    def but(self, **changes: Any) -> Context:
        return replace(self, **changes)


def read_file(name: str, stdin: str | None = None) -> str:
    """The text of a compose file (``-`` is standard input)."""
    if name == "-":
        return stdin or ""
    try:
        return observe.read_text(name)
    except FileNotFoundError:
        raise ConfigError(f"open {name}: no such file or directory") from None
    except IsADirectoryError:
        raise ConfigError(f"read {name}: is a directory") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{name}: not UTF-8 text ({exc.reason})") from None
    except OSError as exc:
        raise ConfigError(f"open {name}: {exc.strerror}") from None


def _validate_extended(raw: Any, data: dict[str, Any], source: SourceMap) -> None:
    """Check services that ``extends`` built: what they took from a base (of another
    file, not validated on its own) must be valid too."""
    services = raw.get("services") if isinstance(raw, dict) else None
    if not isinstance(services, dict):
        return
    built = {n: data["services"][n] for n, s in services.items()
             if isinstance(s, dict) and "extends" in s and n in (data.get("services") or {})}
    if built:
        validate_file({"services": built}, source)


def _process(doc: Document, name: str, ctx: Context, merged: dict[str, Any]) -> dict[str, Any]:
    from compose.loader import extends, include
    from compose.loader.transform import canonical

    source = doc.source
    data, resets = merging.split_tags(doc.data)
    if not isinstance(data, dict):
        raise ConfigError("top-level object must be a mapping", file=source.file, line=1, column=1)
    if ctx.interpolate:
        data = interpolate(data, ctx.environment, source, on_unset=ctx.notes.unset)
    if ctx.validate:
        validate_file(data, source)
    data = canonical(data, source=source, lenient=not ctx.interpolate)
    ctx.provenance.record(source)
    if ctx.extends:
        data = extends.apply_extends(data, name, source, resets, ctx)
        if ctx.validate:
            _validate_extended(doc.data, merging.enforce_unicity(data), source)
    merged = merging.apply_resets(merged, resets)
    if ctx.include:
        data = include.apply_include(data, name, source, ctx.but(included=(*ctx.included, name)))
    data.pop("include", None)
    earlier = bool(merged)
    merged = merging.merge(merged, data)
    merged = merging.enforce_unicity(merged)
    if earlier and ctx.validate:
        # What two files make together must be valid too (a list item given by both
        # files, say); errors point into this file, the one that made it invalid.
        validate_file(merged, source)
    if merged.pop("version", None) is not None and ctx.validate:
        ctx.notes.warn(
            f"{source.file}: the attribute `version` is obsolete, it will be ignored, "
            "please remove it to avoid potential confusion"
        )
    merged = merging.omit_empty(merged)
    return merging.enforce_unicity(merged)


def parse_file(name: str, ctx: Context) -> list[Document]:
    """The YAML documents of ``name`` (an absolute path, or ``-``)."""
    return parse_documents(read_file(name, ctx.stdin), name if name != "-" else "<stdin>")


def load_file(
    name: str, ctx: Context, merged: dict[str, Any] | None = None, docs: Sequence[Document] | None = None
) -> dict[str, Any]:
    """``name`` (an absolute path, or ``-``; ``docs`` if already parsed) merged onto ``merged``."""
    out = merged if merged is not None else {}
    for doc in docs if docs is not None else parse_file(name, ctx):
        out = _process(doc, name, ctx, out)
    return out


def load_files(
    names: Sequence[str], ctx: Context, parsed: Mapping[str, Sequence[Document]] | None = None
) -> dict[str, Any]:
    """Several files merged in order (the later ones override)."""
    merged: dict[str, Any] = {}
    for name in names:
        merged = load_file(name, ctx, merged, parsed.get(name) if parsed else None)
    return merged


def absolute(path: str, base: str) -> str:
    """``path`` made absolute against ``base`` (``~`` is not expanded here)."""
    return os.path.normpath(os.path.join(base, path))


def resolve_other_file(data: dict[str, Any], base_dir: str, ctx: Context) -> dict[str, Any]:
    """The relative paths of another file's model (an ``extends`` base, an included
    project) resolved against that file's directory ``base_dir``; the paths made are
    remembered in ``ctx.notes`` (see :func:`relative_to`)."""
    from compose.loader.paths import resolve_paths

    resolved = resolve_paths(data, base_dir, ctx.environment)
    _remember(data, resolved, ctx.notes.resolved_paths)
    return resolved


def _remember(before: Any, after: Any, made: set[str]) -> None:
    if isinstance(before, dict) and isinstance(after, dict):
        for key, value in after.items():
            if key in before:
                _remember(before[key], value, made)
    elif isinstance(before, list) and isinstance(after, list) and len(before) == len(after):
        for b, a in zip(before, after, strict=True):
            _remember(b, a, made)
    elif isinstance(before, str) and isinstance(after, str) and before != after and not before.startswith("~"):
        made.add(after)


def relative_to(data: Any, made: set[str], project_dir: str) -> Any:
    """``data`` with the paths of ``made`` written relative to ``project_dir``: with
    ``--no-path-resolution``, Docker Compose still resolves the paths of other files,
    but relative to the project directory (``common/src``, not ``/abs/common/src``)."""
    if not made:
        return data
    if isinstance(data, dict):
        return {k: relative_to(v, made, project_dir) for k, v in data.items()}
    if isinstance(data, list):
        return [relative_to(v, made, project_dir) for v in data]
    if isinstance(data, str) and data in made:
        return os.path.relpath(data, project_dir)
    return data
