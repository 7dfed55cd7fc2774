"""Interop with skopeo, an OCI implementation we did not write: what it writes, we load; what we
save, it reads and copies with equal digests; the rootfs equals GNU tar's extraction."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from helpers.images import TestImage, busybox_image, directory, file, hardlink, layer, opaque, symlink, whiteout
from helpers.images import write_archive as write
from helpers.trees import gnu_tar_rootfs, snapshot

from runtime.api.images import ImageStore
from runtime.state import StateRoot

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(shutil.which("skopeo") is None, reason="skopeo is not installed"),
]


CAP = b"\x01\x00\x00\x02\x00\x20\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"


def skopeo(*args: str) -> str:
    return subprocess.run(["skopeo", "--insecure-policy", *args], capture_output=True, text=True,
                          check=True).stdout


def kitchen_sink() -> TestImage:
    return TestImage([
        layer([directory("srv", uid=33, gid=33), file("srv/a", "a", 0o640, uid=33, gid=33), hardlink("srv/b", "srv/a"),
               file("suid", "s", 0o4755), file("sgid", "g", 0o2755),
               file("cap", "c", 0o755, xattrs={"security.capability": CAP, "user.origin": b"test"}),
               symlink("abs", "/srv/a"), symlink("rel", "srv/a"),
               directory("gone"), file("gone/x", "x"), directory("opq"), file("opq/old", "o"), file("del", "d")]),
        layer([whiteout("del"), whiteout("gone"), directory("opq", 0o711), opaque("opq"), file("opq/new", "n"),
               directory("srv", uid=33, gid=33), file("srv/c", "c", 0o600, uid=1000, gid=1000)]),
    ], tags=["sink:1"], cmd=["/bin/true"])


def _rootfs_of(store: ImageStore, ref: str, cid: str) -> dict[str, tuple[object, ...]]:
    root = store.prepare_rootfs(store.resolve(ref).id, cid)
    try:
        return snapshot(root)
    finally:
        store.release_rootfs(cid)


def _skopeo_layers(layout: Path) -> list[Path]:
    index = json.loads((layout / "index.json").read_text())
    manifest_digest = index["manifests"][0]["digest"]
    manifest = json.loads((layout / "blobs/sha256" / manifest_digest[7:]).read_text())
    return [layout / "blobs/sha256" / d["digest"][7:] for d in manifest["layers"]]


@pytest.mark.parametrize("make", [busybox_image, kitchen_sink], ids=["busybox", "kitchen-sink"])
def test_skopeo_outputs_load_and_match_gnu_tar(image_store: ImageStore, tmp_path: Path, make) -> None:
    image = make()
    if make is busybox_image and not Path("/bin/busybox").exists():
        pytest.skip("busybox-static is not installed")
    source = write(tmp_path / "src.tar", [image])
    name = image.tags[0]
    skopeo("copy", f"docker-archive:{source}", f"oci:{tmp_path / 'layout'}:{name}")
    skopeo("copy", f"docker-archive:{source}", f"docker-archive:{tmp_path / 'copy.tar'}:{name}")
    expected = snapshot(gnu_tar_rootfs(_skopeo_layers(tmp_path / "layout"), tmp_path / "gnu"))

    diff_ids = tuple(json.loads(image.config())["rootfs"]["diff_ids"])
    [from_layout] = image_store.load(tmp_path / "layout")
    assert image_store.resolve(from_layout.id).layers == diff_ids
    image_store.tag(from_layout.id, name)
    assert _rootfs_of(image_store, name, "from-layout") == expected

    other = ImageStore(StateRoot(tmp_path / "s2", tmp_path / "r2"))
    [from_archive] = other.load(tmp_path / "copy.tar")
    assert other.resolve(from_archive.id).layers == diff_ids
    assert from_archive.names == (name,)
    assert _rootfs_of(other, name, "from-archive") == expected


def test_saved_archive_passes_skopeo(image_store: ImageStore, tmp_path: Path) -> None:
    image = kitchen_sink()
    image_store.load(write(tmp_path / "src.tar", [image]))
    image_store.save(["sink:1"], tmp_path / "saved.tar")
    manifest_digest = image_store.resolve("sink:1").manifest

    info = json.loads(skopeo("inspect", f"oci-archive:{tmp_path / 'saved.tar'}"))
    assert info["Digest"] == manifest_digest
    info = json.loads(skopeo("inspect", f"docker-archive:{tmp_path / 'saved.tar'}"))
    assert info["Layers"] == list(image_store.resolve("sink:1").layers)

    skopeo("copy", "--preserve-digests", f"oci-archive:{tmp_path / 'saved.tar'}", f"oci:{tmp_path / 'back'}:sink")
    index = json.loads((tmp_path / "back/index.json").read_text())
    assert index["manifests"][0]["digest"] == manifest_digest
    layout_layers = {p.name for p in _skopeo_layers(tmp_path / "back")}
    saved = json.loads((tmp_path / "back/blobs/sha256" / manifest_digest[7:]).read_text())
    assert layout_layers == {d["digest"][7:] for d in saved["layers"]}


def test_debian_through_skopeo(image_store: ImageStore, debian, tmp_path: Path) -> None:
    """A real distribution: our save -> skopeo -> OCI layout -> our load, rootfs equal to GNU tar's."""
    image_store.save(["debian:test"], tmp_path / "saved.tar")
    skopeo("copy", f"docker-archive:{tmp_path / 'saved.tar'}", f"oci:{tmp_path / 'layout'}:debian")
    expected = snapshot(gnu_tar_rootfs(_skopeo_layers(tmp_path / "layout"), tmp_path / "gnu"))
    other = ImageStore(StateRoot(tmp_path / "s2", tmp_path / "r2"))
    [loaded] = other.load(tmp_path / "layout")
    assert other.resolve(loaded.id).layers == debian.layers
    other.tag(loaded.id, "debian:copy")
    assert _rootfs_of(other, "debian:copy", "deb-copy") == expected
    assert _rootfs_of(image_store, "debian:test", "deb-orig") == expected
