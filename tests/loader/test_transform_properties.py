"""Properties of the short-syntax parsers and casts over arbitrary text: they either
give a well-formed result or refuse with the error type their callers expect."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from compose.loader.transform import parse_port, parse_volume, values
from compose.loader.transform.ports import PortSyntaxError
from compose.loader.transform.volumes import VolumeSyntaxError, clean_path

SPEC_CHARS = st.text(alphabet=st.sampled_from(list("0123456789:/-.[]abz ~$")), max_size=24)


@given(SPEC_CHARS)
def test_port_specs_parse_or_are_refused(spec: str) -> None:
    try:
        entries = parse_port(spec)
    except PortSyntaxError:
        return
    assert entries
    for entry in entries:
        assert entry["mode"] == "ingress"
        assert entry["protocol"] in ("tcp", "udp", "sctp")
        assert 0 <= entry.get("target", 0) <= 65535


@given(SPEC_CHARS)
def test_volume_specs_parse_or_are_refused(spec: str) -> None:
    try:
        volume = parse_volume(spec)
    except VolumeSyntaxError:
        return
    assert volume["type"] in ("bind", "volume")
    if "target" in volume and len(spec) > 2:
        assert volume["target"] == clean_path(volume["target"])


@given(st.text(max_size=30))
def test_command_lines_split_or_are_refused(line: str) -> None:
    try:
        words = values.split_command(line)
    except values.CastError:
        return
    assert all(isinstance(w, str) for w in words)


@given(st.integers(min_value=0, max_value=10**15))
def test_durations_read_back(ns: int) -> None:
    text = values.format_duration(ns)
    assert values.parse_duration(text) == ns


@given(st.text(max_size=12))
def test_sizes_parse_or_are_refused(text: str) -> None:
    try:
        size = values.ram_bytes(text)
    except values.CastError:
        return
    assert size >= 0


@given(st.floats(allow_nan=False, allow_infinity=False))
def test_go_float_spelling_reads_back(number: float) -> None:
    assert float(values.go_string(number)) == number
