"""Scalar casts: durations, sizes, single-precision numbers, modes, command lines."""

from __future__ import annotations

import pytest

from compose.loader.transform import values as v


@pytest.mark.parametrize(("text", "expected"), [
    ("90s", "1m30s"), ("1500ms", "1.5s"), ("0", "0s"), ("0s", "0s"), ("1h", "1h0m0s"), ("1d", "24h0m0s"),
    ("1w", "168h0m0s"), ("0.5ms", "500µs"), ("100us", "100µs"), ("10ns", "10ns"), ("1h1m1.5s", "1h1m1.5s"),
    ("1.5h", "1h30m0s"), ("-5s", "-5s"),
])
def test_duration(text: str, expected: str) -> None:
    assert v.duration(text) == expected


@pytest.mark.parametrize("text", ["", "10", "s", "10parsecs", "1.s5"])
def test_bad_duration(text: str) -> None:
    with pytest.raises(v.CastError):
        v.parse_duration(text)


@pytest.mark.parametrize(("value", "expected"), [
    ("64m", 67108864), ("1g", 1 << 30), ("1.5gb", 1610612736), ("512", 512), ("2048k", 2097152),
    (1000, 1000), ("10 MiB", 10 << 20), ("1T", 1 << 40),
])
def test_ram_bytes(value: object, expected: int) -> None:
    assert v.ram_bytes(value) == expected


@pytest.mark.parametrize("text", ["lots", "1.2.3g", "-1", "1x", ""])
def test_bad_size(text: str) -> None:
    with pytest.raises(v.CastError):
        v.ram_bytes(text)


@pytest.mark.parametrize(("value", "expected"), [(0.1, 0.1), ("0.5", 0.5), (2, 2), (1.1, 1.1),
                                                 (0.3333333333, 0.33333334)])
def test_float32(value: object, expected: object) -> None:
    assert v.float32(value) == expected


@pytest.mark.parametrize(("value", "expected"), [(0o440, "0440"), ("755", "0755"), (0, "00")])
def test_file_mode(value: object, expected: str) -> None:
    assert v.file_mode(value) == expected


@pytest.mark.parametrize(("line", "expected"), [
    ("echo hi", ["echo", "hi"]),
    ("sh -c 'x y'", ["sh", "-c", "x y"]),
    ('a "b\\"c" d\\ e', ["a", 'b"c', "d e"]),
    ("echo a; echo b", ["echo", "a"]),
    ("a | b", ["a"]),
    ("'' x", ["", "x"]),
    ("  ", []),
    ("a\\nb", ["anb"]),
    ("2>&1", []),
    ("cmd 2>&1", ["cmd"]),
    ("echo $(date) `x`", ["echo", "$(date)", "`x`"]),
    ("a)b)", ["a)b)"]),
])
def test_split_command(line: str, expected: list[str]) -> None:
    assert v.split_command(line) == expected


@pytest.mark.parametrize("line", ["echo 'oops", 'say "hi', "a\\", "(x)", "f $(a", "`x", "a)b"])
def test_unbalanced_command_lines(line: str) -> None:
    with pytest.raises(v.CastError):
        v.split_command(line)


@pytest.mark.parametrize(("value", "expected"), [
    (True, "true"), (1.0, "1"), (1.5, "1.5"), (None, ""), (7, "7"), (1e6, "1e+06"), (999999.0, "999999"),
    (1e-5, "1e-05"), (0.0001, "0.0001"), (123456789.0, "1.23456789e+08"), (-0.0, "-0"), (float("inf"), "+Inf"),
])
def test_go_string(value: object, expected: str) -> None:
    assert v.go_string(value) == expected
