"""The on-disk cache of valid documents: hits skip jsonschema, misses and damage are harmless."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from compose.errors import ConfigError
from compose.loader.yamlsource import parse_document
from compose.validate import cache, document, validate_file
from compose.validate.schema import schema_digest

GOOD = "services:\n  web:\n    image: nginx\n    ports: ['8080:80']\n"
BAD = "services:\n  web:\n    imagee: nginx\n"
REPO = Path(__file__).resolve().parents[2]


def _validate(text: str) -> None:
    doc = parse_document(text, "compose.yaml")
    validate_file(doc.data, doc.source)


def _entries(root: Path) -> list[Path]:
    return sorted(p for p in (root / "validation").rglob("*") if p.is_file())


def _no_validator(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse() -> None:
        raise AssertionError("the schema validator was used although the cache knows the document")

    monkeypatch.setattr(document, "fast_check", refuse)
    monkeypatch.setattr(document, "validator", refuse)


def test_valid_document_is_remembered(_private_cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _validate(GOOD)
    assert len(_entries(_private_cache)) == 1
    _no_validator(monkeypatch)
    _validate(GOOD)  # served from the cache


def test_invalid_document_is_never_remembered(_private_cache: Path) -> None:
    for _ in range(2):
        with pytest.raises(ConfigError):
            _validate(BAD)
    assert _entries(_private_cache) == []


def test_other_content_is_a_miss(_private_cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _validate(GOOD)
    _no_validator(monkeypatch)
    with pytest.raises(AssertionError, match="validator was used"):
        _validate(GOOD.replace("nginx", "httpd"))


def test_corrupt_entry_is_ignored_and_replaced(_private_cache: Path) -> None:
    _validate(GOOD)
    (entry,) = _entries(_private_cache)
    key = entry.name
    entry.write_text("garbage")
    assert not cache.is_known_valid(key)
    _validate(GOOD)
    assert entry.read_text() == key


def test_cache_can_be_turned_off(_private_cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PYCOMPOSE_CACHE", "off")
    assert cache.cache_dir() is None
    _validate(GOOD)
    assert not (_private_cache / "validation").exists()


def test_default_location_follows_xdg(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("PYCOMPOSE_CACHE")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache.cache_dir() == tmp_path / "xdg" / "pycompose" / "validation"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert cache.cache_dir() == tmp_path / "home" / ".cache" / "pycompose" / "validation"


def test_unwritable_cache_is_harmless(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    monkeypatch.setenv("PYCOMPOSE_CACHE", str(blocker))
    _validate(GOOD)
    with pytest.raises(ConfigError):
        _validate(BAD)


def test_keys_tell_values_and_schemas_apart() -> None:
    keys = {
        cache.document_key("s1", {"a": 1}),
        cache.document_key("s1", {"a": 1.0}),
        cache.document_key("s1", {"a": True}),
        cache.document_key("s1", {"a": "1"}),
        cache.document_key("s1", {"a": [1]}),
        cache.document_key("s2", {"a": 1}),
    }
    assert len(keys) == 6
    assert cache.document_key("s", {"a": 1, "b": 2}) == cache.document_key("s", {"b": 2, "a": 1})
    assert len(schema_digest()) == 16


def _fresh_python(code: str, cache_root: Path) -> str:
    env = {**os.environ, "PYCOMPOSE_CACHE": str(cache_root)}
    run = subprocess.run([sys.executable, "-c", code], cwd=REPO, env=env, capture_output=True, text=True,
                         check=True, timeout=120)
    return run.stdout.strip()


def _probe(text: str) -> str:
    return (
        "import sys\n"
        "from compose.errors import ConfigError\n"
        "from compose.loader.yamlsource import parse_document\n"
        "from compose.validate import validate_file\n"
        f"doc = parse_document({text!r}, 'c.yaml')\n"
        "try:\n"
        "    validate_file(doc.data, doc.source)\n"
        "except ConfigError:\n"
        "    pass\n"
        "print('jsonschema' in sys.modules, 'compose.validate.fastcheck' in sys.modules)\n"
    )


def test_jsonschema_is_imported_only_to_explain_errors(_private_cache: Path) -> None:
    assert _fresh_python(_probe(GOOD), _private_cache) == "False True"  # a miss: the fast check
    assert _fresh_python(_probe(GOOD), _private_cache) == "False False"  # a hit: no check at all
    assert _fresh_python(_probe(BAD), _private_cache) == "True True"  # an error to explain


def test_cache_size_is_bounded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cache, "MAX_PER_DIR", 3)
    directory = tmp_path / "validation"
    keys = [cache.document_key("s", {"n": i}) for i in range(2000)]
    for key in keys:
        cache.remember_valid(key, directory)
    counts = [len(list(sub.iterdir())) for sub in directory.iterdir()]
    assert max(counts) <= cache.MAX_PER_DIR
    assert sum(counts) < len(keys)
    assert cache.is_known_valid(keys[-1], directory)  # the newest entry stays
