"""``--filter`` of ``image ls``/``image prune``: one case per key."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from runtime.images.errors import ImageError
from runtime.images.filters import ImageFilter, parse_filters


@dataclass
class Img:
    id: str
    tags: tuple[str, ...]
    created: str
    labels: dict[str, str] = field(default_factory=dict)


OLD = Img("sha256:" + "1" * 64, ("busybox:latest", "localhost:5000/x/bb:v1"), "2020-01-01T00:00:00Z", {"tier": "db"})
MID = Img("sha256:" + "2" * 64, (), "2022-06-01T12:00:00.123456789Z", {"tier": "web", "beta": ""})
NEW = Img("sha256:" + "3" * 64, ("app:2",), "2024-01-01T00:00:00Z")
ALL = [OLD, MID, NEW]


def pick(*specs: str, prune: bool = False) -> list[Img]:
    flt = ImageFilter.parse(parse_filters(list(specs)), prune=prune,
                            resolve=lambda ref: {"busybox": OLD, "app:2": NEW}[ref])
    return [i for i in ALL if flt.matches(i)]


@pytest.mark.parametrize(("specs", "expected"), [
    (("dangling=true",), [MID]),
    (("dangling=false",), [OLD, NEW]),
    (("reference=busybox",), [OLD]),
    (("reference=*/x/*",), [OLD]),  # path.Match: "*" is "localhost:5000", then "bb:v1"
    (("reference=*",), [OLD, NEW]),  # only names without a "/"
    (("reference=x/*",), []),
    (("reference=localhost:5000/*/*",), [OLD]),
    (("reference=app:*",), [NEW]),
    (("label=tier",), [OLD, MID]),
    (("label=tier=web",), [MID]),
    (("label=tier", "label=beta"), [MID]),
    (("before=app:2",), [OLD, MID]),
    (("since=busybox",), [MID, NEW]),
    (("until=2023-01-01T00:00:00Z",), [OLD, MID]),
    (("until=1600000000",), [OLD]),
])
def test_ls_filters(specs: tuple[str, ...], expected: list[Img]) -> None:
    assert pick(*specs) == expected


def test_prune_filters() -> None:
    assert pick("label!=tier", prune=True) == [NEW]
    assert pick("until=24h", prune=True) == ALL


@pytest.mark.parametrize("spec", ["bogus=1", "dangling=maybe", "noequals", "until=yesterday"])
def test_invalid_filters(spec: str) -> None:
    with pytest.raises(ImageError):
        pick(spec)
