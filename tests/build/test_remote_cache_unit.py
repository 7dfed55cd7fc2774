"""The carried build cache read back: entries that do not match the carrying image's layers, or
whose config is not JSON, are refused as one ImageError (a warning in the build), not a crash."""

from __future__ import annotations

import io
import json
import tarfile
from pathlib import Path

import pytest

from runtime.build import remote_cache
from runtime.build.cache import BuildCache
from runtime.build.commit import commit_raw_config
from runtime.images.errors import ImageError
from runtime.images.importer import import_rootfs
from runtime.images.store import ImageStore


def _carrier(store: ImageStore, base_id: str, steps: list[dict]) -> str:
    record = store.records.get(base_id)
    raw = json.loads(store.content.read(store.manifest(record.manifest).config.digest))
    raw[remote_cache.CONFIG_KEY] = {"v": 1, "steps": steps}
    return commit_raw_config(store, base_id, raw).id


def test_entries_round_trip_and_bad_ones_are_refused(state_root, busybox, tmp_path: Path) -> None:
    store = ImageStore(state_root).open()
    cache = BuildCache(state_root)
    base = store.resolve("busybox:latest")
    good = remote_cache.entries(store, [("k-base", base.id)])
    assert good["steps"][0]["layers"] == len(store.manifest(base.manifest).layers)
    carrier = _carrier(store, base.id, good["steps"])
    assert remote_cache.import_from(store, cache, carrier) == 1
    assert cache.get("k-base") == base.id  # the very same image: the config bytes are kept exactly
    assert remote_cache.import_from(store, cache, carrier) == 0  # nothing new the second time
    wrong = _carrier(store, base.id, [{**good["steps"][0], "key": "k-wrong", "layers": 1}])
    with pytest.raises(ImageError, match="does not match its layers"):
        remote_cache.import_from(store, cache, wrong)
    broken = _carrier(store, base.id, [{"key": "k-broken", "layers": 0, "config": "{not json"}])
    with pytest.raises(ImageError, match="no valid config"):
        remote_cache.import_from(store, cache, broken)
    outside = _carrier(store, base.id, [{**good["steps"][0], "key": "k-outside", "layers": [0, 9]}])
    with pytest.raises(ImageError, match="does not match its layers"):
        remote_cache.import_from(store, cache, outside)
    assert cache.get("k-wrong") is None and cache.get("k-broken") is None and cache.get("k-outside") is None


def test_max_carrier_holds_the_layers_of_other_stages_by_position(state_root, busybox, tmp_path: Path) -> None:
    store = ImageStore(state_root).open()
    cache = BuildCache(state_root)
    base = store.resolve("busybox:latest")
    same = _carrier(store, base.id, [])  # the same layers, another config
    with tarfile.open(tmp_path / "other.tar", "w") as tar:
        entry = tarfile.TarInfo("other.txt")
        entry.size = 6
        tar.addfile(entry, io.BytesIO(b"other\n"))
    other = import_rootfs(store, tmp_path / "other.tar").id  # a layer the built image does not have
    chains = [[("k-a", base.id)], [("k-a", same), ("k-same", same)], [("k-other", other)]]
    carrier = store.records.get(remote_cache.max_carrier(store, base.id, chains))
    base_layers = store.records.get(base.id).layers
    assert carrier.layers == (*base_layers, *store.records.get(other).layers)  # appended, nothing twice
    doc = json.loads(store.content.read(store.manifest(carrier.manifest).config.digest))
    steps = doc[remote_cache.CONFIG_KEY]["steps"]
    assert [s["key"] for s in steps] == ["k-a", "k-same", "k-other"]  # each key once, the first stage's first
    assert [s["layers"] for s in steps] == [len(base_layers), len(base_layers), [len(base_layers)]]
    assert len(doc["history"]) == len(json.loads(store.content.read(
        store.manifest(store.records.get(base.id).manifest).config.digest))["history"]) + 1
    assert remote_cache.import_from(store, cache, carrier.id) == 3
    assert (cache.get("k-a"), cache.get("k-same"), cache.get("k-other")) == (base.id, same, other)
