"""``image import`` with ``--change``, and ``image save`` round trips."""

from __future__ import annotations

import io
import json
import tarfile
from pathlib import Path

import pytest
from helpers.images import TestImage, compress, directory, file, layer, write_archive

from runtime.api.images import ImageError, ImageNotFound, ImageStore
from runtime.images.changes import apply_changes, go_duration

CHANGE_CASES = [
    ("CMD echo hi", {"Cmd": ["/bin/sh", "-c", "echo hi"]}),
    ('CMD ["echo", "hi"]', {"Cmd": ["echo", "hi"]}),
    ('ENTRYPOINT ["/init"]', {"Entrypoint": ["/init"]}),
    ('ENV A=1 B="two words"', {"Env": ["A=1", "B=two words"]}),
    ("ENV LEGACY some value", {"Env": ["LEGACY=some value"]}),
    ("EXPOSE 80 53/udp 8000-8001", {"ExposedPorts": {"80/tcp": {}, "53/udp": {}, "8000/tcp": {}, "8001/tcp": {}}}),
    ('LABEL a=b "c d"=e', {"Labels": {"a": "b", "c d": "e"}}),
    ("USER 1000:1000", {"User": "1000:1000"}),
    ("WORKDIR /srv/app", {"WorkingDir": "/srv/app"}),
    ('VOLUME ["/data", "/logs"]', {"Volumes": {"/data": {}, "/logs": {}}}),
    ("VOLUME /a /b", {"Volumes": {"/a": {}, "/b": {}}}),
    ("STOPSIGNAL SIGINT", {"StopSignal": "SIGINT"}),
    ("HEALTHCHECK --interval=5s --retries=3 CMD curl -f http://localhost/",
     {"Healthcheck": {"Test": ["CMD-SHELL", "curl -f http://localhost/"], "Interval": 5_000_000_000, "Retries": 3}}),
    ('HEALTHCHECK CMD ["true"]', {"Healthcheck": {"Test": ["CMD", "true"]}}),
    ("HEALTHCHECK NONE", {"Healthcheck": {"Test": ["NONE"]}}),
    ("ONBUILD RUN make", {"OnBuild": ["RUN make"]}),
]


@pytest.mark.parametrize(("line", "expected"), CHANGE_CASES)
def test_change_table(line: str, expected: dict[str, object]) -> None:
    assert apply_changes({}, [line]) == expected


def test_changes_apply_in_order() -> None:
    cfg = apply_changes({}, ["ENV A=1", "ENV A=2", "WORKDIR /a", "WORKDIR b"])
    assert cfg == {"Env": ["A=2"], "WorkingDir": "/a/b"}


@pytest.mark.parametrize("line", ["RUN make", "COPY a b", "CMD", "EXPOSE http", "HEALTHCHECK --bogus=1 CMD x"])
def test_invalid_changes(line: str) -> None:
    with pytest.raises(ImageError):
        apply_changes({}, [line])


def test_go_duration() -> None:
    assert go_duration("1m30s") == 90_000_000_000
    assert go_duration("250ms") == 250_000_000


@pytest.mark.parametrize("how", [None, "gzip", "zstd"])
def test_import(image_store: ImageStore, tmp_path: Path, how: str | None) -> None:
    rootfs = layer([directory("app"), file("app/run.sh", "#!/bin/sh\necho ok\n", 0o755)])
    (tmp_path / "rootfs.tar").write_bytes(compress(rootfs, how))
    image = image_store.import_rootfs(tmp_path / "rootfs.tar", "mine:1",
                                      changes=['CMD ["/app/run.sh"]', "ENV X=1", "WORKDIR /app"], message="msg")
    assert image.tags == ("mine:1",)
    assert image.config.cmd == ("/app/run.sh",)
    assert image.config.env == ("X=1",)
    assert image.config.working_dir == "/app"
    info = image_store.inspect("mine:1")
    assert info["Comment"] == "msg"
    assert info["RootFS"]["Layers"] == [image.layers[0]]
    root = image_store.prepare_rootfs(image.id, "imp")
    try:
        assert (root / "app/run.sh").read_text().endswith("echo ok\n")
    finally:
        image_store.release_rootfs("imp")


def test_import_debian(image_store: ImageStore, debian) -> None:
    assert debian.tags == ("debian:test",)
    root = image_store.prepare_rootfs(debian.id, "deb")
    try:
        assert (root / "usr/bin/python3").exists()
        assert "bookworm" in (root / "etc/os-release").read_text()
    finally:
        image_store.release_rootfs("deb")


def _members(path: Path) -> dict[str, bytes]:
    out = {}
    with tarfile.open(path) as tar:
        for m in tar:
            if m.isreg():
                out[m.name] = tar.extractfile(m).read()  # type: ignore[union-attr]
    return out


def test_save_writes_oci_layout_and_docker_manifest(image_store: ImageStore, busybox, tmp_path: Path) -> None:
    image_store.tag("busybox", "example.com/bb:v1")
    image_store.save(["busybox", "example.com/bb:v1"], tmp_path / "out.tar")
    files = _members(tmp_path / "out.tar")
    assert json.loads(files["oci-layout"]) == {"imageLayoutVersion": "1.0.0"}
    index = json.loads(files["index.json"])
    names = sorted(m["annotations"]["io.containerd.image.name"] for m in index["manifests"])
    assert names == ["docker.io/library/busybox:latest", "example.com/bb:v1"]
    [item] = json.loads(files["manifest.json"])
    assert item["RepoTags"] == ["busybox:latest", "example.com/bb:v1"]
    assert item["Config"] == f"blobs/sha256/{busybox.id[7:]}"
    for name in (item["Config"], *item["Layers"]):
        assert name in files


def test_save_load_round_trip_keeps_digests(image_store: ImageStore, busybox, tmp_path: Path, state_root) -> None:
    image_store.save(["busybox"], tmp_path / "out.tar")
    from runtime.state import StateRoot

    other = ImageStore(StateRoot(tmp_path / "other", tmp_path / "other-run"))
    [loaded] = other.load(tmp_path / "out.tar")
    assert loaded.id == busybox.id and loaded.names == ("busybox:latest",)
    assert other.resolve("busybox").manifest == busybox.manifest


def test_save_to_stream(image_store: ImageStore, tmp_path: Path) -> None:
    image = TestImage([layer([file("x", "1")])], tags=["s:1"])
    image_store.load(write_archive(tmp_path / "in.tar", [image]))
    buf = io.BytesIO()
    image_store.save([image.id], buf)
    with tarfile.open(fileobj=io.BytesIO(buf.getvalue())) as tar:
        [item] = json.load(tar.extractfile("manifest.json"))  # type: ignore[arg-type]
    assert item["RepoTags"] is None


def test_save_unknown_image(image_store: ImageStore, tmp_path: Path) -> None:
    with pytest.raises(ImageNotFound):
        image_store.save(["nope"], tmp_path / "x.tar")
    assert not (tmp_path / "x.tar").exists()
    assert [p.name for p in tmp_path.iterdir() if p.name != "state" and p.name != "run"] == []
