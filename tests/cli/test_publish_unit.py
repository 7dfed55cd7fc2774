"""The pure parts of ``publish``: manifest shapes, layers, the checks and their wording."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from compose import publish
from compose.errors import UsageError
from compose.model import project_from_dict


def _project(services: dict) -> object:
    return project_from_dict({"name": "p", "services": services})


def test_manifest_shapes() -> None:
    layer = publish.Layer(publish.FILE_MEDIA_TYPE, b"services: {}\n", {"com.docker.compose.file": "compose.yaml"})
    body, blobs = publish.manifest([layer], "1.1")
    m = json.loads(body)
    assert m["artifactType"] == publish.ARTIFACT_TYPE and m["config"]["mediaType"] == publish.EMPTY_MEDIA_TYPE
    assert m["layers"][0]["size"] == len(b"services: {}\n") and blobs == [b"{}", b"services: {}\n"]
    old = json.loads(publish.manifest([layer], "1.0")[0])
    assert "artifactType" not in old and old["config"]["mediaType"] == publish.EMPTY_CONFIG_MEDIA_TYPE_1_0
    with pytest.raises(UsageError):
        publish.manifest([layer], "2.0")


def test_scan_text_finds_credentials() -> None:
    found = publish.scan_text("services:\n  a:\n    environment:\n      KEY: AKIAABCDEFGHIJKLMNOP\n")
    assert [(f.type, f.key) for f in found] == [("AWS Client ID", "KEY")]
    assert publish.scan_text("image: busybox\n") == []


def test_checks_in_docker_composes_order_and_wording(tmp_path: Path) -> None:
    build_only = _project({"web": {"build": {"context": str(tmp_path)}}})
    with pytest.raises(UsageError, match='only contains a build section for service\\(s\\): - "web"'):
        publish.pre_checks(build_only, (), str(tmp_path), with_env=False, confirm=lambda q: True)
    binds = _project({"web": {"image": "busybox", "volumes": [
        {"type": "bind", "source": "/data", "target": "/data"}]}})
    questions: list[str] = []
    assert not publish.pre_checks(binds, (), str(tmp_path), with_env=False,
                                  confirm=lambda q: questions.append(q) or False)
    assert questions[0].startswith("you are about to publish bind mounts declaration within your OCI artifact.")
    assert "web/data:/data:rw" in questions[0]
    env = _project({"web": {"image": "busybox", "environment": {"A": "b"}}})
    with pytest.raises(UsageError, match=r'service "web" has environment variable\(s\) declared\. To avoid'):
        publish.pre_checks(env, (), str(tmp_path), with_env=False, confirm=lambda q: True)
    assert publish.pre_checks(env, (), str(tmp_path), with_env=True, confirm=lambda q: True)


def test_layers_keep_bytes_and_rename_env_files(tmp_path: Path) -> None:
    plain = tmp_path / "compose.yaml"
    plain.write_bytes(b"# a comment\nservices:\n  web: {image: busybox}\n")
    with_env = tmp_path / "env.yaml"
    with_env.write_bytes(b"services:\n  web:\n    env_file: [a.env]\n")
    (tmp_path / "a.env").write_bytes(b"A=1\n")
    layers = publish.layers((str(plain), str(with_env)), str(tmp_path), with_env=True,
                            image_digests={"web": "busybox:latest@sha256:" + "0" * 64})
    assert layers[0].data == plain.read_bytes()
    assert [layer.media_type for layer in layers] == [publish.FILE_MEDIA_TYPE, publish.FILE_MEDIA_TYPE,
                                                     publish.ENVFILE_MEDIA_TYPE, publish.FILE_MEDIA_TYPE]
    assert layers[2].data == b"A=1\n" and layers[2].annotations["com.docker.compose.envfile"].encode() in layers[1].data
    assert layers[3].annotations["com.docker.compose.file"] == "image-digests.yaml"
