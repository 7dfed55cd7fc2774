"""``pycompose publish`` against a real docker-registry on 127.0.0.1: the artifact read back with
plain HTTP (media types, annotations, layer bytes), OCI 1.0 and 1.1 shapes, the refusals,
``--with-env``, ``--resolve-image-digests``, and ``-f oci://`` loading it back."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
from pathlib import Path

import httpx
import pytest

from tests.registry.test_pull_kit import start_registry

pytestmark = [pytest.mark.integration,
              pytest.mark.skipif(not os.path.exists("/usr/bin/docker-registry"), reason="docker-registry missing")]

COMPOSE = b"services:\n  web:\n    image: busybox:latest\n    command: [\"sleep\", \"1\"]\n"
ACCEPT = "application/vnd.oci.image.manifest.v1+json"


@pytest.fixture
def registry(tmp_path: Path):
    reg = start_registry(tmp_path / "registry")
    yield reg
    reg.stop()


def _cli(*args: str):  # type: ignore[no-untyped-def]
    from tests.container.container_helpers import cli

    return cli(*args)


def _manifest(registry, repo: str, tag: str) -> dict:  # type: ignore[no-untyped-def]
    reply = httpx.get(f"{registry.base}/v2/{repo}/manifests/{tag}", headers={"Accept": ACCEPT})
    assert reply.status_code == 200, reply.text
    return json.loads(reply.content)


def _blob(registry, repo: str, digest: str) -> bytes:  # type: ignore[no-untyped-def]
    reply = httpx.get(f"{registry.base}/v2/{repo}/blobs/{digest}")
    assert reply.status_code == 200
    assert "sha256:" + hashlib.sha256(reply.content).hexdigest() == digest
    return reply.content


def _write(tmp_path: Path, data: bytes, name: str = "compose.yaml") -> Path:
    path = tmp_path / "app" / name
    path.parent.mkdir(exist_ok=True)
    path.write_bytes(data)
    return path


def _published(registry, repo: str) -> bool:  # type: ignore[no-untyped-def]
    return httpx.get(f"{registry.base}/v2/{repo}/tags/list").status_code == 200


@pytest.mark.skipif(shutil.which("skopeo") is None, reason="skopeo missing")
def test_publish_oci_1_1_layers_are_the_compose_files(state_root, registry, tmp_path: Path) -> None:
    main = _write(tmp_path, COMPOSE)
    override = _write(tmp_path, b"services:\n  web:\n    labels: {a: b}\n", "compose.override.yaml")
    done = _cli("-f", str(main), "-f", str(override), "publish", f"{registry.host}/apps/demo:v1")
    assert done.returncode == 0, done.stderr.decode()
    manifest = _manifest(registry, "apps/demo", "v1")
    assert manifest["mediaType"] == ACCEPT
    assert manifest["artifactType"] == "application/vnd.docker.compose.project"
    assert manifest["config"]["mediaType"] == "application/vnd.oci.empty.v1+json"
    assert manifest["config"]["size"] == 2 and _blob(registry, "apps/demo", manifest["config"]["digest"]) == b"{}"
    assert {"com.docker.compose.version", "org.opencontainers.image.created"} <= set(manifest["annotations"])
    layers = manifest["layers"]
    assert [layer["mediaType"] for layer in layers] == ["application/vnd.docker.compose.file+yaml"] * 2
    assert [layer["annotations"]["com.docker.compose.file"] for layer in layers] == ["compose.yaml",
                                                                                   "compose.override.yaml"]
    assert all("com.docker.compose.version" in layer["annotations"] for layer in layers)
    assert _blob(registry, "apps/demo", layers[0]["digest"]) == COMPOSE
    assert _blob(registry, "apps/demo", layers[1]["digest"]) == override.read_bytes()
    raw = subprocess.run(["skopeo", "inspect", "--raw", "--tls-verify=false", f"docker://{registry.host}/apps/demo:v1"],
                         capture_output=True, check=True, timeout=60).stdout
    assert json.loads(raw) == manifest  # an independent client reads the same manifest


def test_publish_oci_1_0_has_no_artifact_type_and_a_compose_config(state_root, registry, tmp_path: Path) -> None:
    main = _write(tmp_path, COMPOSE)
    done = _cli("-f", str(main), "publish", "--oci-version", "1.0", f"{registry.host}/apps/old:1")
    assert done.returncode == 0, done.stderr.decode()
    manifest = _manifest(registry, "apps/old", "1")
    assert "artifactType" not in manifest
    assert manifest["config"]["mediaType"] == "application/vnd.docker.compose.config.empty.v1+json"
    assert _blob(registry, "apps/old", manifest["config"]["digest"]) == b"{}"
    assert _blob(registry, "apps/old", manifest["layers"][0]["digest"]) == COMPOSE


@pytest.mark.parametrize("body, words", [
    (b"services:\n  web:\n    image: busybox\n    volumes: ['./data:/data']\n", "bind mounts"),
    (b"services:\n  web:\n    build: .\n", "only contains a build section"),
    (b"services:\n  web:\n    image: busybox\n    environment: {A: b}\n", "--with-env"),
    (b"services:\n  web:\n    image: busybox\n    labels: {k: AKIAABCDEFGHIJKLMNOP}\n", "sensitive data"),
])
def test_refusals_are_one_line_and_push_nothing(state_root, registry, tmp_path: Path, body: bytes,
                                                words: str) -> None:
    main = _write(tmp_path, body)
    done = _cli("-f", str(main), "publish", f"{registry.host}/apps/refused:1")
    err = done.stderr.decode()
    assert done.returncode != 0
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1 and words in err, err
    assert not _published(registry, "apps/refused")


def test_yes_publishes_bind_mounts_but_not_build_only_services(state_root, registry, tmp_path: Path) -> None:
    main = _write(tmp_path, b"services:\n  web:\n    image: busybox\n    volumes: ['./data:/data']\n")
    done = _cli("-f", str(main), "publish", "-y", f"{registry.host}/apps/binds:1")
    assert done.returncode == 0, done.stderr.decode()
    assert _published(registry, "apps/binds")
    build = _write(tmp_path, b"services:\n  web:\n    build: .\n", "build.yaml")
    done = _cli("-f", str(build), "publish", "-y", f"{registry.host}/apps/build:1")
    assert done.returncode != 0 and 'only contains a build section' in done.stderr.decode()
    assert not _published(registry, "apps/build")


def test_with_env_adds_env_file_layers(state_root, registry, tmp_path: Path) -> None:
    env = _write(tmp_path, b"GREETING=hello\n", "web.env")
    main = _write(tmp_path, b"services:\n  web:\n    image: busybox\n    env_file: web.env\n")
    done = _cli("-f", str(main), "publish", f"{registry.host}/apps/env:1")
    assert done.returncode != 0 and "env_file" in done.stderr.decode()
    done = _cli("-f", str(main), "publish", "--with-env", "-y", f"{registry.host}/apps/env:1")
    assert done.returncode == 0, done.stderr.decode()
    layers = _manifest(registry, "apps/env", "1")["layers"]
    kinds = [layer["mediaType"] for layer in layers]
    assert kinds == ["application/vnd.docker.compose.file+yaml", "application/vnd.docker.compose.envfile"]
    name = hashlib.sha256(str(env).encode()).hexdigest() + ".env"
    assert layers[1]["annotations"]["com.docker.compose.envfile"] == name
    assert _blob(registry, "apps/env", layers[1]["digest"]) == b"GREETING=hello\n"
    assert name.encode() in _blob(registry, "apps/env", layers[0]["digest"])  # the path points to the layer


def test_resolve_image_digests_adds_an_override(state_root, busybox, registry, tmp_path: Path) -> None:
    ref = f"{registry.host}/tests/busybox:v1"
    assert _cli("image", "tag", "busybox:latest", ref).returncode == 0
    pushed = _cli("image", "push", "-q", ref)
    assert pushed.returncode == 0, pushed.stderr.decode()
    main = _write(tmp_path, f"services:\n  web:\n    image: {ref}\n".encode())
    done = _cli("-f", str(main), "publish", "--resolve-image-digests", f"{registry.host}/apps/pinned:1")
    assert done.returncode == 0, done.stderr.decode()
    layers = _manifest(registry, "apps/pinned", "1")["layers"]
    assert layers[-1]["annotations"]["com.docker.compose.file"] == "image-digests.yaml"
    remote = httpx.head(f"{registry.base}/v2/tests/busybox/manifests/v1",
                        headers={"Accept": f"{ACCEPT}, application/vnd.docker.distribution.manifest.v2+json"})
    digest = remote.headers["Docker-Content-Digest"]
    text = _blob(registry, "apps/pinned", layers[-1]["digest"]).decode()
    assert f"image: {ref}@{digest}" in text


def test_a_published_application_loads_back_from_oci(state_root, registry, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("PYCOMPOSE_CACHE", str(tmp_path / "cache"))
    _write(tmp_path, b"GREETING=hello\n", "web.env")
    main = _write(tmp_path, b"services:\n  web:\n    image: busybox\n    env_file: web.env\n")
    override = _write(tmp_path, b"services:\n  web:\n    labels: {tier: front}\n", "compose.override.yaml")
    done = _cli("-f", str(main), "-f", str(override), "publish", "--with-env", "-y", f"{registry.host}/apps/back:1")
    assert done.returncode == 0, done.stderr.decode()
    local = json.loads(_cli("-p", "x", "-f", str(main), "-f", str(override), "config", "--format", "json").stdout)
    remote = _cli("-p", "x", "-f", f"oci://{registry.host}/apps/back:1", "config", "--format", "json")
    assert remote.returncode == 0, remote.stderr.decode()
    web = json.loads(remote.stdout)["services"]["web"]
    assert web["environment"] == {"GREETING": "hello"} and web["labels"] == {"tier": "front"}
    assert web["image"] == local["services"]["web"]["image"]
    missing = _cli("-f", f"oci://{registry.host}/apps/nothing:1", "config")
    assert missing.returncode != 0 and "Traceback" not in missing.stderr.decode()
    assert len(missing.stderr.decode().strip().splitlines()) == 1


def test_publish_pushes_the_images_the_project_builds_first(state_root, registry, tmp_path: Path) -> None:
    ctx = tmp_path / "app" / "ctx"
    ctx.mkdir(parents=True)
    (ctx / "hello").write_text("hello\n")
    (ctx / "Dockerfile").write_text("FROM scratch\nCOPY hello /hello\n")
    image = f"{registry.host}/apps/web-image:1"
    main = _write(tmp_path, f"services:\n  web:\n    build: ./ctx\n    image: {image}\n"
                            f"  missing:\n    build: ./ctx\n    image: {registry.host}/apps/never:1\n".encode())
    assert _cli("-f", str(main), "build", "-q", "web").returncode == 0
    done = _cli("-f", str(main), "publish", f"{registry.host}/apps/built:1")
    err = done.stderr.decode()
    assert done.returncode == 0, err
    assert "WARN[0000] Pushing missing: " in err  # an image that is not there is only warned about
    assert not _published(registry, "apps/never")
    reply = httpx.get(f"{registry.base}/v2/apps/web-image/manifests/1", headers={"Accept": ACCEPT})
    assert reply.status_code == 200
    pushed = "sha256:" + hashlib.sha256(reply.content).hexdigest()
    # pinning digests needs every image in its registry: the missing one is refused in one line
    done = _cli("-f", str(main), "publish", "--resolve-image-digests", f"{registry.host}/apps/pinned-built:1")
    err = done.stderr.decode().strip().splitlines()
    assert done.returncode != 0 and "apps/never:1: no such manifest" in err[-1], err
    assert not _published(registry, "apps/pinned-built")
    main.write_text(f"services:\n  web:\n    build: ./ctx\n    image: {image}\n")
    done = _cli("-f", str(main), "publish", "--resolve-image-digests", f"{registry.host}/apps/pinned-built:1")
    assert done.returncode == 0, done.stderr.decode()
    layers = _manifest(registry, "apps/pinned-built", "1")["layers"]
    override = _blob(registry, "apps/pinned-built", layers[-1]["digest"]).decode()
    assert f"{image}@{pushed}" in override  # pinned to the digest of what the push made


def test_publish_app_pushes_every_image_and_an_index_whose_subject_is_the_artifact(state_root, registry,
                                                                                   tmp_path: Path) -> None:
    ctx = tmp_path / "app" / "ctx"
    ctx.mkdir(parents=True)
    (ctx / "hello").write_text("hello\n")
    (ctx / "Dockerfile").write_text("FROM scratch\nCOPY hello /hello\n")
    db = f"{registry.host}/lib/db:1"  # only in the registry: pulled for the copy
    assert _cli("image", "build", "-q", "-t", db, str(ctx)).returncode == 0
    assert _cli("image", "push", "-q", db).returncode == 0
    assert _cli("image", "rm", db).returncode == 0
    web = f"{registry.host}/apps/web-app:1"
    main = _write(tmp_path, f"services:\n  web:\n    build: ./ctx\n    image: {web}\n"
                            f"  db:\n    image: {db}\n".encode())
    (ctx / "hello").write_text("web\n")
    assert _cli("-f", str(main), "build", "-q", "web").returncode == 0
    done = _cli("-f", str(main), "publish", "--app", f"{registry.host}/apps/full:1")
    assert done.returncode == 0, done.stderr.decode()
    artifact = httpx.get(f"{registry.base}/v2/apps/full/manifests/1", headers={"Accept": ACCEPT}).content
    revisions = registry.storage / "docker/registry/v2/repositories/apps/full/_manifests/revisions/sha256"
    docs = {}
    for rev in revisions.iterdir():
        reply = httpx.get(f"{registry.base}/v2/apps/full/manifests/sha256:{rev.name}",
                          headers={"Accept": f"{ACCEPT}, application/vnd.oci.image.index.v1+json, "
                                             "application/vnd.docker.distribution.manifest.v2+json"})
        assert reply.status_code == 200
        docs[f"sha256:{rev.name}"] = json.loads(reply.content)
    index = [d for d in docs.values() if d.get("mediaType") == "application/vnd.oci.image.index.v1+json"]
    assert len(index) == 1, docs
    assert index[0]["subject"]["digest"] == "sha256:" + hashlib.sha256(artifact).hexdigest()
    assert index[0]["subject"]["artifactType"] == "application/vnd.docker.compose.project"
    listed = {m["digest"] for m in index[0]["manifests"]}
    expected = set()
    for repo in ("apps/web-app", "lib/db"):
        reply = httpx.get(f"{registry.base}/v2/{repo}/manifests/1", headers={"Accept": ACCEPT})
        expected.add("sha256:" + hashlib.sha256(reply.content).hexdigest())
    assert listed == expected and listed <= set(docs)  # both images are in the artifact's repository too
