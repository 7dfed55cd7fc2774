"""Test images, built offline by the suite itself.

* :func:`layer` builds one layer tar from :class:`Entry` values (files, dirs, symlinks,
  hard links, whiteouts, opaque markers, devices, fifos, xattrs), deterministically.
* :class:`TestImage` + :func:`write_archive` write real ``docker save`` archives (the
  current format: OCI layout plus ``manifest.json``; or the legacy one) and OCI layouts.
* :func:`busybox_image` is a three-layer busybox (from Debian's ``busybox-static``): the
  second layer deletes ``/tmp/gone.txt``, the third replaces ``/data`` with an opaque
  whiteout.
* :func:`debian_rootfs` makes (once per machine, cached) a Debian rootfs tarball with
  ``mmdebstrap`` for ``image import``.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import shutil
import subprocess
import tarfile
from dataclasses import dataclass, field
from pathlib import Path

import zstandard

BUSYBOX = Path("/bin/busybox")
MTIME = 1_700_000_000
CACHE = Path(os.environ.get("PYCOMPOSE_TEST_CACHE", "/var/cache/pycompose-test"))
DEBIAN_PACKAGES = ("python3", "procps")
DEFAULT_PATH = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


@dataclass(frozen=True)
class Entry:
    name: str
    kind: str = "file"  # file dir symlink hardlink whiteout opaque char block fifo
    data: bytes = b""
    mode: int = 0o644
    uid: int = 0
    gid: int = 0
    link: str = ""
    xattrs: dict[str, bytes] = field(default_factory=dict)
    mtime: float = MTIME
    major: int = 0
    minor: int = 0


def file(name: str, data: bytes | str = b"", mode: int = 0o644, **kw: object) -> Entry:
    return Entry(name, "file", data.encode() if isinstance(data, str) else data, mode, **kw)  # type: ignore[arg-type]


def directory(name: str, mode: int = 0o755, **kw: object) -> Entry:
    return Entry(name, "dir", mode=mode, **kw)  # type: ignore[arg-type]


def symlink(name: str, target: str) -> Entry:
    return Entry(name, "symlink", mode=0o777, link=target)


def hardlink(name: str, target: str) -> Entry:
    return Entry(name, "hardlink", link=target)


def whiteout(name: str) -> Entry:
    """Deletes ``name`` from lower layers (Docker's ``.wh.<name>``)."""
    head, _, base = name.rpartition("/")
    return Entry(f"{head}/.wh.{base}" if head else f".wh.{base}", "file", mode=0o600)


def opaque(directory_name: str) -> Entry:
    """Hides everything lower layers have in ``directory_name``."""
    return Entry(f"{directory_name.rstrip('/')}/.wh..wh..opq", "file", mode=0o600)


_TYPES = {
    "file": tarfile.REGTYPE, "dir": tarfile.DIRTYPE, "symlink": tarfile.SYMTYPE,
    "hardlink": tarfile.LNKTYPE, "char": tarfile.CHRTYPE, "block": tarfile.BLKTYPE,
    "fifo": tarfile.FIFOTYPE,
}


def layer(entries: list[Entry]) -> bytes:
    """An uncompressed PAX tar of ``entries``, in order."""
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for e in entries:
            info = tarfile.TarInfo(e.name)
            info.type = _TYPES[e.kind]
            info.mode, info.uid, info.gid, info.mtime = e.mode, e.uid, e.gid, e.mtime
            info.linkname = e.link
            info.devmajor, info.devminor = e.major, e.minor
            info.pax_headers = {f"SCHILY.xattr.{k}": v.decode("utf-8", "surrogateescape")
                                for k, v in e.xattrs.items()}
            if e.kind == "file":
                info.size = len(e.data)
                tar.addfile(info, io.BytesIO(e.data))
            else:
                tar.addfile(info)
    return out.getvalue()


def compress(data: bytes, how: str | None) -> bytes:
    if how is None or how == "tar":
        return data
    if how == "gzip":
        return gzip.compress(data, mtime=0)
    if how == "zstd":
        return zstandard.ZstdCompressor().compress(data)
    raise ValueError(how)


def sha256(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


@dataclass
class TestImage:
    """An image: layers (uncompressed tars), config fields, names."""

    __test__ = False  # not a pytest class

    layers: list[bytes]
    tags: list[str] = field(default_factory=list)
    cmd: list[str] | None = None
    entrypoint: list[str] | None = None
    env: list[str] = field(default_factory=lambda: [DEFAULT_PATH])
    working_dir: str = ""
    user: str = ""
    labels: dict[str, str] = field(default_factory=dict)
    extra_config: dict[str, object] = field(default_factory=dict)
    architecture: str = "amd64"
    os: str = "linux"
    created: str = "2024-01-01T00:00:00Z"

    def config(self) -> bytes:
        cfg: dict[str, object] = {"Env": self.env}
        if self.cmd is not None:
            cfg["Cmd"] = self.cmd
        if self.entrypoint is not None:
            cfg["Entrypoint"] = self.entrypoint
        if self.working_dir:
            cfg["WorkingDir"] = self.working_dir
        if self.user:
            cfg["User"] = self.user
        if self.labels:
            cfg["Labels"] = self.labels
        cfg.update(self.extra_config)
        doc = {
            "architecture": self.architecture, "os": self.os, "created": self.created, "config": cfg,
            "rootfs": {"type": "layers", "diff_ids": [sha256(layer) for layer in self.layers]},
            "history": [{"created": self.created, "created_by": f"layer {i}"} for i in range(len(self.layers))],
        }
        return json.dumps(doc, sort_keys=True).encode()

    @property
    def id(self) -> str:
        return sha256(self.config())


def _oci_manifest(image: TestImage, layer_compression: str | None) -> tuple[bytes, dict[str, bytes]]:
    blobs: dict[str, bytes] = {}
    config = image.config()
    blobs[sha256(config)] = config
    layers = []
    media = {None: "", "gzip": "+gzip", "zstd": "+zstd"}[layer_compression]
    for raw in image.layers:
        data = compress(raw, layer_compression)
        blobs[sha256(data)] = data
        layers.append({"mediaType": f"application/vnd.oci.image.layer.v1.tar{media}",
                       "digest": sha256(data), "size": len(data)})
    manifest = json.dumps({
        "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": sha256(config),
                   "size": len(config)},
        "layers": layers,
    }).encode()
    blobs[sha256(manifest)] = manifest
    return manifest, blobs


def archive_files(images: list[TestImage], fmt: str = "current",
                  layer_compression: str | None = None) -> dict[str, bytes]:
    """The files of an archive: ``current`` (docker save today), ``legacy``, ``oci``."""
    files: dict[str, bytes] = {}
    if fmt == "legacy":
        manifest = []
        for image in images:
            config = image.config()
            files[f"{sha256(config)[7:]}.json"] = config
            names = []
            for raw in image.layers:
                layer_id = hashlib.sha256(b"id" + raw).hexdigest()
                files[f"{layer_id}/layer.tar"] = raw
                files[f"{layer_id}/VERSION"] = b"1.0"
                files[f"{layer_id}/json"] = json.dumps({"id": layer_id}).encode()
                names.append(f"{layer_id}/layer.tar")
            manifest.append({"Config": f"{sha256(config)[7:]}.json", "RepoTags": image.tags or None,
                             "Layers": names})
        files["manifest.json"] = json.dumps(manifest).encode()
        return files
    index = []
    docker_manifest = []
    for image in images:
        raw_manifest, blobs = _oci_manifest(image, layer_compression)
        for digest, data in blobs.items():
            files[f"blobs/sha256/{digest[7:]}"] = data
        for tag in image.tags or [None]:
            desc: dict[str, object] = {"mediaType": "application/vnd.oci.image.manifest.v1+json",
                                       "digest": sha256(raw_manifest), "size": len(raw_manifest)}
            if tag is not None:
                full = tag if "/" in tag else f"docker.io/library/{tag}"
                desc["annotations"] = {"io.containerd.image.name": full,
                                       "org.opencontainers.image.ref.name": tag.rpartition(":")[2]}
            index.append(desc)
        layer_names = [f"blobs/sha256/{sha256(compress(raw, layer_compression))[7:]}" for raw in image.layers]
        docker_manifest.append({"Config": f"blobs/sha256/{image.id[7:]}", "RepoTags": image.tags,
                                "Layers": layer_names})
    files["oci-layout"] = b'{"imageLayoutVersion":"1.0.0"}'
    files["index.json"] = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
                                      "manifests": index}).encode()
    if fmt == "current":
        files["manifest.json"] = json.dumps(docker_manifest).encode()
    return files


def tar_of(files: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w", format=tarfile.PAX_FORMAT) as tar:
        dirs: set[str] = set()
        for name, data in files.items():
            parts = name.split("/")[:-1]
            for i in range(1, len(parts) + 1):
                d = "/".join(parts[:i])
                if d not in dirs:
                    dirs.add(d)
                    info = tarfile.TarInfo(d)
                    info.type, info.mode, info.mtime = tarfile.DIRTYPE, 0o755, MTIME
                    tar.addfile(info)
            info = tarfile.TarInfo(name)
            info.size, info.mode, info.mtime = len(data), 0o644, MTIME
            tar.addfile(info, io.BytesIO(data))
    return out.getvalue()


def write_archive(path: Path, images: list[TestImage], fmt: str = "current",
                  compression: str | None = None, layer_compression: str | None = None) -> Path:
    """A ``docker save``-style archive (or, with ``fmt='oci-dir'``, an OCI layout directory)."""
    if fmt == "oci-dir":
        path.mkdir(parents=True, exist_ok=True)
        for name, data in archive_files(images, "oci", layer_compression).items():
            (path / name).parent.mkdir(parents=True, exist_ok=True)
            (path / name).write_bytes(data)
        return path
    path.write_bytes(compress(tar_of(archive_files(images, fmt, layer_compression)), compression))
    return path


BUSYBOX_APPLETS = ("sh", "ls", "cat", "echo", "sleep", "id", "stat", "true", "false", "env", "mkdir", "rm",
                   "touch", "wc", "ps", "kill", "head", "grep", "hostname", "ip", "wget", "nc", "test", "[")


def busybox_layers() -> list[bytes]:
    binary = BUSYBOX.read_bytes()
    base = [
        directory("bin"), file("bin/busybox", binary, 0o755),
        *[hardlink(f"bin/{a}", "bin/busybox") for a in BUSYBOX_APPLETS],
        directory("etc"),
        file("etc/passwd", "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/home:/bin/false\n"),
        file("etc/group", "root:x:0:\nnogroup:x:65534:\n"),
        directory("root", 0o700), directory("tmp", 0o1777), file("tmp/gone.txt", "to be deleted\n"),
        directory("data"), file("data/old.txt", "old\n"), directory("data/sub"), file("data/sub/deep.txt", "deep\n"),
        directory("proc", 0o555), directory("sys", 0o555), directory("dev"),
    ]
    delete = [directory("tmp", 0o1777), whiteout("tmp/gone.txt"), directory("etc"), file("etc/motd", "hello\n")]
    replace = [directory("data", 0o750), opaque("data"), file("data/new.txt", "new\n")]
    return [layer(base), layer(delete), layer(replace)]


def busybox_image(tags: list[str] | None = None, **kw: object) -> TestImage:
    return TestImage(busybox_layers(), tags=["busybox:latest"] if tags is None else tags, cmd=["sh"], **kw)  # type: ignore[arg-type]


def busybox_available() -> bool:
    return BUSYBOX.is_file()


def debian_rootfs() -> Path | None:
    """A Debian rootfs tarball made by mmdebstrap (minbase + python3, procps), cached per machine.

    None when mmdebstrap is missing or cannot reach a package mirror.
    """
    key = hashlib.sha256(",".join(DEBIAN_PACKAGES).encode()).hexdigest()[:12]
    target = CACHE / f"debian-bookworm-{key}.tar"
    if target.is_file():
        return target
    if shutil.which("mmdebstrap") is None:
        return None
    CACHE.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(".tmp.tar")
    result = subprocess.run(
        ["mmdebstrap", "--quiet", "--variant=minbase", f"--include={','.join(DEBIAN_PACKAGES)}",
         "bookworm", str(tmp)],
        capture_output=True, check=False,
    )
    if result.returncode != 0 or not tmp.is_file():
        tmp.unlink(missing_ok=True)
        return None
    os.replace(tmp, target)
    return target
