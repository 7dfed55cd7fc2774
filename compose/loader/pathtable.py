"""Rule tables keyed by path patterns, matched while walking a document.

The loader's rule tables (short-syntax rewrites, interpolation casts, path
resolution) map patterns such as ``("services", "*", "ports")`` to a rule. Testing
every pattern at every node costs tables x nodes comparisons; a :class:`PathTable`
compiles the patterns into a tree of path parts instead, and a walk carries a
:class:`Cursor` (the tree nodes still possible at this depth) from a node to its
children: one dictionary look-up per node and wildcard, and nothing at all below a
node that no pattern can reach (``Cursor.dead``).

Semantics are those of testing the patterns in table order: when several patterns
fit a path, the first one in the table wins.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from dataclasses import dataclass, field
from typing import Generic, TypeVar

__all__ = ["Cursor", "PathTable"]

T = TypeVar("T")


@dataclass
class _Node(Generic[T]):
    literal: dict[Hashable, _Node[T]] = field(default_factory=dict)
    any_part: _Node[T] | None = None  # the wildcard for any key or index
    any_index: _Node[T] | None = None  # the wildcard for list indexes only
    rule: tuple[int, T] | None = None  # (position in the table, rule) of a pattern ending here


@dataclass(frozen=True)
class Cursor(Generic[T]):
    """Where a walk stands in a :class:`PathTable`: the nodes the path so far reaches."""

    nodes: tuple[_Node[T], ...]

    @property
    def dead(self) -> bool:
        """No pattern extends this path: nothing below needs looking up."""
        return not self.nodes

    def rule(self) -> T | None:
        """The rule of the first pattern (in table order) that is exactly this path."""
        found = [node.rule for node in self.nodes if node.rule is not None]
        return min(found, key=lambda entry: entry[0])[1] if found else None

    def child(self, part: Hashable) -> Cursor[T]:
        """The cursor of ``path + (part,)``."""
        out: list[_Node[T]] = []
        for node in self.nodes:
            found = node.literal.get(part)
            if found is not None:
                out.append(found)
            if node.any_part is not None:
                out.append(node.any_part)
            if node.any_index is not None and isinstance(part, int):
                out.append(node.any_index)
        return Cursor(tuple(out)) if out else _DEAD


_DEAD: Cursor = Cursor(())


class PathTable(Generic[T]):
    """``table`` compiled: ``any_part`` in a pattern stands for any one key or index,
    ``any_index`` (if given) for any list index."""

    def __init__(self, table: Mapping[tuple[Hashable, ...], T], *, any_part: Hashable = "*",
                 any_index: Hashable | None = None) -> None:
        self._root: _Node[T] = _Node()
        for position, (pattern, rule) in enumerate(table.items()):
            node = self._root
            for part in pattern:
                if part == any_part:
                    node.any_part = node.any_part or _Node()
                    node = node.any_part
                elif any_index is not None and part == any_index:
                    node.any_index = node.any_index or _Node()
                    node = node.any_index
                else:
                    node = node.literal.setdefault(part, _Node())
            if node.rule is None:  # a repeated pattern: the first one wins
                node.rule = (position, rule)

    def start(self) -> Cursor[T]:
        """The cursor of the empty path (the document itself)."""
        return Cursor((self._root,))

    def at(self, path: tuple[Hashable, ...]) -> Cursor[T]:
        cursor = self.start()
        for part in path:
            cursor = cursor.child(part)
        return cursor

    def lookup(self, path: tuple[Hashable, ...]) -> T | None:
        """The rule for ``path`` (the first fitting pattern's), or ``None``."""
        return self.at(path).rule()
