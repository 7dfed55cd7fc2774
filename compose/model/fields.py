"""The machinery that turns canonical project data into frozen model objects and back.

Every model class is a frozen dataclass whose fields carry, in their metadata, the
key they have in the canonical form (what ``docker compose config --format json``
prints) and a :class:`Kind` that converts the value both ways. The dataclass field
order is the order Docker Compose prints the keys in, so the same tables drive
loading (:func:`load`), dumping back to canonical data (:func:`dump`) and the key
order of rendered output (:mod:`compose.model.render`).

A key of the input that no field claims (``x-*`` extensions, or a key newer than
this model) lands in the object's ``extensions`` mapping, so nothing is lost.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator, Mapping
from typing import Any, TypeVar

from compose.errors import ConfigError
from compose.model import units

Path = tuple[str | int, ...]
T = TypeVar("T")


class FrozenDict(Mapping[str, Any]):
    """An immutable, hashable mapping that keeps insertion order."""

    __slots__ = ("_data", "_hash")

    def __init__(self, items: Mapping[str, Any] | None = None) -> None:
        self._data: dict[str, Any] = dict(items or {})
        self._hash: int | None = None

    def __getitem__(self, key: str) -> Any:
        return self._data[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __hash__(self) -> int:
        if self._hash is None:
            self._hash = hash(frozenset(self._data.items()))
        return self._hash

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Mapping):
            return self._data == dict(other.items())
        return NotImplemented

    def __repr__(self) -> str:
        return f"FrozenDict({self._data!r})"


EMPTY: FrozenDict = FrozenDict()


def freeze(value: Any) -> Any:
    """Deep-convert plain data to immutable, hashable data (dict -> FrozenDict, list -> tuple)."""
    if isinstance(value, Mapping):
        return FrozenDict({str(k): freeze(v) for k, v in value.items()})
    if isinstance(value, list | tuple):
        return tuple(freeze(v) for v in value)
    return value


def thaw(value: Any) -> Any:
    """The inverse of :func:`freeze`: plain dicts (keys sorted, as Go prints maps) and lists."""
    if isinstance(value, Mapping):
        return {k: thaw(value[k]) for k in sorted(value)}
    if isinstance(value, tuple):
        return [thaw(v) for v in value]
    return value


def _wrong(path: Path, expected: str, value: Any) -> ConfigError:
    return ConfigError(f"expected {expected}, got {type(value).__name__} {value!r}", path=path)


class Kind:
    """How one canonical value converts to its model value and back."""

    def load(self, value: Any, path: Path) -> Any:
        raise NotImplementedError

    def dump(self, value: Any) -> Any:
        raise NotImplementedError

    def child(self, key: str | int) -> Kind | None:
        """The kind of a nested value (for rendering); None when unknown."""
        return None


class _Scalar(Kind):
    def __init__(self, name: str, check: Callable[[Any], bool], cast: Callable[[Any], Any]) -> None:
        self.name, self.check, self.cast = name, check, cast

    def load(self, value: Any, path: Path) -> Any:
        if not self.check(value):
            raise _wrong(path, self.name, value)
        return self.cast(value)

    def dump(self, value: Any) -> Any:
        return value


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _is_number(v: Any) -> bool:
    return _is_int(v) or isinstance(v, float)


STR = _Scalar("a string", lambda v: isinstance(v, str), str)
BOOL = _Scalar("a boolean", lambda v: isinstance(v, bool), bool)
INT = _Scalar("an integer", lambda v: _is_int(v) or (isinstance(v, float) and v.is_integer()), int)


class _Float(_Scalar):
    """A float; dumped without a needless fraction (50, not 50.0), as Go prints it."""

    def __init__(self) -> None:
        super().__init__("a number", _is_number, float)

    def dump(self, value: Any) -> Any:
        return int(value) if isinstance(value, float) and value.is_integer() else value


FLOAT = _Float()


class _IntOrStr(Kind):
    """An integer the canonical form may print as a string (uid, ports, counts)."""

    def load(self, value: Any, path: Path) -> Any:
        if _is_int(value):
            return value
        if isinstance(value, str):
            return value
        raise _wrong(path, "an integer or a string", value)

    def dump(self, value: Any) -> Any:
        return value


INT_OR_STR = _IntOrStr()


class _Duration(Kind):
    """A Go duration (``1m30s``) as seconds (float); dumped in Go's own format."""

    def load(self, value: Any, path: Path) -> float:
        try:
            return units.parse_duration(value)
        except ValueError as exc:
            raise ConfigError(str(exc), path=path) from None

    def dump(self, value: float) -> str:
        return units.format_duration(value)


DURATION = _Duration()


class _Bytes(Kind):
    """A size (``"536870912"``, ``512m``, 1024) as a number of bytes (int)."""

    def load(self, value: Any, path: Path) -> int:
        try:
            return units.parse_bytes(value)
        except ValueError as exc:
            raise ConfigError(str(exc), path=path) from None

    def dump(self, value: int) -> str:
        return str(value)


BYTES = _Bytes()


class _FileMode(Kind):
    """A file mode: canonical form is an octal string (``"0440"``), model is an int."""

    def load(self, value: Any, path: Path) -> int:
        if _is_int(value):
            return value
        if isinstance(value, str):
            try:
                return int(value, 8)
            except ValueError:
                pass
        raise _wrong(path, "an octal file mode", value)

    def dump(self, value: int) -> str:
        return f"0{value:o}"


FILE_MODE = _FileMode()


class _Any(Kind):
    """Free-form data (extensions, driver options): frozen as it is."""

    def load(self, value: Any, path: Path) -> Any:
        return freeze(value)

    def dump(self, value: Any) -> Any:
        return thaw(value)


ANY = _Any()


class Optional(Kind):
    """``null`` is a legal value (kept as None)."""

    def __init__(self, inner: Kind) -> None:
        self.inner = inner

    def load(self, value: Any, path: Path) -> Any:
        return None if value is None else self.inner.load(value, path)

    def dump(self, value: Any) -> Any:
        return None if value is None else self.inner.dump(value)

    def child(self, key: str | int) -> Kind | None:
        return self.inner.child(key)


class Seq(Kind):
    """A list, loaded as a tuple."""

    def __init__(self, item: Kind) -> None:
        self.item = item

    def load(self, value: Any, path: Path) -> tuple[Any, ...]:
        if isinstance(value, str):  # compose-go's StringList accepts one string
            value = [value]
        if not isinstance(value, list | tuple):
            raise _wrong(path, "a list", value)
        return tuple(self.item.load(v, (*path, i)) for i, v in enumerate(value))

    def dump(self, value: tuple[Any, ...]) -> list[Any]:
        return [self.item.dump(v) for v in value]

    def child(self, key: str | int) -> Kind | None:
        return self.item


class Map(Kind):
    """A mapping with free keys (Go maps: printed with sorted keys)."""

    def __init__(self, item: Kind) -> None:
        self.item = item

    def load(self, value: Any, path: Path) -> FrozenDict:
        if not isinstance(value, Mapping):
            raise _wrong(path, "a mapping", value)
        return FrozenDict({str(k): self.item.load(v, (*path, str(k))) for k, v in value.items()})

    def dump(self, value: Mapping[str, Any]) -> dict[str, Any]:
        return {k: self.item.dump(value[k]) for k in sorted(value)}

    def child(self, key: str | int) -> Kind | None:
        return self.item


class _Strings(Kind):
    """A string-to-string mapping whose values may be null (environment, labels, options)."""

    def load(self, value: Any, path: Path) -> FrozenDict:
        if not isinstance(value, Mapping):
            raise _wrong(path, "a mapping", value)
        out: dict[str, str | None] = {}
        for k, v in value.items():
            if v is None or isinstance(v, str):
                out[str(k)] = v
            elif isinstance(v, bool):
                out[str(k)] = "true" if v else "false"
            elif _is_number(v):
                out[str(k)] = str(v)
            else:
                raise _wrong((*path, str(k)), "a string", v)
        return FrozenDict(out)

    def dump(self, value: Mapping[str, Any]) -> dict[str, Any]:
        return {k: value[k] for k in sorted(value)}


STRINGS = _Strings()


class Obj(Kind):
    """A nested model object (a Go struct)."""

    def __init__(self, cls: type) -> None:
        self.cls = cls

    def load(self, value: Any, path: Path) -> Any:
        return load(self.cls, value, path)

    def dump(self, value: Any) -> Any:
        return dump(value)

    def child(self, key: str | int) -> Kind | None:
        spec = field_for(self.cls, str(key))
        return spec.kind if spec else None


@dataclasses.dataclass(frozen=True)
class FieldSpec:
    """What the metadata of one model field says."""

    name: str  # the Python attribute
    key: str  # the canonical key
    kind: Kind
    # Rendering hints (see compose.model.render):
    always: bool = False  # printed even when empty (Go field without omitempty)
    struct: bool = False  # a Go non-pointer struct: YAML omits it when empty
    yaml_always: bool = False  # printed in YAML even when null (no omitempty in the yaml tag)
    yaml_key: str = ""  # the key in YAML output when it differs from the JSON key


def f(kind: Kind, default: Any = None, *, key: str | None = None, always: bool = False,
      struct: bool = False, yaml_always: bool = False, yaml_key: str = "") -> Any:
    """Declare a model field: its kind, default, canonical key and rendering hints."""
    meta = {"kind": kind, "key": key, "always": always, "struct": struct, "yaml_always": yaml_always,
            "yaml_key": yaml_key}
    if isinstance(default, list | dict | set):
        raise TypeError("mutable default")
    return dataclasses.field(default=default, metadata=meta)


def extensions() -> Any:
    """The ``extensions`` field every model class ends with: keys no field claims."""
    return dataclasses.field(default=EMPTY, metadata={"extensions": True}, compare=True)


_SPECS: dict[type, tuple[FieldSpec, ...]] = {}


def specs(cls: type) -> tuple[FieldSpec, ...]:
    """The field specs of a model class, in canonical key order (cached per class)."""
    cached = _SPECS.get(cls)
    if cached is None:
        out = []
        for fld in dataclasses.fields(cls):
            if "kind" not in fld.metadata:
                continue
            meta = fld.metadata
            out.append(FieldSpec(fld.name, meta["key"] or fld.name, meta["kind"],
                                 meta["always"], meta["struct"], meta["yaml_always"], meta["yaml_key"]))
        cached = _SPECS[cls] = tuple(out)
    return cached


_BY_KEY: dict[type, dict[str, FieldSpec]] = {}


def field_for(cls: type, key: str) -> FieldSpec | None:
    """The spec of the field with canonical key ``key`` (None for extensions and unknown keys)."""
    table = _BY_KEY.get(cls)
    if table is None:
        table = _BY_KEY[cls] = {spec.key: spec for spec in specs(cls)}
    return table.get(key)


def load(cls: type[T], value: Any, path: Path = ()) -> T:
    """Build a ``cls`` from its canonical mapping; unknown keys go to ``extensions``."""
    hook = getattr(cls, "from_canonical", None)
    if hook is not None and not isinstance(value, Mapping):
        return hook(value, path)
    if value is None:
        value = {}
    if not isinstance(value, Mapping):
        raise _wrong(path, "a mapping", value)
    kwargs: dict[str, Any] = {}
    extra: dict[str, Any] = {}
    for key, raw in value.items():
        spec = field_for(cls, key)
        if spec is None:
            extra[str(key)] = freeze(raw)
            continue
        kwargs[spec.name] = spec.kind.load(raw, (*path, key))
    if extra:
        if not any(f.name == "extensions" for f in dataclasses.fields(cls)):  # type: ignore[arg-type]
            key = next(iter(extra))
            raise ConfigError(f"unknown key {key!r}", path=(*path, key))
        kwargs["extensions"] = FrozenDict(extra)
    return cls(**kwargs)


def _is_empty(value: Any) -> bool:
    return value is None or value is False or value == 0 or (
        isinstance(value, str | tuple | Mapping) and len(value) == 0
    )


def dump(obj: Any) -> dict[str, Any]:
    """The canonical mapping of a model object (omitting empty fields as Go's omitempty)."""
    custom = getattr(obj, "to_canonical", None)
    if custom is not None:
        return custom()
    out: dict[str, Any] = {}
    for spec in specs(type(obj)):
        value = getattr(obj, spec.name)
        if spec.always or spec.struct:
            pass
        elif isinstance(spec.kind, Optional):  # a Go pointer: omitted only when nil
            if value is None:
                continue
        elif _is_empty(value):
            continue
        out[spec.key] = spec.kind.dump(value) if value is not None else None
    ext = getattr(obj, "extensions", None)
    if ext:
        out.update(thaw(ext))  # after the fields, sorted: where Docker Compose prints them
    return out
