"""Rendering a canonical project exactly as ``docker compose config`` prints it."""

from __future__ import annotations

import copy
import json
import random
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from compose.model.gofloat import json_float, yaml_float
from compose.model.render import arrange_project, go_json, render_json, render_yaml
from compose.model.yamlemit import emit_yaml

HERE = Path(__file__).parent
REPO = HERE.parent.parent
FIXTURES = REPO.parent / "shared" / "reference" / "compose-fixtures"
CASES = REPO / "tests" / "conformance" / "cases"


def test_sink_json_is_byte_equal() -> None:
    text = (HERE / "data" / "sink.json").read_text()
    assert render_json(json.loads(text)) == text


def test_sink_yaml_is_byte_equal_and_keeps_extensions() -> None:
    data = json.loads((HERE / "data" / "sink.json").read_text())
    # Docker Compose's JSON drops x- keys below the top level; its YAML keeps them.
    data["services"]["web"]["x-custom"] = {"k": "v"}
    data["networks"]["front"]["x-net"] = 1
    assert render_yaml(data) == (HERE / "data" / "sink.yaml").read_text()
    assert render_json(data) == (HERE / "data" / "sink.json").read_text()


def test_yaml_drops_nil_and_empty_structs_json_keeps_them() -> None:
    data = {"name": "p", "services": {"a": {"command": None, "entrypoint": [], "image": "x",
                                            "deploy": {"resources": {}, "placement": {}}}},
            "networks": {"default": {"name": "p_default", "ipam": {}}}}
    assert render_yaml(data) == (
        "name: p\nservices:\n  a:\n    deploy: {}\n    entrypoint: []\n    image: x\n"
        "networks:\n  default:\n    name: p_default\n"
    )
    assert '"command": null' in render_json(data) and '"ipam": {}' in render_json(data)


@pytest.mark.parametrize(
    ("value", "text"),
    [  # each expected form is what docker compose config printed for that string
        ("echo", "echo"), ("yes", '"yes"'), ("on", '"on"'), ("80", '"80"'), ("1.5", '"1.5"'), ("", '""'),
        ("a: b", "'a: b'"), ("- x", "'- x'"), ("#c", "'#c'"), ("tab\there", '"tab\\there"'), ("ünï", "ünï"),
        ("null", '"null"'), ("~", '"~"'), ("*star", "'*star'"), ("&amp", "'&amp'"), ("!bang", "'!bang'"),
        ("%pct", "'%pct'"), ("@at", "'@at'"), ("`bt", "'`bt'"), ("{x}", "'{x}'"), ("[y]", "'[y]'"),
        ("a'b", "a'b"), ('a"b', 'a"b'), ("1:30", '"1:30"'), ("0x1F", '"0x1F"'), ("1e3", '"1e3"'),
        ("2024-01-01", '"2024-01-01"'), (" lead", "' lead'"), ("trail ", "'trail '"), ("<html>", "<html>"),
        ("a,b", "a,b"), ("?q", "?q"), ("|p", "'|p'"), (">g", "'>g'"), ("=eq", "=eq"), ("y", '"y"'),
        ("n", '"n"'), ("Y", '"Y"'), ("NO", '"NO"'), ("True", '"True"'), (".5", '".5"'), ("0o17", '"0o17"'),
        ("017", '"017"'), ("1_000", '"1_000"'), ("0b11", '"0b11"'), ("-", "'-'"), ("--x", "--x"),
        ("a #b", "'a #b'"), ("a:b", "a:b"), ("<<", "<<"), ("-1", '"-1"'), ("+1", '"+1"'), ("1.", '"1."'),
        ("3:20:10", '"3:20:10"'), ("Off", '"Off"'), ("0x", "0x"), (".inf", '".inf"'), ("1e", "1e"),
        ("---", "'---'"), ("...x", "'...x'"), ("a'", "a'"), ("'a", "'''a'"), (" ", "' '"), ("x ", "'x '"),
        ("x\ny ", '"x\\ny "'), ("é\u00a0", "é\u00a0"),
    ],
)
def test_string_styles_match_go_yaml(value: str, text: str) -> None:
    assert emit_yaml([value]) == f"- {text}\n"


def test_literal_blocks() -> None:
    assert emit_yaml({"k": ["multi\nline", "trail\n", " lead\nx", "x\n\n", "a\tb\nc"]}) == (
        "k:\n  - |-\n    multi\n    line\n  - |\n    trail\n  - |2-\n     lead\n    x\n"
        "  - |+\n    x\n\n  - |-\n    a\tb\n    c\n"
    )


def test_nested_sequences_and_odd_keys() -> None:
    assert emit_yaml({"x-l": [[1, 2], {"a": ["b"]}, []]}) == "x-l:\n  - - 1\n    - 2\n  - a:\n      - b\n  - []\n"
    assert emit_yaml({"key with: colon": "v", "multi\nkey": "v", "yes": "1", "n": {}}) == (
        "'key with: colon': v\n? |-\n  multi\n  key\n: v\n\"yes\": \"1\"\n\"n\": {}\n"
    )


@pytest.mark.parametrize(
    ("value", "as_json", "as_yaml"),
    [(0.5, "0.5", "0.5"), (50.0, "50", "50"), (1000000.0, "1000000", "1e+06"), (123456.0, "123456", "123456"),
     (1e-7, "1e-7", "1e-07"), (0.0001, "0.0001", "0.0001"), (1e21, "1e+21", "1e+21"), (-2.5, "-2.5", "-2.5")],
)
def test_floats_as_go_prints_them(value: float, as_json: str, as_yaml: str) -> None:
    assert json_float(value) == as_json
    assert yaml_float(value) == as_yaml


def test_yaml_map_keys_in_go_yaml_order() -> None:
    # The order docker compose config printed for these label keys (numbers compared as numbers,
    # letters after other characters); JSON keeps Go's byte order.
    printed = ["_z", "1a", "9", "10", "B", "FOO_BAR", "FOOBAR", "a", "a_b", "a1", "a1b2", "a1b10", "a01", "aB",
               "b9c", "b10c", "web1", "web2", "web10", "x0", "x00", "x1", "x01", "x001"]
    data = {"name": "p", "services": {"a": {"labels": {k: "v" for k in sorted(printed)}}}}
    assert list(arrange_project(data, yaml=True)["services"]["a"]["labels"]) == printed
    assert list(arrange_project(data, yaml=False)["services"]["a"]["labels"]) == sorted(printed)


def test_go_json_escapes_html_and_compact_form() -> None:
    compact = go_json({"a": "<b>&", "c": [1, None, True]}, indent=None)
    assert compact == '{"a":"\\u003cb\\u003e\\u0026","c":[1,null,true]}'
    assert go_json({"a": {}, "b": []}) == '{\n  "a": {},\n  "b": []\n}'


# -- the oracle on every fixture and case: same bytes ------------------------------------------


def _inputs() -> list[tuple[str, Path, list[str], dict[str, str]]]:
    out = []
    if FIXTURES.is_dir():
        for p in sorted(FIXTURES.rglob("*")):
            if p.suffix in (".yaml", ".yml"):
                out.append((f"fixture:{p.relative_to(FIXTURES)}", p.parent, ["-f", p.name], {}))
    if CASES.is_dir():
        for case in sorted(p for p in CASES.iterdir() if p.is_dir()):
            spec = json.loads((case / "case.json").read_text()) if (case / "case.json").exists() else {}
            out.append((f"case:{case.name}", case / spec.get("cwd", "."), list(spec.get("args", [])),
                        dict(spec.get("env", {}))))
    return out


@pytest.mark.oracle
@pytest.mark.parametrize(("name", "cwd", "args", "env"), _inputs(), ids=[i[0] for i in _inputs()])
def test_same_bytes_as_the_oracle(name: str, cwd: Path, args: list[str], env: dict[str, str],
                                  oracle_run: Any) -> None:
    def run(*extra: str) -> Any:
        return oracle_run(cwd, [*args, "config", *extra], env)

    as_json = run("--format", "json")
    if as_json.returncode != 0:
        pytest.skip("Docker Compose refuses this input")
    as_yaml = run()
    # Docker Compose writes every '$' of its output as '$$'; the data itself has single ones.
    data = json.loads(as_json.stdout.replace("$$", "$"))
    assert render_json(copy.deepcopy(data)).replace("$", "$$") == as_json.stdout
    expected = as_yaml.stdout
    rendered = render_yaml(data).replace("$", "$$")
    if rendered != expected:
        # The only things the JSON cannot carry: x- keys below the top level, top-level models,
        # and empty sequences inside top-level extensions (its JSON writes them as null).
        assert _strip(yaml.safe_load(expected), 0) == yaml.safe_load(rendered)
        pytest.xfail("oracle YAML carries extensions that its JSON drops")


def _strip(value: Any, depth: int) -> Any:
    if isinstance(value, dict):
        return {k: _empty_as_null(v) if depth == 0 and str(k).startswith("x-") else _strip(v, depth + 1)
                for k, v in value.items()
                if not (depth == 0 and k == "models") and not (depth > 0 and str(k).startswith("x-"))}
    if isinstance(value, list):
        return [_strip(v, depth + 1) for v in value]
    return value


def _random_strings(seed: int, count: int) -> list[str]:
    rnd = random.Random(seed)
    alphabet = [*"ab01 :#-?,[]{}&*!|>'\"%@`\t\n.~+=_/\\<eEyYnN", "é", "\u00a0", "\x85", "\r", "\x01", "\U0001F600"]
    words = ["yes", "no", "on", "off", "true", "null", "~", "0x1F", "1e3", "1_0", "0o7", "12:30", "2001-01-01",
             "-", "---", "...", "<<", ".5", "+1", "-.inf", ".nan", "1.", "0b1", "web10", "web9"]
    out = set()
    for _ in range(count):
        if rnd.random() < 0.3:
            tail = "".join(rnd.choice(alphabet) for _ in range(rnd.randint(0, 2))) if rnd.random() < 0.5 else ""
            out.add(rnd.choice(words) + tail)
        else:
            out.add("".join(rnd.choice(alphabet) for _ in range(rnd.randint(1, 7))))
    return sorted(out)


@pytest.mark.oracle
@pytest.mark.parametrize("seed", [1, 2])
def test_random_strings_print_as_go_yaml_prints_them(seed: int, tmp_path: Path, oracle_run: Any) -> None:
    # Known, deliberate differences are left out of the alphabet: U+2028/U+2029 (we escape them
    # in double quotes) and U+FEFF (go-yaml escapes every character after it).
    strings = _random_strings(seed, 1500)
    keys = {s: s for s in strings if s and s.strip() == s and not any(c in s for c in "\n\r\x85")}
    doc = {"services": {"a": {"image": "x", "command": strings, "labels": keys}}}
    (tmp_path / "compose.yaml").write_text(json.dumps(doc, ensure_ascii=False))
    as_json = oracle_run(tmp_path, ["config", "--format", "json"])
    as_yaml = oracle_run(tmp_path, ["config"])
    assert as_json.returncode == 0, as_json.stderr
    data = json.loads(as_json.stdout.replace("$$", "$"))
    assert render_yaml(data).replace("$", "$$") == as_yaml.stdout
    assert render_json(data).replace("$", "$$") == as_json.stdout


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=12), max_size=5),
       st.dictionaries(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=8),
                       st.one_of(st.text(max_size=6), st.integers(), st.booleans(), st.none()), max_size=4))
def test_emitted_yaml_reads_back_the_same(items: list[str], mapping: dict[str, Any]) -> None:
    from compose.loader.yamlsource import parse_documents

    value = {"items": items, "map": mapping}
    (doc,) = parse_documents(emit_yaml(value), "t.yaml")
    assert doc.data == value


def _empty_as_null(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _empty_as_null(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_empty_as_null(v) for v in value] if value else None
    return value
