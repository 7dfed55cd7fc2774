"""Typed manifests, indexes, platforms and image configs; the pinned facade of runtime.api.images."""

from __future__ import annotations

import json

import pytest

from runtime.images.config import parse_config
from runtime.images.errors import ImageError, ImageNotFound
from runtime.images.manifest import (
    DOCKER_LIST,
    OCI_INDEX,
    Descriptor,
    Index,
    Manifest,
    Platform,
    parse_document,
)


@pytest.mark.parametrize(("text", "expected"), [
    ("linux/amd64", Platform("linux", "amd64")),
    ("linux/arm64/v8", Platform("linux", "arm64", "v8")),
    ("arm64", Platform("linux", "arm64")),
    ("linux/x86_64", Platform("linux", "amd64")),
    ("Linux/ARM/v7", Platform("linux", "arm", "v7")),
])
def test_platform_parse(text: str, expected: Platform) -> None:
    assert Platform.parse(text) == expected


@pytest.mark.parametrize("text", ["", "a/b/c/d", "linux//v7"])
def test_platform_parse_invalid(text: str) -> None:
    with pytest.raises(ImageError):
        Platform.parse(text)


def _desc(digest: str, plat: Platform | None, media: str = "application/vnd.oci.image.manifest.v1+json") -> Descriptor:
    return Descriptor(media, "sha256:" + digest * 64, 10, plat)


def test_index_choice() -> None:
    index = Index(OCI_INDEX, (
        _desc("a", Platform("linux", "amd64")),
        _desc("b", Platform("linux", "arm", "v6")),
        _desc("c", Platform("linux", "arm", "v7")),
        _desc("d", Platform("unknown", "unknown")),  # an attestation manifest
    ))
    assert index.choose(Platform("linux", "amd64")).digest[7] == "a"
    assert index.choose(Platform("linux", "arm", "v7")).digest[7] == "c"
    assert index.choose(Platform("linux", "arm")).digest[7] in "bc"
    with pytest.raises(ImageNotFound, match="linux/s390x"):
        index.choose(Platform("linux", "s390x"))


def test_parse_documents_by_media_type_and_shape() -> None:
    manifest = {"schemaVersion": 2, "config": {"digest": "sha256:" + "1" * 64, "size": 2,
                                               "mediaType": "application/vnd.oci.image.config.v1+json"},
                "layers": [{"digest": "sha256:" + "2" * 64, "size": 3, "mediaType": "x"}]}
    doc = parse_document(json.dumps(manifest).encode(), "m")
    assert isinstance(doc, Manifest) and doc.layers[0].size == 3
    lst = {"schemaVersion": 2, "mediaType": DOCKER_LIST, "manifests": [
        {"digest": "sha256:" + "3" * 64, "size": 1, "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
         "platform": {"os": "linux", "architecture": "amd64"}}]}
    doc = parse_document(json.dumps(lst).encode(), "l")
    assert isinstance(doc, Index) and doc.manifests[0].platform == Platform("linux", "amd64")
    for bad in (b"[]", b"{", json.dumps({"mediaType": "text/plain"}).encode(),
                json.dumps({**manifest, "schemaVersion": 1}).encode()):
        with pytest.raises(ImageError):
            parse_document(bad, "bad")


def test_typed_config() -> None:
    raw = {
        "architecture": "arm64", "variant": "v8", "os": "linux", "created": "2024-05-01T00:00:00Z",
        "config": {
            "Env": ["A=1", "B=x=y"], "Entrypoint": [], "Cmd": None, "WorkingDir": "/srv", "User": "app",
            "ExposedPorts": {"80/tcp": {}, "53/udp": {}}, "Volumes": {"/data": {}},
            "Healthcheck": {"Test": ["CMD-SHELL", "true"], "Interval": 5_000_000_000, "Retries": 2},
            "StopSignal": "SIGQUIT", "Labels": {"k": "v"}, "OnBuild": ["RUN x"],
        },
        "rootfs": {"type": "layers", "diff_ids": ["sha256:" + "a" * 64]},
        "history": [{"created_by": "x", "empty_layer": True}, {"created_by": "y"}],
    }
    cfg = parse_config(json.dumps(raw).encode(), "c")
    assert cfg.platform == Platform("linux", "arm64", "v8")
    c = cfg.config
    assert c.entrypoint == () and c.cmd is None  # set-but-empty differs from unset
    assert c.env_map() == {"A": "1", "B": "x=y"}
    assert (c.working_dir, c.user, c.stop_signal) == ("/srv", "app", "SIGQUIT")
    assert c.exposed_ports == ("53/udp", "80/tcp") and c.volumes == ("/data",)
    assert c.healthcheck is not None and c.healthcheck.test == ("CMD-SHELL", "true")
    assert c.healthcheck.interval_ns == 5_000_000_000 and c.healthcheck.retries == 2
    assert c.labels == {"k": "v"}
    assert not hasattr(c, "on_build")
    assert [h.empty_layer for h in cfg.history] == [True, False]
    with pytest.raises(ImageError, match="rootfs"):
        parse_config(json.dumps({**raw, "rootfs": {}}).encode(), "c")


def test_api_exports_are_pinned() -> None:
    import runtime.api.images as api

    assert sorted(api.__all__) == [
        "ContainerConfig", "DigestMismatch", "Healthcheck", "HistoryRow", "Image", "ImageConfig", "ImageError",
        "ImageInUse", "ImageNotFound", "ImageStore", "InvalidReference", "LoadResult", "Platform", "Reference",
        "Removal", "UnsafeArchive", "match_familiar", "parse",
    ]
    methods = {n for n in dir(api.ImageStore) if not n.startswith("_")}
    assert methods == {"exists", "history", "image_config", "import_rootfs", "inspect", "list", "load",
                       "manifest_digest", "prepare_rootfs", "prune", "release_rootfs", "remove", "resolve",
                       "rootfs_path", "save", "state", "tag", "unmount_rootfs", "users"}
