"""A dropped connection mid-blob is resumed with Range; Docker Hub names go to a mirror."""

from __future__ import annotations

import os
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

from runtime.images.manifest import host_platform
from tests.helpers import images as t
from tests.registry.test_pull_kit import push_image, start_registry

pytestmark = pytest.mark.skipif(not os.path.exists("/usr/bin/docker-registry"), reason="docker-registry missing")


class DroppingProxy:
    """Forwards to a registry; the first GET of ``victim`` sends half the body and hangs up.
    With ``ranges=False`` it drops the ``Range`` header, so a resume gets the whole blob (200)."""

    def __init__(self, upstream: str, victim: str, ranges: bool = True) -> None:
        self.upstream, self.victim, self.honour_ranges = upstream, victim, ranges
        self.ranges: list[str] = []
        self.dropped = 0
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                headers = {k: v for k, v in self.headers.items() if k.lower() in ("accept", "range", "authorization")}
                if "range" in {k.lower() for k in headers}:
                    proxy.ranges.append(self.headers["Range"])
                    if not proxy.honour_ranges:
                        headers = {k: v for k, v in headers.items() if k.lower() != "range"}
                r = httpx.get(proxy.upstream + self.path, headers=headers, follow_redirects=True)
                body = r.content
                drop = proxy.victim in self.path and not proxy.dropped and r.status_code == 200
                self.send_response(r.status_code)
                for k, v in r.headers.items():
                    if k.lower() in ("content-type", "docker-content-digest", "content-range", "www-authenticate"):
                        self.send_header(k, v)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if drop:
                    proxy.dropped += 1
                    self.wfile.write(body[: len(body) // 2])
                    self.wfile.flush()
                    self.close_connection = True
                    return
                self.wfile.write(body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self.server.server_address[1]}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()


@pytest.fixture
def registry(tmp_path: Path):
    reg = start_registry(tmp_path / "registry")
    yield reg
    reg.stop()


def pull_through_dropping_proxy(registry, state_root, name: str, payload: bytes, ranges: bool):
    """Push an image of one layer holding ``payload``, pull it through a :class:`DroppingProxy`;
    (image, pulled image, proxy)."""
    from runtime.api.registry import Registry
    from runtime.registry.config import RegistryConfig

    image = t.TestImage([t.layer([t.file("big", payload)])], tags=["r"], cmd=["sh"],
                        architecture=host_platform().architecture)
    _d, _b, layers = push_image(registry, name, "1", image, None)
    proxy = DroppingProxy(registry.base, layers[0][7:], ranges=ranges)
    try:
        with Registry(state_root, config=RegistryConfig(certs_dirs=())) as api:
            pulled = api.pull(f"{proxy.host}/{name}:1")
    finally:
        proxy.close()
    return image, pulled, proxy


def test_dropped_connection_is_resumed_with_range(registry, state_root):
    image, pulled, proxy = pull_through_dropping_proxy(registry, state_root, "resume", os.urandom(3 << 20), True)
    assert pulled.id == image.id
    assert proxy.dropped == 1
    [asked] = proxy.ranges
    offset = int(asked.removeprefix("bytes=").removesuffix("-"))
    assert 0 < offset <= len(image.layers[0]) // 2  # the rest, not the whole blob again


def test_a_registry_that_ignores_range_gets_the_blob_whole_and_the_layer_is_unpacked(registry, state_root):
    """The resume is answered with the whole blob (200): the download starts over at 0 and the
    blob and its layer come out whole."""
    from runtime.images.store import ImageStore

    payload = os.urandom(3 << 20)
    image, pulled, proxy = pull_through_dropping_proxy(registry, state_root, "norange", payload, False)
    assert pulled.id == image.id
    assert proxy.dropped == 1 and len(proxy.ranges) == 1
    store = ImageStore(state_root)
    [diff_id] = store.records.get(image.id).layers
    assert (store.layers.diff(diff_id) / "big").read_bytes() == payload
    assert not list((state_root.root / "images" / "ingest").rglob("layer*")), "a staging directory was left"


def test_docker_hub_names_are_pulled_from_a_mirror(registry, state_root):
    from runtime.api.images import ImageStore
    from runtime.api.registry import Registry
    from runtime.registry.config import RegistryConfig

    image = t.TestImage([t.layer([t.file("m", b"mirror")])], tags=["m"], cmd=["sh"],
                        architecture=host_platform().architecture)
    push_image(registry, "library/mongo", "7", image)
    with Registry(state_root, config=RegistryConfig(mirrors=(registry.base,), certs_dirs=())) as api:
        outcome = api.pull_outcome("mongo:7")
    assert outcome.reference == "docker.io/library/mongo:7"
    assert outcome.image.id == image.id
    assert "mongo:7" in ImageStore(state_root).resolve("mongo:7").tags
