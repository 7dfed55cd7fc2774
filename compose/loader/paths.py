"""Relative paths of a merged compose model made absolute against the project directory.

``RESOLVERS`` is the table: a path pattern and how the value found there is resolved.
A leading ``~`` means the home directory (``~/x`` and also ``~x``, as Docker Compose
reads it). Remote build contexts (URLs, ``git@``, ``service:`` references) are kept.
Only bind mounts have a host path among ``services.*.volumes``.
"""

from __future__ import annotations

import os
import posixpath
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from compose.errors import ConfigError
from compose.loader import observe
from compose.loader.pathtable import Cursor, PathTable
from compose.loader.yamlsource import Path

_REMOTE_PREFIXES = ("https://", "http://", "git://", "ssh://", "github.com/", "git@")


def join(base: str, path: str) -> str:
    """Go's ``filepath.Join``: joined and cleaned (``//x`` becomes ``/x``)."""
    text = "/".join(part for part in (base, path) if part)
    joined = posixpath.normpath(text) if text else ""
    return joined[1:] if joined.startswith("//") else joined


def expand_user(path: str, home: str | None) -> str:
    """``~/x`` -> ``HOME/x`` (unchanged when there is no home directory)."""
    if path.startswith("~") and home:
        return join(home, path[1:])
    return path


def _is_windows_abs(path: str) -> bool:
    return (len(path) >= 3 and path[0].isalpha() and path[1] == ":" and path[2] in "\\/") or path.startswith("\\\\")


def is_remote_context(path: str) -> bool:
    """A build context that is a URL, a Git reference or another service's image."""
    return "://" in path or path.startswith("service:") or path.startswith(_REMOTE_PREFIXES)


@dataclass(frozen=True)
class Resolver:
    """Resolves against ``working_dir``; ``home`` expands ``~``."""

    working_dir: str
    home: str | None

    def abs_path(self, value: Any, path: Path) -> Any:
        if isinstance(value, list):
            return [self.abs_path(item, (*path, i)) for i, item in enumerate(value)]
        if not isinstance(value, str):
            return value
        value = expand_user(value, self.home)
        if not value or posixpath.isabs(value):
            return value
        return join(self.working_dir, value)

    def maybe_unix_path(self, value: Any, path: Path) -> Any:
        if not isinstance(value, str):
            return value
        value = expand_user(value, self.home)
        if posixpath.isabs(value) or _is_windows_abs(value):
            return value
        return join(self.working_dir, value)

    def context_path(self, value: Any, path: Path) -> Any:
        if isinstance(value, str) and is_remote_context(value):
            return value
        return self.abs_path(value, path)

    def symlinked_path(self, value: Any, path: Path) -> Any:
        resolved = self.abs_path(value, path)
        if isinstance(resolved, str) and observe.exists(resolved):
            return observe.realpath(resolved)
        return resolved

    def volume_mount(self, value: Any, path: Path) -> Any:
        if not isinstance(value, dict) or value.get("type") != "bind":
            return value
        if "source" not in value:
            raise ConfigError('invalid mount config for type "bind": field source must not be empty', path=path)
        return {**value, "source": self.maybe_unix_path(value["source"], (*path, "source"))}

    def volume_driver_opts(self, value: Any, path: Path) -> Any:
        if not isinstance(value, dict) or value.get("driver") != "local":
            return value
        opts = value.get("driver_opts")
        if not isinstance(opts, dict) or opts.get("o") != "bind" or "device" not in opts:
            return value
        device = self.maybe_unix_path(opts["device"], (*path, "driver_opts", "device"))
        return {**value, "driver_opts": {**opts, "device": device}}


Resolve = Callable[[Resolver, Any, Path], Any]

RESOLVERS: dict[tuple[str, ...], Resolve] = {
    ("services", "*", "build", "context"): Resolver.context_path,
    ("services", "*", "build", "additional_contexts", "*"): Resolver.context_path,
    ("services", "*", "build", "ssh", "*"): Resolver.maybe_unix_path,
    ("services", "*", "env_file", "*", "path"): Resolver.abs_path,
    ("services", "*", "label_file", "*"): Resolver.abs_path,
    ("services", "*", "extends", "file"): Resolver.abs_path,
    ("services", "*", "develop", "watch", "*", "path"): Resolver.symlinked_path,
    ("services", "*", "volumes", "*"): Resolver.volume_mount,
    ("configs", "*", "file"): Resolver.maybe_unix_path,
    ("secrets", "*", "file"): Resolver.maybe_unix_path,
    ("include", "*", "path"): Resolver.abs_path,
    ("include", "*", "project_directory"): Resolver.abs_path,
    ("include", "*", "env_file"): Resolver.abs_path,
    ("volumes", "*"): Resolver.volume_driver_opts,
}


def _walk(value: Any, path: Path, resolver: Resolver, cursor: Cursor[Resolve]) -> Any:
    resolve = cursor.rule()
    if resolve is not None:
        return resolve(resolver, value, path)
    if isinstance(value, dict):
        return {k: _walk(item, (*path, k), resolver, cursor.child(k)) for k, item in value.items()}
    if isinstance(value, list):
        return [_walk(item, (*path, i), resolver, cursor.child(i)) for i, item in enumerate(value)]
    return value


def resolve_paths(data: dict, working_dir: str, environ: Mapping[str, str] | None = None) -> dict:
    """A copy of ``data`` with every relative host path made absolute."""
    home = os.environ.get("HOME") or (environ or {}).get("HOME")
    return _walk(data, (), Resolver(os.path.abspath(working_dir), home), PathTable(RESOLVERS).start())
