"""The cache key of a ``COPY``/``ADD``: a checksum of exactly what its sources select.

The same :class:`runtime.build.sources.Selection` that the copy walks is walked here, so the
checksum covers the files the copy would write and nothing else: an edit to a file no source
selects (or one ``.dockerignore`` / ``--exclude`` hides) leaves it as it was. Each entry
contributes its path inside the copied item, the name the item gets, its file type and
permission bits, its contents (regular files), its target (symlinks) or device number, and
which earlier entry it is a hard link of; owners only when they are kept (sources from another
stage; a local context's files are owned by root once copied). Times never count: a ``touch``
or a fresh checkout does not bust the cache.
"""

from __future__ import annotations

import hashlib
import os
import stat
from collections.abc import MutableMapping, Sequence
from pathlib import Path

from runtime.build.sources import Matcher, Selection

# A content digest is reused while the file's identity and change time stay the same.
FileKey = tuple[int, int, int, int, int]


def _file_digest(path: Path, st: os.stat_result, memo: MutableMapping[FileKey, str] | None) -> str:
    key = (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)
    if memo is not None and key in memo:
        return memo[key]
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            h.update(chunk)
    digest = h.hexdigest()
    if memo is not None:
        memo[key] = digest
    return digest


def checksum(context: Path, sources: Sequence[str], matcher: Matcher | None, *, exclude: Sequence[str] = (),
             parents: bool = False, owners: bool = False,
             memo: MutableMapping[FileKey, str] | None = None) -> str:
    """``sha256:<hex>`` of what ``sources`` select under ``context`` (see the module doc).

    ``matcher`` is the context's ``.dockerignore`` (None for another stage's root or a named
    image context); ``owners``: include uid/gid (sources whose owners the copy keeps);
    ``memo``: content digests to reuse across calls of one build. URL sources are left out
    (their cache key is the download's). A source without wildcards that is missing raises
    the copy's own ``BuildError``."""
    selection = Selection(context, matcher, exclude)
    h = hashlib.sha256()

    def put(*fields: object) -> None:
        h.update(("\0".join(str(f) for f in fields) + "\n").encode("utf-8", "surrogateescape"))

    for index, source in enumerate(sources):
        if source.startswith(("http://", "https://")):
            continue
        put("source", index, source)
        for item in selection.resolve(source, parents=parents):
            put("item", item.name, "dir" if item.is_dir else "file")
            links: dict[tuple[int, int], str] = {}
            for entry in selection.walk(item):
                st = entry.st
                mode = st.st_mode
                fields: list[object] = [entry.rel, oct(stat.S_IFMT(mode)), oct(stat.S_IMODE(mode))]
                if owners:
                    fields += [st.st_uid, st.st_gid]
                if stat.S_ISREG(mode):
                    ident = (st.st_dev, st.st_ino)
                    if st.st_nlink > 1 and ident in links:
                        fields += ["link", links[ident]]
                    else:
                        if st.st_nlink > 1:
                            links[ident] = entry.rel
                        fields += [st.st_size, _file_digest(entry.path, st, memo)]
                elif stat.S_ISLNK(mode):
                    fields.append(os.readlink(entry.path))
                elif stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
                    fields.append(st.st_rdev)
                put(*fields)
    return "sha256:" + h.hexdigest()
