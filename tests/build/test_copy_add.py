"""``ADD``: local tars (plain, gzip, bzip2, xz, zstd) unpacked into the destination, other
files copied as they are, and http(s) URLs downloaded (from a server on loopback)."""

from __future__ import annotations

import bz2
import gzip
import hashlib
import http.server
import io
import lzma
import os
import stat
import tarfile
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import zstandard

from runtime.build.copy import Sources, copy_into
from runtime.build.errors import BuildError

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="needs root (owners)")


def _tar_bytes() -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        d = tarfile.TarInfo("pkg")
        d.type, d.mode = tarfile.DIRTYPE, 0o750
        tar.addfile(d)
        f = tarfile.TarInfo("pkg/run.sh")
        f.size, f.mode, f.uid, f.gid, f.mtime = 5, 0o755, 33, 44, 1_000_000
        tar.addfile(f, io.BytesIO(b"hello"))
        link = tarfile.TarInfo("pkg/link")
        link.type, link.linkname = tarfile.SYMTYPE, "run.sh"
        tar.addfile(link)
        hard = tarfile.TarInfo("pkg/hard")
        hard.type, hard.linkname = tarfile.LNKTYPE, "pkg/run.sh"
        tar.addfile(hard)
    return buf.getvalue()


COMPRESSORS: dict[str, Callable[[bytes], bytes]] = {
    "tar": lambda b: b, "gz": gzip.compress, "bz2": bz2.compress, "xz": lzma.compress,
    "zst": lambda b: zstandard.ZstdCompressor().compress(b),
}


@pytest.mark.parametrize("kind", sorted(COMPRESSORS))
def test_add_unpacks_local_archives(tmp_path: Path, kind: str) -> None:
    ctx, root = tmp_path / "ctx", tmp_path / "root"
    ctx.mkdir()
    root.mkdir()
    (ctx / f"a.{kind}").write_bytes(COMPRESSORS[kind](_tar_bytes()))
    copy_into(root, Sources(ctx, (f"a.{kind}",)), "/opt/", unpack_archives=True)
    st = os.lstat(root / "opt/pkg/run.sh")
    assert (root / "opt/pkg/run.sh").read_bytes() == b"hello"
    assert (st.st_uid, st.st_gid, stat.S_IMODE(st.st_mode), int(st.st_mtime)) == (33, 44, 0o755, 1_000_000)
    assert stat.S_IMODE(os.lstat(root / "opt/pkg").st_mode) == 0o750
    assert os.readlink(root / "opt/pkg/link") == "run.sh"
    assert os.lstat(root / "opt/pkg/hard").st_ino == st.st_ino
    # COPY does not unpack
    copy_into(root, Sources(ctx, (f"a.{kind}",)), "/copied/")
    assert (root / f"copied/a.{kind}").read_bytes() == (ctx / f"a.{kind}").read_bytes()


def test_add_of_a_non_archive_copies_it(tmp_path: Path) -> None:
    ctx, root = tmp_path / "ctx", tmp_path / "root"
    ctx.mkdir()
    root.mkdir()
    (ctx / "fake.tar.gz").write_bytes(b"\x1f\x8b not really gzip")
    (ctx / "plain").write_text("x")
    copy_into(root, Sources(ctx, ("fake.tar.gz", "plain")), "/d/", unpack_archives=True)
    assert (root / "d/fake.tar.gz").read_bytes() == b"\x1f\x8b not really gzip"
    assert (root / "d/plain").read_text() == "x"


def test_add_chown_applies_to_unpacked_files(tmp_path: Path) -> None:
    ctx, root = tmp_path / "ctx", tmp_path / "root"
    ctx.mkdir()
    root.mkdir()
    (ctx / "a.tar").write_bytes(_tar_bytes())
    copy_into(root, Sources(ctx, ("a.tar",)), "/opt", unpack_archives=True, chown=(5, 6))
    st = os.lstat(root / "opt/pkg/run.sh")
    assert (st.st_uid, st.st_gid) == (5, 6)


def test_add_rejects_entries_leaving_the_destination(tmp_path: Path) -> None:
    ctx, root = tmp_path / "ctx", tmp_path / "root"
    ctx.mkdir()
    root.mkdir()
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        f = tarfile.TarInfo("../../evil")
        f.size = 1
        tar.addfile(f, io.BytesIO(b"x"))
    (ctx / "evil.tar").write_bytes(buf.getvalue())
    with pytest.raises(BuildError, match="outside the destination"):
        copy_into(root, Sources(ctx, ("evil.tar",)), "/opt/", unpack_archives=True)
    assert not (tmp_path / "evil").exists()


class _Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        if self.path == "/missing":
            self.send_error(404)
            return
        body = b"downloaded\n"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Last-Modified", "Tue, 15 Nov 1994 08:12:31 GMT")
        if self.path.startswith("/disposition"):
            self.send_header("Content-Disposition", 'attachment; filename="named.txt"')
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def server() -> Iterator[str]:
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join()


def test_add_url(tmp_path: Path, server: str) -> None:
    root = tmp_path / "root"
    root.mkdir()
    copy_into(root, Sources(tmp_path, (f"{server}/files/tool.sh",)), "/opt/", unpack_archives=True)
    st = os.lstat(root / "opt/tool.sh")
    assert (root / "opt/tool.sh").read_bytes() == b"downloaded\n"
    assert (stat.S_IMODE(st.st_mode), st.st_uid, int(st.st_mtime)) == (0o600, 0, 784887151)
    copy_into(root, Sources(tmp_path, (f"{server}/disposition/x",)), "/opt/", unpack_archives=True)
    assert (root / "opt/named.txt").exists()
    copy_into(root, Sources(tmp_path, (f"{server}/f",)), "/renamed", unpack_archives=True, chmod=0o755)
    assert stat.S_IMODE(os.lstat(root / "renamed").st_mode) == 0o755


def test_add_url_checksum(tmp_path: Path, server: str) -> None:
    root = tmp_path / "root"
    root.mkdir()
    good = "sha256:" + hashlib.sha256(b"downloaded\n").hexdigest()
    copy_into(root, Sources(tmp_path, (f"{server}/a",)), "/a", unpack_archives=True, checksum=good)
    assert (root / "a").exists()
    with pytest.raises(BuildError, match="digest mismatch"):
        copy_into(root, Sources(tmp_path, (f"{server}/b",)), "/b", unpack_archives=True,
                  checksum="sha256:" + "0" * 64)
    assert not (root / "b").exists()
    with pytest.raises(BuildError, match="invalid checksum"):
        copy_into(root, Sources(tmp_path, (f"{server}/b",)), "/b", unpack_archives=True, checksum="md5:00")


def test_add_url_error_status(tmp_path: Path, server: str) -> None:
    root = tmp_path / "root"
    root.mkdir()
    with pytest.raises(BuildError, match="404"):
        copy_into(root, Sources(tmp_path, (f"{server}/missing",)), "/m", unpack_archives=True)
