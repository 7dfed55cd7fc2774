"""Layer unpacking: what a layer may hold is kept; what a hostile layer tries is refused."""

from __future__ import annotations

import io
import os
import stat
import tarfile
from pathlib import Path

import pytest
from helpers.images import Entry, compress, directory, file, hardlink, layer, opaque, sha256, symlink, whiteout

from runtime.images.errors import UnsafeArchive
from runtime.images.layers import OPAQUE_XATTR, unpack

CAP_NET_RAW = b"\x01\x00\x00\x02\x00\x20\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"


def _unpack(tmp_path: Path, data: bytes, how: str | None = None) -> tuple[Path, str]:
    dest = tmp_path / "diff"
    dest.mkdir()
    stats = unpack(io.BufferedReader(io.BytesIO(compress(data, how))), dest, "layer")  # type: ignore[arg-type]
    return dest, stats.diff_id


@pytest.mark.parametrize("how", [None, "gzip", "zstd"])
def test_diff_id_is_sha256_of_uncompressed_tar(tmp_path: Path, how: str | None) -> None:
    data = layer([file("a", "x")])
    _dest, diff_id = _unpack(tmp_path, data, how)
    assert diff_id == sha256(data)


def test_kinds_modes_owners_links_and_times(tmp_path: Path) -> None:
    data = layer([
        directory("d", 0o750, uid=12, gid=34, mtime=1_600_000_000),
        file("d/f", "hello", 0o640, uid=1000, gid=1001, mtime=1_500_000_000.5),
        file("suid", "x", 0o4755), file("sgid", "x", 0o2755),
        directory("sticky", 0o1777),
        symlink("link", "/etc/passwd"),
        hardlink("d/hard", "d/f"),
        Entry("dev/null", "char", mode=0o666, major=1, minor=3),
        Entry("dev/loop", "block", mode=0o660, major=7, minor=0),
        Entry("fifo", "fifo", mode=0o600),
        file("cap", "x", 0o755, xattrs={"security.capability": CAP_NET_RAW, "user.note": b"hi"}),
    ])
    d, _ = _unpack(tmp_path, data)
    st = os.stat(d / "d")
    assert (stat.S_IMODE(st.st_mode), st.st_uid, st.st_gid, st.st_mtime) == (0o750, 12, 34, 1_600_000_000)
    st = os.stat(d / "d/f")
    assert (stat.S_IMODE(st.st_mode), st.st_uid, st.st_gid) == (0o640, 1000, 1001)
    assert st.st_mtime_ns == 1_500_000_000_500_000_000
    assert stat.S_IMODE(os.stat(d / "suid").st_mode) == 0o4755
    assert stat.S_IMODE(os.stat(d / "sgid").st_mode) == 0o2755
    assert stat.S_IMODE(os.stat(d / "sticky").st_mode) == 0o1777
    assert os.readlink(d / "link") == "/etc/passwd"
    assert os.stat(d / "d/hard").st_ino == st.st_ino
    null = os.stat(d / "dev/null")
    assert stat.S_ISCHR(null.st_mode) and os.major(null.st_rdev) == 1 and os.minor(null.st_rdev) == 3
    assert stat.S_ISBLK(os.stat(d / "dev/loop").st_mode)
    assert stat.S_ISFIFO(os.stat(d / "fifo").st_mode)
    assert os.getxattr(d / "cap", "security.capability") == CAP_NET_RAW
    assert os.getxattr(d / "cap", "user.note") == b"hi"


def test_whiteouts_become_overlay_whiteouts(tmp_path: Path) -> None:
    d, _ = _unpack(tmp_path, layer([whiteout("etc/gone"), opaque("data"), file("data/new", "n")]))
    gone = os.lstat(d / "etc/gone")
    assert stat.S_ISCHR(gone.st_mode) and gone.st_rdev == 0
    assert os.getxattr(d / "data", OPAQUE_XATTR) == b"y"
    assert not (d / "data/.wh..wh..opq").exists()
    assert (d / "data/new").read_text() == "n"


def test_archive_cannot_set_overlay_xattrs(tmp_path: Path) -> None:
    d, _ = _unpack(tmp_path, layer([directory("x", xattrs={"trusted.overlay.redirect": b"/etc"})]))
    assert "trusted.overlay.redirect" not in os.listxattr(d / "x")


def test_sparse_file_keeps_holes(tmp_path: Path) -> None:
    body = b"a" + bytes(8 << 20) + b"z"
    d, _ = _unpack(tmp_path, layer([file("sparse", body)]))
    st = os.stat(d / "sparse")
    assert st.st_size == len(body)
    assert st.st_blocks * 512 < 1 << 20
    with open(d / "sparse", "rb") as f:
        assert f.read() == body


def test_gnu_sparse_archive(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    with open(src / "s", "wb") as f:
        f.write(b"head")
        f.seek(4 << 20)
        f.write(b"tail")
    out = tmp_path / "s.tar"
    import subprocess

    subprocess.run(["tar", "--sparse", "--format=posix", "-cf", str(out), "-C", str(src), "s"], check=True)
    d, _ = _unpack(tmp_path, out.read_bytes())
    data = (d / "s").read_bytes()
    assert data[:4] == b"head" and data[-4:] == b"tail" and len(data) == (4 << 20) + 4


def test_later_entry_replaces_earlier(tmp_path: Path) -> None:
    d, _ = _unpack(tmp_path, layer([directory("x"), file("x/y"), file("x", "now a file"), symlink("l", "a"),
                                    file("l", "file")]))
    assert (d / "x").read_text() == "now a file"
    assert not (d / "l").is_symlink()


def _raw_tar(members: list[tuple[tarfile.TarInfo, bytes]]) -> bytes:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for info, data in members:
            info.size = len(data) if info.isreg() else 0
            tar.addfile(info, io.BytesIO(data))
    return out.getvalue()


def _info(name: str, kind: bytes = tarfile.REGTYPE, link: str = "") -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type, info.linkname, info.mode = kind, link, 0o644
    return info


HOSTILE = {
    "absolute path": [(_info("/etc/evil"), b"x")],
    "dot-dot traversal": [(_info("a/../../evil"), b"x")],
    "dot-dot at start": [(_info("../evil"), b"x")],
    "symlink then write through": [(_info("l", tarfile.SYMTYPE, "/tmp"), b""), (_info("l/evil"), b"x")],
    "relative symlink then write through": [(_info("l", tarfile.SYMTYPE, "../.."), b""), (_info("l/evil"), b"x")],
    "symlink dir then nested write": [(_info("d", tarfile.DIRTYPE), b""), (_info("d/l", tarfile.SYMTYPE, "/"), b""),
                                      (_info("d/l/etc/evil"), b"x")],
    "hard link outside": [(_info("h", tarfile.LNKTYPE, "../../etc/passwd"), b"")],
    "hard link absolute": [(_info("h", tarfile.LNKTYPE, "/etc/passwd"), b"")],
    "hard link to missing": [(_info("h", tarfile.LNKTYPE, "etc/passwd"), b"")],
    "hard link through symlink": [(_info("l", tarfile.SYMTYPE, "/etc"), b""), (_info("h", tarfile.LNKTYPE, "l/passwd"),
                                                                                b"")],
    "whiteout through symlink": [(_info("l", tarfile.SYMTYPE, "/etc"), b""), (_info("l/.wh.passwd"), b"")],
    "opaque through symlink": [(_info("l", tarfile.SYMTYPE, "/etc"), b""), (_info("l/.wh..wh..opq"), b"")],
}


@pytest.mark.parametrize("trick", sorted(HOSTILE))
def test_hostile_layers_are_refused(tmp_path: Path, trick: str) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "passwd").write_text("safe")
    members = []
    for info, data in HOSTILE[trick]:
        info.linkname = info.linkname.replace("/etc", os.fspath(outside)).replace("/tmp", os.fspath(outside))
        members.append((info, data))
    with pytest.raises(UnsafeArchive) as err:
        _unpack(tmp_path, _raw_tar(members))
    assert "\n" not in str(err.value)
    assert sorted(p.name for p in outside.iterdir()) == ["passwd"]
    assert (outside / "passwd").read_text() == "safe"


@pytest.mark.parametrize("how", ["gzip", "zstd", None])
def test_truncated_stream_is_refused(tmp_path: Path, how: str | None) -> None:
    data = compress(layer([file("big", os.urandom(200_000))]), how)
    with pytest.raises(UnsafeArchive, match="truncated"):
        _unpack(tmp_path, data[: len(data) // 2])


def test_garbage_is_refused(tmp_path: Path) -> None:
    with pytest.raises(UnsafeArchive):
        _unpack(tmp_path, b"\x1f\x8b" + os.urandom(1000))
