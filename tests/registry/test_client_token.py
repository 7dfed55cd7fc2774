"""Docker's token flow, for real: docker-registry with ``auth: token`` and a token server written here."""

from __future__ import annotations

import base64
import datetime
import json
import os
import secrets
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest

from runtime.images.manifest import host_platform
from tests.helpers import images as t
from tests.registry.test_pull_kit import push_image, start_registry

crypto = pytest.importorskip("cryptography")
pytestmark = pytest.mark.skipif(not os.path.exists("/usr/bin/docker-registry"), reason="docker-registry missing")

SERVICE, ISSUER = "pycompose-test-registry", "pycompose-test-issuer"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class TokenServer:
    """Signs RS256 JWTs whose ``x5c`` certificate is the registry's ``rootcertbundle``."""

    def __init__(self, workdir: Path, users: dict[str, str], anonymous_pull: bool = False) -> None:
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import rsa
        from cryptography.x509.oid import NameOID

        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "pycompose test token signer")])
        now = datetime.datetime.now(datetime.UTC)
        self.cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
                     .public_key(self.key.public_key()).serial_number(x509.random_serial_number())
                     .not_valid_before(now - datetime.timedelta(minutes=5))
                     .not_valid_after(now + datetime.timedelta(days=1))
                     .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
                     .sign(self.key, hashes.SHA256()))
        workdir.mkdir(parents=True, exist_ok=True)
        self.bundle = workdir / "token-signer.pem"
        self.bundle.write_bytes(self.cert.public_bytes(serialization.Encoding.PEM))
        self.der = self.cert.public_bytes(serialization.Encoding.DER)
        self.users, self.anonymous_pull = users, anonymous_pull
        self.requests: list[tuple[str | None, str]] = []  # (user, scope)
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                query = parse_qs(urlparse(self.path).query)
                scope = query.get("scope", [""])[0]
                user = None
                auth = self.headers.get("Authorization", "")
                if auth.startswith("Basic "):
                    name, _, password = base64.b64decode(auth[6:]).decode().partition(":")
                    if server.users.get(name) != password:
                        self.send_response(401)
                        self.end_headers()
                        return
                    user = name
                server.requests.append((user, scope))
                granted = []
                if scope.startswith("repository:") and (user is not None or server.anonymous_pull):
                    _kind, repo, actions = scope.split(":")
                    allowed = actions.split(",") if user is not None else ["pull"]
                    granted = [{"type": "repository", "name": repo,
                                "actions": [a for a in actions.split(",") if a in allowed]}]
                body = json.dumps({"token": server.sign(user or "", granted), "expires_in": 300}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def realm(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/token"

    def sign(self, subject: str, access: list[dict]) -> str:
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import padding

        now = int(time.time())
        header = {"typ": "JWT", "alg": "RS256", "x5c": [base64.b64encode(self.der).decode()]}
        claims = {"iss": ISSUER, "sub": subject, "aud": SERVICE, "exp": now + 300, "nbf": now - 10, "iat": now,
                  "jti": secrets.token_hex(8), "access": access}
        signing_input = f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(claims).encode())}"
        signature = self.key.sign(signing_input.encode(), padding.PKCS1v15(), hashes.SHA256())
        return f"{signing_input}.{_b64(signature)}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()


class Creds:
    def __init__(self, found: dict[str, tuple[str, str]]) -> None:
        self.found = found

    def get(self, host: str) -> tuple[str, str] | None:
        return self.found.get(host)


@pytest.fixture
def token_registry(tmp_path: Path):
    tokens = TokenServer(tmp_path / "tokens", {"bob": "pw"})
    reg = start_registry(tmp_path / "registry", token={
        "realm": tokens.realm, "service": SERVICE, "issuer": ISSUER, "rootcertbundle": str(tokens.bundle)})
    yield reg, tokens
    reg.stop()
    tokens.close()


def _push_with_token(reg, tokens: TokenServer, name: str, image: t.TestImage) -> None:
    """Push through the raw uploader with a push token signed here."""
    token = tokens.sign("bob", [{"type": "repository", "name": name, "actions": ["pull", "push"]}])
    push_image(reg, name, "1", image, headers={"Authorization": f"Bearer {token}"})


def test_bearer_token_flow_and_token_cache(token_registry, state_root):
    from runtime.api.registry import Registry, RegistryAuthError
    from runtime.registry.config import RegistryConfig

    reg, tokens = token_registry
    image = t.TestImage([t.layer([t.file("tok", b"en")])], tags=["x"], cmd=["sh"],
                        architecture=host_platform().architecture)
    _push_with_token(reg, tokens, "private/app", image)
    config = RegistryConfig(certs_dirs=())
    with Registry(state_root, config=config, credentials=Creds({})) as api, \
            pytest.raises(RegistryAuthError, match="pycompose login"):
        api.pull(f"{reg.host}/private/app:1")  # anonymous: the token grants nothing
    tokens.requests.clear()
    with Registry(state_root, config=config, credentials=Creds({reg.host: ("bob", "pw")})) as api:
        assert api.pull(f"{reg.host}/private/app:1").id == image.id
        api.pull(f"{reg.host}/private/app:1")
    assert tokens.requests == [("bob", "repository:private/app:pull")]  # one token, reused for its lifetime
    with Registry(state_root, config=config, credentials=Creds({reg.host: ("bob", "wrong")})) as api, \
            pytest.raises(RegistryAuthError, match="refused the credentials"):
        api.pull(f"{reg.host}/private/app:1")
