"""``pycompose cp``: copy files between a service container and the host (``docker cp`` rules).

``SERVICE:PATH`` names a path in the service's container (``--index`` picks a replica; copying
to a service without one copies to each of its containers). ``-`` is a tar stream on standard
input or output. Paths inside the container are resolved in its own root, symlinks included,
so nothing outside it is ever read or written. Files copied in belong to root unless ``-a``
keeps their owner.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tarfile
from pathlib import Path
from typing import Any


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--all", action="store_true", help="Include containers created by the run command")
    parser.add_argument("-a", "--archive", action="store_true", help="Archive mode (copy all uid/gid information)")
    parser.add_argument("-L", "--follow-link", action="store_true", help="Always follow symbol link in SRC_PATH")
    parser.add_argument("--index", type=int, default=0, help="Index of the container if service has multiple replicas")
    parser.add_argument("source", metavar="SRC")
    parser.add_argument("dest", metavar="DEST")


def split_target(arg: str) -> tuple[str | None, str]:
    """``web:/etc/hosts`` -> ("web", "/etc/hosts"); a host path -> (None, path)."""
    if arg == "-" or arg.startswith(("/", ".")):
        return None, arg
    service, sep, path = arg.partition(":")
    if not sep or not service or "/" in service:
        return None, arg
    return service, path


def top_name(path: str) -> str:
    """The name a copied path gets at its destination ("." for ``dir/.``: its contents)."""
    if path.endswith("/.") or path == ".":
        return "."
    return os.path.basename(path.rstrip("/")) or "."


def extract(tar: tarfile.TarFile, dest_arg: str, owner: tuple[int, int] | None) -> None:
    """Unpack a stream whose entries sit under one top name with ``docker cp``'s rules: into an
    existing directory by that name, else as ``dest_arg`` itself; ``owner`` replaces every owner."""
    dest = Path(dest_arg)
    into_dir = dest.is_dir()
    first = True
    top = ""
    for member in tar:
        if first:
            top, first = member.name, False
            if top != "." and not into_dir:
                if dest_arg.endswith("/") and not member.isdir():
                    raise FileNotFoundError(f"destination directory {dest_arg} does not exist")
                if not dest.parent.is_dir():
                    raise FileNotFoundError(f"no such directory: {dest.parent}")
        if top == ".":
            base = dest
            dest.mkdir(exist_ok=True)
            name = member.name
        elif into_dir:
            base, name = dest, member.name
        else:
            base, name = dest.parent, dest.name + member.name[len(top):]
        if owner is not None:
            member.uid, member.gid = owner
        member.name = name
        if name == "." or not name:
            continue
        target = base / name
        if target.is_symlink() or (target.exists() and not target.is_dir()):
            target.unlink()  # replaced, never written through
        tar.extract(member, base, numeric_owner=True, filter="tar")


def _fork_in_root(root: str, work: Any, close: tuple[int, ...] = ()) -> tuple[int, int]:
    """Start ``work()`` in a child process whose root is the container's: every path, symlinks
    included, resolves there as it does for the container. (pid, fd its error report comes on)."""
    err_r, err_w = os.pipe()
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            for fd in (err_r, *close):
                os.close(fd)
            os.chroot(root)
            os.chdir("/")
            work()
            code = 0
        except BaseException as exc:  # reported to the parent, which raises it
            try:
                os.write(err_w, (str(exc) or type(exc).__name__).encode()[:4000])
            except BaseException:
                pass
        finally:
            os._exit(code)
    os.close(err_w)
    return pid, err_r


def _reap(child: tuple[int, int]) -> None:
    """Wait for the child; raise what it reported."""
    pid, err_r = child
    with os.fdopen(err_r, "rb") as f:
        message = f.read().decode(errors="replace")
    _, status = os.waitpid(pid, 0)
    if status != 0:
        raise FileNotFoundError(message or "copy failed")


def _root_of(api: Any, cid: str) -> str:
    info = api.get(cid)
    if info.state.status in ("running", "paused") and info.state.pid:
        return f"/proc/{info.state.pid}/root"
    if not os.path.isdir(os.path.join(info.record.rootfs, "proc")):
        raise FileNotFoundError(f"the file system of container {info.record.name} is not mounted")
    return info.record.rootfs


def _add(tar: tarfile.TarFile, path: str, follow: bool) -> None:
    if not (os.path.exists(path) or os.path.islink(path)):
        raise FileNotFoundError(f"could not find the file {path}")
    src = os.path.realpath(path) if follow and os.path.islink(path) else path
    tar.add(src, arcname=top_name(path))


def _from_container(root: str, path: str, dest: str, follow: bool) -> None:
    import threading

    r, w = os.pipe()

    def produce() -> None:
        with os.fdopen(w, "wb") as out, tarfile.open(fileobj=out, mode="w|") as tar:
            _add(tar, path, follow)

    failure: list[BaseException] = []

    def consume() -> None:
        try:
            with os.fdopen(r, "rb") as data:
                if dest == "-":
                    shutil.copyfileobj(data, sys.stdout.buffer)
                    sys.stdout.flush()
                    return
                with tarfile.open(fileobj=data, mode="r|") as tar:
                    extract(tar, dest, (os.getuid(), os.getgid()))
        except BaseException as exc:
            failure.append(exc)

    child = _fork_in_root(root, produce, close=(r,))  # before the thread: no fd may change under the fork
    os.close(w)
    reader = threading.Thread(target=consume, daemon=True)
    reader.start()
    try:
        _reap(child)
    finally:
        reader.join()
    if failure:
        raise failure[0]


def _to_container(root: str, src: str, path: str, archive: bool, follow: bool) -> None:
    import threading

    r, w = os.pipe()
    owner = None if archive else (0, 0)

    def consume() -> None:
        with os.fdopen(r, "rb") as data, tarfile.open(fileobj=data, mode="r|") as tar:
            if src == "-":
                dest = Path(path)
                if not dest.is_dir():
                    raise FileNotFoundError(f"destination {path} must be a directory when copying a tar stream")
                for member in tar:
                    tar.extract(member, dest, numeric_owner=True, filter="tar")
                return
            extract(tar, path, owner)

    failure: list[BaseException] = []

    def produce() -> None:
        try:
            with os.fdopen(w, "wb") as out:
                if src == "-":
                    shutil.copyfileobj(sys.stdin.buffer, out)
                    return
                with tarfile.open(fileobj=out, mode="w|") as tar:
                    _add(tar, src, follow)
        except BaseException as exc:
            failure.append(exc)

    if src != "-" and not (os.path.exists(src) or os.path.islink(src)):
        raise FileNotFoundError(f"no such file or directory: {src}")
    child = _fork_in_root(root, consume, close=(w,))  # before the thread: no fd may change under the fork
    os.close(r)
    writer = threading.Thread(target=produce, daemon=True)
    writer.start()
    try:
        _reap(child)
    finally:
        writer.join()
    if failure and not isinstance(failure[0], BrokenPipeError):
        raise failure[0]


def copy_from(api: Any, cid: str, path: str, dest: str, *, follow: bool = False) -> None:
    """Copy ``path`` of container ``cid`` to the host path ``dest`` (``-``: a tar stream on stdout)."""
    from runtime.api import RuntimeFailure

    try:
        _from_container(_root_of(api, cid), path, dest, follow)
    except (OSError, tarfile.TarError) as exc:
        raise RuntimeFailure(f"cp: {exc}") from None


def copy_to(api: Any, cid: str, src: str, path: str, *, archive: bool = False, follow: bool = False) -> None:
    """Copy the host path ``src`` (``-``: a tar stream on stdin) to ``path`` in container ``cid``."""
    from runtime.api import RuntimeFailure

    try:
        _to_container(_root_of(api, cid), src, path, archive, follow)
    except (OSError, tarfile.TarError) as exc:
        raise RuntimeFailure(f"cp: {exc}") from None


def run(opts: Any, args: argparse.Namespace) -> int:
    from compose.cli.targets import open_target
    from compose.errors import UsageError
    from runtime.api import RuntimeFailure

    src_service, src_path = split_target(args.source)
    dest_service, dest_path = split_target(args.dest)
    if (src_service is None) == (dest_service is None):
        raise UsageError("copying between services is not supported: give one SERVICE:PATH and one local path"
                         if src_service else "one of source or destination must be SERVICE:PATH")
    target = open_target(opts)
    api = target.rt.containers
    progress = target.progress
    if src_service is not None:
        c = target.one(src_service, args.index or None, running=False)
        progress.event("Container", c.name, "Copying")
        copy_from(api, c.id, src_path, dest_path, follow=args.follow_link)
        progress.event("Container", c.name, "Copied")
        return 0
    assert dest_service is not None
    if args.index:
        found = [target.one(dest_service, args.index, running=False)]
    else:
        found = target.containers([dest_service], oneoff=None if args.all else False)
        if not found:
            raise RuntimeFailure(f'service "{dest_service}" has no container')
    for c in found:
        progress.event("Container", c.name, "Copying")
        copy_to(api, c.id, src_path, dest_path, archive=args.archive, follow=args.follow_link)
        progress.event("Container", c.name, "Copied")
    return 0
