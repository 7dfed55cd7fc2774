"""``commit_image``: a base image plus new layers becomes a complete, listed, runnable, pushable
image; the same inputs with an epoch give the same image ID; a killed commit leaves nothing listed."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

from runtime.build.commit import HistoryEntry, commit_image
from runtime.build.layer import layer_from_upper
from runtime.images.errors import ImageError
from tests.container.conftest import cgroup_parent, containers  # noqa: F401  (fixtures)
from tests.container.container_helpers import cli

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="needs root")

CONFIG = {"Env": ["PATH=/bin", "GREETING=hi"], "Cmd": ["cat", "/app/hello"], "WorkingDir": "/app",
          "Labels": {"org.example": "yes"}, "ExposedPorts": {"80/tcp": {}}}


def _upper(tmp_path: Path, text: str = "hello from a layer\n") -> Path:
    upper = tmp_path / "upper"
    (upper / "app").mkdir(parents=True, exist_ok=True)
    (upper / "app/hello").write_text(text)
    return upper


def test_commit_on_busybox_lists_inspects_runs(image_store, busybox, containers, tmp_path: Path) -> None:  # noqa: F811
    blob = layer_from_upper(_upper(tmp_path), tmp_path / "blobs")
    history = [HistoryEntry("COPY hello /app/hello", False), HistoryEntry('CMD ["cat" "/app/hello"]', True)]
    record = commit_image(image_store, busybox.id, [blob], CONFIG, history, ["mine:1", "mine:latest"])
    image = image_store.resolve("mine:1")
    assert image.id == record.id and set(image.tags) == {"mine:1", "mine:latest"}
    assert image.layers == (*busybox.layers, blob.diff_id)
    assert image.config.cmd == ("cat", "/app/hello") and image.config.working_dir == "/app"
    info = image_store.inspect("mine:1")
    assert info["RootFS"]["Layers"] == list(image.layers) and info["Config"]["Labels"] == {"org.example": "yes"}
    rows = image_store.history("mine:1")
    assert [r.created_by for r in rows][:2] == ['CMD ["cat" "/app/hello"]', "COPY hello /app/hello"]
    assert blob.path.exists(), "the caller's blob stays"
    # pushable: every layer of the manifest is a blob in the content store with its digest
    inner = image_store._store
    manifest = inner.manifest(record.manifest)
    assert [d.digest for d in manifest.layers][-1] == blob.digest
    for d in manifest.layers:
        assert inner.content.has(d.digest) and inner.content.size(d.digest) == d.size
    raw = json.loads(inner.content.read(record.id))
    assert len([h for h in raw["history"] if not h.get("empty_layer")]) == len(raw["rootfs"]["diff_ids"])
    ls = cli("image", "ls", "--format", "{{.Repository}}:{{.Tag}}")
    assert set(ls.stdout.decode().split()) == {"busybox:latest", "mine:1", "mine:latest"}
    run = cli("container", "run", "--rm", "mine:1")
    assert run.returncode == 0, run.stderr
    assert run.stdout == b"hello from a layer\n"
    run = cli("container", "run", "--rm", "mine:1", "sh", "-c", "pwd; echo $GREETING")
    assert run.stdout.decode().split() == ["/app", "hi"]


def test_scratch_epoch_reproducible_and_no_second_unpack(image_store, tmp_path: Path) -> None:
    blob = layer_from_upper(_upper(tmp_path), tmp_path / "blobs", epoch=1_700_000_000)
    history = [HistoryEntry("COPY . /app", False)]
    a = commit_image(image_store, None, [blob], CONFIG, history, ["s:1"], epoch=1_700_000_000)
    layer_dir = image_store._store.layers.path(blob.diff_id)
    marker = layer_dir / "diff/app/hello"
    inode = marker.stat().st_ino
    b = commit_image(image_store, None, [blob], CONFIG, history, ["s:2"], epoch=1_700_000_000)
    assert a.id == b.id and a.manifest == b.manifest
    assert marker.stat().st_ino == inode, "the layer was not unpacked a second time"
    raw = json.loads(image_store._store.content.read(a.id))
    assert raw["created"] == "2023-11-14T22:13:20Z" and raw["history"][0]["created"] == raw["created"]
    assert a.layers == (blob.diff_id,) and image_store.resolve("s:2").tags == ("s:1", "s:2")


def test_mismatched_history_is_refused(image_store, tmp_path: Path) -> None:
    blob = layer_from_upper(_upper(tmp_path), tmp_path / "blobs")
    with pytest.raises(ImageError, match="history"):
        commit_image(image_store, None, [blob], {}, [HistoryEntry("x", True)], ["bad:1"])
    assert image_store.list() == []


KILLED = r"""
import os, sys
from pathlib import Path
from runtime.build import commit
from runtime.build.layer import LayerBlob
from runtime.api.images import ImageStore
from runtime.images.store import ImageStore as Inner

real = Inner.register
def die(*a, **k):
    os._exit(9)  # killed after blobs, layers, config and manifest, before the record
Inner.register = die
blob = LayerBlob(Path(sys.argv[1]), sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5], False)
commit.commit_image(ImageStore(), None, [blob], {}, [commit.HistoryEntry("x", False)], ["killed:1"])
"""


def test_killed_commit_leaves_nothing_listed(image_store, tmp_path: Path) -> None:
    blob = layer_from_upper(_upper(tmp_path), tmp_path / "blobs")
    done = subprocess.run([sys.executable, "-c", KILLED, str(blob.path), blob.digest, blob.diff_id, str(blob.size),
                           blob.media_type], capture_output=True, env=os.environ | {"PYTHONPATH": os.getcwd()})
    assert done.returncode == 9, done.stderr
    inner = image_store._store
    assert any(inner.ingest_root.iterdir()), "the dead session is still there"
    assert inner.content.has(blob.digest) and inner.layers.has(blob.diff_id)
    assert image_store.list() == []  # the next command removes the dead session
    assert not any(inner.ingest_root.iterdir())
    assert not image_store.exists("killed:1")
    image_store.prune(all_images=True)
    assert not inner.content.has(blob.digest) and not inner.layers.has(blob.diff_id)


def test_layer_tar_is_what_the_container_sees(image_store, busybox, tmp_path: Path) -> None:
    blob = layer_from_upper(_upper(tmp_path, "v2\n"), tmp_path / "blobs")
    commit_image(image_store, busybox.id, [blob], CONFIG, [HistoryEntry("COPY", False)], ["t:1"])
    diff = image_store._store.layers.diff(blob.diff_id)
    assert (diff / "app/hello").read_text() == "v2\n"
    with tarfile.open(blob.path) as tar:
        assert tar.getnames() == ["app", "app/hello"]
