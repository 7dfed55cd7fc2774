"""The carried build cache read back: entries that do not match the carrying image's layers, or
whose config is not JSON, are refused as one ImageError (a warning in the build), not a crash."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from runtime.build import remote_cache
from runtime.build.cache import BuildCache
from runtime.build.commit import commit_raw_config
from runtime.images.errors import ImageError
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
    assert cache.get("k-wrong") is None and cache.get("k-broken") is None
