"""The typed shape: one test per scalar and collection kind, and the struct table pinned."""

from __future__ import annotations

import pytest

from compose.errors import ConfigError
from compose.loader.transform import fields
from compose.loader.transform.fields import ALWAYS, COLLECTIONS, SCALARS, STRUCTS, ZERO, shape, shape_value

EMPTY = fields._EMPTY

# kind -> [(input, printed or EMPTY)]
SCALAR_CASES: dict[str, list[tuple[object, object]]] = {
    "str": [("a", "a"), (8080, "8080"), ("", EMPTY), (None, EMPTY)],
    "str!": [("", ""), (None, "")],
    "int": [(5, 5), ("7", 7), (0, EMPTY)],
    "int!": [(0, 0), (None, 0)],
    "pint": [(0, 0), (None, EMPTY)],
    "bool": [(True, True), (False, EMPTY), ("true", True)],
    "bool!": [(False, False), (None, False)],
    "pbool": [(False, False), (None, EMPTY)],
    "float": [("0.5", 0.5), (1.333333333, 1.3333334), (0, EMPTY)],
    "bytes": [("1k", "1024"), (0, EMPTY)],
    "bytes!": [(0, "0"), (None, "0")],
    "duration": [("90s", "1m30s"), ("0s", EMPTY)],
    "pduration": [("0s", "0s"), (None, EMPTY)],
    "filemode": [(0o440, "0440"), ("644", "0644"), (None, EMPTY)],
    "device_count": [("all", -1), ("2", 2), (3, 3)],
}

COLLECTION_CASES: dict[str, list[tuple[object, object]]] = {
    "list": [(["a", 1], ["a", "1"]), ([], EMPTY)],
    "strlist": [("a", ["a"])],
    "numlist": [([80, "90"], ["80", "90"])],
    "mapping": [(["a=1", "b"], {"a": "1", "b": ""}), ({"a": None, "b": 1.5}, {"a": "", "b": "1.5"}), ({}, EMPTY)],
    "options": [({"mtu": 1500}, {"mtu": "1500"})],
    "labels": [(["a=b=c"], {"a": "b=c"})],
    "mapeq": [(["A=1", "B"], {"A": "1", "B": None}), ({"A": None, "B": True}, {"A": None, "B": "true"})],
    "multioptions": [({"a": [1, "x"], "b": "y"}, {"a": ["1", "x"], "b": ["y"]})],
    "hosts": [(["b=1.1.1.1,2.2.2.2", "a:[::1]"], ["a=::1", "b=1.1.1.1", "b=2.2.2.2"])],
    "healthtest": [("true", ["CMD-SHELL", "true"]), (["NONE"], ["NONE"])],
    "ulimits": [({"a": 0, "b": {"soft": 1}}, {"a": {}, "b": {"soft": 1}})],
    "ssh": [({"default": None, "k": "/p"}, ["default", "k=/p"])],
    "envfiles": [([{"path": "a", "required": True}, {"path": "b", "required": False}],
                  ["a", {"path": "b", "required": False}])],
}


@pytest.mark.parametrize(("kind", "value", "expected"),
                         [(k, v, e) for k, cases in SCALAR_CASES.items() for v, e in cases])
def test_scalar_kind(kind: str, value: object, expected: object) -> None:
    assert shape_value(kind, value, ()) == expected


@pytest.mark.parametrize(("kind", "value", "expected"),
                         [(k, v, e) for k, cases in COLLECTION_CASES.items() for v, e in cases])
def test_collection_kind(kind: str, value: object, expected: object) -> None:
    assert shape_value(kind, value, ()) == expected


def test_every_kind_has_a_test() -> None:
    assert set(SCALAR_CASES) == set(SCALARS)
    assert set(COLLECTION_CASES) == set(COLLECTIONS)
    assert set(ZERO) <= set(SCALARS)


def test_every_field_kind_is_known() -> None:
    for name, table in STRUCTS.items():
        keys = [field.partition(">")[0] for field, _kind in table]
        assert len(keys) == len(set(keys)), name
        for _field, kind in table:
            if isinstance(kind, tuple):
                assert kind[0] in ("ptr", "value", "list", "map", "vmap")
                assert kind[1] in STRUCTS
            else:
                assert kind in SCALARS or kind in COLLECTIONS or kind in ALWAYS


def test_value_structs_are_always_printed() -> None:
    assert shape("network", {}, ()) == {"ipam": {}}
    assert shape("deploy", None, ()) == {"resources": {}, "placement": {}}


def test_pointer_maps_keep_nulls_and_value_maps_do_not() -> None:
    assert shape_value(("map", "service_network"), {"a": None}, ()) == {"a": None}
    assert shape_value(("vmap", "dependency"), {"a": None}, ()) == {"a": {"required": False}}


def test_extension_keys_are_dropped_inside_objects() -> None:
    assert shape("logging", {"driver": "d", "x-a": 1}, ()) == {"driver": "d"}


def test_commands_are_always_printed() -> None:
    assert shape("hook", {}, ()) == {"command": None}
    assert shape_value("command", "a 'b c'", ()) == ["a", "b c"]


def test_bad_value_names_the_field() -> None:
    with pytest.raises(ConfigError) as info:
        shape("service", {"mem_limit": "much"}, ("services", "web"))
    assert info.value.path == ("services", "web", "mem_limit")
    assert "invalid size" in info.value.message


def test_blkio_fields_keep_go_names() -> None:
    assert shape("throttle_device", {"path": "/d"}, ()) == {"Path": "/d", "Rate": "0"}
