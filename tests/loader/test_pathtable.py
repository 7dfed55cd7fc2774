"""Compiled path tables give the rule that testing every pattern in table order gives."""

from __future__ import annotations

import itertools
import random
from collections.abc import Hashable, Mapping

import pytest

from compose.loader import interpolate, merge, normalize, paths
from compose.loader.pathtable import PathTable
from compose.loader.transform import CANONICAL


def _linear(table: Mapping[tuple[Hashable, ...], object], path: tuple[Hashable, ...], any_part: str,
            any_index: str | None) -> object:
    """The specification: the first pattern, in table order, that fits ``path``."""
    for pattern, rule in table.items():
        if len(pattern) == len(path) and all(
            want in (any_part, part) or (want == any_index and isinstance(part, int))
            for want, part in zip(pattern, path, strict=True)
        ):
            return rule
    return None


TABLES = {
    "canonical": (CANONICAL, "*", None),
    "casts": (interpolate.CASTS, interpolate.ANY, interpolate.ITEM),
    "paths": (paths.RESOLVERS, "*", None),
    "merge": (merge.MERGE_RULES, "*", None),
    "unique": (merge.UNIQUE, "*", None),
    "defaults": (normalize.DEFAULTS, "*", None),
}


def _paths(table: Mapping[tuple[Hashable, ...], object], any_part: str, any_index: str | None,
           rng: random.Random) -> list[tuple[Hashable, ...]]:
    """Every pattern made concrete in several ways, their prefixes, and near misses."""
    words = sorted({p for pattern in table for p in pattern if p not in (any_part, any_index)})
    out: list[tuple[Hashable, ...]] = []
    for pattern in table:
        for _ in range(4):
            concrete = tuple(
                (rng.choice([*words, "web", 0, 3]) if part == any_part else rng.choice([0, 2]))
                if part in (any_part, any_index) else part
                for part in pattern
            )
            out.append(concrete)
            out.extend(concrete[:n] for n in range(len(concrete)))
            out.append((*concrete, "extra"))
            out.append((*concrete[:-1], "other"))
            if any_index is not None:
                out.append(tuple("x" if p == any_index else c for p, c in zip(pattern, concrete, strict=True)))
    return out


@pytest.mark.parametrize("name", list(TABLES))
def test_same_rule_as_testing_each_pattern_in_order(name: str) -> None:
    table, any_part, any_index = TABLES[name]
    compiled = PathTable(table, any_part=any_part, any_index=any_index)
    for path in _paths(table, any_part, any_index, random.Random(name)):
        assert compiled.lookup(path) is _linear(table, path, any_part, any_index), path


def test_first_pattern_in_table_order_wins() -> None:
    table = {("a", "*"): 1, ("*", "b"): 2, ("a", "b"): 3, ("*", "*"): 4}
    compiled = PathTable(table)
    assert compiled.lookup(("a", "b")) == 1
    assert compiled.lookup(("x", "b")) == 2
    assert compiled.lookup(("x", "y")) == 4
    assert compiled.lookup(("x",)) is None
    reordered = PathTable(dict(reversed(list(table.items()))))
    assert reordered.lookup(("a", "b")) == 4


def test_index_wildcard_takes_list_indexes_only() -> None:
    compiled = PathTable({("ports", "[]"): "item", ("ports", "*"): "any"}, any_index="[]")
    assert compiled.lookup(("ports", 0)) == "item"
    assert compiled.lookup(("ports", "0")) == "any"


def test_cursor_goes_dead_where_no_pattern_reaches() -> None:
    compiled = PathTable({("services", "*", "ports"): 1})
    cursor = compiled.start()
    assert not cursor.dead
    assert cursor.child("volumes").dead
    assert cursor.child("services").child("web").child("image").dead
    assert not cursor.child("services").child("web").dead
    assert cursor.child("services").child("web").child("ports").rule() == 1
    assert all(compiled.at(p).dead for p in itertools.product(["x"], ["y", 0]))
