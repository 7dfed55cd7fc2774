"""Docker's JSON shapes for ``image inspect`` and the rows of ``image history``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from runtime.images.config import ImageConfig
from runtime.images.records import ImageRecord
from runtime.images.reference import Reference

ZERO_TIME = "0001-01-01T00:00:00Z"

# Docker's container config fields with their zero values, in Docker's order.
CONFIG_DEFAULTS: tuple[tuple[str, Any], ...] = (
    ("Hostname", ""), ("Domainname", ""), ("User", ""), ("AttachStdin", False), ("AttachStdout", False),
    ("AttachStderr", False), ("ExposedPorts", None), ("Tty", False), ("OpenStdin", False), ("StdinOnce", False),
    ("Env", None), ("Cmd", None), ("Healthcheck", None), ("ArgsEscaped", None), ("Image", ""), ("Volumes", None),
    ("WorkingDir", ""), ("Entrypoint", None), ("OnBuild", None), ("Labels", None), ("StopSignal", None),
)


def docker_config(raw: dict[str, Any] | None) -> dict[str, Any]:
    raw = raw or {}
    out = {}
    for key, default in CONFIG_DEFAULTS:
        value = raw.get(key, default)
        if value is None and default is None and key in ("ExposedPorts", "Healthcheck", "ArgsEscaped", "StopSignal"):
            continue
        out[key] = value
    for key, value in raw.items():
        out.setdefault(key, value)
    return out


def inspect_json(record: ImageRecord, config: ImageConfig, tags: list[Reference], digests: list[Reference],
                 layer_dirs: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {
        "Id": record.id,
        "RepoTags": [t.familiar() for t in tags],
        "RepoDigests": [d.familiar() for d in digests],
        "Parent": "",
        "Comment": config.comment,
        "Created": config.created or ZERO_TIME,
        "DockerVersion": str(config.raw.get("docker_version") or ""),
        "Author": config.author,
        "Config": docker_config(config.raw.get("config")),
        "Architecture": config.platform.architecture,
    }
    if config.platform.variant:
        out["Variant"] = config.platform.variant
    out.update({
        "Os": config.platform.os,
        "Size": record.size,
        "GraphDriver": {
            "Data": _graph_data(layer_dirs),
            "Name": "overlay2",
        },
        "RootFS": {"Type": "layers", "Layers": list(config.diff_ids)},
        "Metadata": {"LastTagTime": record.last_tag_time or ZERO_TIME},
    })
    return out


def _graph_data(layer_dirs: list[str]) -> dict[str, str] | None:
    if not layer_dirs:
        return None
    data = {"MergedDir": "", "UpperDir": layer_dirs[-1], "WorkDir": ""}
    if len(layer_dirs) > 1:
        data["LowerDir"] = ":".join(reversed(layer_dirs[:-1]))
    return dict(sorted(data.items()))


@dataclass(frozen=True)
class HistoryRow:
    id: str  # the image ID on the top row, "<missing>" below, as Docker prints
    created: str
    created_by: str
    size: int
    comment: str


def history_rows(record: ImageRecord, config: ImageConfig, layer_sizes: list[int]) -> list[HistoryRow]:
    rows: list[HistoryRow] = []
    sizes = list(layer_sizes)
    entries = list(config.history)
    if not entries:
        entries_sizes = [(None, s) for s in sizes]
    else:
        entries_sizes = []
        for h in entries:
            size = 0 if h.empty_layer or not sizes else sizes.pop(0)
            entries_sizes.append((h, size))
    for h, size in entries_sizes:
        rows.append(HistoryRow("<missing>", h.created if h else config.created, h.created_by if h else "",
                               size, h.comment if h else ""))
    rows.reverse()
    if rows:
        top = rows[0]
        rows[0] = HistoryRow(record.id, top.created, top.created_by, top.size, top.comment)
    return rows
