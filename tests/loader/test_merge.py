"""Merge rules, uniqueness, ``!reset``/``!override``, and their properties."""

from __future__ import annotations

import copy

import pytest
from hypothesis import given
from hypothesis import strategies as st

from compose.errors import ConfigError
from compose.loader.merge import (
    MERGE_RULES,
    UNIQUE,
    apply_resets,
    enforce_unicity,
    merge,
    omit_empty,
    split_tags,
)
from compose.loader.yamlsource import Override, Reset


def _svc(**fields: object) -> dict:
    return {"services": {"web": dict(fields)}}


def _merged(a: dict, b: dict) -> dict:
    return enforce_unicity(merge(_svc(**a), _svc(**b)))["services"]["web"]


def test_default_rules_mappings_merge_scalars_replace_lists_append() -> None:
    out = merge({"a": {"x": 1, "y": [1]}, "s": "old"}, {"a": {"y": [2], "z": 3}, "s": "new", "n": None})
    assert out == {"a": {"x": 1, "y": [1, 2], "z": 3}, "s": "new", "n": None}


def test_null_keeps_the_earlier_value() -> None:
    assert merge({"a": {"x": 1}}, {"a": None}) == {"a": {"x": 1}}


def test_type_conflict_is_an_error() -> None:
    with pytest.raises(ConfigError, match="cannot override x-thing"):
        merge({"x-thing": {"a": 1}}, {"x-thing": [1]})


@pytest.mark.parametrize("key", ["command", "entrypoint"])
def test_command_and_entrypoint_replace(key: str) -> None:
    assert _merged({key: ["a", "b"]}, {key: ["c"]})[key] == ["c"]


def test_environment_and_labels_merge_by_key() -> None:
    out = _merged(
        {"environment": {"A": "1", "B": "2", "U": None}, "labels": ["one=1", "two=2"]},
        {"environment": ["B=20", "C=3"], "labels": {"two": "22", "n": 1.5}},
    )
    assert out["environment"] == ["A=1", "B=20", "U", "C=3"]
    assert out["labels"] == ["one=1", "two=22", "n=1.5"]


def test_ports_are_unique_by_address_and_target() -> None:
    p80 = {"target": 80, "published": "80", "protocol": "tcp"}
    p443 = {"target": 443, "published": "443", "protocol": "tcp"}
    p443b = {"target": 443, "published": "8443", "protocol": "tcp"}
    out = _merged({"ports": [p80, p443]}, {"ports": [dict(p80, mode="host"), p443b]})
    assert out["ports"] == [dict(p80, mode="host"), p443, p443b]


def test_volumes_secrets_configs_unique_by_target() -> None:
    out = _merged(
        {"volumes": [{"type": "volume", "source": "a", "target": "/data"}], "secrets": [{"source": "s"}],
         "configs": [{"source": "c", "target": "/c"}]},
        {"volumes": [{"type": "volume", "source": "b", "target": "/data"}],
         "secrets": [{"source": "s", "mode": 0o400}], "configs": [{"source": "d", "target": "/c"}]},
    )
    assert out["volumes"] == [{"type": "volume", "source": "b", "target": "/data"}]
    assert out["secrets"] == [{"source": "s", "mode": 0o400}]
    assert out["configs"] == [{"source": "d", "target": "/c"}]


def test_depends_on_networks_and_build_merge_as_mappings() -> None:
    out = _merged(
        {"depends_on": ["db"], "networks": ["front"], "build": "./app"},
        {"depends_on": {"db": {"condition": "service_healthy"}}, "networks": {"front": {"aliases": ["w"]}},
         "build": {"dockerfile": "D"}},
    )
    assert out["depends_on"] == {"db": {"condition": "service_healthy", "required": True}}
    assert out["networks"] == {"front": {"aliases": ["w"]}}
    assert out["build"] == {"context": "./app", "dockerfile": "D"}


def test_logging_merges_only_for_the_same_driver() -> None:
    base = {"driver": "json-file", "options": {"a": "1"}}
    assert _merged({"logging": base}, {"logging": {"options": {"b": "2"}}})["logging"] == {
        "driver": "json-file", "options": {"a": "1", "b": "2"}}
    assert _merged({"logging": base}, {"logging": {"driver": "syslog"}})["logging"] == {"driver": "syslog"}


def test_extra_hosts_dns_ulimits_tmpfs() -> None:
    out = _merged(
        {"extra_hosts": ["h=1.1.1.1"], "dns": ["8.8.8.8"], "ulimits": {"nofile": {"soft": 1, "hard": 2}},
         "tmpfs": ["/run"], "healthcheck": {"test": ["CMD", "a"], "interval": "1s"}},
        {"extra_hosts": ["h=1.1.1.1", "o=2.2.2.2"], "dns": ["1.1.1.1", "8.8.8.8"], "ulimits": {"nofile": 5},
         "tmpfs": ["/tmp"], "healthcheck": {"test": ["CMD", "b"]}},
    )
    assert out["extra_hosts"] == ["h=1.1.1.1", "o=2.2.2.2"]
    assert out["dns"] == ["8.8.8.8", "1.1.1.1"]
    assert out["ulimits"] == {"nofile": 5}
    assert out["tmpfs"] == ["/run", "/tmp"]
    assert out["healthcheck"] == {"test": ["CMD", "b"], "interval": "1s"}


def test_ipam_config_merges_by_subnet() -> None:
    a = {"networks": {"n": {"ipam": {"config": [{"subnet": "10.0.0.0/24", "gateway": "10.0.0.1"}]}}}}
    b = {"networks": {"n": {"ipam": {"config": [{"subnet": "10.0.0.0/24", "ip_range": "10.0.0.0/25"},
                                                {"subnet": "10.1.0.0/24"}]}}}}
    assert merge(a, b)["networks"]["n"]["ipam"]["config"] == [
        {"subnet": "10.0.0.0/24", "gateway": "10.0.0.1", "ip_range": "10.0.0.0/25"},
        {"subnet": "10.1.0.0/24"},
    ]


def test_merge_does_not_modify_its_inputs() -> None:
    a = _svc(environment={"A": "1"}, ports=[{"target": 1}])
    b = _svc(environment={"B": "1"}, ports=[{"target": 2}])
    before = copy.deepcopy((a, b))
    merge(a, b)
    assert (a, b) == before


def test_every_rule_and_uniqueness_pattern_is_well_formed() -> None:
    for pattern in [*MERGE_RULES, *UNIQUE]:
        assert all(isinstance(p, str) and p for p in pattern)


def test_unicity_errors() -> None:
    with pytest.raises(ConfigError, match="missing a mount target"):
        enforce_unicity(_svc(volumes=[{"type": "volume"}]))
    with pytest.raises(ConfigError, match="unexpected type"):
        enforce_unicity(_svc(environment=[1]))


def test_omit_empty_dns() -> None:
    assert omit_empty(_svc(dns=["1.1.1.1", "", None], command=["", None])) == _svc(dns=["1.1.1.1"],
                                                                               command=["", None])


def test_split_tags_and_apply_resets() -> None:
    doc = {"services": {"web": {"ports": Reset([]), "x-e": Override({"A": "1"}), "x-l": ["x", Reset("y")]}}}
    clean, paths = split_tags(doc)
    assert clean == {"services": {"web": {"x-e": {"A": "1"}, "x-l": ["x"]}}}
    assert paths == [("services", "web", "ports"), ("services", "web", "x-e"), ("services", "web", "x-l", 1)]
    earlier = _svc(ports=["80"], **{"x-e": {"B": "2"}, "x-l": ["a", "y"]}, image="i")
    after = apply_resets(earlier, paths)
    # a tag on a sequence item only drops that item from its own file
    assert after == _svc(**{"x-l": ["a", "y"]}, image="i")
    assert merge(after, clean)["services"]["web"] == {"image": "i", "x-e": {"A": "1"}, "x-l": ["a", "y", "x"]}


# --- properties ----------------------------------------------------------------------

keys = st.sampled_from(["image", "command", "environment", "labels", "ports", "x-a", "x-b", "working_dir"])
plain_keys = st.sampled_from(["image", "command", "x-a", "x-b", "working_dir"])
scalars = st.none() | st.booleans() | st.integers(-5, 5) | st.text(max_size=4)
values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=3)
                      | st.dictionaries(st.text(min_size=1, max_size=3), inner, max_size=3), max_leaves=8)
documents = st.dictionaries(
    st.sampled_from(["services", "x-top", "volumes"]),
    st.dictionaries(st.sampled_from(["web", "db"]), st.dictionaries(keys, values, max_size=4), max_size=2),
    max_size=3,
)


@given(documents)
def test_merging_with_an_empty_file_is_identity(doc: dict) -> None:
    try:
        expected = merge({}, doc)
    except ConfigError:
        return
    assert merge(doc, {}) == doc
    assert expected == doc


plain_documents = st.dictionaries(
    st.sampled_from(["services", "x-top"]),
    st.dictionaries(st.sampled_from(["web", "db"]), st.dictionaries(plain_keys, values, max_size=4), max_size=2),
    max_size=2,
)


@given(plain_documents)
def test_merging_a_file_with_itself_keeps_its_mapping_keys(doc: dict) -> None:
    twice = merge(doc, doc)

    def keyset(value: object, path: tuple = ()) -> set:
        if isinstance(value, dict):
            out = set()
            for k, v in value.items():
                out |= {(*path, k)} | keyset(v, (*path, k))
            return out
        return set()

    assert keyset(twice) == keyset(doc)
    assert keyset(merge(twice, doc)) == keyset(doc)


@given(documents, st.sampled_from(["services", "x-top", "volumes"]))
def test_reset_removes(doc: dict, key: str) -> None:
    clean, paths = split_tags({key: Reset(None)})
    assert clean == {}
    assert key not in merge(apply_resets(doc, paths), clean)


@given(st.lists(st.sampled_from(["A=1", "B=2", "A=3", "C"]), max_size=8))
def test_unicity_keeps_one_item_per_key_and_the_last_value(items: list[str]) -> None:
    out = enforce_unicity(_svc(environment=items))["services"]["web"]["environment"]
    names = [i.split("=")[0] for i in out]
    assert len(names) == len(set(names))
    for name in names:
        last = [i for i in items if i.split("=")[0] == name][-1]
        assert last in out
