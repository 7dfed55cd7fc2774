"""Pure parts of the registry client: challenges, the token cache, settings."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from runtime.registry.auth import Challenge, TokenCache, parse_challenges, scope_of
from runtime.registry.config import RegistryConfig, is_loopback
from runtime.registry.errors import RegistryError


def test_bearer_challenge_with_quoted_commas():
    [c] = parse_challenges(['Bearer realm="https://auth.example/token",service="reg",'
                            'scope="repository:a/b:pull,push"'])
    assert c.scheme == "bearer"
    assert c.get("realm") == "https://auth.example/token"
    assert c.get("service") == "reg"
    assert c.get("scope") == "repository:a/b:pull,push"


def test_basic_and_two_challenges():
    found = parse_challenges(['Basic realm="Registry Realm"', 'Bearer realm="r",service="s"'])
    assert [c.scheme for c in found] == ["basic", "bearer"]
    assert found[0] == Challenge("basic", (("realm", "Registry Realm"),))


def test_scope():
    assert scope_of("library/mongo", ("pull",)) == "repository:library/mongo:pull"
    assert scope_of("x", ("pull", "push")) == "repository:x:pull,push"


def test_tokens_live_for_their_lifetime():
    now = [1000.0]
    cache = TokenCache(clock=lambda: now[0])
    key = ("realm", "svc", "repository:a:pull")
    cache.put(key, "tok", 300)
    assert cache.get(key) == "tok"
    assert cache.get(("realm", "svc", "repository:a:pull,push")) is None  # per scope
    now[0] += 289
    assert cache.get(key) == "tok"
    now[0] += 2
    assert cache.get(key) is None


def test_short_lifetimes_count_as_sixty_seconds():
    now = [0.0]
    cache = TokenCache(clock=lambda: now[0])
    cache.put(("r", "s", "x"), "tok", 5)
    now[0] = 49
    assert cache.get(("r", "s", "x")) == "tok"


def test_config_file(tmp_path: Path):
    path = tmp_path / "registries.json"
    path.write_text(json.dumps({"registry-mirrors": ["http://127.0.0.1:5001/"],
                                "insecure-registries": ["reg.internal:5000", "10.0.0.0/8"],
                                "certs-dirs": [str(tmp_path)], "max-concurrent-downloads": 5,
                                "max-concurrent-uploads": 2, "mirror-fallback": False}))
    cfg = RegistryConfig.load(path)
    assert cfg.mirrors == ("http://127.0.0.1:5001",)
    assert cfg.is_insecure("reg.internal:5000")
    assert cfg.is_insecure("10.1.2.3:443")
    assert not cfg.is_insecure("reg.internal:5001")
    assert not cfg.is_insecure("11.0.0.1")
    assert cfg.certs_dirs == (tmp_path,)
    assert cfg.max_concurrent_downloads == 5
    assert cfg.max_concurrent_uploads == 2
    assert RegistryConfig().max_concurrent_uploads == 5  # Docker's default
    assert cfg.mirror_fallback is False


def test_mirror_fallback_decides_whether_the_origin_is_an_endpoint():
    from runtime.registry.client import RegistryClient

    hosts = [e.host for e in RegistryClient(RegistryConfig(mirrors=("http://127.0.0.1:5001",))).endpoints("docker.io")]
    assert hosts == ["127.0.0.1:5001", "registry-1.docker.io"]
    closed = RegistryClient(RegistryConfig(mirrors=("http://127.0.0.1:5001",), mirror_fallback=False))
    assert [e.host for e in closed.endpoints("docker.io")] == ["127.0.0.1:5001"]
    assert [e.host for e in closed.endpoints("127.0.0.1:5000")] == ["127.0.0.1:5000"]


def test_config_missing_file_is_the_default(tmp_path: Path):
    assert RegistryConfig.load(tmp_path / "nothing.json") == RegistryConfig()


@pytest.mark.parametrize("text, message", [
    ("{", "not valid JSON"),
    ('{"registry-mirrors": "x"}', "must be a list"),
    ('{"registry-mirrors": ["mirror.example"]}', "must start with https://"),
    ('{"max-concurrent-downloads": 0}', "max-concurrent-downloads must be a positive integer"),
    ('{"max-concurrent-uploads": true}', "max-concurrent-uploads must be a positive integer"),
    ('{"mirror-fallback": "no"}', "true or false"),
])
def test_config_errors_name_the_file(tmp_path: Path, text: str, message: str):
    path = tmp_path / "registries.json"
    path.write_text(text)
    with pytest.raises(RegistryError, match=message) as info:
        RegistryConfig.load(path)
    assert str(path) in str(info.value)


def test_config_path_from_environment(tmp_path: Path):
    path = tmp_path / "r.json"
    path.write_text('{"insecure-registries": ["x:1"]}')
    assert RegistryConfig.load(environ={"PYCOMPOSE_REGISTRY_CONFIG": str(path)}).insecure == ("x:1",)


@pytest.mark.parametrize("host, expected", [
    ("localhost:5000", True), ("127.0.0.1:5000", True), ("127.9.9.9", True), ("[::1]:5000", True),
    ("registry.example:5000", False), ("10.0.0.1:5000", False),
])
def test_loopback(host: str, expected: bool):
    assert is_loopback(host) is expected


def test_credentials_are_loaded_once_for_threads_that_ask_at_the_same_time(tmp_path: Path, monkeypatch) -> None:
    # a push's parallel blob checks all ask at once; none may see "no credentials" while the
    # first is still reading them (this once sent a HEAD without auth and failed the push)
    import base64
    import threading
    import time

    from runtime.registry import credentials as module
    from runtime.registry.client import RegistryClient

    config = tmp_path / "config.json"
    config.write_text(json.dumps({"auths": {"r.example:5000": {"auth": base64.b64encode(b"u:p").decode()}}}))
    made = []

    class SlowCredentials(module.Credentials):
        def __init__(self) -> None:
            time.sleep(0.2)
            made.append(self)
            super().__init__(config)

    monkeypatch.setattr(module, "Credentials", SlowCredentials)
    client = RegistryClient(RegistryConfig())
    start = threading.Barrier(4)
    seen: list[object] = []

    def ask() -> None:
        start.wait()
        seen.append(client.credentials_for("r.example:5000"))

    threads = [threading.Thread(target=ask) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert seen == [("u", "p")] * 4 and len(made) == 1
