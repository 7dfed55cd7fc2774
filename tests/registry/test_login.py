"""login/logout against a real docker-registry with htpasswd auth, and the credentials file and
helpers as Docker keeps them."""

from __future__ import annotations

import base64
import json
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from runtime.registry.credentials import DOCKER_HUB_KEY, Credentials
from tests.container import conftest as container_fixtures
from tests.registry.test_client_tls_auth import make_ca_and_cert
from tests.registry.test_pull_kit import start_registry

cgroup_parent, containers = container_fixtures.cgroup_parent, container_fixtures.containers


def _cli(env: dict[str, str], *args: str, input: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "compose", *args], env=env, input=input, capture_output=True,
                          text=True, timeout=120, check=False)


@pytest.mark.integration
@pytest.mark.skipif(not shutil.which("htpasswd") or not os.path.exists("/usr/bin/docker-registry"),
                    reason="htpasswd or docker-registry missing")
def test_login_push_pull_logout(containers, busybox, tmp_path: Path) -> None:
    _ca, cert, key = make_ca_and_cert(tmp_path / "pki")
    users = tmp_path / "htpasswd"
    users.write_text(subprocess.run(["htpasswd", "-nbB", "alice", "s3cret"], check=True, capture_output=True,
                                    text=True).stdout)
    reg = start_registry(tmp_path / "registry", tls=(cert, key), htpasswd=users)
    settings = tmp_path / "registries.json"
    settings.write_text(json.dumps({"insecure-registries": [reg.host], "certs-dirs": []}))
    env = dict(os.environ, DOCKER_CONFIG=str(tmp_path / "docker"), PYCOMPOSE_REGISTRY_CONFIG=str(settings))
    try:
        bad = _cli(env, "login", "-u", "alice", "--password-stdin", reg.host, input="wrong\n")
        assert bad.returncode != 0 and "incorrect username or password" in bad.stderr
        assert len(bad.stderr.strip().splitlines()) == 1 and not (tmp_path / "docker" / "config.json").exists()
        ref = f"{reg.host}/private/busybox:1"
        assert _cli(env, "image", "tag", "busybox:latest", ref).returncode == 0
        denied = _cli(env, "image", "push", ref)
        assert denied.returncode != 0 and "pycompose login" in denied.stderr
        good = _cli(env, "login", "-u", "alice", "--password-stdin", reg.host, input="s3cret\n")
        assert good.returncode == 0 and good.stdout.strip() == "Login Succeeded", good.stderr
        path = tmp_path / "docker" / "config.json"
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        auth = json.loads(path.read_text())["auths"][reg.host]["auth"]
        assert base64.b64decode(auth).decode() == "alice:s3cret"
        pushed = _cli(env, "image", "push", ref)
        assert pushed.returncode == 0, pushed.stderr
        assert _cli(env, "image", "rm", ref).returncode == 0
        assert _cli(env, "image", "pull", ref).returncode == 0
        out = _cli(env, "logout", reg.host)
        assert out.stdout.strip() == f"Removing login credentials for {reg.host}"
        assert reg.host not in json.loads(path.read_text()).get("auths", {})
        assert _cli(env, "logout", reg.host).stdout.strip() == f"Not logged in to {reg.host}"
    finally:
        reg.stop()


def test_credentials_file_keys_and_docker_hub(tmp_path: Path) -> None:
    path = tmp_path / "config.json"
    path.write_text(json.dumps({"auths": {"r.example:5000": {"auth": base64.b64encode(b"u:p").decode()},
                                          DOCKER_HUB_KEY: {"identitytoken": "tok"}},
                                "HttpHeaders": {"User-Agent": "kept"}}))
    creds = Credentials(path)
    assert creds.get("r.example:5000") == ("u", "p")
    assert creds.get(DOCKER_HUB_KEY) == ("<token>", "tok")
    assert creds.get("other") is None
    creds.store("docker.io", "me", "pw")
    data = json.loads(path.read_text())
    assert base64.b64decode(data["auths"][DOCKER_HUB_KEY]["auth"]) == b"me:pw"
    assert data["HttpHeaders"] == {"User-Agent": "kept"}  # other keys survive a rewrite
    assert creds.erase("index.docker.io") and creds.get(DOCKER_HUB_KEY) is None


def test_credential_helper_protocol(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = tmp_path / "store.json"
    helper = tmp_path / "bin" / "docker-credential-test"
    helper.parent.mkdir()
    helper.write_text(f"""#!{sys.executable}
import json, sys
path = {str(store)!r}
try:
    data = json.load(open(path))
except FileNotFoundError:
    data = {{}}
action, payload = sys.argv[1], sys.stdin.read()
if action == "store":
    entry = json.loads(payload)
    data[entry["ServerURL"]] = [entry["Username"], entry["Secret"]]
elif action == "get":
    if payload not in data:
        print("credentials not found in native keychain")
        sys.exit(1)
    print(json.dumps({{"Username": data[payload][0], "Secret": data[payload][1]}}))
elif action == "erase":
    data.pop(payload, None)
json.dump(data, open(path, "w"))
""")
    helper.chmod(0o755)
    monkeypatch.setenv("PATH", f"{helper.parent}:{os.environ['PATH']}")
    path = tmp_path / "config.json"
    path.write_text(json.dumps({"credsStore": "test"}))
    creds = Credentials(path)
    assert creds.get("reg.local") is None
    creds.store("reg.local", "bob", "hunter2")
    assert "hunter2" not in path.read_text()  # the secret lives in the helper, not in the file
    assert json.loads(store.read_text())["reg.local"] == ["bob", "hunter2"]
    assert creds.get("reg.local") == ("bob", "hunter2")
    assert creds.erase("reg.local") and creds.get("reg.local") is None
