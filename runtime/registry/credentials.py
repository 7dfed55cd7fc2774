"""Registry credentials where Docker keeps them: ``$DOCKER_CONFIG/config.json`` (default
``~/.docker/config.json``).

* ``auths``: ``{"<server>": {"auth": base64("user:secret")}}`` (or ``identitytoken``), Docker
  Hub under ``https://index.docker.io/v1/``;
* ``credHelpers`` (per server) and ``credsStore`` (for all): the ``docker-credential-<name>``
  program, spoken to as Docker does (``get`` / ``store`` / ``erase``, the server URL or a JSON
  object on standard input, JSON on standard output).

The file is rewritten atomically with mode 0600 and every key it had is kept.
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
from pathlib import Path
from typing import Any

from runtime.registry.errors import RegistryError

DOCKER_HUB_KEY = "https://index.docker.io/v1/"


def config_path() -> Path:
    base = os.environ.get("DOCKER_CONFIG")
    return Path(base) / "config.json" if base else Path.home() / ".docker" / "config.json"


def server_key(server: str) -> str:
    """The key Docker files a server under: Docker Hub's URL, else ``host[:port]``."""
    host = server.removeprefix("https://").removeprefix("http://").rstrip("/")
    if host in ("", "docker.io", "index.docker.io", "registry-1.docker.io") or host.startswith("index.docker.io/"):
        return DOCKER_HUB_KEY
    return host.split("/", 1)[0]


class Credentials:
    def __init__(self, config_path_: Path | None = None) -> None:
        self.path = config_path_ or config_path()

    def _read(self) -> dict[str, Any]:
        try:
            data = json.loads(self.path.read_text())
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as exc:
            raise RegistryError(f"{self.path}: cannot read the credentials file ({exc}); fix or remove it") from None
        return data if isinstance(data, dict) else {}

    def _write(self, data: dict[str, Any]) -> None:
        self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        tmp = self.path.with_name(f".{self.path.name}.tmp-{os.getpid()}")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            json.dump(data, f, indent="\t")
            f.write("\n")
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, self.path)

    def _helper(self, data: dict[str, Any], key: str) -> str | None:
        helpers = data.get("credHelpers") or {}
        return helpers.get(key) or data.get("credsStore") or None

    def _run_helper(self, helper: str, action: str, payload: str) -> str:
        program = f"docker-credential-{helper}"
        try:
            done = subprocess.run([program, action], input=payload, capture_output=True, text=True, timeout=60,
                                  check=False)
        except FileNotFoundError:
            raise RegistryError(f"credential helper {program} is not installed (named in {self.path})") from None
        if done.returncode != 0:
            message = (done.stdout.strip() or done.stderr.strip()).splitlines()
            raise RegistryError(f"{program} {action}: {message[-1] if message else 'failed'}")
        return done.stdout

    def get(self, server: str) -> tuple[str, str] | None:
        key = server_key(server) if "://" in server or server in ("docker.io",) else server
        data = self._read()
        helper = self._helper(data, key)
        if helper:
            try:
                out = self._run_helper(helper, "get", key)
            except RegistryError as exc:
                if "credentials not found" in str(exc).lower():
                    return None
                raise
            found = json.loads(out or "{}")
            user, secret = found.get("Username", ""), found.get("Secret", "")
            return (user, secret) if secret else None
        entry = (data.get("auths") or {}).get(key)
        if not isinstance(entry, dict):
            return None
        if entry.get("identitytoken"):
            return ("<token>", str(entry["identitytoken"]))
        if entry.get("auth"):
            user, _, secret = base64.b64decode(entry["auth"]).decode().partition(":")
            return (user, secret)
        if entry.get("username"):
            return (str(entry["username"]), str(entry.get("password", "")))
        return None

    def store(self, server: str, user: str, secret: str) -> None:
        key = server_key(server)
        data = self._read()
        helper = self._helper(data, key)
        if helper:
            self._run_helper(helper, "store", json.dumps({"ServerURL": key, "Username": user, "Secret": secret}))
            data.setdefault("auths", {}).setdefault(key, {})
        else:
            data.setdefault("auths", {})[key] = {"auth": base64.b64encode(f"{user}:{secret}".encode()).decode()}
        self._write(data)

    def erase(self, server: str) -> bool:
        """Forget ``server``'s credentials; whether there were any."""
        key = server_key(server)
        data = self._read()
        helper = self._helper(data, key)
        had = key in (data.get("auths") or {})
        if helper:
            try:
                self._run_helper(helper, "erase", key)
                had = True
            except RegistryError:
                pass
        if had:
            (data.get("auths") or {}).pop(key, None)
            self._write(data)
        return had
