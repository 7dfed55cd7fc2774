"""Image references, normalised as Docker does.

``busybox`` is ``docker.io/library/busybox:latest``; ``localhost:5000/x/y:tag`` keeps its
registry; ``name@sha256:<hex>`` names content by digest. :func:`parse` gives the full
form, :meth:`Reference.familiar` the short form ``docker image ls`` prints.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from runtime.images.errors import InvalidReference

DEFAULT_DOMAIN = "docker.io"
LEGACY_DOMAIN = "index.docker.io"
OFFICIAL_PREFIX = "library/"
DEFAULT_TAG = "latest"

_COMPONENT = re.compile(r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*\Z")
_DOMAIN = re.compile(
    r"(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*"
    r"|\[[0-9a-fA-F:.]+\])(?::[0-9]+)?\Z"
)
_TAG = re.compile(r"[\w][\w.-]{0,127}\Z")
_DIGEST = re.compile(r"[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]{32,}\Z")
_HEX = re.compile(r"[0-9a-f]{64}\Z")
NAME_TOTAL_LENGTH_MAX = 255


@dataclass(frozen=True, order=True)
class Reference:
    """A normalised reference: ``domain/path[:tag][@digest]``."""

    domain: str
    path: str
    tag: str | None = None
    digest: str | None = None

    @property
    def repository(self) -> str:
        """``docker.io/library/busybox``."""
        return f"{self.domain}/{self.path}"

    @property
    def familiar_repository(self) -> str:
        """``busybox`` for ``docker.io/library/busybox``, as Docker prints it."""
        if self.domain != DEFAULT_DOMAIN:
            return self.repository
        if self.path.startswith(OFFICIAL_PREFIX) and self.path.count("/") == 1:
            return self.path[len(OFFICIAL_PREFIX):]
        return self.path

    def __str__(self) -> str:
        out = self.repository
        if self.tag is not None:
            out += f":{self.tag}"
        if self.digest is not None:
            out += f"@{self.digest}"
        return out

    def familiar(self) -> str:
        out = self.familiar_repository
        if self.tag is not None:
            out += f":{self.tag}"
        if self.digest is not None:
            out += f"@{self.digest}"
        return out

    def with_tag(self, tag: str) -> Reference:
        return Reference(self.domain, self.path, tag, None)

    def with_digest(self, digest: str) -> Reference:
        return Reference(self.domain, self.path, None, digest)


def _split_domain(name: str) -> tuple[str, str]:
    first, sep, rest = name.partition("/")
    if not sep or ("." not in first and ":" not in first and first != "localhost" and first.lower() == first):
        domain, remainder = DEFAULT_DOMAIN, name
    else:
        domain, remainder = first, rest
    if domain == LEGACY_DOMAIN:
        domain = DEFAULT_DOMAIN
    if domain == DEFAULT_DOMAIN and "/" not in remainder:
        remainder = OFFICIAL_PREFIX + remainder
    return domain, remainder


def parse(text: str, *, default_tag: bool = True) -> Reference:
    """Parse and normalise ``text``; adds ``:latest`` when it has neither tag nor digest."""
    if not text:
        raise InvalidReference("invalid reference format: empty reference")
    if _HEX.match(text):
        raise InvalidReference(
            f"invalid repository name ({text}), cannot specify 64-byte hexadecimal strings")
    name, _, digest = text.partition("@")
    tag: str | None = None
    slash = name.rfind("/")
    colon = name.rfind(":")
    if colon > slash:
        name, tag = name[:colon], name[colon + 1:]
        if not _TAG.match(tag):
            raise InvalidReference(f"invalid reference format: invalid tag {tag!r} in {text!r}")
    if digest:
        if not _DIGEST.match(digest):
            raise InvalidReference(f"invalid reference format: invalid digest in {text!r}")
        if digest.startswith("sha256:") and not _HEX.match(digest[7:]):
            raise InvalidReference(f"invalid reference format: invalid sha256 digest in {text!r}")
    domain, path = _split_domain(name)
    if not _DOMAIN.match(domain):
        raise InvalidReference(f"invalid reference format: invalid registry {domain!r} in {text!r}")
    for component in path.split("/"):
        if not _COMPONENT.match(component):
            if component.lower() != component:
                raise InvalidReference(
                    f"invalid reference format: repository name ({path}) must be lowercase")
            raise InvalidReference(f"invalid reference format: {text!r}")
    if len(f"{domain}/{path}") > NAME_TOTAL_LENGTH_MAX:
        raise InvalidReference(f"invalid reference format: repository name longer than "
                               f"{NAME_TOTAL_LENGTH_MAX} characters: {text!r}")
    if tag is None and not digest and default_tag:
        tag = DEFAULT_TAG
    return Reference(domain, path, tag, digest or None)


def parse_tag(text: str) -> Reference:
    """A reference that names a tag (``image tag`` targets): digests are refused."""
    ref = parse(text)
    if ref.digest is not None:
        raise InvalidReference(f"refusing to create a tag with a digest reference: {text}")
    return ref


def is_digest(text: str) -> bool:
    return text.startswith("sha256:") and bool(_HEX.match(text[7:]))


def _path_match(pattern: str, name: str) -> bool:
    """Go's ``path.Match``: ``*`` and ``?`` never match ``/``; ``[...]`` classes, ``\\`` escapes."""
    out = []
    i = 0
    while i < len(pattern):
        c = pattern[i]
        if c == "*":
            out.append("[^/]*")
        elif c == "?":
            out.append("[^/]")
        elif c == "\\" and i + 1 < len(pattern):
            i += 1
            out.append(re.escape(pattern[i]))
        elif c == "[":
            end = pattern.find("]", i + 1)
            if end == -1:
                return False  # Go reports ErrBadPattern: nothing matches
            body = pattern[i + 1:end]
            negate = body.startswith("^")
            inner = (body[1:] if negate else body).replace("\\", "\\\\")
            out.append(f"(?!/)[{'^' if negate else ''}{inner}]")
            i = end
        else:
            out.append(re.escape(c))
        i += 1
    return re.fullmatch("".join(out), name) is not None


def match_familiar(pattern: str, ref: Reference) -> bool:
    """Docker's ``reference=`` filter: ``path.Match`` on the familiar name with its tag, then without."""
    return _path_match(pattern, ref.familiar()) or _path_match(pattern, ref.familiar_repository)
