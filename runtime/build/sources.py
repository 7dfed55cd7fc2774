"""Which files a ``COPY``/``ADD`` source selects, shared by the copy and by its cache checksum.

BuildKit's rules (its Dockerfile frontend and file operations):

* A source is relative to its root (the build context, a named context or another stage's
  root filesystem); a leading ``/`` and ``..`` never leave it. Symlinks on the way are
  resolved inside the root, the last component too (a symlink source copies what it points
  to; symlinks inside a copied directory stay symlinks).
* Wildcards are Go's ``filepath.Match`` (``*``, ``?``, ``[...]``, ``\\`` escapes; ``*`` stops at
  ``/``, and ``**`` is just two stars): the part from the first component with a wildcard on
  is matched against every path below the part before it; a matching directory is taken
  whole. A wildcard may match nothing.
* A directory source stands for its contents. ``--exclude`` patterns (Docker's pattern rules,
  ``**`` included) are matched against paths inside each source and against the wildcard
  match itself. ``--parents``: a source ``a/./b/c`` (or ``b/c`` from the root) selects,
  through the include pattern ``b/c`` (wildcards and ``**`` allowed), the matching paths
  below ``a`` with their parent directories.
* In a build context the ``.dockerignore`` matcher hides what it excludes, as if the file
  were not sent: an ignored source is not found, an ignored file inside a directory is not
  copied, and a directory is entered only if it can still hold something included.

``Selection.walk`` yields the entries of one selected source in the order they are to be
written: parents first, names sorted, each implicit parent directory (one that is only
there because something below it is selected) just before the first entry below it.
"""

from __future__ import annotations

import os
import posixpath
import re
import stat
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Protocol

from runtime.build.errors import BuildError
from runtime.container.securejoin import secure_join


class Matcher(Protocol):
    """What ``runtime.build.dockerignore.IgnoreMatcher`` offers."""

    def excluded(self, relpath: str) -> bool: ...

    def may_contain_included(self, reldir: str) -> bool: ...


# -- Go's filepath.Match -------------------------------------------------------------------

def has_wildcards(text: str) -> bool:
    i = 0
    while i < len(text):
        if text[i] == "\\":
            i += 2
            continue
        if text[i] in "*?[":
            return True
        i += 1
    return False


@lru_cache(maxsize=512)
def _go_regex(pattern: str) -> re.Pattern[str] | None:
    out, i, n = [], 0, len(pattern)
    while i < n:
        c = pattern[i]
        if c == "*":
            out.append("[^/]*")
        elif c == "?":
            out.append("[^/]")
        elif c == "\\":
            if i + 1 >= n:
                return None  # ErrBadPattern
            i += 1
            out.append(re.escape(pattern[i]))
        elif c == "[":
            j, cls = i + 1, ["["]
            if j < n and pattern[j] == "^":
                cls.append("^")
                j += 1
            first = True
            while j < n and (pattern[j] != "]" or first):
                first = False
                ch = pattern[j]
                if ch == "\\":
                    j += 1
                    if j >= n:
                        return None
                    ch = pattern[j]
                if ch == "-" and len(cls) > 1 and cls[-1] not in ("[", "^"):
                    cls.append("-")
                else:
                    cls.append(re.escape(ch))
                j += 1
            if j >= n or len(cls) == 1 or (len(cls) == 2 and cls[1] == "^"):
                return None
            cls.append("]")
            out.append("".join(cls))
            i = j
        else:
            out.append(re.escape(c))
        i += 1
    try:
        return re.compile("".join(out) + r"\Z", re.DOTALL)
    except re.error:
        return None


def go_match(pattern: str, name: str) -> bool:
    """``filepath.Match(pattern, name)``; a malformed pattern matches nothing (as BuildKit ignores the error)."""
    regex = _go_regex(pattern)
    return regex is not None and regex.match(name) is not None


def split_wildcards(path: str) -> tuple[str, str]:
    """(the components before the first one with a wildcard, the rest)."""
    parts = [p for p in path.split("/") if p]
    for i, part in enumerate(parts):
        if has_wildcards(part):
            return "/".join(parts[:i]), "/".join(parts[i:])
    return "/".join(parts), ""


def clean(path: str) -> str:
    """A source path relative to its root: ``/a/../b/`` -> ``b``, ``.`` or ``/`` -> ``""``."""
    norm = posixpath.normpath("/" + path)
    return norm.lstrip("/")


# -- selection -----------------------------------------------------------------------------

@dataclass(frozen=True)
class Item:
    """One selected source: a file (or other non-directory) or a directory whose contents are copied."""

    path: Path  # on the host, inside the root, symlinks followed
    rel: str  # relative to the root (after following)
    name: str  # the name it gets inside a destination directory
    is_dir: bool
    include: str | None = None  # --parents: the include pattern, relative to ``path``


@dataclass(frozen=True)
class Entry:
    rel: str  # relative to the item ("" for a non-directory item itself)
    path: Path
    st: os.stat_result


class Selection:
    """Resolves sources under ``root`` and walks them (see the module doc)."""

    def __init__(self, root: Path, ignore: Matcher | None = None, exclude: Sequence[str] = ()) -> None:
        self.root = root
        self.ignore = ignore
        self.exclude = _patterns(tuple(exclude)) if exclude else None

    def _ignored(self, rel: str) -> bool:
        return self.ignore is not None and bool(rel) and self.ignore.excluded(rel)

    def _hidden(self, rel: str, st: os.stat_result) -> bool:
        """Not in the (filtered) context: ignored, and not a directory that still holds something."""
        if not self._ignored(rel):
            return False
        return not (stat.S_ISDIR(st.st_mode) and self.ignore is not None and self.ignore.may_contain_included(rel))

    def _follow(self, rel: str) -> tuple[Path, str]:
        path = secure_join(self.root, rel)
        found = os.path.relpath(path, self.root)
        return path, "" if found == "." else found

    def resolve(self, source: str, *, parents: bool = False) -> list[Item]:
        """The items ``source`` selects; ``BuildError`` if a source without wildcards is missing."""
        if parents:
            base, sep, pattern = source.partition("/./")
            if not sep:
                base, pattern = "", source
            path, rel = self._follow(clean(base))
            st = _lstat(path)
            if st is None or not stat.S_ISDIR(st.st_mode) or self._hidden(rel, st):
                raise BuildError(f'"{source}": not found' if st is None or self._hidden(rel, st)
                                 else f'"{base}" is not a directory (--parents)')
            include = clean(pattern)
            if include and not has_wildcards(include):
                self._literal(posixpath.join(rel, include), source)  # a missing path is an error
            return [Item(path, rel, posixpath.basename(rel), True, include or None)]
        cleaned = clean(source)
        prefix, pattern = split_wildcards(cleaned)
        if not pattern:
            return [self._literal(cleaned, source)]
        base, base_rel = self._follow(prefix)
        st = _lstat(base)
        if st is None or not stat.S_ISDIR(st.st_mode):
            return []
        return list(self._wildcard(base, base_rel, "", pattern))

    def _literal(self, cleaned: str, source: str) -> Item:
        path, rel = self._follow(cleaned)
        st = _lstat(path)
        if st is None or (rel and self._hidden(rel, st)):
            why = " (excluded by .dockerignore)" if st is not None else ""
            raise BuildError(f'"{source}": not found{why}')
        name = posixpath.basename(cleaned) or posixpath.basename(rel)
        return Item(path, rel, name, stat.S_ISDIR(st.st_mode))

    def _wildcard(self, directory: Path, dir_rel: str, under: str, pattern: str) -> Iterator[Item]:
        try:
            names = sorted(os.listdir(directory))
        except OSError:
            return
        for name in names:
            rel_in = f"{under}/{name}" if under else name
            ctx_rel = f"{dir_rel}/{name}" if dir_rel else name
            path = directory / name
            st = os.lstat(path)
            if self._hidden(ctx_rel, st):
                continue
            if go_match(pattern, rel_in):
                if self.exclude is not None and self.exclude.excluded(rel_in):
                    continue
                target, target_rel = self._follow(ctx_rel)
                tst = _lstat(target)
                if tst is None or (target_rel != ctx_rel and self._hidden(target_rel, tst)):
                    continue  # a dangling link or a link to something hidden
                yield Item(target, target_rel, name, stat.S_ISDIR(tst.st_mode))
            elif stat.S_ISDIR(st.st_mode):
                yield from self._wildcard(path, ctx_rel, rel_in, pattern)

    def walk(self, item: Item) -> Iterator[Entry]:
        """Every entry to copy for ``item`` (see the module doc)."""
        if not item.is_dir:
            yield Entry("", item.path, os.lstat(item.path))
            return
        include = _patterns(("**", "!" + item.include)) if item.include else None
        yield from self._walk(item.path, "", item.rel, include, [])

    def _walk(self, directory: Path, rel: str, ctx_rel: str, include: Matcher | None,
              pending: list[Entry]) -> Iterator[Entry]:
        try:
            names = sorted(os.listdir(directory))
        except OSError as exc:
            raise BuildError(f"cannot read {ctx_rel or '.'}: {exc.strerror}") from None
        for name in names:
            child_rel = f"{rel}/{name}" if rel else name
            child_ctx = f"{ctx_rel}/{name}" if ctx_rel else name
            path = directory / name
            st = os.lstat(path)
            is_dir = stat.S_ISDIR(st.st_mode)
            blockers = [(m, key) for m, key in ((self.ignore, child_ctx), (self.exclude, child_rel),
                                                (include, child_rel)) if m is not None and m.excluded(key)]
            entry = Entry(child_rel, path, st)
            if not blockers:
                yield from pending
                pending.clear()
                yield entry
                if is_dir:
                    yield from self._walk(path, child_rel, child_ctx, include, pending)
                continue
            if is_dir and all(m.may_contain_included(key) for m, key in blockers):
                pending.append(entry)
                yield from self._walk(path, child_rel, child_ctx, include, pending)
                if pending and pending[-1] is entry:
                    pending.pop()


def _lstat(path: Path) -> os.stat_result | None:
    try:
        return os.lstat(path)
    except (FileNotFoundError, NotADirectoryError):
        return None


@lru_cache(maxsize=64)
def _patterns(patterns: tuple[str, ...]) -> Matcher:
    from runtime.build.dockerignore import IgnoreMatcher

    return IgnoreMatcher.from_patterns(patterns)
