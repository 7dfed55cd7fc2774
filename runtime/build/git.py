"""Git repositories as build contexts, as ``docker build`` takes them.

(``ADD <git URL> <dest>`` uses the same checkout; its cache key is the commit the ref names.)

A context is a git URL when it starts with ``git://``, ``git@`` or ``github.com/``, or is an
``http(s)://`` or ``ssh://`` URL whose path ends in ``.git`` (Docker's rule). The fragment
says what to check out and where the context is inside it: ``URL#ref:subdir`` (both
optional; the default is the remote's HEAD and the root). The commit is fetched shallowly
(``--depth 1``, the ref given as a branch, a tag or a commit), submodules with it; the
``.git`` directory is not part of the context (as BuildKit leaves it out). Git runs with no
prompt for credentials, and only the URL's own transport is used (``ext::`` and local paths are
not git URLs here).
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from runtime.build.errors import BuildError

_REMOTE = re.compile(r"^(https?|ssh)://[^#]+\.git(#.*)?$")


@dataclass(frozen=True)
class GitContext:
    url: str  # what git fetches from
    ref: str  # "" for the remote's HEAD
    subdir: str  # "" for the root


def is_git_url(text: str) -> bool:
    return text.startswith(("git://", "git@", "github.com/")) or bool(_REMOTE.match(text))


def parse_git_url(text: str) -> GitContext:
    url, _, fragment = text.partition("#")
    ref, _, subdir = fragment.partition(":")
    if url.startswith("github.com/"):
        url = f"https://{url}"
    subdir = subdir.strip("/")
    if ref.startswith("-"):
        raise BuildError(f"build context {text}: {ref!r} is not a git ref")
    if any(part == ".." for part in subdir.split("/")):
        raise BuildError(f"build context {text}: the subdirectory {subdir!r} leaves the repository")
    return GitContext(url, ref, subdir)


def resolve_commit(text: str, scratch: Path) -> str:
    """The commit git URL ``text``'s ref names now (what a cache key of its contents can use)."""
    ctx = parse_git_url(text)
    if re.fullmatch(r"[0-9a-f]{40}|[0-9a-f]{64}", ctx.ref):
        return ctx.ref
    scratch.mkdir(parents=True, exist_ok=True)
    out = _git(["ls-remote", ctx.url, ctx.ref or "HEAD"], scratch, f"failed to resolve git source {text}")
    refs = dict(reversed(line.split("\t", 1)) for line in out.splitlines() if "\t" in line)
    for name in (ctx.ref or "HEAD", f"refs/heads/{ctx.ref}", f"refs/tags/{ctx.ref}^{{}}", f"refs/tags/{ctx.ref}"):
        if name in refs:
            return refs[name]
    if refs:
        return next(iter(refs.values()))
    raise BuildError(f"failed to resolve git source {text}: no ref {ctx.ref or 'HEAD'!r} in the repository")


def _git(args: list[str], cwd: Path, what: str) -> str:
    env = dict(os.environ, GIT_TERMINAL_PROMPT="0", GIT_ASKPASS="true", SSH_ASKPASS="true",
               GIT_CONFIG_NOSYSTEM="1", GIT_PROTOCOL_FROM_USER="0")
    try:
        done = subprocess.run(["git", "-c", "protocol.ext.allow=never", "-c", "protocol.file.allow=never", *args],
                              cwd=cwd, env=env, capture_output=True, text=True, check=False)
    except FileNotFoundError:
        raise BuildError(f"{what}: git is not installed; install it to build from a git repository") from None
    if done.returncode != 0:
        detail = (done.stderr.strip().splitlines() or ["failed"])[-1]
        raise BuildError(f"{what}: {detail}")
    return done.stdout


@contextlib.contextmanager
def checkout(text: str, scratch: Path, *, keep_git_dir: bool = False) -> Iterator[Path]:
    """The context directory of git URL ``text``, checked out under ``scratch`` for as long as
    the ``with`` lasts (removed afterwards, also on failure); ``keep_git_dir``: with its
    ``.git`` (``ADD --keep-git-dir``)."""
    ctx = parse_git_url(text)
    what = f"failed to fetch git context {text}"
    scratch.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="git-context-", dir=scratch))
    try:
        _git(["init", "-q"], work, what)
        _git(["remote", "add", "origin", ctx.url], work, what)
        _git(["fetch", "-q", "--depth", "1", "--no-tags", "origin", ctx.ref or "HEAD"], work, what)
        _git(["checkout", "-q", "FETCH_HEAD"], work, what)
        if (work / ".gitmodules").exists():
            _git(["submodule", "update", "-q", "--init", "--recursive", "--depth", "1"], work, what)
        if not keep_git_dir:
            shutil.rmtree(work / ".git")
        context = work / ctx.subdir if ctx.subdir else work
        if not context.is_dir() or not context.resolve().is_relative_to(work.resolve()):
            raise BuildError(f"{what}: no directory {ctx.subdir!r} in the repository")
        yield context
    finally:
        shutil.rmtree(work, ignore_errors=True)
