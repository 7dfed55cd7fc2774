"""``layer_from_upper``: changes made in a real overlay mount, archived, unpacked by the image
store's unpacker over the same lower dir, give the same tree; the bytes are reproducible."""

from __future__ import annotations

import gzip
import io
import os
import stat
import tarfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers.trees import snapshot

from runtime.build.layer import layer_from_upper
from runtime.images.layers import OPAQUE_XATTR, unpack
from runtime.linux import libc

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="needs root (overlay mounts, trusted xattrs)")

CAP_NET_RAW = b"\x01\x00\x00\x02\x00\x20\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"


def _lower(root: Path) -> Path:
    lower = root / "lower"
    (lower / "etc").mkdir(parents=True)
    (lower / "etc/passwd").write_text("root:x:0:0::/root:/bin/sh\n")
    (lower / "etc/gone").write_text("delete me\n")
    (lower / "etc/dir-gone").mkdir()
    (lower / "etc/dir-gone/inside").write_text("x")
    (lower / "data").mkdir()
    (lower / "data/old-1").write_text("1")
    (lower / "data/sub").mkdir()
    (lower / "data/sub/old-2").write_text("2")
    (lower / "keep").write_text("unchanged\n")
    return lower


class Overlay:
    def __init__(self, root: Path, lower: Path) -> None:
        self.lower, self.upper, self.work, self.merged = lower, root / "upper", root / "work", root / "merged"
        for d in (self.upper, self.work, self.merged):
            d.mkdir()

    def __enter__(self) -> Path:
        libc.mount("overlay", self.merged, "overlay", 0,
                   f"lowerdir={self.lower},upperdir={self.upper},workdir={self.work}")
        return self.merged

    def __exit__(self, *exc: object) -> None:
        libc.umount(self.merged, 0)


@pytest.fixture
def changed(tmp_path: Path) -> Iterator[Overlay]:
    """An overlay whose merged view had every kind of change made through it (then unmounted)."""
    ov = Overlay(tmp_path, _lower(tmp_path))
    with ov as m:
        (m / "new.txt").write_text("created\n")
        os.chmod(m / "new.txt", 0o640)
        os.chown(m / "new.txt", 1000, 1001)
        (m / "etc/passwd").write_text("root:x:0:0::/root:/bin/sh\nu:x:1000:1000::/home/u:/bin/sh\n")
        (m / "etc/gone").unlink()
        (m / "etc/dir-gone/inside").unlink()
        (m / "etc/dir-gone").rmdir()
        # replace a lower dir by a new one: overlayfs marks the new dir opaque
        (m / "data/sub/old-2").unlink()
        (m / "data/sub").rmdir()
        (m / "data/old-1").unlink()
        (m / "data").rmdir()
        (m / "data").mkdir(mode=0o750)
        (m / "data/fresh").write_text("fresh")
        (m / "bin").mkdir()
        (m / "bin/tool").write_text("#!/bin/sh\n")
        os.chmod(m / "bin/tool", 0o4755)
        os.link(m / "bin/tool", m / "bin/tool-alias")
        os.symlink("../etc/passwd", m / "bin/link")
        os.setxattr(m / "bin/tool", "security.capability", CAP_NET_RAW)
        os.setxattr(m / "bin/tool", "user.note", b"\xff\x00binary")
        os.mkfifo(m / "fifo")
        os.mknod(m / "null", stat.S_IFCHR | 0o666, os.makedev(1, 3))
        (m / "big").write_bytes(os.urandom(300_000))
        with pytest.raises(FileNotFoundError):
            os.stat(m / "etc/gone")
        expected = snapshot(m)
    ov.expected = expected  # type: ignore[attr-defined]
    yield ov


def _members(path: Path | None = None, data: bytes | None = None) -> list[tarfile.TarInfo]:
    with tarfile.open(path, fileobj=io.BytesIO(data) if data is not None else None) as tar:
        return tar.getmembers()


def _unpack_over(blob: Path, lower: Path, root: Path) -> dict[str, tuple[object, ...]]:
    """Unpack with the store's unpacker, mount it over ``lower``, snapshot the merged tree."""
    diff = root / "diff"
    diff.mkdir()
    with open(blob, "rb") as f:
        unpack(io.BufferedReader(f), diff, "layer")  # type: ignore[arg-type]
    merged = root / "view"
    merged.mkdir()
    libc.mount("overlay", merged, "overlay", libc.MS_RDONLY, f"lowerdir={diff}:{lower}")
    try:
        return snapshot(merged)
    finally:
        libc.umount(merged, 0)


def test_round_trip_through_the_store_unpacker(changed: Overlay, tmp_path: Path) -> None:
    blob = layer_from_upper(changed.upper, tmp_path / "out")
    assert not blob.empty and blob.media_type == "application/vnd.oci.image.layer.v1.tar+gzip"
    assert blob.size == blob.path.stat().st_size
    got = _unpack_over(blob.path, changed.lower, tmp_path)
    assert got == changed.expected  # type: ignore[attr-defined]
    assert "etc/gone" not in got and "data/old-1" not in got and "data/sub" not in got
    assert got["bin/tool"][5] == (("security.capability", CAP_NET_RAW), ("user.note", b"\xff\x00binary"))


def test_tar_entries_follow_the_oci_layer_rules(changed: Overlay, tmp_path: Path) -> None:
    blob = layer_from_upper(changed.upper, tmp_path / "out")
    raw = gzip.decompress(blob.path.read_bytes())
    import hashlib

    assert blob.diff_id == "sha256:" + hashlib.sha256(raw).hexdigest()
    assert blob.digest == "sha256:" + hashlib.sha256(blob.path.read_bytes()).hexdigest()
    members = _members(data=raw)
    names = [m.name for m in members]
    assert names.index("data") + 1 == names.index("data/.wh..wh..opq")  # the marker first in its dir
    assert "etc/.wh.gone" in names and "etc/.wh.dir-gone" in names
    assert names == sorted(names, key=lambda n: n.split("/"))  # depth first, sorted by name
    by = {m.name: m for m in members}
    assert by["bin/tool-alias"].islnk() and by["bin/tool-alias"].linkname == "bin/tool"
    assert by["bin/link"].issym() and by["bin/link"].linkname == "../etc/passwd"
    assert by["new.txt"].uid == 1000 and by["new.txt"].gid == 1001 and by["new.txt"].mode == 0o640
    assert all(m.uname == "" and m.gname == "" for m in members)
    assert not any(k.startswith("SCHILY.xattr.trusted.overlay") for m in members for k in m.pax_headers)
    assert by["bin/tool"].pax_headers["SCHILY.xattr.security.capability"].encode("utf-8", "surrogateescape") \
        == CAP_NET_RAW
    assert raw.endswith(bytes(1024)) and len(raw) % 512 == 0
    head = blob.path.read_bytes()[:10]
    assert head[4:8] == b"\0\0\0\0" and head[3] & 0x08 == 0  # gzip: mtime 0, no file name


def test_same_tree_same_digest_and_epoch_clamps_times(changed: Overlay, tmp_path: Path) -> None:
    a = layer_from_upper(changed.upper, tmp_path / "a")
    b = layer_from_upper(changed.upper, tmp_path / "b")
    assert (a.digest, a.diff_id) == (b.digest, b.diff_id)
    epoch = 1_000_000_000
    c = layer_from_upper(changed.upper, tmp_path / "c", epoch=epoch)
    assert c.diff_id != a.diff_id
    members = _members(c.path)
    assert all(m.mtime <= epoch for m in members) and {m.mtime for m in members} == {epoch}
    # times that are already older than the epoch are kept
    os.utime(changed.upper / "new.txt", (5, 5), follow_symlinks=False)
    d = layer_from_upper(changed.upper, tmp_path / "d", epoch=epoch)
    assert {m.name: m for m in _members(d.path)}["new.txt"].mtime == 5


def test_zstd_and_plain_and_empty(tmp_path: Path) -> None:
    upper = tmp_path / "upper"
    upper.mkdir()
    empty = layer_from_upper(upper, tmp_path / "out", compression="none")
    assert empty.empty and empty.path.read_bytes() == bytes(1024)
    # Docker's well-known empty layer
    assert empty.diff_id == "sha256:5f70bf18a086007016e948b04aed3b82103a36bea41755b6cddfaf10ace3c6ef"
    (upper / "f").write_text("x")
    z = layer_from_upper(upper, tmp_path / "out", compression="zstd")
    assert z.media_type.endswith("+zstd") and z.path.read_bytes()[:4] == b"\x28\xb5\x2f\xfd"
    plain = layer_from_upper(upper, tmp_path / "out", compression="none")
    assert z.diff_id == plain.diff_id == plain.digest


def test_skip_leaves_entries_out(tmp_path: Path) -> None:
    upper = tmp_path / "upper"
    (upper / "proc").mkdir(parents=True)
    (upper / "keep").write_text("k")
    blob = layer_from_upper(upper, tmp_path / "out", skip=lambda rel, st: rel == "proc")
    assert [m.name for m in _members(blob.path)] == ["keep"]


def test_overlay_opaque_xattr_is_read(changed: Overlay) -> None:
    assert os.getxattr(changed.upper / "data", OPAQUE_XATTR) == b"y"
