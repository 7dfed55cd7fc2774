"""Registry settings: mirrors, insecure registries, CA directories.

The file is ``/etc/pycompose/registries.json`` (or the path in ``PYCOMPOSE_REGISTRY_CONFIG``),
a JSON object with Docker's ``daemon.json`` key names; every key is optional::

    {
      "registry-mirrors": ["https://mirror.example.com"],
      "insecure-registries": ["registry.internal:5000", "10.0.0.0/8"],
      "certs-dirs": ["/etc/pycompose/certs.d", "/etc/docker/certs.d"],
      "max-concurrent-downloads": 3,
      "max-concurrent-uploads": 5,
      "mirror-fallback": true
    }

* ``registry-mirrors`` are tried in order for Docker Hub (``docker.io``) pulls before the
  origin (``registry-1.docker.io``); an unreachable mirror or one without the content falls
  back to the next, then to the origin. Pushes always go to the origin.
* ``insecure-registries`` (``host[:port]`` or a CIDR of addresses) are reached over HTTPS
  without verifying the certificate, falling back to plain HTTP. A loopback registry
  (``localhost``, ``127.0.0.0/8``, ``::1``) that does not speak TLS is reached over plain HTTP;
  if it does speak TLS, its certificate is verified as any other.
* ``certs-dirs``: ``<dir>/<host[:port]>/*.crt`` are CA certificates trusted for that registry
  in addition to the system store, and ``client.cert``/``client.key`` a client certificate,
  as Docker reads ``/etc/docker/certs.d``. Defaults to the two directories above.
* ``max-concurrent-downloads``: blobs fetched at the same time by one pull (Docker's 3).
* ``max-concurrent-uploads``: blobs checked, mounted or sent at the same time by one push
  (Docker's 5).
* ``mirror-fallback`` (pycompose's own key, default true): false keeps Docker Hub pulls on the
  mirrors (an air-gapped site): what no mirror has is an error, and the origin is never contacted.
"""

from __future__ import annotations

import ipaddress
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from runtime.registry.errors import RegistryError

DEFAULT_PATH = Path("/etc/pycompose/registries.json")
DEFAULT_CERTS_DIRS = (Path("/etc/pycompose/certs.d"), Path("/etc/docker/certs.d"))
DOCKER_HUB = "docker.io"
DOCKER_HUB_ORIGIN = "registry-1.docker.io"


@dataclass(frozen=True)
class RegistryConfig:
    mirrors: tuple[str, ...] = ()
    insecure: tuple[str, ...] = ()
    certs_dirs: tuple[Path, ...] = DEFAULT_CERTS_DIRS
    max_concurrent_downloads: int = 3
    mirror_fallback: bool = True
    max_concurrent_uploads: int = 5
    source: Path | None = field(default=None, compare=False)

    @classmethod
    def load(cls, path: Path | None = None, environ: dict[str, str] | None = None) -> RegistryConfig:
        env = os.environ if environ is None else environ
        if path is None:
            path = Path(env["PYCOMPOSE_REGISTRY_CONFIG"]) if env.get("PYCOMPOSE_REGISTRY_CONFIG") else DEFAULT_PATH
        try:
            raw = path.read_text()
        except FileNotFoundError:
            return cls()
        except OSError as exc:
            raise RegistryError(f"{path}: cannot read the registry settings: {exc.strerror}") from None
        try:
            data = json.loads(raw)
        except ValueError as exc:
            raise RegistryError(f"{path}: not valid JSON ({exc}); fix or remove the file") from None
        if not isinstance(data, dict):
            raise RegistryError(f"{path}: expected a JSON object with registry-mirrors, insecure-registries")

        def strings(key: str) -> tuple[str, ...]:
            value = data.get(key, [])
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise RegistryError(f"{path}: {key} must be a list of strings")
            return tuple(value)

        dirs = tuple(Path(p) for p in strings("certs-dirs")) if "certs-dirs" in data else DEFAULT_CERTS_DIRS
        concurrent = {key: data.get(key, default) for key, default in
                      (("max-concurrent-downloads", 3), ("max-concurrent-uploads", 5))}
        for key, value in concurrent.items():
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise RegistryError(f"{path}: {key} must be a positive integer")
        fallback = data.get("mirror-fallback", True)
        if not isinstance(fallback, bool):
            raise RegistryError(f"{path}: mirror-fallback must be true or false")
        mirrors = tuple(m.rstrip("/") for m in strings("registry-mirrors"))
        for m in mirrors:
            if not m.startswith(("http://", "https://")):
                raise RegistryError(f"{path}: registry mirror {m!r} must start with https:// or http://")
        return cls(mirrors, strings("insecure-registries"), dirs, concurrent["max-concurrent-downloads"], fallback,
                   concurrent["max-concurrent-uploads"], path)

    def is_insecure(self, host: str) -> bool:
        name = _strip_port(host)
        for entry in self.insecure:
            if entry in (host, name):
                return True
            if "/" in entry:
                try:
                    if ipaddress.ip_address(name) in ipaddress.ip_network(entry, strict=False):
                        return True
                except ValueError:
                    continue
        return False

    def cert_dir(self, host: str) -> Path | None:
        for base in self.certs_dirs:
            candidate = base / host
            if candidate.is_dir():
                return candidate
        return None


def _strip_port(host: str) -> str:
    if host.startswith("["):
        return host[1:host.index("]")]
    return host.rpartition(":")[0] if host.count(":") == 1 else host


def is_loopback(host: str) -> bool:
    name = _strip_port(host)
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False
