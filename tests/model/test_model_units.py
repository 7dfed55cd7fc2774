"""Durations and sizes: Go's duration syntax both ways, Docker's size units."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from compose.model import units


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("0", 0.0),
        ("0s", 0.0),
        ("90s", 90.0),
        ("1m30s", 90.0),
        ("1h2m3.5s", 3723.5),
        ("500ms", 0.5),
        ("1.5s", 1.5),
        ("2us", 2e-6),
        ("2µs", 2e-6),
        ("10ns", 1e-8),
        ("1d", 86400.0),
        ("-5s", -5.0),
        (30, 30.0),
        (1.5, 1.5),
    ],
)
def test_parse_duration(text: object, seconds: float) -> None:
    assert units.parse_duration(text) == pytest.approx(seconds)


@pytest.mark.parametrize("text", ["", "s", "10", "1x", "1m30", "abc", "1.2.3s", True, None])
def test_parse_duration_rejects(text: object) -> None:
    with pytest.raises(ValueError):
        units.parse_duration(text)


@pytest.mark.parametrize(
    ("ns", "text"),
    [
        (0, "0s"),
        (1, "1ns"),
        (1_500, "1.5µs"),
        (500_000_000, "500ms"),
        (1_500_000_000, "1.5s"),
        (90_000_000_000, "1m30s"),
        (3_600_000_000_000, "1h0m0s"),
        (3_723_500_000_000, "1h2m3.5s"),
        (-2_000_000_000, "-2s"),
    ],
)
def test_format_like_go(ns: int, text: str) -> None:
    assert units.format_ns(ns) == text


@given(st.integers(min_value=-(10**15), max_value=10**15))
def test_format_then_parse_round_trips(ns: int) -> None:
    assert units.duration_ns(units.format_ns(ns)) == ns


@pytest.mark.parametrize(
    ("text", "size"),
    [
        ("536870912", 536870912),
        (1024, 1024),
        ("512m", 512 << 20),
        ("512M", 512 << 20),
        ("1g", 1 << 30),
        ("1gb", 1 << 30),
        ("64k", 64 << 10),
        ("10b", 10),
        ("1.5k", 1536),
        ("2MiB", 2 << 20),
    ],
)
def test_parse_bytes(text: object, size: int) -> None:
    assert units.parse_bytes(text) == size


@pytest.mark.parametrize("text", ["", "m", "12q", "1..2k", True, [1]])
def test_parse_bytes_rejects(text: object) -> None:
    with pytest.raises(ValueError):
        units.parse_bytes(text)
