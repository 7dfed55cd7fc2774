"""``COPY`` and ``ADD`` into a stage's root filesystem, with BuildKit's semantics.

What is selected is :mod:`runtime.build.sources`' job; here it is written:

* The destination is relative to ``WORKDIR`` unless absolute; it names a directory when it
  ends with ``/`` (or is ``.``) or already is one; several sources (or several wildcard
  matches) need a directory. A directory source's contents are merged into the
  destination; a file source becomes the destination or goes inside it. Missing parents
  are made (mode 0755, or ``--chmod``'s; owned by ``--chown`` or root).
* Every path in the root filesystem is resolved inside it (``secure_join``): no symlink of
  the image can make a write land outside it. A symlink at a destination directory is
  followed when it leads to a directory inside the root.
* Files keep their mode, times, xattrs and hard links; owners are ``--chown``'s, else root
  for files of a local context (as Docker sends them), else the source's. ``--chmod`` sets
  the mode of every file and directory copied.
* ``ADD``: a local regular file that is a tar (plain, gzip, bzip2, xz, zstd) is unpacked into
  the destination directory instead (owners, modes and times of the archive; ``--chown``
  if given); an ``http(s)://`` source is downloaded (``runtime.build.fetch``) and copied as
  a file of mode 0600 named after the URL's last path component.
* ``--link`` is a normal copy here: the result is the same files in the same layer; what is
  not done (yet) is keeping them in a layer of their own that survives a change of the base.
"""

from __future__ import annotations

import contextlib
import os
import posixpath
import shutil
import stat
import tarfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from runtime.build.errors import BuildError
from runtime.build.sources import Entry, Item, Matcher, Selection
from runtime.container.securejoin import secure_join

DEFAULT_DIR_MODE = 0o755
_SKIP_XATTRS = ("trusted.overlay.",)


@dataclass(frozen=True)
class Sources:
    """Where ``COPY``/``ADD`` sources come from.

    ``root``: the build context, a named context, or another stage's root filesystem;
    ``paths``: the sources as written (``http(s)://`` URLs allowed for ``ADD``);
    ``context``: files of a local context (owned by root once copied, as Docker sends them).
    """

    root: Path
    paths: tuple[str, ...]
    context: bool = True


def is_url(source: str) -> bool:
    return source.startswith(("http://", "https://"))


def parse_chmod(text: str) -> int:
    """``--chmod``: an octal mode up to 07777 (what BuildKit accepts without labs features)."""
    try:
        mode = int(text, 8)
    except ValueError:
        mode = -1
    if not 0 <= mode <= 0o7777:
        raise BuildError(f"invalid chmod parameter: '{text}'. it should be octal string and between 0 and 07777")
    return mode


def _table(rootfs: Path, name: str) -> list[list[str]]:
    try:
        text = secure_join(rootfs, f"/etc/{name}").read_text(errors="replace")
    except (FileNotFoundError, NotADirectoryError):
        return []
    return [line.split(":") for line in text.splitlines() if line and not line.startswith("#")]


def resolve_chown(rootfs: Path, spec: str) -> tuple[int, int]:
    """``--chown=user[:group]`` against the destination's ``/etc/passwd`` and ``/etc/group``.

    As BuildKit: a user name without a group takes the user's primary group, a numeric user
    without a group the same number as group."""
    user, _, group = spec.partition(":")
    if not user:
        raise BuildError(f"invalid --chown value {spec!r}")
    if user.isdigit():
        uid, gid = int(user), int(user)
    else:
        entry = next((r for r in _table(rootfs, "passwd") if len(r) >= 4 and r[0] == user), None)
        if entry is None:
            raise BuildError(f"unable to convert uid/gid chown string to host mapping: unknown user {user!r} "
                             "(no such entry in /etc/passwd)")
        uid, gid = int(entry[2]), int(entry[3])
    if group:
        if group.isdigit():
            gid = int(group)
        else:
            found = next((r for r in _table(rootfs, "group") if len(r) >= 3 and r[0] == group), None)
            if found is None:
                raise BuildError(f"unable to convert uid/gid chown string to host mapping: unknown group {group!r} "
                                 "(no such entry in /etc/group)")
            gid = int(found[2])
    return uid, gid


@dataclass
class _Writer:
    """Writes entries under ``rootfs`` with the copy's owner and mode rules."""

    rootfs: Path
    chown: tuple[int, int] | None
    chmod: int | None
    context: bool
    links: dict[tuple[int, int], Path] = field(default_factory=dict)
    dir_times: list[tuple[Path, int, int]] = field(default_factory=list)

    def owner(self, st: os.stat_result) -> tuple[int, int]:
        if self.chown is not None:
            return self.chown
        return (0, 0) if self.context else (st.st_uid, st.st_gid)

    def mkdirs(self, container_path: str) -> Path:
        """The host path of ``container_path``, made (with missing parents) as a directory."""
        current = "/"
        for part in [p for p in container_path.split("/") if p]:
            current = posixpath.join(current, part)
            path = secure_join(self.rootfs, current)
            st = _lstat(path)
            if st is None:
                # a dangling symlink on the way may point to a path with missing parents too
                missing = [path]
                while _lstat(missing[-1].parent) is None and missing[-1].parent != self.rootfs:
                    missing.append(missing[-1].parent)
                for new in reversed(missing):
                    os.mkdir(new, 0o700)
                    os.lchown(new, *(self.chown or (0, 0)))
                    os.chmod(new, DEFAULT_DIR_MODE)
            elif not stat.S_ISDIR(st.st_mode):
                raise BuildError(f"cannot copy to non-directory: {current}")
        return secure_join(self.rootfs, container_path)

    def place_dir(self, target: Path, st: os.stat_result, src: Path) -> Path:
        """Make (or merge into) the directory ``target``; its host path."""
        existing = _lstat(target)
        if existing is not None and stat.S_ISLNK(existing.st_mode):
            resolved = secure_join(self.rootfs, "/" + os.path.relpath(target, self.rootfs))
            if not resolved.is_dir():
                raise BuildError(f"cannot copy to non-directory: /{os.path.relpath(target, self.rootfs)}")
            target, existing = resolved, os.lstat(resolved)
        if existing is None:
            os.mkdir(target, 0o700)
        elif not stat.S_ISDIR(existing.st_mode):
            raise BuildError(f"cannot copy to non-directory: /{os.path.relpath(target, self.rootfs)}")
        self.metadata(target, st, src)
        self.dir_times.append((target, st.st_atime_ns, st.st_mtime_ns))
        return target

    def place(self, target: Path, st: os.stat_result, src: Path) -> None:
        """Write the non-directory ``src`` at ``target`` (replacing a non-directory there)."""
        existing = _lstat(target)
        if existing is not None:
            if stat.S_ISDIR(existing.st_mode):
                raise BuildError(f"cannot replace to directory /{os.path.relpath(target, self.rootfs)} with file")
            os.unlink(target)
        mode = st.st_mode
        if stat.S_ISREG(mode):
            first = self.links.get((st.st_dev, st.st_ino)) if st.st_nlink > 1 else None
            if first is not None and _lstat(first) is not None:
                os.link(first, target, follow_symlinks=False)
                return
            with open(src, "rb") as f:
                self.write_file(target, f)
            if st.st_nlink > 1:
                self.links[(st.st_dev, st.st_ino)] = target
        elif stat.S_ISLNK(mode):
            os.symlink(os.readlink(src), target)
        elif stat.S_ISCHR(mode) or stat.S_ISBLK(mode) or stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode):
            os.mknod(target, stat.S_IFMT(mode) | 0o600, st.st_rdev)
        else:
            raise BuildError(f"cannot copy {src}: unsupported file type")
        self.metadata(target, st, src)
        os.utime(target, ns=(st.st_atime_ns, st.st_mtime_ns), follow_symlinks=False)

    @staticmethod
    def write_file(target: Path, data: BinaryIO) -> None:
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
        with os.fdopen(fd, "wb") as out:
            shutil.copyfileobj(data, out, 1 << 20)

    def metadata(self, target: Path, st: os.stat_result, src: Path | None) -> None:
        os.lchown(target, *self.owner(st))
        if stat.S_ISLNK(st.st_mode):
            return
        os.chmod(target, self.chmod if self.chmod is not None else stat.S_IMODE(st.st_mode))
        if src is not None:
            _copy_xattrs(src, target)

    def finish(self) -> None:
        for path, atime, mtime in reversed(self.dir_times):
            os.utime(path, ns=(atime, mtime), follow_symlinks=False)
        self.dir_times.clear()


def _lstat(path: Path) -> os.stat_result | None:
    try:
        return os.lstat(path)
    except (FileNotFoundError, NotADirectoryError):
        return None


def _copy_xattrs(src: Path, target: Path) -> None:
    try:
        names = os.listxattr(src, follow_symlinks=False)
    except OSError:
        return
    for name in names:
        if name.startswith(_SKIP_XATTRS):
            continue
        with contextlib.suppress(OSError):  # as BuildKit: an attribute the target cannot take is skipped
            os.setxattr(target, name, os.getxattr(src, name, follow_symlinks=False), follow_symlinks=False)


def destination(dest: str, workdir: str) -> tuple[str, bool]:
    """(absolute destination in the stage, whether it names a directory by its spelling)."""
    as_dir = dest in ("", ".") or dest.endswith(("/", "/."))
    path = dest if dest.startswith("/") else posixpath.join(workdir or "/", dest)
    return posixpath.normpath("/" + path), as_dir


def copy_into(rootfs: Path, sources: Sources, dest: str, *, workdir: str = "/", chown: tuple[int, int] | None = None,
              chmod: int | None = None, parents: bool = False, exclude: Sequence[str] = (),
              unpack_archives: bool = False, matcher: Matcher | None = None, checksum: str | None = None) -> None:
    """Copy ``sources`` to ``dest`` inside ``rootfs`` (see the module doc). ``unpack_archives``
    is ``ADD``: local archives are unpacked and URLs fetched; ``checksum`` (``ADD --checksum``)
    is verified for a URL. ``matcher`` is the context's ``.dockerignore``."""
    dest_path, as_dir = destination(dest, workdir)
    urls = [s for s in sources.paths if is_url(s)]
    if urls and not unpack_archives:
        raise BuildError("source can't be a URL for COPY")
    if checksum is not None and (len(sources.paths) != 1 or not urls):
        raise BuildError("checksum can't be specified for non-HTTP(S) sources or for multiple sources")
    selection = Selection(sources.root, matcher if sources.context else None, exclude)
    items: list[Item] = []
    for source in sources.paths:
        if not is_url(source):
            items.extend(selection.resolve(source, parents=parents))
    existing = _lstat(secure_join(rootfs, dest_path))
    dest_is_dir = as_dir or (existing is not None and stat.S_ISDIR(existing.st_mode))
    # the text has several sources: the destination must end with "/" (even if it is a directory);
    # one wildcard with several matches: it must be a directory
    if (len(sources.paths) > 1 and not as_dir) or (len(items) > 1 and not dest_is_dir):
        raise BuildError(f"When using {'ADD' if unpack_archives else 'COPY'} with more than one source file, "
                         "the destination must be a directory and end with a /")
    writer = _Writer(rootfs, chown, chmod, sources.context)
    try:
        for item in items:
            if unpack_archives and not item.is_dir and _untar_if_archive(writer, item.path, dest_path):
                continue
            _copy_item(writer, selection, item, dest_path, dest_is_dir)
        if urls:
            from runtime.build.fetch import fetched

            url_writer = _Writer(rootfs, chown, chmod, True)
            for index, url in enumerate(urls):
                with fetched(url, checksum if index == 0 else None) as (path, name):
                    _copy_item(url_writer, selection, Item(path, "", name, False), dest_path, dest_is_dir)
    except OSError as exc:
        where = f": {exc.filename}" if isinstance(exc.filename, str) else ""
        raise BuildError(f"{'ADD' if unpack_archives else 'COPY'} failed: {exc.strerror or exc}{where}") from None
    finally:
        writer.finish()


def _copy_item(writer: _Writer, selection: Selection, item: Item, dest_path: str, dest_is_dir: bool) -> None:
    if item.is_dir:
        top = writer.mkdirs(dest_path)
        st = os.lstat(item.path)
        writer.dir_times.append((top, st.st_atime_ns, st.st_mtime_ns))
        placed: dict[str, Path] = {"": top}
        for entry in selection.walk(item):
            _write_entry(writer, placed, entry)
        return
    target_path = posixpath.join(dest_path, item.name) if dest_is_dir else dest_path
    writer.mkdirs(posixpath.dirname(target_path))
    writer.place(secure_join(writer.rootfs, target_path), os.lstat(item.path), item.path)


def _write_entry(writer: _Writer, placed: dict[str, Path], entry: Entry) -> None:
    parent_rel, _, name = entry.rel.rpartition("/")
    target = placed[parent_rel] / name
    if stat.S_ISDIR(entry.st.st_mode):
        placed[entry.rel] = writer.place_dir(target, entry.st, entry.path)
    else:
        writer.place(target, entry.st, entry.path)


# -- ADD of a local archive -------------------------------------------------------------------

def _untar_if_archive(writer: _Writer, path: Path, dest_path: str) -> bool:
    """Unpack ``path`` into ``dest_path`` if it is a (compressed) tar; False if it is not one."""
    from runtime.images.layers import STREAM_ERRORS, decompressed

    if not stat.S_ISREG(os.lstat(path).st_mode):
        return False
    try:
        with open(path, "rb") as f, tarfile.open(fileobj=decompressed(f), mode="r|") as tar:  # type: ignore[call-overload]
            if tar.next() is None:
                return False
    except (*STREAM_ERRORS, OSError):
        return False
    top = writer.mkdirs(dest_path)
    try:
        with open(path, "rb") as f, tarfile.open(fileobj=decompressed(f), mode="r|") as tar:  # type: ignore[call-overload]
            for member in tar:
                _extract(writer, tar, member, top, dest_path)
    except STREAM_ERRORS as exc:
        raise BuildError(f"ADD {path.name}: corrupt archive ({exc or type(exc).__name__})") from None
    return True


def _extract(writer: _Writer, tar: tarfile.TarFile, member: tarfile.TarInfo, top: Path, dest_path: str) -> None:
    relative = posixpath.normpath(member.name.lstrip("/"))
    if relative == ".." or relative.startswith("../"):
        raise BuildError(f"ADD: archive entry {member.name!r} would be written outside the destination")
    name = "" if relative == "." else relative
    if not name:
        return
    parent_c = posixpath.join(dest_path, posixpath.dirname(name))
    parent = writer.mkdirs(parent_c) if posixpath.dirname(name) else top
    target = parent / posixpath.basename(name)
    existing = _lstat(target)
    if existing is not None and not (stat.S_ISDIR(existing.st_mode) and member.isdir()):
        if stat.S_ISDIR(existing.st_mode):
            shutil.rmtree(target)
        else:
            os.unlink(target)
    owner = writer.chown or (member.uid, member.gid)
    if member.isdir():
        if existing is None or not stat.S_ISDIR(existing.st_mode):
            os.mkdir(target, 0o700)
        writer.dir_times.append((target, int(member.mtime * 1e9), int(member.mtime * 1e9)))
    elif member.isreg():
        src = tar.extractfile(member)
        assert src is not None
        writer.write_file(target, src)
    elif member.issym():
        os.symlink(member.linkname, target)
    elif member.islnk():
        inside = posixpath.join(dest_path, posixpath.normpath("/" + member.linkname).lstrip("/"))
        link = secure_join(writer.rootfs, posixpath.dirname(inside)) / posixpath.basename(inside)
        if _lstat(link) is None:
            raise BuildError(f"ADD: hard link {member.name!r} points at {member.linkname!r}, which is not there")
        os.link(link, target, follow_symlinks=False)
        return
    elif member.ischr() or member.isblk() or member.isfifo():
        kind = stat.S_IFCHR if member.ischr() else stat.S_IFBLK if member.isblk() else stat.S_IFIFO
        os.mknod(target, kind | 0o600, os.makedev(member.devmajor, member.devminor))
    else:
        return
    os.lchown(target, *owner)
    if not member.issym():
        os.chmod(target, member.mode & 0o7777)
        for key, value in member.pax_headers.items():
            if key.startswith("SCHILY.xattr.") and not key[13:].startswith(_SKIP_XATTRS):
                with contextlib.suppress(OSError):
                    os.setxattr(target, key[13:], value.encode("utf-8", "surrogateescape"), follow_symlinks=False)
    if not member.isdir():
        with contextlib.suppress(OSError):
            os.utime(target, (member.mtime, member.mtime), follow_symlinks=False)


