"""Build caches through a real docker-registry on 127.0.0.1: ``--cache-to type=registry`` and
``type=inline`` exported, the local cache pruned, then ``--cache-from`` gives the RUN step back
from the registry (the same bytes, no command run); a cache that cannot be fetched only warns."""

from __future__ import annotations

import os
from pathlib import Path

import httpx
import pytest

from tests.container.container_helpers import cli
from tests.registry.test_push import registry  # noqa: F401 (the fixture)

pytestmark = [pytest.mark.integration,
              pytest.mark.skipif(not os.path.exists("/usr/bin/docker-registry"), reason="docker-registry missing")]

DOCKERFILE = "FROM busybox\nCOPY a /a\nRUN head -c 16 /dev/urandom | od -An -tx1 > /rand\nENV X=1\n"


def _ok(*args: str) -> str:
    """stdout and stderr of a command that must succeed (a build's progress is on stderr)"""
    done = cli(*args)
    assert done.returncode == 0, done.stderr.decode()
    return (done.stdout + done.stderr).decode()


def _rand(image: str) -> str:
    return _ok("container", "run", "--rm", image, "cat", "/rand")


def _context(tmp_path: Path) -> Path:
    ctx = tmp_path / "ctx"
    ctx.mkdir()
    (ctx / "a").write_text("a\n")
    (ctx / "Dockerfile").write_text(DOCKERFILE)
    return ctx


def _forget(*images: str) -> None:
    _ok("image", "rm", *images)
    _ok("builder", "prune", "-a", "-f")


@pytest.mark.parametrize("mode", ["registry", "inline"])
def test_a_cache_exported_to_a_registry_gives_the_run_step_back(containers, busybox, registry,  # noqa: F811
                                                               tmp_path: Path, mode: str) -> None:
    ctx = _context(tmp_path)
    image, cache = f"{registry.host}/apps/web:1", f"{registry.host}/apps/web:cache"
    if mode == "registry":
        _ok("image", "build", "--progress", "plain", "-t", image, "--cache-to", f"type=registry,ref={cache}",
            "--cache-to", f"{registry.host}/apps/web:cache2", str(ctx))
        source = cache
        tags = httpx.get(f"{registry.base}/v2/apps/web/tags/list").json()["tags"]
        assert sorted(tags) == ["cache", "cache2"]  # every reference got the carrying image
        assert "cache" not in _ok("image", "ls", f"{registry.host}/apps/web")  # the export is no local image
    else:
        _ok("image", "build", "--progress", "plain", "-t", image, "--cache-to", "type=inline", str(ctx))
        _ok("image", "push", "-q", image)
        source = image
    first = _rand(image)
    _forget(image)
    out = _ok("image", "build", "--progress", "plain", "-t", image, "--cache-from", source, str(ctx))
    run_step = next(line.split()[0] for line in out.splitlines() if "RUN head" in line)
    assert f"{run_step} CACHED" in out, out  # the command did not run again
    assert _rand(image) == first
    listed = _ok("image", "ls", "--format", "{{.Repository}}:{{.Tag}}").split()
    assert source not in listed or source == image  # the pulled cache image left no name behind
    # a change to the copied file re-runs the steps after it
    (ctx / "a").write_text("changed\n")
    out = _ok("image", "build", "--progress", "plain", "-t", image, "--cache-from", source, str(ctx))
    assert "CACHED" not in out.split("RUN head", 1)[1].split("\n\n", 1)[0]
    assert _rand(image) != first


def test_a_cache_that_cannot_be_fetched_only_warns(containers, busybox, registry,  # noqa: F811
                                                    tmp_path: Path) -> None:
    ctx = _context(tmp_path)
    done = cli("image", "build", "-q", "-t", "local/web:1", "--cache-from", f"{registry.host}/apps/none:1", str(ctx))
    assert done.returncode == 0, done.stderr.decode()
    done = cli("image", "build", "--progress", "plain", "-t", "local/web:1", "--cache-from",
               f"{registry.host}/apps/none:1", str(ctx))
    assert done.returncode == 0, done.stderr.decode()
    assert f"WARNING: cache from {registry.host}/apps/none:1 not used: " in done.stderr.decode()
    done = cli("image", "build", "-t", "local/web:1", "--cache-to", "type=gha", str(ctx))
    err = done.stderr.decode()
    assert done.returncode != 0 and "gha caches are not supported" in err and len(err.strip().splitlines()) == 1


MULTI = ("FROM busybox AS gen\nRUN head -c 16 /dev/urandom | od -An -tx1 > /gen\n"
         "FROM busybox\nCOPY a /a\nCOPY --from=gen /gen /gen\nRUN head -c 16 /dev/urandom | od -An -tx1 > /rand\n")


def _cached(out: str, text: str) -> bool:
    step = next(line.split()[0] for line in out.splitlines() if text in line)
    return f"{step} CACHED" in out


@pytest.mark.parametrize("mode", ["min", "max"])
def test_mode_max_also_carries_the_other_stages(containers, busybox, registry,  # noqa: F811
                                                tmp_path: Path, mode: str) -> None:
    ctx = _context(tmp_path)
    (ctx / "Dockerfile").write_text(MULTI)
    image, cache = f"{registry.host}/apps/multi:1", f"{registry.host}/apps/multi:cache-{mode}"
    _ok("image", "build", "-q", "-t", image, "--cache-to", f"type=registry,ref={cache},mode={mode}", str(ctx))
    first = _ok("container", "run", "--rm", image, "cat", "/gen", "/rand")
    _forget(image)
    # the first stage alone, from the cache: only max carries its RUN
    out = _ok("image", "build", "--progress", "plain", "--target", "gen", "-t", "local/gen:1",
              "--cache-from", cache, str(ctx))
    assert _cached(out, "> /gen") == (mode == "max"), out
    gen = _ok("container", "run", "--rm", "local/gen:1", "cat", "/gen")
    assert (gen == first.splitlines(keepends=True)[0]) == (mode == "max")
    _forget("local/gen:1")
    # the whole build: both modes carry the target stage's steps
    out = _ok("image", "build", "--progress", "plain", "-t", image, "--cache-from", cache, str(ctx))
    assert _cached(out, "> /rand") == (mode == "max"), out  # min: /gen was made again, so /rand's step runs
    if mode == "max":
        assert _ok("container", "run", "--rm", image, "cat", "/gen", "/rand") == first
