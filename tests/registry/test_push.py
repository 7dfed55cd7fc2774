"""Push to a real docker-registry on 127.0.0.1: round trips with the same digests, skopeo both
ways, blobs the registry has are skipped, chunked uploads, a built image pushed."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from tests.container import conftest as container_fixtures
from tests.container.container_helpers import cli
from tests.registry.test_pull_kit import start_registry

cgroup_parent, containers = container_fixtures.cgroup_parent, container_fixtures.containers

pytestmark = [pytest.mark.integration,
              pytest.mark.skipif(not os.path.exists("/usr/bin/docker-registry"), reason="docker-registry missing")]


@pytest.fixture
def registry(tmp_path: Path):
    reg = start_registry(tmp_path / "registry")
    yield reg
    reg.stop()


def _ok(*args: str) -> str:
    done = cli(*args)
    assert done.returncode == 0, done.stderr.decode()
    return done.stdout.decode()


def test_push_then_pull_back_with_the_same_digest(containers, busybox, registry, tmp_path: Path) -> None:
    ref = f"{registry.host}/tests/busybox:v1"
    _ok("image", "tag", "busybox:latest", ref)
    out = _ok("image", "push", ref)
    assert f"The push refers to repository [{registry.host}/tests/busybox]" in out
    assert out.count(": Pushed") == len(busybox.layers)
    digest = out.strip().splitlines()[-1].split("digest: ")[1].split()[0]
    local = json.loads(_ok("image", "inspect", ref))[0]
    assert local["Id"] == busybox.id
    other = f"{registry.host}/elsewhere/copy:v1"
    _ok("image", "tag", ref, other)
    mounted = _ok("image", "push", other)  # the blobs are in tests/busybox already: mounted across
    assert mounted.count("Mounted from tests/busybox") == len(busybox.layers) and ": Pushed" not in mounted
    _ok("image", "rm", other)
    again = _ok("image", "push", ref)  # everything is there already
    assert again.count("Layer already exists") == len(busybox.layers) and ": Pushed" not in again
    assert again.strip().splitlines()[-1].split("digest: ")[1].split()[0] == digest
    # an independent client sees the same manifest digest, and the same image comes back
    inspect = subprocess.run(["skopeo", "inspect", "--tls-verify=false", f"docker://{ref}"], capture_output=True,
                             text=True, check=True)
    assert json.loads(inspect.stdout)["Digest"] == digest
    _ok("image", "rm", ref, "busybox:latest")
    _ok("image", "pull", ref)
    assert json.loads(_ok("image", "inspect", ref))[0]["Id"] == busybox.id


def test_a_built_image_is_pushed_and_skopeo_copies_it_back(containers, busybox, registry, tmp_path: Path) -> None:
    ctx = tmp_path / "ctx"
    ctx.mkdir()
    (ctx / "big.bin").write_bytes(os.urandom(9 * 1024 * 1024))  # more than one chunk: PATCH uploads
    (ctx / "Dockerfile").write_text("FROM busybox\nCOPY big.bin /big.bin\nRUN echo built > /built\n")
    ref = f"{registry.host}/tests/built:1"
    _ok("image", "build", "-q", "-t", ref, str(ctx))
    out = _ok("image", "push", ref)
    layers = json.loads(_ok("image", "inspect", ref))[0]["RootFS"]["Layers"]
    assert out.count(": Pushed") == len(layers) == len(busybox.layers) + 2
    dest = tmp_path / "oci"
    subprocess.run(["skopeo", "copy", "-q", "--src-tls-verify=false", f"docker://{ref}", f"oci:{dest}:x"],
                   check=True, capture_output=True, timeout=120)
    index = json.loads((dest / "index.json").read_text())
    manifest_digest = index["manifests"][0]["digest"]
    manifest = json.loads((dest / "blobs" / "sha256" / manifest_digest[7:]).read_bytes())
    sizes = sorted(layer["size"] for layer in manifest["layers"])
    assert sizes[-1] > 9 * 1024 * 1024  # the big layer arrived whole


def test_push_of_an_unknown_image_is_one_line(containers, registry) -> None:
    done = cli("image", "push", f"{registry.host}/nope:1")
    assert done.returncode != 0
    err = done.stderr.decode()
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_search_lists_matching_repositories_of_a_registry(containers, busybox, registry) -> None:
    for name in ("team/busybox", "team/web", "other/busy-tools"):
        _ok("image", "tag", "busybox:latest", f"{registry.host}/{name}:1")
        _ok("image", "push", "-q", f"{registry.host}/{name}:1")
    out = _ok("image", "search", f"{registry.host}/busy").splitlines()
    assert out[0].split() == ["NAME", "DESCRIPTION", "STARS", "OFFICIAL"]
    assert [line.split()[0] for line in out[1:]] == [f"{registry.host}/other/busy-tools",
                                                      f"{registry.host}/team/busybox"]
    assert _ok("image", "search", "--format", "{{.Name}}", "--limit", "1",
               f"{registry.host}/team").split() == [f"{registry.host}/team/busybox"]


def test_a_layer_the_pull_skipped_is_fetched_from_the_origin_for_the_push(containers, tmp_path: Path) -> None:
    from tests.registry.test_pull import small_image
    from tests.registry.test_pull_kit import push_image

    origin, target, third = (start_registry(tmp_path / name) for name in ("origin", "target", "third"))
    try:
        # the same layers under two configs, compressed two ways: the second pull finds both
        # diff IDs unpacked already and downloads neither blob
        push_image(origin, "src/gz", "1", small_image(tag="gz", extra=b"shared"), compression="gzip")
        digest, _body, _layers = push_image(origin, "src/zs", "1", small_image(tag="zs", extra=b"shared"),
                                            compression="zstd")
        _ok("image", "pull", f"{origin.host}/src/gz:1")
        _ok("image", "pull", f"{origin.host}/src/zs:1")
        ref = f"{target.host}/dst/zs:1"
        _ok("image", "tag", f"{origin.host}/src/zs:1", ref)
        out = _ok("image", "push", ref)  # another registry: nothing to mount, the blobs come from origin
        assert out.count(": Pushed") == 2
        assert out.strip().splitlines()[-1].split("digest: ")[1].split()[0] == digest
        inspect = subprocess.run(["skopeo", "inspect", "--tls-verify=false", f"docker://{ref}"],
                                 capture_output=True, text=True, check=True)
        assert json.loads(inspect.stdout)["Digest"] == digest
        _ok("image", "rm", f"{origin.host}/src/gz:1")
        origin.stop()  # the origin gone and the blobs fetched before kept: a third registry still gets them
        elsewhere = f"{third.host}/dst/zs:1"
        _ok("image", "tag", ref, elsewhere)
        assert _ok("image", "push", elsewhere).count(": Pushed") == 2
    finally:
        for reg in (origin, target, third):
            reg.stop()


def test_a_skipped_layer_whose_origin_is_gone_is_refused_in_one_line(containers, tmp_path: Path) -> None:
    from tests.registry.test_pull import small_image
    from tests.registry.test_pull_kit import push_image

    origin, target = start_registry(tmp_path / "origin"), start_registry(tmp_path / "target")
    try:
        push_image(origin, "src/gz", "1", small_image(tag="gz", extra=b"gone"), compression="gzip")
        push_image(origin, "src/zs", "1", small_image(tag="zs", extra=b"gone"), compression="zstd")
        _ok("image", "pull", f"{origin.host}/src/gz:1")
        _ok("image", "pull", f"{origin.host}/src/zs:1")
        origin.stop()
        ref = f"{target.host}/dst/zs:1"
        _ok("image", "tag", f"{origin.host}/src/zs:1", ref)
        done = cli("image", "push", ref)
        err = done.stderr.decode().strip()
        assert done.returncode != 0 and len(err.splitlines()) == 1 and "Traceback" not in err
        assert "unpacked only" in err and "could not be fetched again" in err and origin.host in err
        assert subprocess.run(["skopeo", "inspect", "--tls-verify=false", f"docker://{ref}"],
                              capture_output=True).returncode != 0  # no manifest without its layers
    finally:
        origin.stop()
        target.stop()


def _tags(registry, repo: str) -> list[str] | None:  # type: ignore[no-untyped-def]
    import httpx

    reply = httpx.get(f"{registry.base}/v2/{repo}/tags/list")
    return sorted(reply.json()["tags"]) if reply.status_code == 200 else None


def test_compose_push_pushes_only_the_images_the_project_builds(containers, busybox, registry,
                                                              tmp_path: Path) -> None:
    ctx = tmp_path / "ctx"
    ctx.mkdir()
    (ctx / "hello").write_text("hello\n")
    (ctx / "Dockerfile").write_text("FROM busybox\nCOPY hello /hello\n")
    _ok("image", "tag", "busybox:latest", f"{registry.host}/lib/db:1")  # present, but not built here
    compose = tmp_path / "compose.yaml"
    compose.write_text(f"services:\n"
                       f"  web:\n    build:\n      context: ./ctx\n      tags: ['{registry.host}/apps/web:extra']\n"
                       f"    image: {registry.host}/apps/web:1\n"
                       f"  db:\n    image: {registry.host}/lib/db:1\n")
    _ok("-f", str(compose), "build", "-q")
    out = _ok("-f", str(compose), "push")
    assert f"The push refers to repository [{registry.host}/apps/web]" in out
    assert _tags(registry, "apps/web") == ["1", "extra"]
    assert _tags(registry, "lib/db") is None  # as Docker Compose: an image the project does not build stays
    # an image the project builds but that is not there: an error, or a warning with --ignore-push-failures
    compose.write_text(compose.read_text() + f"  api:\n    build: ./ctx\n    image: {registry.host}/apps/api:1\n")
    done = cli("-f", str(compose), "push", "api")
    err = done.stderr.decode()
    assert done.returncode != 0 and "Traceback" not in err and len(err.strip().splitlines()) == 1, err
    done = cli("-f", str(compose), "push", "--ignore-push-failures")
    assert done.returncode == 0, done.stderr.decode()
    assert "WARN[0000] Pushing api: " in done.stderr.decode()
    assert _tags(registry, "apps/api") is None
