"""Prepared root filesystems, mounted and looked at: whiteouts, opaque dirs, links, bits, xattrs,
many layers, read-only mounts, release, and garbage collection from the roots."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from helpers.images import TestImage, directory, file, hardlink, layer, opaque, whiteout, write_archive
from helpers.mounts import mounts_under

from runtime.api.images import ImageInUse

pytestmark = pytest.mark.integration

CAP = b"\x01\x00\x00\x02\x00\x20\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"


def test_busybox_rootfs(image_store, busybox, state_root) -> None:
    root = image_store.prepare_rootfs(busybox.id, "c1")
    try:
        assert (root / "etc/motd").read_text() == "hello\n"
        assert not (root / "tmp/gone.txt").exists()
        assert stat.S_IMODE(os.stat(root / "tmp").st_mode) == 0o1777
        assert sorted(os.listdir(root / "data")) == ["new.txt"]
        assert os.stat(root / "bin/sh").st_ino == os.stat(root / "bin/busybox").st_ino
        import subprocess

        out = subprocess.run(["chroot", str(root), "/bin/sh", "-c", "echo $((6*7)); ls /data"],
                             capture_output=True, text=True, check=True).stdout
        assert out.split() == ["42", "new.txt"]
    finally:
        image_store.release_rootfs("c1")
    assert mounts_under(state_root.run) == []


def _load(image_store, tmp_path: Path, image: TestImage) -> str:
    [result] = image_store.load(write_archive(tmp_path / "img.tar", [image]))
    return result.id


def test_links_bits_and_xattrs_across_layers(image_store, tmp_path: Path) -> None:
    image = TestImage([
        layer([directory("d"), file("d/a", "shared"), hardlink("d/b", "d/a"), file("suid", "x", 0o4755),
               file("cap", "x", 0o755, xattrs={"security.capability": CAP}), directory("keep"),
               file("keep/x", "x"), file("keep/y", "y")]),
        layer([directory("d"), whiteout("d/a"), directory("keep"), whiteout("keep/x"),
               file("sgid", "x", 0o2711, uid=5, gid=6)]),
        layer([directory("keep", 0o700), opaque("keep"), file("keep/z", "z")]),
    ], tags=["links:1"])
    image_id = _load(image_store, tmp_path, image)
    root = image_store.prepare_rootfs(image_id, "c2")
    try:
        assert not (root / "d/a").exists()
        assert (root / "d/b").read_text() == "shared"
        assert stat.S_IMODE(os.stat(root / "suid").st_mode) == 0o4755
        st = os.stat(root / "sgid")
        assert (stat.S_IMODE(st.st_mode), st.st_uid, st.st_gid) == (0o2711, 5, 6)
        assert os.getxattr(root / "cap", "security.capability") == CAP
        assert sorted(os.listdir(root / "keep")) == ["z"]
        assert stat.S_IMODE(os.stat(root / "keep").st_mode) == 0o700
        (root / "new").write_text("written")
        (root / "d/b").unlink()
    finally:
        image_store.release_rootfs("c2")


def test_upper_dir_is_kept_until_release(image_store, busybox, state_root) -> None:
    root = image_store.prepare_rootfs(busybox.id, "c3")
    (root / "state").write_text("kept")
    image_store.unmount_rootfs("c3")
    assert not (root / "state").exists()
    root = image_store.prepare_rootfs(busybox.id, "c3")
    assert (root / "state").read_text() == "kept"
    assert image_store.prepare_rootfs(busybox.id, "c3") == root  # idempotent
    image_store.release_rootfs("c3")
    assert not (state_root.root / "images/rootfs/c3").exists()
    root = image_store.prepare_rootfs(busybox.id, "c3")
    try:
        assert not (root / "state").exists()
    finally:
        image_store.release_rootfs("c3")
    image_store.release_rootfs("c3")  # already released: fine


def test_read_only(image_store, busybox) -> None:
    root = image_store.prepare_rootfs(busybox.id, "ro", read_only=True)
    try:
        with pytest.raises(OSError) as err:
            (root / "x").write_text("no")
        assert err.value.errno == 30  # EROFS
    finally:
        image_store.release_rootfs("ro")


def test_128_layers(image_store, tmp_path: Path, state_root) -> None:
    layers = [layer([directory("l"), file(f"l/{i:03d}", str(i)), file("top", str(i))]) for i in range(128)]
    image_id = _load(image_store, tmp_path, TestImage(layers, tags=["many:1"]))
    root = image_store.prepare_rootfs(image_id, "many")
    try:
        assert len(os.listdir(root / "l")) == 128
        assert (root / "top").read_text() == "127"
        assert (root / "l/000").read_text() == "0"
    finally:
        image_store.release_rootfs("many")


def test_rm_refuses_while_a_container_uses_the_image(image_store, busybox) -> None:
    image_store.prepare_rootfs(busybox.id, "user")
    try:
        removed, errors = image_store.remove(["busybox"])
        assert removed == [] and len(errors) == 1 and isinstance(errors[0], ImageInUse)
        assert image_store.resolve("busybox").id == busybox.id
        removed, errors = image_store.remove(["busybox"], force=True)
        assert errors == [] and [r.action for r in removed] == ["Untagged"]
        # the container still runs on its layers, even after a prune
        image_store.prune(all_images=True)
        root = image_store.rootfs_path("user")
        assert (root / "bin/busybox").is_file()
    finally:
        image_store.release_rootfs("user")
    image_store.prune(all_images=True)
    assert image_store.list() == []


def test_rm_and_prune_free_layers_and_blobs(image_store, tmp_path: Path, state_root) -> None:
    shared = layer([file("base", "b")])
    one = TestImage([shared, layer([file("one", "1")])], tags=["one:1"])
    two = TestImage([shared, layer([file("two", "2")])], tags=["two:1"])
    image_store.load(write_archive(tmp_path / "a.tar", [one, two]))
    layers_dir = state_root.root / "images/layers"
    blobs_dir = state_root.root / "images/blobs/sha256"
    assert len(os.listdir(layers_dir)) == 3
    removed, errors = image_store.remove(["one:1"])
    assert errors == [] and [r.action for r in removed] == ["Untagged", "Deleted"]
    assert len(os.listdir(layers_dir)) == 2  # the shared one stays
    image_store.tag("two:1", "two:dangling-later")
    removed, _ = image_store.remove(["two:1"])
    assert [r.action for r in removed] == ["Untagged"]
    assert image_store.resolve("two:dangling-later").id == two.id
    image_store.remove(["two:dangling-later"])
    assert os.listdir(layers_dir) == []
    assert os.listdir(blobs_dir) == []


def test_prune_only_dangling_unless_all(image_store, tmp_path: Path) -> None:
    first, second = TestImage([layer([file("a", "1")])], tags=["app:1"]), TestImage([layer([file("a", "2")])],
                                                                                     tags=["app:1"])
    image_store.load(write_archive(tmp_path / "1.tar", [first]))
    image_store.load(write_archive(tmp_path / "2.tar", [second]))
    deleted, reclaimed = image_store.prune()
    assert [r.subject for r in deleted if r.action == "deleted"] == [first.id]
    assert reclaimed > 0
    assert [i.id for i in image_store.list()] == [second.id]
    image_store.prune(all_images=True)
    assert image_store.list() == []


def test_rm_by_id_with_several_names_needs_force(image_store, tmp_path: Path) -> None:
    image = TestImage([layer([file("x", "1")])], tags=["a:1", "b:1"])
    image_store.load(write_archive(tmp_path / "a.tar", [image]))
    removed, errors = image_store.remove([image.id[7:19]])
    assert removed == [] and isinstance(errors[0], ImageInUse) and "must be forced" in str(errors[0])
    removed, errors = image_store.remove([image.id[7:19]], force=True)
    assert errors == [] and [(r.action, r.subject) for r in removed] == [
        ("Untagged", "a:1"), ("Untagged", "b:1"), ("Deleted", image.id)]
    assert image_store.list() == []


def test_collect_sweeps_rootfs_dirs_that_lost_their_record(image_store, busybox, state_root) -> None:
    """A crash between removing a rootfs record and its directory leaves a directory GC removes."""
    image_store.prepare_rootfs(busybox.id, "half")
    image_store.unmount_rootfs("half")
    base = state_root.root / "images/rootfs/half"
    (base / "rootfs.json").unlink()
    from runtime.images.store import ImageStore as Internal

    Internal(state_root).collect()
    assert not base.exists()
    assert image_store.resolve("busybox").id == busybox.id  # still named, still complete
