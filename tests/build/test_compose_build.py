"""compose file ``build:`` sections -> ``BuildRequest`` values (unit), ``build --print``, and
``pycompose build`` of a two-service project on the busybox test image (integration)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from compose.build import build_order, build_request
from compose.cli.main import GlobalOptions
from compose.errors import ConfigError
from compose.reconcile.session import load_session
from runtime.api.build import BuildSecret


def session_of(tmp_path: Path, yaml: str):
    (tmp_path / "compose.yaml").write_text(textwrap.dedent(yaml))
    for d in ("web", "api", "shared"):
        (tmp_path / d).mkdir(exist_ok=True)
    (tmp_path / "tok.txt").write_text("secret\n")
    opts = GlobalOptions(files=(os.fspath(tmp_path / "compose.yaml"),), project_name=None, project_directory=None,
                         env_files=(), profiles=(), ansi="never", progress="plain", dry_run=False, verbose=False)
    return load_session(opts)


FULL = """
name: demo
services:
  api:
    build: ./api
  web:
    image: myweb:1
    build:
      context: ./web
      dockerfile: Dockerfile.web
      args: {A: "1", FROMENV: null}
      labels: {x: y}
      tags: ["extra:tag"]
      target: final
      secrets: [tok, {source: tok, target: renamed}, envtok]
      ssh: [default]
      network: none
      extra_hosts: ["h1=10.0.0.1", "h2:::1"]
      shm_size: 64m
      additional_contexts: {apictx: "service:api", shared: ./shared, img: "docker-image://busybox"}
      cache_from: ["type=local,src=/tmp/c"]
      no_cache: true
      ulimits: {nofile: {soft: 10, hard: 20}, nproc: 5}
      privileged: true
      entitlements: [security.insecure]
secrets:
  tok: {file: ./tok.txt}
  envtok: {environment: TOKEN}
"""


def test_full_mapping(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FROMENV", "fe")
    project = session_of(tmp_path, FULL).project
    req = build_request(project, "web", build_args={"A": "2", "NEW": None}, built={"api": "sha256:abc"},
                        environ={"FROMENV": "fe", "NEW": "n"})
    assert req.context == tmp_path / "web"
    assert req.dockerfile == tmp_path / "web/Dockerfile.web"
    assert dict(req.args) == {"A": "2", "FROMENV": "fe", "NEW": "n"}
    assert dict(req.labels) == {"x": "y", "com.docker.compose.project": "demo", "com.docker.compose.service": "web",
                                "com.docker.compose.version": "2.40.3"}  # as Docker Compose labels built images
    assert req.tags == ("myweb:1", "extra:tag")
    assert req.target == "final"
    assert req.secrets == (BuildSecret("tok", file=os.fspath(tmp_path / "tok.txt")),
                           BuildSecret("renamed", file=os.fspath(tmp_path / "tok.txt")),
                           BuildSecret("envtok", env="TOKEN"))
    assert req.ssh == ("default",)
    assert req.network == "none"
    assert req.extra_hosts == (("h1", "10.0.0.1"), ("h2", "::1"))
    assert req.shm_size == 64 * 1024 * 1024
    assert dict(req.additional_contexts) == {"apictx": "docker-image://sha256:abc",
                                             "shared": os.fspath(tmp_path / "shared"),
                                             "img": "docker-image://busybox"}
    assert req.no_cache and not req.pull
    assert req.ulimits == (("nofile", 10, 20), ("nproc", 5, 5))
    assert req.privileged


def test_defaults(tmp_path: Path) -> None:
    project = session_of(tmp_path, FULL).project
    req = build_request(project, "api", pull=True)
    assert req.context == tmp_path / "api"
    assert req.tags == ("demo-api",)
    assert req.target is None and req.network is None and req.shm_size is None
    assert not req.no_cache and req.pull
    assert build_order(project, ["web"]) == [["api"], ["web"]]
    assert build_order(project, ["api", "web"]) == [["api"], ["web"]]


@pytest.mark.parametrize(("snippet", "message"), [
    ('cache_from: ["type=gha"]', "gha caches are not supported"),
    ('cache_to: ["type=registry"]', "a registry cache needs ref="),
    ('cache_to: ["type=registry,ref=r.example/app:c,mode=all"]', "mode=all is not a cache mode"),
    ("isolation: hyperv", "only 'default' isolation"),
    ("entitlements: [device]", "unknown entitlement 'device'"),
    ("context: https://example.invalid/app.tar.gz", "only git repositories and local directories"),
    ("secrets: [inline]", "only file and environment secrets"),
])
def test_errors(tmp_path: Path, snippet: str, message: str) -> None:
    yaml = f"""
    name: demo
    services:
      web:
        build:
          {"" if snippet.startswith("context") else "context: ./web"}
          {snippet}
    secrets:
      inline: {{external: true}}
    """
    project = session_of(tmp_path, yaml).project
    with pytest.raises(ConfigError, match=message):
        build_request(project, "web", built={})


def test_context_cycle(tmp_path: Path) -> None:
    project = session_of(tmp_path, """
    name: demo
    services:
      a: {build: {context: ./web, additional_contexts: {x: "service:b"}}}
      b: {build: {context: ./api, additional_contexts: {y: "service:a"}}}
    """).project
    with pytest.raises(ConfigError, match="cycle"):
        build_order(project, ["a"])


def _cli(tmp_path: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "compose", "-f", os.fspath(tmp_path / "compose.yaml"), *args],
                          capture_output=True, text=True, env={**os.environ, **(env or {})}, timeout=600)


def test_print(tmp_path: Path) -> None:
    session_of(tmp_path, FULL)
    result = _cli(tmp_path, "build", "--print", "web", env={"TOKEN": "t"})
    assert result.returncode == 0, result.stderr
    plan = json.loads(result.stdout)
    assert plan["group"]["default"]["targets"] == ["api", "web"]
    web = plan["target"]["web"]
    assert web["context"] == os.fspath(tmp_path / "web")
    assert web["tags"] == ["myweb:1", "extra:tag"]
    assert web["contexts"]["apictx"] == "target:api"
    assert web["no-cache"] is True and web["target"] == "final"
    assert plan["target"]["api"]["tags"] == ["demo-api"]


def test_print_with_dependencies_and_ssh(tmp_path: Path) -> None:
    session_of(tmp_path, """
    name: deps
    services:
      db: {build: ./api}
      web: {build: ./web, depends_on: [db]}
      other: {build: ./shared}
    """)
    only = json.loads(_cli(tmp_path, "build", "--print", "web").stdout)
    assert only["group"]["default"]["targets"] == ["web"]
    result = _cli(tmp_path, "build", "--print", "--with-dependencies", "--ssh", "default", "web")
    assert result.returncode == 0, result.stderr
    plan = json.loads(result.stdout)
    assert sorted(plan["group"]["default"]["targets"]) == ["db", "web"]
    assert plan["target"]["web"]["ssh"] == ["default"] and plan["target"]["db"]["ssh"] == ["default"]


def test_a_failed_build_pushes_nothing(tmp_path: Path, state_root) -> None:
    session_of(tmp_path, """
    services:
      api: {build: ./api, image: "127.0.0.1:9/never/pushed:1"}
    """)
    (tmp_path / "api/Dockerfile").write_text("FROM scratch\nCOPY nothing-here /\n")
    result = _cli(tmp_path, "build", "--push", "api")
    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[-1] == 'pycompose: "nothing-here": not found'
    assert "127.0.0.1:9" not in result.stderr  # no push was tried (it would fail on the closed port)


def test_unknown_service(tmp_path: Path) -> None:
    session_of(tmp_path, FULL)
    result = _cli(tmp_path, "build", "nope")
    assert result.returncode != 0 and "no such service: nope" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root (builds run containers)")
def test_build_two_services(tmp_path: Path, state_root, busybox) -> None:
    session_of(tmp_path, """
    name: pair
    services:
      web:
        build:
          context: ./web
          args: {GREETING: hello}
      api:
        image: local/api:v1
        build: ./api
    """)
    (tmp_path / "web/Dockerfile").write_text(
        "FROM busybox\nARG GREETING\nCOPY index.html /srv/\nRUN echo $GREETING > /srv/greeting\n")
    (tmp_path / "web/index.html").write_text("<h1>hi</h1>\n")
    (tmp_path / "api/Dockerfile").write_text("FROM busybox\nCOPY app.sh /app.sh\nCMD [\"/app.sh\"]\n")
    (tmp_path / "api/app.sh").write_text("#!/bin/sh\necho api\n")
    result = _cli(tmp_path, "build")
    assert result.returncode == 0, result.stderr
    from runtime.api.images import ImageStore

    store = ImageStore(state_root)
    web = store.resolve("pair-web")
    api = store.resolve("local/api:v1")
    assert tuple(api.config.cmd) == ("/app.sh",)
    assert web.id != api.id
    quiet = _cli(tmp_path, "build", "-q", "web")
    assert quiet.returncode == 0, quiet.stderr
    assert quiet.stdout == ""
    assert store.resolve("pair-web").id == web.id  # cached: the same image


def test_registry_and_inline_caches_reach_the_build_request(tmp_path: Path) -> None:
    yaml = """
    name: demo
    services:
      web:
        build:
          context: ./web
          cache_from: [myrepo/app:cache, "type=registry,ref=r.example/app:c", "type=local,src=/tmp/c"]
          cache_to: ["type=registry,ref=r.example/app:c,mode=max", "type=inline", "r.example/app:min"]
    """
    req = build_request(session_of(tmp_path, yaml).project, "web", built={})
    assert req.cache_from == ("myrepo/app:cache", "r.example/app:c")
    assert req.cache_to == ("r.example/app:c", "r.example/app:min") and req.inline_cache
    assert req.cache_to_max == ("r.example/app:c",)
