from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def _private_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Each test gets its own validation cache, never the user's."""
    root = tmp_path / "cache"
    monkeypatch.setenv("PYCOMPOSE_CACHE", str(root))
    return root
