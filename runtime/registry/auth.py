"""Registry authentication: ``WWW-Authenticate`` challenges, Bearer tokens, basic auth.

The token flow is Docker's: the registry answers 401 with
``Bearer realm="…",service="…",scope="…"``; the client asks the realm for a token for
``repository:<name>:<actions>`` (with basic credentials when it has some) and retries with
``Authorization: Bearer <token>``. Tokens are cached per (realm, service, scope) for their
``expires_in`` (60 s when the server does not say), minus a margin.
"""

from __future__ import annotations

import base64
import re
import threading
import time
from dataclasses import dataclass

_PARAM = re.compile(r'([A-Za-z_]+)=(?:"((?:[^"\\]|\\.)*)"|([^,\s]*))')
MIN_LIFETIME = 60
MARGIN = 10


@dataclass(frozen=True)
class Challenge:
    scheme: str  # "bearer" or "basic"
    params: tuple[tuple[str, str], ...] = ()

    def get(self, key: str) -> str:
        return dict(self.params).get(key, "")


def parse_challenges(headers: list[str]) -> list[Challenge]:
    """Every challenge of the ``WWW-Authenticate`` headers, schemes lower-cased."""
    out = []
    for header in headers:
        for part in re.split(r",\s*(?=[A-Za-z]+\s+[A-Za-z_]+=)", header.strip()):
            scheme, _, rest = part.strip().partition(" ")
            if not scheme:
                continue
            params = tuple((m.group(1).lower(), m.group(2) if m.group(2) is not None else m.group(3))
                           for m in _PARAM.finditer(rest))
            out.append(Challenge(scheme.lower(), params))
    return out


def basic_header(username: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()


def scope_of(name: str, actions: tuple[str, ...]) -> str:
    return f"repository:{name}:{','.join(actions)}"


class TokenCache:
    """Bearer tokens by (realm, service, scope), each until it expires; thread-safe."""

    def __init__(self, clock=time.monotonic) -> None:  # type: ignore[no-untyped-def]
        self._clock = clock
        self._tokens: dict[tuple[str, str, str], tuple[str, float]] = {}
        self._lock = threading.Lock()

    def get(self, key: tuple[str, str, str]) -> str | None:
        with self._lock:
            found = self._tokens.get(key)
            if found is None:
                return None
            token, until = found
            if self._clock() >= until:
                del self._tokens[key]
                return None
            return token

    def put(self, key: tuple[str, str, str], token: str, expires_in: int | None) -> None:
        lifetime = max(int(expires_in or MIN_LIFETIME), MIN_LIFETIME)
        with self._lock:
            self._tokens[key] = (token, self._clock() + lifetime - MARGIN)

    def drop(self, key: tuple[str, str, str]) -> None:
        with self._lock:
            self._tokens.pop(key, None)
