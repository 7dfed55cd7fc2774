"""``image search``: Docker Hub's search API, or the v2 catalog of a private registry.

``TERM`` alone searches Docker Hub (``GET /v1/search?q=TERM&n=LIMIT`` on index.docker.io, as
``docker search``); ``HOST[:PORT]/TERM`` lists the repositories of that registry's
``/v2/_catalog`` whose name contains ``TERM`` (a registry without a search API still answers).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from runtime.registry.errors import RegistryError


@dataclass(frozen=True)
class SearchResult:
    name: str
    description: str = ""
    stars: int = 0
    official: bool = False


def _split(term: str) -> tuple[str | None, str]:
    head, sep, rest = term.partition("/")
    if sep and ("." in head or ":" in head or head == "localhost"):
        return head, rest
    return None, term


def search(client: Any, term: str, *, limit: int = 25) -> list[SearchResult]:
    host, query = _split(term)
    if host is None:
        repo = client.repository("docker.io/library/x")
        reply = repo.request("GET", f"https://index.docker.io/v1/search?q={query}&n={limit}")
        if reply.status_code != 200:
            raise RegistryError(f"search {term}: Docker Hub answered HTTP {reply.status_code}")
        return [SearchResult(r.get("name", ""), r.get("description", "") or "", int(r.get("star_count", 0) or 0),
                             bool(r.get("is_official"))) for r in reply.json().get("results", [])][:limit]
    repo = client.repository(f"{host}/x")
    found: list[str] = []
    path = "/v2/_catalog?n=1000"
    while path and len(found) < 100_000:
        reply = repo.request("GET", path, actions=("pull",))
        if reply.status_code != 200:
            raise RegistryError(f"search {term}: {host} has no catalog to search (HTTP {reply.status_code})")
        found += reply.json().get("repositories") or []
        link = reply.headers.get("Link", "")
        path = link.split(";")[0].strip("<> ") if "rel=\"next\"" in link else ""
    names = [n for n in found if query.lower() in n.lower()]
    return [SearchResult(f"{host}/{n}") for n in sorted(names)[:limit]]
