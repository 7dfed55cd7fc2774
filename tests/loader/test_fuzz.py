"""Fuzzing the loader: random YAML, and random edits of valid compose files, must load
or fail with a :class:`PyComposeError` — never with any other exception."""

from __future__ import annotations

import tempfile
from pathlib import Path

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from compose.loader.dotenv import parse
from compose.loader.load import LoadOptions, load_project
from runtime.api import PyComposeError

CASES = Path(__file__).resolve().parents[1] / "conformance" / "cases"
SEEDS = sorted(p.read_text() for p in CASES.glob("loader-*/compose.yaml") if p.stat().st_size)[:40] or [
    "services:\n  web:\n    image: nginx\n"
]

TOKENS = ["$", "${", "}", "$$", "${X:-", "${X:?e}", "!reset ", "!override ", ": ", "- ", "\n  ", "\n    - ",
          "{", "[", "]", "&a ", "*a", "<<: *a\n", "\t", "'", '"', "#", "---\n", "null", "~", "0x1F", "1e3",
          "services:", "extends: ", "include:\n  - ", "profiles: [x]", "depends_on: [", "ports: ['", "\x00", "é"]

keys = st.sampled_from(["services", "web", "image", "ports", "environment", "extends", "include", "volumes",
                        "networks", "profiles", "depends_on", "build", "command", "name", "x-a", "secrets",
                        "configs", "file", "service", "path", "env_file", "labels", "healthcheck", "deploy"])
scalars = (st.none() | st.booleans() | st.integers(-70000, 70000) | st.floats(allow_nan=False)
           | st.text(alphabet="ab$:{}-/.=!~ 01", max_size=10))
trees = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(keys, inner, max_size=4),
                     max_leaves=25)


def _load(text: str, files: dict[str, str] | None = None) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "compose.yaml").write_text(text, encoding="utf-8", errors="surrogateescape")
        for name, content in (files or {}).items():
            (root / name).write_text(content)
        try:
            load_project(LoadOptions(environ={"X": "x"}, cwd=tmp))
        except PyComposeError:
            pass


FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FUZZ
@given(st.dictionaries(keys, trees, max_size=5))
def test_random_documents(tree: dict) -> None:
    _load(yaml.safe_dump(tree))


@FUZZ
@given(st.dictionaries(st.sampled_from(["web", "db", "base"]), st.dictionaries(keys, trees, max_size=5), max_size=3))
def test_random_services(services: dict) -> None:
    _load(yaml.safe_dump({"services": services}))


@st.composite
def mutations(draw: st.DrawFn) -> str:
    text = draw(st.sampled_from(SEEDS))
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(text)))
        kind = draw(st.sampled_from(["insert", "delete", "duplicate"]))
        if kind == "insert":
            text = text[:at] + draw(st.sampled_from(TOKENS)) + text[at:]
        elif kind == "delete":
            text = text[:at] + text[at + draw(st.integers(1, 12)):]
        else:
            line_start = text.rfind("\n", 0, at) + 1
            line_end = text.find("\n", at)
            line = text[line_start: line_end if line_end >= 0 else len(text)]
            text = text[:line_start] + line + "\n" + text[line_start:]
    return text


@FUZZ
@given(mutations())
def test_mutated_valid_files(text: str) -> None:
    _load(text, {"base.yaml": "services:\n  app:\n    image: x\n", ".env": "X=1\n"})


@FUZZ
@given(st.text(alphabet="AB_=#'\"\\$ {}:-\nxe\t\r", max_size=40))
def test_random_env_files(text: str) -> None:
    try:
        parse(text, {"A": "1"}.get)
    except PyComposeError:
        pass
