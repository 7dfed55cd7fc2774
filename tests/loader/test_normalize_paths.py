"""Relative host paths made absolute: one test per entry of ``RESOLVERS``."""

from __future__ import annotations

from pathlib import Path

import pytest

from compose.errors import ConfigError
from compose.loader.paths import RESOLVERS, expand_user, is_remote_context, join, resolve_paths

ENTRIES = [
    (("services", "*", "build", "context"), {"services": {"w": {"build": {"context": "app"}}}},
     ("services", "w", "build", "context"), "/p/app"),
    (("services", "*", "build", "additional_contexts", "*"),
     {"services": {"w": {"build": {"additional_contexts": {"a": "../x", "b": "docker-image://i"}}}}},
     ("services", "w", "build", "additional_contexts"), {"a": "/x", "b": "docker-image://i"}),
    (("services", "*", "build", "ssh", "*"), {"services": {"w": {"build": {"ssh": {"k": "id", "default": None}}}}},
     ("services", "w", "build", "ssh"), {"k": "/p/id", "default": None}),
    (("services", "*", "env_file", "*", "path"), {"services": {"w": {"env_file": [{"path": "a.env"}]}}},
     ("services", "w", "env_file", 0, "path"), "/p/a.env"),
    (("services", "*", "label_file", "*"), {"services": {"w": {"label_file": ["l"]}}},
     ("services", "w", "label_file"), ["/p/l"]),
    (("services", "*", "extends", "file"), {"services": {"w": {"extends": {"file": "b.yaml"}}}},
     ("services", "w", "extends", "file"), "/p/b.yaml"),
    (("services", "*", "develop", "watch", "*", "path"),
     {"services": {"w": {"develop": {"watch": [{"path": "src"}]}}}},
     ("services", "w", "develop", "watch", 0, "path"), "/p/src"),
    (("services", "*", "volumes", "*"),
     {"services": {"w": {"volumes": [{"type": "bind", "source": "d"}, {"type": "volume", "source": "d"}]}}},
     ("services", "w", "volumes"), [{"type": "bind", "source": "/p/d"}, {"type": "volume", "source": "d"}]),
    (("configs", "*", "file"), {"configs": {"c": {"file": "./c.txt"}}}, ("configs", "c", "file"), "/p/c.txt"),
    (("secrets", "*", "file"), {"secrets": {"s": {"file": "/abs"}}}, ("secrets", "s", "file"), "/abs"),
    (("include", "*", "path"), {"include": [{"path": ["a.yaml"]}]}, ("include", 0, "path"), ["/p/a.yaml"]),
    (("include", "*", "project_directory"), {"include": [{"project_directory": "sub"}]},
     ("include", 0, "project_directory"), "/p/sub"),
    (("include", "*", "env_file"), {"include": [{"env_file": ["e"]}]}, ("include", 0, "env_file"), ["/p/e"]),
    (("volumes", "*"), {"volumes": {"v": {"driver": "local", "driver_opts": {"o": "bind", "device": "data"}}}},
     ("volumes", "v", "driver_opts", "device"), "/p/data"),
]


@pytest.mark.parametrize(("pattern", "doc", "path", "expected"), ENTRIES)
def test_entry(pattern: tuple, doc: dict, path: tuple, expected: object) -> None:
    out = resolve_paths(doc, "/p")
    for key in path:
        out = out[key]
    assert out == expected


def test_every_entry_has_a_test() -> None:
    assert {e[0] for e in ENTRIES} == set(RESOLVERS)


def test_home(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", "/home/u")
    out = resolve_paths({"services": {"w": {"volumes": [{"type": "bind", "source": "~/x"}]}}}, "/p")
    assert out["services"]["w"]["volumes"][0]["source"] == "/home/u/x"
    assert expand_user("~", "/home/u") == "/home/u"
    assert expand_user("~", None) == "~"


def test_bind_without_source() -> None:
    with pytest.raises(ConfigError, match="source"):
        resolve_paths({"services": {"w": {"volumes": [{"type": "bind", "target": "/t"}]}}}, "/p")


def test_volume_driver_opts_other_than_bind_are_kept() -> None:
    doc = {"volumes": {"v": {"driver": "local", "driver_opts": {"o": "nfs", "device": "x"}}}}
    assert resolve_paths(doc, "/p") == doc


@pytest.mark.parametrize("ctx", ["https://x/y.git", "git@github.com:a/b", "github.com/a/b", "service:other",
                                 "docker-image://alpine"])
def test_remote_contexts(ctx: str) -> None:
    assert is_remote_context(ctx)
    out = resolve_paths({"services": {"w": {"build": {"context": ctx}}}}, "/p")
    assert out["services"]["w"]["build"]["context"] == ctx


def test_join_cleans() -> None:
    assert join("/p", "/x") == "/p/x"
    assert join("/p", "../a/./b/") == "/a/b"
    assert join("/", "") == "/"


def test_watch_path_follows_symlinks(tmp_path: Path) -> None:
    (tmp_path / "real").mkdir()
    (tmp_path / "link").symlink_to(tmp_path / "real")
    out = resolve_paths({"services": {"w": {"develop": {"watch": [{"path": "link"}]}}}}, str(tmp_path))
    assert out["services"]["w"]["develop"]["watch"][0]["path"] == str(tmp_path / "real")
