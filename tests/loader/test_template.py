"""``$VAR`` substitution: the grammar, odd inputs, errors, and properties."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from compose.errors import InterpolationError
from compose.loader.template import InvalidTemplate, MissingRequired, substitute

ENV = {"A": "a", "EMPTY": "", "NUM": "42", "lower": "l"}


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ("$A", "a"),
        ("${A}", "a"),
        ("x${A}y", "xay"),
        ("$A$A", "aa"),
        ("${lower}", "l"),
        ("$UNSET", ""),
        ("${UNSET}", ""),
        ("$$A", "$A"),
        ("$${A}", "${A}"),
        ("$$$A", "$a"),
        ("${UNSET:-d}", "d"),
        ("${EMPTY:-d}", "d"),
        ("${A:-d}", "a"),
        ("${UNSET-d}", "d"),
        ("${EMPTY-d}", ""),
        ("${A:+alt}", "alt"),
        ("${EMPTY:+alt}", ""),
        ("${UNSET:+alt}", ""),
        ("${EMPTY+alt}", "alt"),
        ("${UNSET+alt}", ""),
        ("${UNSET:-${A}}", "a"),
        ("${UNSET:-${ALSO:-deep}}", "deep"),
        ("${A:+${NUM}}", "42"),
        ("${UNSET:-a}-${UNSET:-b}", "a-b"),
        ("${A:-x}-${UNSET:-y}z", "a-yz"),
        ("${EMPTY?unused}", ""),
        ("${A:?unused}", "a"),
        ("${UNSET:-}", ""),
        ("$1", "$1"),
        ("price $ 5", "price $ 5"),
        ("trailing $", "trailing $"),
        ("$-x", "$-x"),
        ("${UNSET:-a:b}", "a:b"),
        ("${UNSET:-{}}", "{}"),
        ("$A_B", ""),
        ("${A}_B", "a_B"),
        ("no dollars", "no dollars"),
        ("multi\nline $A", "multi\nline a"),
    ],
)
def test_substitute(template: str, expected: str) -> None:
    assert substitute(template, ENV.get) == expected


@pytest.mark.parametrize("template", ["${", "${A", "x ${1A}", "${A B}", "${-x}", "${}"])
def test_invalid_templates(template: str) -> None:
    with pytest.raises(InvalidTemplate) as info:
        substitute(template, ENV.get)
    assert info.value.template == template


@pytest.mark.parametrize(
    ("template", "variable", "reason"),
    [
        ("${UNSET:?please set it}", "UNSET", "please set it"),
        ("${EMPTY:?empty is not enough}", "EMPTY", "empty is not enough"),
        ("${UNSET?}", "UNSET", ""),
        ("${UNSET:?needs $A}", "UNSET", "needs a"),
    ],
)
def test_required(template: str, variable: str, reason: str) -> None:
    with pytest.raises(MissingRequired) as info:
        substitute(template, ENV.get)
    assert (info.value.variable, info.value.reason) == (variable, reason)
    assert isinstance(info.value, InterpolationError)
    assert variable in str(info.value)


names = st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,6}", fullmatch=True)
values = st.text(alphabet=st.characters(blacklist_characters="$", blacklist_categories=("Cs",)), max_size=8)
texts = st.text(alphabet=st.characters(blacklist_characters="$", blacklist_categories=("Cs",)), max_size=30)
envs = st.dictionaries(names, values, max_size=5)


@given(texts, envs)
def test_text_without_dollar_is_unchanged(text: str, env: dict[str, str]) -> None:
    assert substitute(text, env.get) == text


@given(st.text(max_size=30), envs)
def test_doubled_dollars_round_trip(text: str, env: dict[str, str]) -> None:
    assert substitute(text.replace("$", "$$"), env.get) == text


def _model(op: str, value: str | None, default: str) -> str:
    """The meaning of each operator, written plainly."""
    missing_strict = value is None or value == ""
    if op == ":-":
        return default if missing_strict else value  # type: ignore[return-value]
    if op == "-":
        return default if value is None else value
    if op == ":+":
        return "" if missing_strict else default
    if op == "+":
        return "" if value is None else default
    raise AssertionError(op)


@given(names, st.none() | values, st.sampled_from([":-", "-", ":+", "+"]),
       st.text(alphabet="abc xyz:-+.", max_size=10))
def test_default_forms_agree_with_a_model(name: str, value: str | None, op: str, default: str) -> None:
    env = {} if value is None else {name: value}
    assert substitute("${" + name + op + default + "}", env.get) == _model(op, value, default)


@given(names, st.none() | values)
def test_plain_and_braced_agree(name: str, value: str | None) -> None:
    env = {} if value is None else {name: value}
    assert substitute("${" + name + "}", env.get) == substitute("$" + name, env.get) == (value or "")


def test_unset_variables_are_reported_unless_defaulted() -> None:
    seen: list[str] = []
    substitute("$A $U1 ${U2} ${U3:-d} ${U4-d} ${U5:+x} ${X:-$U6} $$U7", ENV.get, seen.append)
    assert seen == ["U1", "U2", "U6"]
