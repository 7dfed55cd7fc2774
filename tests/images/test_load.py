"""``image load``: every archive format and compression, names, platforms, refusals."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from helpers.images import (
    TestImage,
    archive_files,
    busybox_image,
    compress,
    file,
    layer,
    sha256,
    tar_of,
    write_archive,
)

from runtime.api.images import DigestMismatch, ImageError, ImageNotFound, UnsafeArchive


def small(tag: str, content: str = "x", **kw: object) -> TestImage:
    return TestImage([layer([file("f", content)])], tags=[tag], cmd=["/f"], **kw)  # type: ignore[arg-type]


@pytest.mark.parametrize("fmt", ["current", "legacy", "oci"])
@pytest.mark.parametrize("compression", [None, "gzip", "zstd"])
def test_load_formats(image_store, tmp_path: Path, fmt: str, compression: str | None) -> None:
    image = busybox_image()
    path = write_archive(tmp_path / "a.tar", [image], fmt, compression)
    [result] = image_store.load(path)
    assert result.id == image.id
    assert result.names == ("busybox:latest",)
    loaded = image_store.resolve("busybox")
    assert loaded.id == image.id
    assert loaded.config.cmd == ("sh",)
    assert loaded.layers == tuple(sha256(raw) for raw in image.layers)


@pytest.mark.parametrize("layer_compression", ["gzip", "zstd"])
def test_load_oci_layout_directory_with_compressed_layers(image_store, tmp_path: Path, layer_compression: str) -> None:
    image = small("app:1")
    write_archive(tmp_path / "layout", [image], "oci-dir", layer_compression=layer_compression)
    [result] = image_store.load(tmp_path / "layout")
    assert result.id == image.id
    assert image_store.resolve("app:1").manifest == image_store.resolve(result.id).manifest


def test_several_images_per_archive(image_store, tmp_path: Path) -> None:
    images = [small("one:1", "1"), small("two:2", "2"), small("localhost:5000/x/three:3", "3")]
    path = write_archive(tmp_path / "a.tar", images)
    results = image_store.load(path)
    assert [r.id for r in results] == [i.id for i in images]
    for image in images:
        assert image_store.resolve(image.tags[0]).id == image.id
    assert {tag for i in image_store.list() for tag in i.tags} == {"one:1", "two:2", "localhost:5000/x/three:3"}


def test_load_from_stream(image_store, tmp_path: Path) -> None:
    path = write_archive(tmp_path / "a.tar.gz", [small("s:1")], compression="gzip")
    with open(path, "rb") as f:
        [result] = image_store.load(f)
    assert image_store.resolve("s:1").id == result.id


def test_reload_moves_tag_and_keeps_old_image_dangling(image_store, tmp_path: Path) -> None:
    first, second = small("app:1", "a"), small("app:1", "b")
    image_store.load(write_archive(tmp_path / "1.tar", [first]))
    image_store.load(write_archive(tmp_path / "2.tar", [second]))
    assert image_store.resolve("app:1").id == second.id
    assert image_store.resolve(first.id).tags == ()


def _multi_platform_archive(tmp_path: Path) -> tuple[Path, TestImage, TestImage]:
    amd, arm = small("x", "amd", architecture="amd64"), small("x", "arm", architecture="arm64")
    files: dict[str, bytes] = {}
    descs = []
    for image, plat in ((amd, {"os": "linux", "architecture": "amd64"}),
                        (arm, {"os": "linux", "architecture": "arm64", "variant": "v8"})):
        sub = archive_files([image], "oci")
        index = json.loads(sub.pop("index.json"))
        files.update(sub)
        desc = index["manifests"][0]
        desc.pop("annotations")
        desc["platform"] = plat
        descs.append(desc)
    inner = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
                        "manifests": descs}).encode()
    files[f"blobs/sha256/{sha256(inner)[7:]}"] = inner
    files["index.json"] = json.dumps({"schemaVersion": 2, "manifests": [{
        "mediaType": "application/vnd.oci.image.index.v1+json", "digest": sha256(inner), "size": len(inner),
        "annotations": {"io.containerd.image.name": "docker.io/library/multi:1"}}]}).encode()
    path = tmp_path / "multi.tar"
    path.write_bytes(tar_of(files))
    return path, amd, arm


def test_index_picks_host_platform_and_platform_chooses_another(image_store, tmp_path: Path) -> None:
    path, amd, arm = _multi_platform_archive(tmp_path)
    host = os.uname().machine
    [default] = image_store.load(path)
    assert default.id == (amd.id if host == "x86_64" else arm.id)
    image_store.load(path, platform="linux/arm64")
    assert image_store.resolve("multi:1", platform="linux/arm64").id == arm.id
    assert image_store.resolve("multi:1", platform="linux/amd64").id == amd.id
    assert image_store.resolve("multi:1").id == arm.id  # the name points at the last load
    digest = image_store.resolve("multi:1").repo_digests[0]
    assert digest.startswith("multi@sha256:")
    assert image_store.resolve(digest, platform="linux/amd64").id == amd.id
    with pytest.raises(ImageNotFound):
        image_store.resolve("multi:1", platform="linux/s390x")


def test_resolve_by_id_prefix_and_digest(image_store, tmp_path: Path) -> None:
    image = small("p:1")
    image_store.load(write_archive(tmp_path / "a.tar", [image]))
    assert image_store.resolve(image.id).id == image.id
    assert image_store.resolve(image.id[7:19]).id == image.id
    with pytest.raises(ImageNotFound):
        image_store.resolve("nothere")


def _store_files(state_root) -> list[str]:
    out = []
    for dirpath, _dirs, names in os.walk(state_root.root):
        out.extend(os.path.join(dirpath, n) for n in names if not n.endswith(".lock"))
    return sorted(out)


def test_digest_mismatch_is_refused_and_leaves_nothing(image_store, state_root, tmp_path: Path) -> None:
    image = small("bad:1")
    files = archive_files([image], "current")
    name = f"blobs/sha256/{sha256(image.layers[0])[7:]}"
    files[name] = files[name][:-1] + b"!"
    (tmp_path / "bad.tar").write_bytes(tar_of(files))
    with pytest.raises(DigestMismatch):
        image_store.load(tmp_path / "bad.tar")
    assert image_store.list() == []
    assert not any("/layers/" in p or "/blobs/" in p for p in _store_files(state_root))


def test_diff_id_mismatch_is_refused(image_store, state_root, tmp_path: Path) -> None:
    image = small("bad:2")
    image.extra_config = {}
    good = image.config()
    files = archive_files([image], "legacy")
    config_name = next(n for n in files if n.endswith(".json") and "/" not in n and n != "manifest.json")
    doc = json.loads(good)
    doc["rootfs"]["diff_ids"] = ["sha256:" + "0" * 64]
    bad = json.dumps(doc).encode()
    del files[config_name]
    files[f"{sha256(bad)[7:]}.json"] = bad
    items = json.loads(files["manifest.json"])
    items[0]["Config"] = f"{sha256(bad)[7:]}.json"
    files["manifest.json"] = json.dumps(items).encode()
    (tmp_path / "bad.tar").write_bytes(tar_of(files))
    with pytest.raises(DigestMismatch, match="diff ID"):
        image_store.load(tmp_path / "bad.tar")
    assert image_store.list() == []
    assert not any("/layers/" in p for p in _store_files(state_root))


def test_hostile_layer_in_archive_leaves_no_partial_layer(image_store, state_root, tmp_path: Path) -> None:
    import io
    import tarfile

    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w") as tar:
        entries = (("ok", tarfile.REGTYPE, ""), ("l", tarfile.SYMTYPE, "/"), ("l/evil", tarfile.REGTYPE, ""))
        for name, kind, link in entries:
            info = tarfile.TarInfo(name)
            info.type, info.linkname = kind, link
            tar.addfile(info, io.BytesIO(b""))
    image = TestImage([out.getvalue()], tags=["evil:1"])
    with pytest.raises(UnsafeArchive, match="symlink"):
        image_store.load(write_archive(tmp_path / "evil.tar", [image]))
    assert image_store.list() == []
    assert not any("/layers/" in p or "/ingest/" in p for p in _store_files(state_root))


def test_truncated_archive(image_store, tmp_path: Path) -> None:
    data = compress(tar_of(archive_files([small("t:1", "y" * 100_000)])), "gzip")
    (tmp_path / "t.tar.gz").write_bytes(data[: len(data) * 2 // 3])
    with pytest.raises(UnsafeArchive, match="truncated"):
        image_store.load(tmp_path / "t.tar.gz")
    assert image_store.list() == []


def test_not_an_archive(image_store, tmp_path: Path) -> None:
    (tmp_path / "x.tar").write_bytes(tar_of({"hello": b"world"}))
    with pytest.raises(ImageError, match="neither index"):
        image_store.load(tmp_path / "x.tar")


def test_hostile_battery_through_load(image_store, state_root, tmp_path: Path) -> None:
    """Each trick of the layer battery, inside a real archive: refused, nothing outside, no partial layer."""
    import io
    import tarfile

    from images.test_layers import HOSTILE

    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "passwd").write_text("safe")
    for trick, members in sorted(HOSTILE.items()):
        out = io.BytesIO()
        with tarfile.open(fileobj=out, mode="w", format=tarfile.PAX_FORMAT) as tar:
            for info, data in members:
                clone = tarfile.TarInfo(info.name)
                clone.type, clone.mode = info.type, info.mode
                clone.linkname = info.linkname.replace("/etc", str(outside)).replace("/tmp", str(outside))
                clone.size = len(data) if clone.isreg() else 0
                tar.addfile(clone, io.BytesIO(data))
        image = TestImage([layer([file("fine", "ok")]), out.getvalue()], tags=["evil:1"])
        with pytest.raises(UnsafeArchive) as err:
            image_store.load(write_archive(tmp_path / "evil.tar", [image], compression="gzip"))
        assert "\n" not in str(err.value), trick
        assert sorted(p.name for p in outside.iterdir()) == ["passwd"], trick
        assert image_store.list() == [], trick
        layers = state_root.root / "images/layers"
        assert len(os.listdir(layers)) <= 1, trick  # at most the good first layer, complete
        assert not any("/ingest/" in p for p in _store_files(state_root)), trick


def test_progress_reports_reading_and_each_layer(image_store, tmp_path: Path) -> None:
    image = TestImage([layer([file("a", os.urandom(300_000))]), layer([file("b", "b")])], tags=["p:1"])
    events: list[tuple[str, int, int]] = []
    image_store.load(write_archive(tmp_path / "a.tar", [image]), progress=lambda *e: events.append(e))
    labels = list(dict.fromkeys(label for label, _d, _t in events))
    assert labels[0] == "Reading archive" and len(labels) == 3
    for label in labels:
        mine = [(d, t) for lbl, d, t in events if lbl == label]
        assert [d for d, _t in mine] == sorted(d for d, _t in mine)
        assert mine[-1][0] == mine[-1][1] > 0


def test_legacy_archive_with_symlinked_layer(image_store, tmp_path: Path) -> None:
    """Old ``docker save`` writes a layer shared by two images once, and a symlink for the second."""
    import io
    import tarfile

    shared = layer([file("shared", "s")])
    one, two = TestImage([shared], tags=["one:1"], cmd=["a"]), TestImage([shared], tags=["two:1"], cmd=["b"])
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w") as tar:
        def add(name: str, data: bytes = b"", link: str = "") -> None:
            info = tarfile.TarInfo(name)
            if link:
                info.type, info.linkname = tarfile.SYMTYPE, link
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))

        add("aaaa/layer.tar", shared)
        add("bbbb/layer.tar", link="../aaaa/layer.tar")
        items = []
        for image, layer_dir in ((one, "aaaa"), (two, "bbbb")):
            add(f"{image.id[7:]}.json", image.config())
            items.append({"Config": f"{image.id[7:]}.json", "RepoTags": image.tags,
                          "Layers": [f"{layer_dir}/layer.tar"]})
        add("manifest.json", json.dumps(items).encode())
    (tmp_path / "legacy.tar").write_bytes(out.getvalue())
    results = image_store.load(tmp_path / "legacy.tar")
    assert [r.id for r in results] == [one.id, two.id]
    assert image_store.resolve("two:1").config.cmd == ("b",)


def test_load_from_stdin_with_the_cli(state_root, tmp_path: Path) -> None:
    import subprocess
    import sys

    path = write_archive(tmp_path / "a.tar.zst", [small("stdin:1")], compression="zstd")
    env = {**os.environ, "PYCOMPOSE_ROOT": str(state_root.root), "PYCOMPOSE_RUN": str(state_root.run)}
    with open(path, "rb") as f:
        proc = subprocess.run([sys.executable, "-m", "compose", "image", "load"], stdin=f, env=env,
                              capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "Loaded image: stdin:1\n"
