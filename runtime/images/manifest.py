"""Typed OCI and Docker manifests, image indexes, descriptors and platforms."""

from __future__ import annotations

import json
import os
import platform as _platform
from dataclasses import dataclass, field
from typing import Any

from runtime.images.errors import ImageError, ImageNotFound

OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
OCI_LAYER = "application/vnd.oci.image.layer.v1.tar"
OCI_LAYER_GZIP = "application/vnd.oci.image.layer.v1.tar+gzip"
OCI_LAYER_ZSTD = "application/vnd.oci.image.layer.v1.tar+zstd"
DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
DOCKER_CONFIG = "application/vnd.docker.container.image.v1+json"
DOCKER_LAYER = "application/vnd.docker.image.rootfs.diff.tar.gzip"
DOCKER_FOREIGN_LAYER = "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip"

INDEX_TYPES = frozenset({OCI_INDEX, DOCKER_LIST})
MANIFEST_TYPES = frozenset({OCI_MANIFEST, DOCKER_MANIFEST})

ANNOTATION_REF_NAME = "org.opencontainers.image.ref.name"
ANNOTATION_IMAGE_NAME = "io.containerd.image.name"

# uname -m -> GOARCH (and variant), as OCI platforms name them
_MACHINE_ARCH: dict[str, tuple[str, str]] = {
    "x86_64": ("amd64", ""),
    "aarch64": ("arm64", "v8"),
    "armv7l": ("arm", "v7"),
    "armv6l": ("arm", "v6"),
    "i686": ("386", ""),
    "i386": ("386", ""),
    "ppc64le": ("ppc64le", ""),
    "s390x": ("s390x", ""),
    "riscv64": ("riscv64", ""),
}


@dataclass(frozen=True)
class Platform:
    os: str
    architecture: str
    variant: str = ""

    @classmethod
    def host(cls) -> Platform:
        arch, variant = _MACHINE_ARCH.get(_platform.machine(), (_platform.machine(), ""))
        return cls("linux", arch, variant)

    @classmethod
    def parse(cls, text: str) -> Platform:
        """``linux/arm64/v8``, ``linux/amd64``, ``arm64`` (os defaults to linux)."""
        parts = text.strip().lower().split("/")
        if len(parts) == 1:
            parts = ["linux", *parts]
        if len(parts) > 3 or not all(parts):
            raise ImageError(f"invalid platform {text!r}: expected os/arch[/variant]")
        arch = {"x86_64": "amd64", "x86-64": "amd64", "aarch64": "arm64"}.get(parts[1], parts[1])
        variant = parts[2] if len(parts) == 3 else ""
        return cls(parts[0], arch, variant)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Platform:
        return cls(str(data.get("os", "")), str(data.get("architecture", "")), str(data.get("variant", "") or ""))

    def to_json(self) -> dict[str, str]:
        out = {"architecture": self.architecture, "os": self.os}
        if self.variant:
            out["variant"] = self.variant
        return out

    def matches(self, other: Platform) -> bool:
        """Whether an image of platform ``other`` runs as ``self`` asks."""
        if self.os != other.os or self.architecture != other.architecture:
            return False
        if not self.variant or not other.variant:
            return True
        return self.variant == other.variant

    def __str__(self) -> str:
        return "/".join(p for p in (self.os, self.architecture, self.variant) if p)


@dataclass(frozen=True)
class Descriptor:
    media_type: str
    digest: str
    size: int
    platform: Platform | None = None
    annotations: dict[str, str] = field(default_factory=dict, hash=False, compare=False)
    urls: tuple[str, ...] = ()

    @classmethod
    def from_json(cls, data: Any, where: str) -> Descriptor:
        if not isinstance(data, dict) or not isinstance(data.get("digest"), str):
            raise ImageError(f"{where}: malformed descriptor")
        plat = data.get("platform")
        return cls(
            media_type=str(data.get("mediaType", "")),
            digest=data["digest"],
            size=int(data.get("size", -1)),
            platform=Platform.from_json(plat) if isinstance(plat, dict) else None,
            annotations={str(k): str(v) for k, v in (data.get("annotations") or {}).items()},
            urls=tuple(data.get("urls") or ()),
        )

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"mediaType": self.media_type, "digest": self.digest, "size": self.size}
        if self.platform is not None:
            out["platform"] = self.platform.to_json()
        if self.annotations:
            out["annotations"] = dict(self.annotations)
        if self.urls:
            out["urls"] = list(self.urls)
        return out


@dataclass(frozen=True)
class Manifest:
    media_type: str
    config: Descriptor
    layers: tuple[Descriptor, ...]
    annotations: dict[str, str] = field(default_factory=dict, hash=False, compare=False)


@dataclass(frozen=True)
class Index:
    media_type: str
    manifests: tuple[Descriptor, ...]
    annotations: dict[str, str] = field(default_factory=dict, hash=False, compare=False)

    def choose(self, wanted: Platform) -> Descriptor:
        """The manifest for ``wanted``: exact variant first, then any matching one."""
        candidates = [d for d in self.manifests
                      if d.platform is not None and wanted.matches(d.platform) and d.media_type not in INDEX_TYPES]
        exact = [d for d in candidates if d.platform is not None and d.platform.variant == wanted.variant]
        if exact:
            return exact[0]
        if candidates:
            return candidates[0]
        nested = [d for d in self.manifests if d.media_type in INDEX_TYPES]
        if nested:
            return nested[0]
        without = [d for d in self.manifests if d.platform is None and d.media_type in MANIFEST_TYPES]
        if len(without) == 1:
            return without[0]
        found = ", ".join(str(d.platform) for d in self.manifests if d.platform) or "none"
        raise ImageNotFound(f"no image for platform {wanted} (available: {found})")


def _media_type(data: dict[str, Any]) -> str:
    mt = data.get("mediaType")
    if isinstance(mt, str) and mt:
        return mt
    if "manifests" in data:
        return OCI_INDEX
    if "layers" in data and "config" in data:
        return OCI_MANIFEST
    return ""


def parse_document(raw: bytes, where: str) -> Manifest | Index:
    """A manifest or an index, by its media type (or its shape, when untyped)."""
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ImageError(f"{where}: not valid JSON ({exc})") from None
    if not isinstance(data, dict):
        raise ImageError(f"{where}: not a JSON object")
    mt = _media_type(data)
    annotations = {str(k): str(v) for k, v in (data.get("annotations") or {}).items()}
    if mt in INDEX_TYPES:
        manifests = tuple(Descriptor.from_json(d, where) for d in data.get("manifests") or ())
        return Index(mt, manifests, annotations)
    if mt in MANIFEST_TYPES:
        if data.get("schemaVersion") != 2:
            raise ImageError(f"{where}: unsupported manifest schema version {data.get('schemaVersion')}")
        return Manifest(
            mt,
            Descriptor.from_json(data.get("config"), where),
            tuple(Descriptor.from_json(d, where) for d in data.get("layers") or ()),
            annotations,
        )
    raise ImageError(f"{where}: unsupported media type {mt!r}")


def manifest_json(config: Descriptor, layers: list[Descriptor]) -> bytes:
    """An OCI image manifest, serialised as Docker does (compact JSON)."""
    doc = {
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "config": config.to_json(),
        "layers": [d.to_json() for d in layers],
    }
    return json.dumps(doc, separators=(",", ":")).encode()


def index_json(manifests: list[Descriptor]) -> bytes:
    doc = {"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": [d.to_json() for d in manifests]}
    return json.dumps(doc, separators=(",", ":")).encode()


def host_platform() -> Platform:
    override = os.environ.get("DOCKER_DEFAULT_PLATFORM")
    return Platform.parse(override) if override else Platform.host()
