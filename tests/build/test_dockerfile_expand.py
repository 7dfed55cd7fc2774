"""BuildKit's shell-word rules: quotes, escapes, every substitution form."""

from __future__ import annotations

import pytest

from runtime.build.dockerfile import expand, split_words
from runtime.build.errors import DockerfileError

ENV = {"A": "f.txt", "EMPTY": "", "P": "a/b/c.tar.gz", "W": "two words"}


@pytest.mark.parametrize(("word", "expected"), [
    ("$A", "f.txt"), ("${A}", "f.txt"), ("x${A}y", "xf.txty"), ("$UNSET", ""),
    ("${UNSET:-d}", "d"), ("${EMPTY:-d}", "d"), ("${EMPTY-d}", ""), ("${UNSET-d}", "d"), ("${A:-d}", "f.txt"),
    ("${A:+alt}", "alt"), ("${EMPTY:+alt}", ""), ("${EMPTY+alt}", "alt"), ("${UNSET+alt}", ""),
    ("${UNSET:-${A}}", "f.txt"), ("${UNSET:-${UNSET2:-deep}}", "deep"),
    ("${P#*/}", "b/c.tar.gz"), ("${P##*/}", "c.tar.gz"), ("${P%.*}", "a/b/c.tar"), ("${P%%.*}", "a/b/c"),
    ("${A/f/g}", "g.txt"), ("${P//\\//-}", "a-b-c.tar.gz"), ("${A/t/}", "f.xt"),
    ("'$A'", "$A"), ('"$A"', "f.txt"), ('"a\\"b"', 'a"b'), ('"\\$A"', "$A"), ("\\$A", "$A"),
    ('"$W"', "two words"), ("a\\ b", "a b"), ("$", "$"), ("a$", "a$"), ("$1x", "$1x"), ("$-", "$-"),
    ('"it\'s"', "it's"), ("'a\"b'", 'a"b'), ('"x\\y"', "x\\y"),
])
def test_expand(word: str, expected: str) -> None:
    assert expand(word, ENV) == expected


def test_backtick_escape() -> None:
    assert expand("C:`\\dir `$A", ENV, escape="`") == "C:\\dir $A"


@pytest.mark.parametrize("word", ["${UNSET:?must be set}", "${EMPTY:?}", "${UNSET?}"])
def test_required_variables_fail_with_their_message(word: str) -> None:
    with pytest.raises(DockerfileError):
        expand(word, ENV)


def test_set_but_empty_passes_the_plain_question_mark() -> None:
    assert expand("${EMPTY?x}", ENV) == ""


@pytest.mark.parametrize("word", ["${A", "${}", "'open", '"open', "${A!x}"])
def test_bad_syntax_is_an_error(word: str) -> None:
    with pytest.raises(DockerfileError):
        expand(word, ENV)


def test_split_words_keeps_quotes_for_expansion() -> None:
    assert split_words('a=1 b="two words" c=\'x y\' d=e\\ f') == ["a=1", 'b="two words"', "c='x y'", "d=e\\ f"]
