"""A plain ``docker-registry`` on loopback and a raw uploader, for the pull tests.

Kept to what the pull tests need; the shared registry fixtures (TLS, htpasswd, token
server, mirror, proxy) live in ``tests/helpers/registry.py``.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from tests.helpers import images as t

REGISTRY = shutil.which("docker-registry") or "/usr/bin/docker-registry"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class PlainRegistry:
    host: str  # 127.0.0.1:PORT
    storage: Path
    process: subprocess.Popen[bytes]

    @property
    def base(self) -> str:
        return f"http://{self.host}"

    def blob_file(self, digest: str) -> Path:
        hexpart = digest[7:]
        return self.storage / "docker/registry/v2/blobs/sha256" / hexpart[:2] / hexpart / "data"

    def stop(self) -> None:
        if self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.kill(self.process.pid, signal.SIGKILL)
                self.process.wait()


def start_registry(workdir: Path, *, tls: tuple[Path, Path] | None = None,
                   htpasswd: Path | None = None, token: dict[str, str] | None = None) -> PlainRegistry:
    """``docker-registry`` on a free loopback port; ``tls`` = (certificate, key), ``htpasswd`` basic auth."""
    port = free_port()
    storage = workdir / "storage"
    storage.mkdir(parents=True)
    config = workdir / "config.yml"
    text = (f"version: 0.1\nstorage:\n  filesystem:\n    rootdirectory: {storage}\n"
            f"  delete:\n    enabled: true\nhttp:\n  addr: 127.0.0.1:{port}\n")
    if tls is not None:
        text += f"  tls:\n    certificate: {tls[0]}\n    key: {tls[1]}\n"
    if htpasswd is not None:
        text += f"auth:\n  htpasswd:\n    realm: test-realm\n    path: {htpasswd}\n"
    if token is not None:
        text += "auth:\n  token:\n" + "".join(f"    {k}: {v}\n" for k, v in token.items())
    config.write_text(text + "log:\n  level: warn\n")
    log = open(workdir / "registry.log", "wb")  # noqa: SIM115
    proc = subprocess.Popen([REGISTRY, "serve", str(config)], stdout=log, stderr=subprocess.STDOUT)
    log.close()
    reg = PlainRegistry(f"127.0.0.1:{port}", storage, proc)
    probe = f"https://{reg.host}/v2/" if tls else f"{reg.base}/v2/"
    deadline = time.monotonic() + 20
    while True:
        try:
            if httpx.get(probe, timeout=1, verify=False).status_code in (200, 401):
                return reg
        except httpx.TransportError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            reg.stop()
            raise RuntimeError(f"docker-registry did not start: {(workdir / 'registry.log').read_text()}")
        time.sleep(0.05)


def put_blob(reg: PlainRegistry, name: str, data: bytes, headers: dict[str, str] | None = None) -> str:
    digest = t.sha256(data)
    r = httpx.post(f"{reg.base}/v2/{name}/blobs/uploads/", headers=headers)
    assert r.status_code == 202, r.text
    loc = r.headers["location"]
    url = loc if loc.startswith("http") else reg.base + loc
    sep = "&" if "?" in url else "?"
    r = httpx.put(f"{url}{sep}digest={digest}", content=data,
                  headers={"Content-Type": "application/octet-stream", **(headers or {})})
    assert r.status_code == 201, r.text
    return digest


def put_manifest(reg: PlainRegistry, name: str, ref: str, body: bytes, media: str,
                 headers: dict[str, str] | None = None) -> str:
    r = httpx.put(f"{reg.base}/v2/{name}/manifests/{ref}", content=body,
                  headers={"Content-Type": media, **(headers or {})})
    assert r.status_code == 201, r.text
    return t.sha256(body)


def push_image(reg: PlainRegistry, name: str, tag: str | None, image: t.TestImage,
               compression: str | None = "gzip", headers: dict[str, str] | None = None
               ) -> tuple[str, bytes, list[str]]:
    """(manifest digest, manifest bytes, layer blob digests) of ``image`` pushed as ``name:tag``."""
    config = image.config()
    put_blob(reg, name, config, headers)
    layers = []
    media = {None: "", "gzip": "+gzip", "zstd": "+zstd"}[compression]
    for raw in image.layers:
        data = t.compress(raw, compression)
        layers.append({"mediaType": f"application/vnd.oci.image.layer.v1.tar{media}",
                       "digest": put_blob(reg, name, data, headers), "size": len(data)})
    body = json.dumps({"schemaVersion": 2, "mediaType": OCI_MANIFEST,
                       "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                                  "digest": t.sha256(config), "size": len(config)},
                       "layers": layers}).encode()
    digest = put_manifest(reg, name, tag or t.sha256(body), body, OCI_MANIFEST, headers)
    return digest, body, [d["digest"] for d in layers]


def push_index(reg: PlainRegistry, name: str, tag: str, entries: list[tuple[str, bytes, dict[str, str]]]) -> str:
    """An OCI index of already pushed manifests: (digest, bytes, platform) each."""
    body = json.dumps({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": [
        {"mediaType": OCI_MANIFEST, "digest": d, "size": len(b), "platform": p} for d, b, p in entries]}).encode()
    return put_manifest(reg, name, tag, body, OCI_INDEX)
