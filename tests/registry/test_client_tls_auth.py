"""TLS with a CA from certs.d and htpasswd basic auth, against a real docker-registry on 127.0.0.1."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from runtime.images.manifest import host_platform
from tests.helpers import images as t
from tests.registry.test_pull_kit import start_registry

pytestmark = pytest.mark.skipif(not os.path.exists("/usr/bin/docker-registry") or not shutil.which("openssl"),
                                reason="docker-registry or openssl missing")


def make_ca_and_cert(d: Path) -> tuple[Path, Path, Path]:
    d.mkdir(parents=True, exist_ok=True)

    def ssl(*args: str) -> None:
        subprocess.run(["openssl", *args], check=True, capture_output=True, cwd=d)

    ssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.crt", "-days", "2",
        "-subj", "/CN=pycompose test CA")
    ssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "reg.key", "-out", "reg.csr", "-subj", "/CN=127.0.0.1")
    (d / "ext.cnf").write_text("subjectAltName=IP:127.0.0.1\n")
    ssl("x509", "-req", "-in", "reg.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial", "-out", "reg.crt",
        "-days", "2", "-extfile", "ext.cnf")
    return d / "ca.crt", d / "reg.crt", d / "reg.key"


def small_image() -> t.TestImage:
    return t.TestImage([t.layer([t.file("hello", b"tls")])], tags=["x"], cmd=["sh"],
                       architecture=host_platform().architecture)


def push_via_skopeo(tmp_path: Path, image: t.TestImage, dest: str, *extra: str) -> None:
    archive = t.write_archive(tmp_path / "img.tar", [image])
    subprocess.run(["skopeo", "copy", "-q", f"docker-archive:{archive}", f"docker://{dest}", *extra],
                   check=True, capture_output=True, timeout=120)


def test_tls_with_a_ca_from_certs_d(tmp_path: Path, state_root):
    from runtime.api.registry import Registry, RegistryTLSError
    from runtime.registry.config import RegistryConfig

    ca, cert, key = make_ca_and_cert(tmp_path / "pki")
    reg = start_registry(tmp_path / "registry", tls=(cert, key))
    try:
        image = small_image()
        push_via_skopeo(tmp_path, image, f"{reg.host}/secure/app:1", "--dest-tls-verify=false")
        with Registry(state_root, config=RegistryConfig(certs_dirs=(tmp_path / "certs.d",))) as api, \
                pytest.raises(RegistryTLSError, match=r"TLS failure .*certs\.d/127\.0\.0\.1:\d+/ca\.crt"):
            api.pull(f"{reg.host}/secure/app:1")  # an unknown CA is refused, not downgraded to HTTP
        (tmp_path / "certs.d" / reg.host).mkdir(parents=True)
        shutil.copy(ca, tmp_path / "certs.d" / reg.host / "ca.crt")
        with Registry(state_root, config=RegistryConfig(certs_dirs=(tmp_path / "certs.d",))) as api:
            assert api.pull(f"{reg.host}/secure/app:1").id == image.id
        with Registry(state_root, config=RegistryConfig(insecure=(reg.host,), certs_dirs=())) as api:
            assert api.pull(f"{reg.host}/secure/app:1").id == image.id
    finally:
        reg.stop()


def test_the_system_store_is_the_users_bundle_or_the_hashed_directory(tmp_path: Path, state_root, monkeypatch):
    """SSL_CERT_FILE (a bundle of the user's) is honoured; without it, the system's hashed
    directory (SSL_CERT_DIR here) is read on demand; a CA in neither is refused."""
    from runtime.api.registry import Registry, RegistryTLSError
    from runtime.registry.config import RegistryConfig

    ca, cert, key = make_ca_and_cert(tmp_path / "pki")
    reg = start_registry(tmp_path / "registry", tls=(cert, key))
    hashed = tmp_path / "hashed"
    hashed.mkdir()
    subject_hash = subprocess.run(["openssl", "x509", "-hash", "-noout", "-in", str(ca)], check=True,
                                  capture_output=True, text=True).stdout.strip()
    try:
        image = small_image()
        push_via_skopeo(tmp_path, image, f"{reg.host}/sys/app:1", "--dest-tls-verify=false")
        config = RegistryConfig(certs_dirs=())
        monkeypatch.setenv("SSL_CERT_FILE", str(ca))
        monkeypatch.setenv("SSL_CERT_DIR", str(hashed))
        with Registry(state_root, config=config) as api:
            assert api.pull(f"{reg.host}/sys/app:1").id == image.id
        monkeypatch.delenv("SSL_CERT_FILE")
        with Registry(state_root, config=config) as api, pytest.raises(RegistryTLSError):
            api.pull(f"{reg.host}/sys/app:1")  # the hashed directory has no CA for it yet
        (hashed / f"{subject_hash}.0").symlink_to(ca)
        with Registry(state_root, config=config) as api:
            assert api.pull(f"{reg.host}/sys/app:1").id == image.id
    finally:
        reg.stop()


class FakeCredentials:
    def __init__(self, found: dict[str, tuple[str, str]]) -> None:
        self.found = found

    def get(self, host: str) -> tuple[str, str] | None:
        return self.found.get(host)


@pytest.mark.skipif(not shutil.which("htpasswd"), reason="htpasswd (apache2-utils) missing")
def test_basic_auth(tmp_path: Path, state_root):
    from runtime.api.registry import Registry, RegistryAuthError
    from runtime.registry.config import RegistryConfig

    _ca, cert, key = make_ca_and_cert(tmp_path / "pki")
    users = tmp_path / "htpasswd"
    users.write_text(subprocess.run(["htpasswd", "-nbB", "alice", "s3cret"], check=True, capture_output=True,
                                    text=True).stdout)
    reg = start_registry(tmp_path / "registry", tls=(cert, key), htpasswd=users)
    config = RegistryConfig(insecure=(reg.host,), certs_dirs=())
    try:
        image = small_image()
        push_via_skopeo(tmp_path, image, f"{reg.host}/private/app:1", "--dest-tls-verify=false",
                        "--dest-creds", "alice:s3cret")
        with Registry(state_root, config=config, credentials=FakeCredentials({})) as api, \
                pytest.raises(RegistryAuthError, match=r"unauthorized.*pycompose login"):
            api.pull(f"{reg.host}/private/app:1")
        wrong = FakeCredentials({reg.host: ("alice", "nope")})
        with Registry(state_root, config=config, credentials=wrong) as api, \
                pytest.raises(RegistryAuthError, match=r"check the credentials|denied"):
            api.pull(f"{reg.host}/private/app:1")
        right = FakeCredentials({reg.host: ("alice", "s3cret")})
        with Registry(state_root, config=config, credentials=right) as api:
            assert api.pull(f"{reg.host}/private/app:1").id == image.id
    finally:
        reg.stop()
