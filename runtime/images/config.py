"""The image configuration (OCI ``config`` blob), typed.

Only what containers need is typed: Env, Entrypoint, Cmd, WorkingDir, User, ExposedPorts,
Volumes, Healthcheck, StopSignal, Labels. ``OnBuild`` is ignored (it only matters to
builds). ``None`` for Entrypoint/Cmd means "not set", which differs from an empty list.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from runtime.images.errors import ImageError
from runtime.images.manifest import Platform


@dataclass(frozen=True)
class Healthcheck:
    test: tuple[str, ...]
    interval_ns: int = 0
    timeout_ns: int = 0
    start_period_ns: int = 0
    start_interval_ns: int = 0
    retries: int = 0

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Healthcheck:
        return cls(
            test=tuple(str(t) for t in data.get("Test") or ()),
            interval_ns=int(data.get("Interval") or 0),
            timeout_ns=int(data.get("Timeout") or 0),
            start_period_ns=int(data.get("StartPeriod") or 0),
            start_interval_ns=int(data.get("StartInterval") or 0),
            retries=int(data.get("Retries") or 0),
        )

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"Test": list(self.test)}
        for key, value in (("Interval", self.interval_ns), ("Timeout", self.timeout_ns),
                           ("StartPeriod", self.start_period_ns), ("StartInterval", self.start_interval_ns),
                           ("Retries", self.retries)):
            if value:
                out[key] = value
        return out


@dataclass(frozen=True)
class ContainerConfig:
    env: tuple[str, ...] = ()
    entrypoint: tuple[str, ...] | None = None
    cmd: tuple[str, ...] | None = None
    working_dir: str = ""
    user: str = ""
    exposed_ports: tuple[str, ...] = ()
    volumes: tuple[str, ...] = ()
    healthcheck: Healthcheck | None = None
    stop_signal: str = ""
    labels: dict[str, str] = field(default_factory=dict, hash=False)

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> ContainerConfig:
        data = data or {}

        def seq(key: str) -> tuple[str, ...] | None:
            value = data.get(key)
            if value is None:
                return None
            if isinstance(value, str):
                return (value,)
            return tuple(str(v) for v in value)

        hc = data.get("Healthcheck")
        return cls(
            env=seq("Env") or (),
            entrypoint=seq("Entrypoint"),
            cmd=seq("Cmd"),
            working_dir=str(data.get("WorkingDir") or ""),
            user=str(data.get("User") or ""),
            exposed_ports=tuple(sorted(data.get("ExposedPorts") or {})),
            volumes=tuple(sorted(data.get("Volumes") or {})),
            healthcheck=Healthcheck.from_json(hc) if isinstance(hc, dict) else None,
            stop_signal=str(data.get("StopSignal") or ""),
            labels={str(k): str(v) for k, v in (data.get("Labels") or {}).items()},
        )

    def env_map(self) -> dict[str, str]:
        out: dict[str, str] = {}
        for item in self.env:
            key, _, value = item.partition("=")
            out[key] = value
        return out


@dataclass(frozen=True)
class History:
    created: str = ""
    created_by: str = ""
    comment: str = ""
    author: str = ""
    empty_layer: bool = False


@dataclass(frozen=True)
class ImageConfig:
    platform: Platform
    created: str
    author: str
    config: ContainerConfig
    diff_ids: tuple[str, ...]
    history: tuple[History, ...]
    raw: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)

    @property
    def comment(self) -> str:
        return str(self.raw.get("comment") or "")


def parse_config(raw: bytes, where: str) -> ImageConfig:
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ImageError(f"{where}: image config is not valid JSON ({exc})") from None
    if not isinstance(data, dict):
        raise ImageError(f"{where}: image config is not a JSON object")
    rootfs = data.get("rootfs") or {}
    if rootfs.get("type") != "layers":
        raise ImageError(f"{where}: image config has no rootfs of type 'layers'")
    diff_ids = tuple(str(d) for d in rootfs.get("diff_ids") or ())
    history = tuple(
        History(
            created=str(h.get("created") or ""),
            created_by=str(h.get("created_by") or ""),
            comment=str(h.get("comment") or ""),
            author=str(h.get("author") or ""),
            empty_layer=bool(h.get("empty_layer")),
        )
        for h in data.get("history") or ()
        if isinstance(h, dict)
    )
    return ImageConfig(
        platform=Platform(str(data.get("os") or "linux"), str(data.get("architecture") or ""),
                          str(data.get("variant") or "")),
        created=str(data.get("created") or ""),
        author=str(data.get("author") or ""),
        config=ContainerConfig.from_json(data.get("config")),
        diff_ids=diff_ids,
        history=history,
        raw=data,
    )
