"""``--filter`` of ``image ls`` and ``image prune``, as Docker reads them."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from typing import Any, Protocol

from runtime.images.errors import ImageError
from runtime.images.reference import match_familiar, parse

LS_KEYS = frozenset({"dangling", "reference", "label", "before", "since", "until"})
PRUNE_KEYS = frozenset({"label", "label!", "until", "dangling"})
_DURATION = re.compile(r"(\d+(?:\.\d+)?)(ns|us|ms|s|m|h)")
_UNITS = {"ns": 1e-9, "us": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}


class _Image(Protocol):
    id: str
    tags: tuple[str, ...]
    created: str
    labels: dict[str, str]


def parse_filters(values: list[str]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for value in values:
        key, sep, arg = value.partition("=")
        if not sep:
            raise ImageError(f"bad format of filter (expected name=value): {value}")
        out.setdefault(key.strip().lower(), []).append(arg)
    return out


def created_epoch(created: str) -> float:
    if not created:
        return 0.0
    text = re.sub(r"\.\d+", "", created).replace("Z", "+00:00")
    from datetime import datetime

    try:
        return datetime.fromisoformat(text).timestamp()
    except ValueError:
        return 0.0


def _timestamp(value: str) -> float:
    """Docker's ``until``: a Unix time, an RFC 3339 date, or a Go duration ago."""
    if re.fullmatch(r"\d+(\.\d+)?", value):
        return float(value)
    parts = _DURATION.findall(value)
    if parts and "".join(n + u for n, u in parts) == value:
        return time.time() - sum(float(n) * _UNITS[u] for n, u in parts)
    stamp = created_epoch(value if "T" in value else value + "T00:00:00Z")
    if stamp == 0.0:
        raise ImageError(f"invalid filter timestamp {value!r}")
    return stamp


def _label_match(labels: dict[str, str], spec: str) -> bool:
    key, sep, value = spec.partition("=")
    if key not in labels:
        return False
    return not sep or labels[key] == value


@dataclass(frozen=True)
class ImageFilter:
    filters: dict[str, list[str]] = field(default_factory=dict)
    resolved: dict[str, float] = field(default_factory=dict)

    @classmethod
    def parse(cls, filters: dict[str, list[str]], *, prune: bool = False, resolve: Any = None) -> ImageFilter:
        allowed = PRUNE_KEYS if prune else LS_KEYS
        for key in filters:
            if key not in allowed:
                raise ImageError(f"invalid filter '{key}'")
        for value in filters.get("dangling", []):
            if value.lower() not in ("true", "false", "1", "0"):
                raise ImageError(f"invalid filter 'dangling={value}'")
        resolved: dict[str, float] = {}
        for key in ("before", "since"):
            for value in filters.get(key, []):
                if resolve is None:
                    raise ImageError(f"filter {key} needs an image")
                resolved[key] = created_epoch(resolve(value).created)
        for value in filters.get("until", []):
            resolved["until"] = _timestamp(value)
        for value in filters.get("reference", []):
            if ":" not in value and "*" not in value:
                parse(value)  # a malformed name is an error, as in Docker
        return cls(filters, resolved)

    def matches(self, image: _Image) -> bool:
        f = self.filters
        for value in f.get("dangling", []):
            want = value.lower() in ("true", "1")
            if want != (not image.tags):
                return False
        if f.get("reference"):
            refs = [parse(t) for t in image.tags]
            if not any(match_familiar(p, r) for p in f["reference"] for r in refs):
                return False
        if any(not _label_match(image.labels, spec) for spec in f.get("label", [])):
            return False
        if any(_label_match(image.labels, spec) for spec in f.get("label!", [])):
            return False
        created = created_epoch(image.created)
        if "before" in self.resolved and not created < self.resolved["before"]:
            return False
        if "since" in self.resolved and not created > self.resolved["since"]:
            return False
        return not ("until" in self.resolved and not created < self.resolved["until"])
