"""``extends``: a service built on another one, of the same file or of another file.

The base is resolved first (it may extend a third service), copied, and the
extending service is merged onto it with the usual merge rules; ``!reset`` in the
extending service drops what the base sets. A base from another file is read with
that file's own variables substituted and its relative paths resolved against its
own directory. Cycles are refused with the chain that closes them.
"""

from __future__ import annotations

import copy
import os
from dataclasses import dataclass
from typing import Any

from compose.errors import ConfigError
from compose.loader import merge as merging
from compose.loader import observe
from compose.loader.files import Context, Path, Provenance, absolute, load_file, resolve_other_file
from compose.loader.yamlsource import SourceMap

__all__ = ["apply_extends"]


@dataclass(frozen=True)
class _Chain:
    """The services visited so far, to report a cycle as Docker Compose does."""

    links: tuple[tuple[str, str], ...] = ()

    def add(self, file: str, service: str) -> _Chain:
        link = (file, service)
        if link in self.links:
            lines = ["Circular reference:", f"  {self.links[0][1]} in {self.links[0][0]}"]
            lines += [f"  extends {s} in {f}" for f, s in (*self.links[1:], link)]
            raise ConfigError("\n".join(lines))
        return _Chain((*self.links, link))


@dataclass(frozen=True)
class _Scope:
    """One file's services while its extends are resolved."""

    file: str  # the name that reports use (the path as written for other files)
    source: SourceMap | None
    services: dict[str, Any]
    ctx: Context


def apply_extends(
    data: dict[str, Any], file: str, source: SourceMap, resets: list[Path], ctx: Context
) -> dict[str, Any]:
    """``data`` (one canonical document of ``file``) with every ``extends`` resolved."""
    services = data.get("services")
    if services is None:
        return data
    if not isinstance(services, dict):
        raise source.error("services must be a mapping", ("services",))
    scope = _Scope(file, source, dict(services), ctx)
    for name in list(services):
        scope.services[name] = _resolve(name, scope, _Chain(), resets)
    return {**data, "services": scope.services}


def _resolve(name: str, scope: _Scope, chain: _Chain, resets: list[Path]) -> Any:
    service = scope.services.get(name)
    if service is None:
        return None
    if not isinstance(service, dict):
        raise ConfigError(f"services.{name} must be a mapping", file=scope.file, path=("services", name))
    spec = service.get("extends")
    if spec is None:
        return service
    where = _where(scope, ("services", name, "extends"))
    if not isinstance(spec, dict) or not isinstance(spec.get("service"), str):
        raise ConfigError(f"extends.{name}.service is required", **where)
    ref = spec["service"]
    base_scope = scope
    base_resets: list[Path] = []
    if spec.get("file") is not None:
        base_scope, base_resets = _other_file(name, ref, str(spec["file"]), scope)
    elif ref not in scope.services:
        raise ConfigError(f'cannot extend service "{name}" in {scope.file}: service "{ref}" not found', **where)
    chain = chain.add(base_scope.file, name)
    base = _resolve(ref, base_scope, chain, base_resets)
    if base is None:
        return service
    base_scope.services[ref] = base
    base = copy.deepcopy(base)
    wrapped = merging.apply_resets({"services": {name: base}}, [r for r in resets if r[:2] == ("services", name)])
    base = wrapped["services"][name]
    merged = merging.merge(base, service, ("services", "x"))
    merged.pop("extends", None)
    provenance = scope.ctx.provenance
    if base_scope.source is not None:
        provenance.record(base_scope.source, prefix=("services", ref), into=("services", name), keep=True)
    scope.services[name] = merged
    return merged


def _where(scope: _Scope, path: Path) -> dict[str, Any]:
    pos = scope.source.locate(path) if scope.source else None
    line, col = pos if pos else (None, None)
    return {"file": scope.source.file if scope.source else scope.file, "line": line, "column": col, "path": path}


def _other_file(name: str, ref: str, file: str, scope: _Scope) -> tuple[_Scope, list[Path]]:
    """The services of the file an ``extends.file`` names, read on their own."""
    from compose.loader.merge import split_tags
    from compose.loader.yamlsource import parse_documents

    local = absolute(os.path.expanduser(file) if file.startswith("~") else file, scope.ctx.working_dir)
    base_dir = os.path.dirname(local)
    # The other file's own positions are not positions of this project: only those of
    # the base service are taken, moved under the extending service (see _resolve).
    ctx = scope.ctx.but(working_dir=base_dir, extends=False, include=False, validate=False, provenance=Provenance())
    where = _where(scope, ("services", name, "extends", "file"))
    if observe.isdir(local):
        raise ConfigError(f"cannot extend service {name!r}: {local} is a directory", **where)
    if not observe.exists(local):
        raise ConfigError(f"cannot extend service {name!r}: open {local}: no such file or directory", **where)
    from compose.loader.files import read_file

    docs = parse_documents(read_file(local), local)
    # Positions of the other file, to point later errors at it; the reset paths of
    # its last document apply to its own bases.
    sources: list[SourceMap] = []
    resets: list[Path] = []
    for doc in docs:
        sources.append(doc.source)
        resets = split_tags(doc.data)[1]
    loaded = load_file(local, ctx, None, docs)
    services = loaded.get("services")
    if services is None:
        raise ConfigError(f'cannot extend service "{name}" in {local}: no services section', **where)
    if not isinstance(services, dict):
        raise ConfigError(f'cannot extend service "{name}" in {local}: services must be a mapping', **where)
    if ref not in services:
        raise ConfigError(
            f'cannot extend service "{name}" in {scope.file}: service "{ref}" not found in {file}', **where
        )
    loaded = resolve_other_file(loaded, base_dir, scope.ctx)
    source = sources[-1] if sources else None
    return _Scope(file, source, dict(loaded["services"]), ctx), resets
