"""Partial downloads beside the content store: locked while they grow, adopted once verified,
kept for the next process, swept by GC only when stale and unlocked."""

from __future__ import annotations

import fcntl
import hashlib
import os
import time
from pathlib import Path

from runtime.images.content import ContentStore

DATA = b"some layer bytes"
DIGEST = "sha256:" + hashlib.sha256(DATA).hexdigest()


def test_a_partial_is_kept_adopted_and_an_empty_one_removed(tmp_path: Path) -> None:
    store = ContentStore(tmp_path)
    with store.partial(DIGEST) as f:
        assert f is not None
        f.write(DATA[:5])  # interrupted here
    path = tmp_path / "partial" / f"sha256-{DIGEST[7:]}"
    assert path.read_bytes() == DATA[:5]
    with store.partial(DIGEST) as f:  # the next process continues it
        assert f is not None
        f.write(DATA[5:])
        os.fsync(f.fileno())
        store.adopt_partial(DIGEST)
    assert store.read(DIGEST) == DATA and not path.exists()
    with store.partial(DIGEST) as f:  # in the store now: nothing to do, nothing left behind
        assert f is None
    assert list((tmp_path / "partial").iterdir()) == []


def test_gc_sweeps_only_stale_unlocked_partials(tmp_path: Path) -> None:
    store = ContentStore(tmp_path)
    (tmp_path / "partial").mkdir()
    old, fresh, busy = (tmp_path / "partial" / f"sha256-{c * 64}" for c in "abc")
    for path in (old, fresh, busy):
        path.write_bytes(b"x" * 10)
    two_days_ago = time.time() - 2 * 86400
    os.utime(old, (two_days_ago, two_days_ago))
    os.utime(busy, (two_days_ago, two_days_ago))
    with open(busy, "rb") as held:
        fcntl.flock(held.fileno(), fcntl.LOCK_EX)  # a download of it is running
        assert store.remove_stale_partials() == 10
    assert not old.exists() and fresh.exists() and busy.exists()
