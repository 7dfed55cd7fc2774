"""Top-level ``include``: other compose projects loaded on their own and imported.

Each entry names one or more files (the first one sets the included project's
directory unless ``project_directory`` does), and optionally ``env_file``\\ s; without
them the included project's own ``.env`` is read. Variables of the including project
win over those of the included project's env files. An included project's relative
paths are resolved against its own directory before import. A service, network,
volume, secret, config or model that both define must be identical, else it is an
error; a file that includes itself, directly or not, is an error too.
"""

from __future__ import annotations

import os
from typing import Any

from compose.loader import observe
from compose.loader.dotenv import read_env_files
from compose.loader.files import Context, absolute, load_files, resolve_other_file
from compose.loader.yamlsource import SourceMap

__all__ = ["RESOURCES", "apply_include"]

# the top-level sections an included project contributes
RESOURCES = ("services", "volumes", "networks", "secrets", "configs", "models")


def _strings(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [str(v) for v in value]
    return [str(value)]


def apply_include(data: dict[str, Any], file: str, source: SourceMap, ctx: Context) -> dict[str, Any]:
    """``data`` with the resources of every included project imported."""
    entries = data.get("include")
    if entries is None:
        return data
    if not isinstance(entries, list):
        raise source.error(f"`include` must be a list, got {entries!r}", ("include",))
    out = {k: v for k, v in data.items() if k != "include"}
    for index, entry in enumerate(entries):
        if isinstance(entry, str):
            entry = {"path": entry}
        if not isinstance(entry, dict):
            raise source.error("an include entry must be a path or a mapping", ("include", index))
        imported = _load(entry, source, ("include", index), ctx)
        for key in RESOURCES:
            _import(imported, out, key, source, ("include", index))
    return out


def _load(entry: dict[str, Any], source: SourceMap, where: tuple[str | int, ...], ctx: Context) -> dict[str, Any]:
    files = [absolute(p, ctx.working_dir) for p in _strings(entry.get("path"))]
    if not files:
        raise source.error("include requires a path", where)
    project_dir = entry.get("project_directory")
    if project_dir is None or project_dir == "":
        project_dir = os.path.dirname(files[0])
    else:
        project_dir = absolute(str(project_dir), ctx.working_dir)
    if files[0] in ctx.included:
        chain = [*ctx.included, files[0]]
        raise source.error(
            "include cycle detected:\n" + chain[0] + "\n include " + "\n include ".join(chain[1:]), where
        )
    for name in files:
        if not observe.isfile(name):
            raise source.error(f"open {name}: no such file or directory", where)
    env_files = _strings(entry.get("env_file"))
    if not env_files:
        default = os.path.join(project_dir, ".env")
        env_files = [default] if observe.isfile(default) else []
    else:
        resolved = []
        for name in env_files:
            if not os.path.isabs(name):
                name = absolute(name, ctx.working_dir)
                if not observe.exists(name):
                    raise source.error(f"stat {name}: no such file or directory", (*where, "env_file"))
                if observe.isdir(name):
                    raise source.error(f"{name} is not a file", (*where, "env_file"))
            resolved.append(name)
        env_files = resolved
    from_files = read_env_files(env_files, ctx.environment, cwd=ctx.working_dir)
    environment = {**from_files, **ctx.environment}
    inner = ctx.but(environment=environment, working_dir=project_dir)
    imported = load_files(files, inner)
    from compose.loader.normalize import set_defaults

    imported = set_defaults(imported)
    return resolve_other_file(imported, project_dir, inner)


def _import(
    source_data: dict[str, Any], target: dict[str, Any], key: str, source: SourceMap, where: tuple[str | int, ...]
) -> None:
    incoming = source_data.get(key)
    if not incoming:
        return
    existing = dict(target.get(key) or {})
    for name, value in incoming.items():
        if name in existing:
            if existing[name] == value:
                continue
            raise source.error(f"{key}.{name} conflicts with imported resource", where)
        existing[name] = value
    target[key] = existing
