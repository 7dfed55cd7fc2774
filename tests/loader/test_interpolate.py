"""Interpolation of whole compose files: every string value, casts, errors with places."""

from __future__ import annotations

import pytest

from compose.errors import InterpolationError
from compose.loader.interpolate import CASTS, interpolate, matches
from compose.loader.yamlsource import Override, Reset, parse_document


def test_values_are_substituted_keys_are_not() -> None:
    data = {"x-${K}": "${V}", "services": {"web": {"labels": {"${K}": "$V"}, "command": ["$V", 1, None, True]}}}
    out = interpolate(data, {"K": "k", "V": "v"})
    assert out == {"x-${K}": "v", "services": {"web": {"labels": {"${K}": "v"}, "command": ["v", 1, None, True]}}}
    assert data["services"]["web"]["command"][0] == "$V"  # the input is left alone


def test_tags_are_kept_around_substituted_values() -> None:
    out = interpolate({"services": {"web": {"ports": Reset(["${P}"]), "env": Override({"A": "$P"})}}}, {"P": "1"})
    assert out["services"]["web"]["ports"] == Reset(["1"])
    assert out["services"]["web"]["env"] == Override({"A": "1"})


@pytest.mark.parametrize(
    ("path", "text", "expected"),
    [
        (("services", "web", "ports", 0, "target"), "80", 80),
        (("services", "web", "deploy", "replicas"), "+3", 3),
        (("services", "web", "init"), "yes", True),
        (("services", "web", "privileged"), "FALSE", False),
        (("services", "web", "read_only"), "off", False),
        (("services", "web", "cpus"), "0.5", 0.5),
        (("services", "web", "ulimits", "nproc"), "10", 10),
        (("services", "web", "ulimits", "nofile", "soft"), "10", 10),
        (("networks", "front", "external"), "true", True),
        (("volumes", "data", "external"), "no", False),
        (("services", "web", "volumes", 0, "volume", "nocopy"), "on", True),
        (("services", "web", "image"), "80", "80"),
    ],
)
def test_casts(path: tuple, text: str, expected: object) -> None:
    data: object = text
    for part in reversed(path):
        data = [data] if isinstance(part, int) else {part: data}
    out = interpolate(data, {})
    for part in path:
        out = out[part]
    assert out == expected
    assert type(out) is type(expected)


def test_every_cast_pattern_is_reachable() -> None:
    for pattern in CASTS:
        concrete = tuple(0 if p == "[]" else ("x" if p == "*" else p) for p in pattern)
        assert matches(concrete, pattern)


@pytest.mark.parametrize(
    ("path", "text", "message"),
    [
        (("services", "web", "privileged"), "perhaps", "invalid boolean: perhaps"),
        (("services", "web", "deploy", "replicas"), "three", 'parsing "three": invalid syntax'),
        (("services", "web", "cpus"), "lots", 'parsing "lots": invalid syntax'),
    ],
)
def test_cast_errors(path: tuple, text: str, message: str) -> None:
    data: object = text
    for part in reversed(path):
        data = {part: data}
    with pytest.raises(InterpolationError, match=message) as info:
        interpolate(data, {})
    assert info.value.path == path


def test_errors_point_at_the_file_line_and_path() -> None:
    doc = parse_document("services:\n  web:\n    image: nginx\n    command: [ok, '${NEED:?set NEED}']\n", "c.yaml")
    with pytest.raises(InterpolationError) as info:
        interpolate(doc.data, {}, doc.source)
    err = info.value
    assert (err.file, err.line, err.path) == ("c.yaml", 4, ("services", "web", "command", 1))
    assert "required variable NEED is missing a value: set NEED" in err.render()
    assert err.render().startswith("c.yaml:4:")


def test_invalid_template_error() -> None:
    doc = parse_document("services:\n  web:\n    image: 'a${b'\n", "c.yaml")
    with pytest.raises(InterpolationError, match="invalid interpolation format") as info:
        interpolate(doc.data, {}, doc.source)
    assert info.value.line == 3
    assert info.value.hint is not None and "escape" in info.value.hint
