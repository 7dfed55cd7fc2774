"""``login`` / ``logout``: check credentials against a registry, then keep or forget them."""

from __future__ import annotations

from pathlib import Path

from runtime.registry.credentials import DOCKER_HUB_KEY, Credentials, server_key
from runtime.registry.errors import RegistryAuthError


class _Given:
    """The credentials being tried, for every key the client may ask."""

    def __init__(self, user: str, secret: str) -> None:
        self.pair = (user, secret)

    def get(self, _key: str) -> tuple[str, str]:
        return self.pair


def login(server: str, user: str, secret: str, *, config_path: Path | None = None, config: object = None) -> str:
    """Verify ``user``/``secret`` on ``server`` (``GET /v2/``, then the token server when it uses
    one) and store them; the key they were stored under."""
    from runtime.registry.auth import basic_header
    from runtime.registry.client import RegistryClient
    from runtime.registry.httpx_sync import httpx

    key = server_key(server)
    domain = "docker.io" if key == DOCKER_HUB_KEY else key
    with RegistryClient(config, _Given(user, secret)) as client:  # type: ignore[arg-type]
        endpoint = [e for e in client.endpoints(domain) if not e.mirror][-1]
        client.probe(endpoint, domain)
        challenge = endpoint.challenge
        if challenge is not None and challenge.scheme == "basic":
            assert endpoint.http is not None
            try:
                reply = endpoint.http.get(f"{endpoint.base}/v2/", headers={"Authorization": basic_header(user,
                                                                                                        secret)})
            except httpx.TransportError as exc:
                raise RegistryAuthError(f"login to {domain}: {exc}") from None
            if reply.status_code != 200:
                raise RegistryAuthError(f"login to {domain}: unauthorized: incorrect username or password")
        elif challenge is not None:
            client.authorization(endpoint, "", domain)
    Credentials(config_path).store(key, user, secret)
    return key


def logout(server: str, *, config_path: Path | None = None) -> bool:
    return Credentials(config_path).erase(server)


__all__ = ["login", "logout"]
