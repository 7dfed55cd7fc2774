"""``develop.watch`` rules: which changed host path belongs to which rule, and where it goes.

A rule watches ``path`` (a file or a directory, absolute after loading). A change below it is
the rule's unless it is ignored: by the rule's ``ignore`` patterns (relative to ``path``), by the
build context's ``.dockerignore`` when ``path`` lies inside the context (as Docker Compose
does), or by the editor and VCS noise Docker Compose always skips (``.git``, ``*~``,
``.*.swp``, ``.#*``, ``4913``). ``include`` patterns, when given, keep only what they match.
For ``sync`` actions the container path is ``target`` joined with the path below ``path``.
"""

from __future__ import annotations

import fnmatch
import os
import posixpath
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SYNC_ACTIONS = ("sync", "sync+restart", "sync+exec")
ACTIONS = (*SYNC_ACTIONS, "restart", "rebuild")
_NOISE = ("*~", ".*.swp", ".*.swx", ".#*", "4913", "*.tmp", "___jb_tmp___", "___jb_old___")


@dataclass(frozen=True)
class Rule:
    service: str
    index: int
    action: str
    path: Path
    target: str
    ignore: Any  # an IgnoreMatcher for the rule's ignore patterns
    context_ignore: Any | None  # the build context's .dockerignore, and the context
    context: Path | None
    include: tuple[str, ...]
    exec_command: tuple[str, ...] | None
    exec_user: str
    exec_workdir: str
    exec_env: tuple[str, ...]
    exec_privileged: bool
    initial_sync: bool

    def relative(self, changed: Path) -> str | None:
        """The path below the rule's ``path`` (``""`` for the path itself), or None if not the rule's."""
        try:
            rel = changed.relative_to(self.path)
        except ValueError:
            return None
        return "" if str(rel) == "." else rel.as_posix()

    def matches(self, changed: Path) -> bool:
        rel = self.relative(changed)
        if rel is None:
            return False
        parts = rel.split("/") if rel else [changed.name]
        if ".git" in parts or any(fnmatch.fnmatchcase(parts[-1], n) for n in _NOISE):
            return False
        if rel and self.ignore.excluded(rel):
            return False
        if self.context_ignore is not None and self.context is not None:
            try:
                in_context = changed.relative_to(self.context).as_posix()
            except ValueError:
                in_context = None
            if in_context and self.context_ignore.excluded(in_context):
                return False
        if self.include:
            name = rel or changed.name
            return any(fnmatch.fnmatchcase(name, p) or fnmatch.fnmatchcase(posixpath.basename(name), p)
                       for p in self.include)
        return True

    def container_path(self, changed: Path) -> str:
        rel = self.relative(changed) or ""
        if not rel and not self.path.is_dir() and changed == self.path and self.target.endswith("/"):
            rel = changed.name
        return posixpath.normpath(posixpath.join(self.target or "/", rel)) if rel else self.target


def rules_of(project: Any, names: list[str]) -> list[Rule]:
    from runtime.api.build import IgnoreMatcher

    out = []
    for name in names:
        service = project.services[name]
        if service.develop is None:
            continue
        context = Path(service.build.context) if service.build is not None and service.build.context else None
        context_ignore = None
        if context is not None:
            dockerfile = context / (service.build.dockerfile or "Dockerfile")
            context_ignore = IgnoreMatcher.load(context, dockerfile)
        for i, rule in enumerate(service.develop.watch):
            cmd = rule.exec.command
            env = tuple(f"{k}={v}" for k, v in rule.exec.environment.items() if v is not None)
            out.append(Rule(name, i, rule.action, Path(os.path.abspath(rule.path)), rule.target,
                            IgnoreMatcher.from_patterns(rule.ignore), context_ignore, context, rule.include,
                            tuple(cmd) if cmd else None, rule.exec.user, rule.exec.working_dir, env,
                            rule.exec.privileged, rule.initial_sync))
    return out


def watched_roots(rules: list[Rule]) -> list[Path]:
    """The directories to watch: each rule path's parent (so that deleting and re-creating the
    path itself is seen), without those inside another (inotify watches are recursive here)."""
    roots: set[Path] = set()
    for rule in rules:
        root = rule.path.parent  # the parent: the path itself may be deleted and made again
        while not root.exists() and root != root.parent:
            root = root.parent
        roots.add(root)
    return sorted(r for r in roots if not any(r != o and r.is_relative_to(o) for o in roots))
