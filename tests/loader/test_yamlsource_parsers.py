"""yamlsource on libyaml's parser gives what it gives on PyYAML's pure-Python one:
the same values and the same positions (the C parser is only there for speed)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from compose.errors import ConfigError
from compose.loader import yamlsource

ROOT = Path(__file__).resolve().parents[1]
CORPUS = sorted([*ROOT.glob("conformance/cases/**/*.yaml"), *ROOT.glob("conformance/cases/**/*.yml"),
                 *(ROOT.parent.parent / "shared/reference/compose-fixtures").glob("**/*.y*ml")])

pytestmark = pytest.mark.skipif(yamlsource._CLoader is yamlsource._PyLoader or not yaml.__with_libyaml__,
                                reason="PyYAML has no libyaml here")


def _parse(loader: type, text: str) -> object:
    original = yamlsource._Loader
    yamlsource._Loader = loader
    try:
        return [(d.data, d.source.positions) for d in yamlsource.parse_documents(text, "x.yaml")]
    except ConfigError:
        return "error"
    finally:
        yamlsource._Loader = original


def _same(text: str) -> None:
    assert repr(_parse(yamlsource._PyLoader, text)) == repr(_parse(yamlsource._CLoader, text))


def test_the_corpus_reads_the_same() -> None:
    assert len(CORPUS) > 100
    for path in CORPUS:
        _same(path.read_text())


@pytest.mark.parametrize(
    "text",
    [
        "a: 1\nb: '1'\nc: yes\nd: ~\ne: 0o17\nf: 1_000\ng: 2001-12-14t21:59:43.10-05:00\nh: .inf\n",
        "x: &a {k: v}\ny: *a\nz:\n  <<: *a\n  own: 1\n",
        "s: !reset []\nt: !override {a: 1}\nu: !reset\n",
        "l: |\n  block\n  text\nm: >\n  folded\n  text\n",
        "---\na: 1\n---\nb: 2\n",
        "k: [1, 2, {x: y}]\n",
    ],
)
def test_tricky_documents_read_the_same(text: str) -> None:
    _same(text)


scalars = st.none() | st.booleans() | st.integers() | st.text(max_size=10) | st.floats(allow_nan=False)
trees = st.recursive(scalars, lambda inner: st.lists(inner, max_size=3)
                     | st.dictionaries(st.text(max_size=5), inner, max_size=3), max_leaves=15)


@settings(max_examples=100, deadline=None)
@given(trees, st.sampled_from([None, False, True]))
def test_generated_documents_read_the_same(tree: object, flow: bool | None) -> None:
    _same(yaml.safe_dump(tree, default_flow_style=flow, allow_unicode=True))
