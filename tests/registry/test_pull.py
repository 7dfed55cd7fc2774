"""Pull against a real ``docker-registry`` on 127.0.0.1: tags, digests, indexes, reuse, corruption."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from runtime.images.manifest import host_platform
from tests.helpers import images as t
from tests.registry.test_pull_kit import push_image, push_index, start_registry

pytestmark = pytest.mark.skipif(not os.path.exists("/usr/bin/docker-registry"), reason="docker-registry missing")


@pytest.fixture
def registry(tmp_path: Path):
    reg = start_registry(tmp_path / "registry")
    yield reg
    reg.stop()


@pytest.fixture
def api(state_root, tmp_path: Path):
    from runtime.api.registry import Registry
    from runtime.registry.config import RegistryConfig

    reg = Registry(state_root, config=RegistryConfig(certs_dirs=()), credentials=None)
    yield reg
    reg.close()


def small_image(tag: str = "x", arch: str | None = None, extra: bytes = b"") -> t.TestImage:
    layers = [t.layer([t.file("etc/base", b"base layer")]), t.layer([t.file("etc/top", b"top " + extra)])]
    return t.TestImage(layers, tags=[tag], cmd=["sh"], architecture=arch or host_platform().architecture)


def events_of(api, ref: str, **kw):
    seen = []
    outcome = api.pull_outcome(ref, progress=seen.append, **kw)
    return outcome, seen


@pytest.mark.parametrize("compression", ["gzip", "zstd", None])
def test_pull_by_tag_then_by_digest(registry, api, image_store, compression):
    image = small_image()
    digest, _body, _layers = push_image(registry, "team/app", "1.0", image, compression)
    outcome, seen = events_of(api, f"{registry.host}/team/app:1.0")
    assert outcome.image.id == image.id
    assert outcome.digest == digest
    assert list(outcome.image.layers) == [t.sha256(raw) for raw in image.layers]
    assert f"{registry.host}/team/app:1.0" in image_store.resolve(f"{registry.host}/team/app:1.0").tags
    assert {e.status for e in seen} >= {"Downloading", "Pull complete"}
    by_digest = api.pull_outcome(f"{registry.host}/team/app@{digest}")
    assert (by_digest.image.id == image.id and by_digest.up_to_date is False) or by_digest.image.id == image.id
    again, seen = events_of(api, f"{registry.host}/team/app:1.0")
    assert again.up_to_date
    assert not [e for e in seen if e.status == "Downloading"]


def test_index_picks_the_host_platform_and_platform_flag(registry, api):
    host = small_image(extra=b"host")
    other_arch = "arm64" if host_platform().architecture != "arm64" else "amd64"
    other = small_image(arch=other_arch, extra=b"other")
    d1, b1, _ = push_image(registry, "multi", None, host)
    d2, b2, _ = push_image(registry, "multi", None, other)
    index = push_index(registry, "multi", "latest", [
        (d2, b2, {"os": "linux", "architecture": other_arch}),
        (d1, b1, {"os": "linux", "architecture": host_platform().architecture}),
    ])
    mine = api.pull_outcome(f"{registry.host}/multi")
    assert mine.image.id == host.id and mine.digest == index
    theirs = api.pull_outcome(f"{registry.host}/multi", platform=f"linux/{other_arch}")
    assert theirs.image.id == other.id
    from runtime.api.images import ImageNotFound

    with pytest.raises(ImageNotFound, match="no matching manifest for linux/s390x"):
        api.pull(f"{registry.host}/multi", platform="linux/s390x")


def test_layers_already_present_are_not_fetched(registry, api):
    first = small_image(extra=b"one")
    second = small_image(extra=b"two")  # same base layer, another top layer
    push_image(registry, "a", "1", first)
    _d, _b, layers = push_image(registry, "b", "1", second)
    api.pull(f"{registry.host}/a:1")
    _outcome, seen = events_of(api, f"{registry.host}/b:1")
    base_id, top_id = layers[0][7:19], layers[1][7:19]
    assert [e.status for e in seen if e.id == base_id] == ["Already exists"]
    assert "Downloading" in [e.status for e in seen if e.id == top_id]


def test_unknown_tag_and_repository(registry, api):
    from runtime.api.registry import RegistryNotFound

    push_image(registry, "known", "1", small_image())
    with pytest.raises(RegistryNotFound, match=r"manifest for .*known:2 not found"):
        api.pull(f"{registry.host}/known:2")
    with pytest.raises(RegistryNotFound, match="not found"):
        api.pull(f"{registry.host}/unknown/repo:1")


def test_unreachable_registry_is_one_line(api):
    from runtime.api.registry import RegistryUnreachable
    from tests.registry.test_pull_kit import free_port

    with pytest.raises(RegistryUnreachable, match="cannot reach registry"):
        api.pull(f"127.0.0.1:{free_port()}/nothing:1")


def test_corrupt_blob_is_refused_and_nothing_kept(registry, api, state_root):
    from runtime.api.images import DigestMismatch, ImageStore

    image = small_image(extra=b"corrupt me")
    _d, _b, layers = push_image(registry, "bad", "1", image)
    blob = registry.blob_file(layers[1])
    data = bytearray(blob.read_bytes())
    data[len(data) // 2] ^= 0xFF
    blob.write_bytes(bytes(data))
    with pytest.raises(DigestMismatch, match="failed verification"):
        api.pull(f"{registry.host}/bad:1")
    blobs = state_root.root / "images/blobs/sha256"
    assert not (blobs / layers[1][7:]).exists()
    ingest = state_root.root / "images/ingest"
    assert not ingest.exists() or list(ingest.iterdir()) == []
    assert not ImageStore(state_root).exists(f"{registry.host}/bad:1")


_KILLED_PULL = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    from runtime.api.registry import Registry
    from runtime.registry.config import RegistryConfig

    marker = Path(sys.argv[2])
    big = sys.argv[3]

    def progress(event):
        if event.id == big and event.status == "Downloading" and event.current > 0:
            marker.write_text("mid-blob")
            time.sleep(3600)  # killed here, half-way through the blob

    Registry(config=RegistryConfig(certs_dirs=())).pull(sys.argv[1], progress=progress)
""")


def test_killed_pull_is_repaired_by_the_next(registry, api, state_root, tmp_path, monkeypatch):
    big = t.layer([t.file("big", os.urandom(6 << 20))])
    image = t.TestImage([t.layer([t.file("a", b"a")]), big], tags=["k"], cmd=["sh"],
                        architecture=host_platform().architecture)
    _d, _b, layers = push_image(registry, "killed", "1", image, None)
    marker = tmp_path / "marker"
    ref = f"{registry.host}/killed:1"
    proc = subprocess.Popen([sys.executable, "-c", _KILLED_PULL, ref, str(marker), layers[1][7:19]],
                            env=dict(os.environ))
    deadline = time.monotonic() + 60
    while not marker.exists():
        assert proc.poll() is None, "the pull ended before it was killed"
        assert time.monotonic() < deadline, "the pull never reached the big blob"
        time.sleep(0.02)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    from runtime.api.images import ImageStore

    store = ImageStore(state_root)
    assert not store.exists(ref)  # nothing half-listed
    assert not (state_root.root / "images/blobs/sha256" / layers[1][7:]).exists()
    partial = state_root.root / "images/partial" / f"sha256-{layers[1][7:]}"
    kept = partial.stat().st_size  # what the killed pull received is kept ...
    assert 0 < kept < len(big)
    from runtime.registry import blobs

    offsets = []
    real_open = blobs._open

    def spy(repo, digest, offset, urls):  # type: ignore[no-untyped-def]
        offsets.append((digest, offset))
        return real_open(repo, digest, offset, urls)

    monkeypatch.setattr(blobs, "_open", spy)
    image_after = api.pull(ref)
    assert (layers[1], kept) in offsets  # ... and the next pull asks only for the rest
    assert not list(partial.parent.iterdir())
    assert image_after.id == image.id
    assert store.resolve(ref).layers == (t.sha256(image.layers[0]), t.sha256(big))
    leftovers = [p.name for p in (state_root.root / "images/ingest").iterdir()]
    assert leftovers == []


def test_schema1_is_refused(registry, api):
    from runtime.api.registry import UnsupportedManifest
    from tests.registry.test_pull_kit import put_manifest

    body = b'{"schemaVersion": 1, "name": "old", "tag": "1", "fsLayers": [], "history": []}'
    try:
        put_manifest(registry, "old", "1", body, "application/vnd.docker.distribution.manifest.v1+json")
    except AssertionError:
        pytest.skip("this registry refuses to store schema 1 manifests")
    with pytest.raises(UnsupportedManifest, match="schema 1"):
        api.pull(f"{registry.host}/old:1")


def test_single_manifest_of_another_platform_is_refused_when_asked_for(registry, api):
    from runtime.api.images import ImageNotFound

    other_arch = "arm64" if host_platform().architecture != "arm64" else "amd64"
    push_image(registry, "single", "1", small_image(arch=other_arch))
    with pytest.raises(ImageNotFound, match=f"the image is for linux/{other_arch}"):
        api.pull(f"{registry.host}/single:1", platform=f"linux/{host_platform().architecture}")
    assert api.pull(f"{registry.host}/single:1", platform=f"linux/{other_arch}").platform.architecture == other_arch
