"""How commands reach the supervisors: start the server on demand, ask it for a shim, talk to shims."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from runtime.errors import RuntimeFailure
from runtime.state import StateRoot
from runtime.supervisor import protocol

PROJECT_ROOT = Path(__file__).resolve().parent.parent.parent


def server_socket(state: StateRoot) -> Path:
    return state.run / "supervisor.sock"


def _ping(path: Path) -> bool:
    try:
        reply, _ = protocol.request(str(path), {"op": "ping"}, timeout=5)
        return bool(reply.get("ok"))
    except (OSError, ValueError):
        return False


def ensure_server(state: StateRoot) -> Path:
    """The server's socket, starting the server if none answers."""
    path = server_socket(state)
    if _ping(path):
        return path
    state.ensure()
    with state.lock("supervisor-start"):
        if _ping(path):
            return path
        env = dict(os.environ)
        env["PYTHONPATH"] = str(PROJECT_ROOT) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
        starter = subprocess.Popen(
            [sys.executable, "-s", "-m", "runtime.supervisor", str(state.root), str(state.run)],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            start_new_session=True, close_fds=True, env=env, cwd="/",
        )
        starter.wait()
        for _ in range(1000):
            if _ping(path):
                return path
            time.sleep(0.005)
    raise RuntimeFailure(f"the supervisor did not start (socket {path})")


def spawn_shim(state: StateRoot, cid: str, *, adopt: bool = False) -> int:
    path = ensure_server(state)
    for _attempt in range(3):
        try:
            reply, _ = protocol.request(str(path), {"op": "spawn", "id": cid, "adopt": adopt})
        except (OSError, ValueError):
            path = ensure_server(state)
            continue
        if not reply.get("ok"):
            raise RuntimeFailure(f"supervisor: {reply.get('error')}")
        return int(reply["pid"])
    raise RuntimeFailure("the supervisor does not answer")


def server_request(state: StateRoot, message: dict[str, Any]) -> dict[str, Any] | None:
    """Ask the server, if one runs; None if none does."""
    path = server_socket(state)
    try:
        reply, _ = protocol.request(str(path), message, timeout=10)
        return reply
    except (OSError, ValueError):
        return None


def shim_request(sock_path: Path, message: dict[str, Any], *, timeout: float | None = 30.0,
                 ) -> tuple[dict[str, Any], list[int]] | None:
    """Ask a container's shim; None if no shim answers (dead or never started)."""
    try:
        return protocol.request(str(sock_path), message, timeout=timeout)
    except (FileNotFoundError, ConnectionRefusedError, ConnectionResetError):
        return None
    except TimeoutError:
        raise RuntimeFailure(f"the container's supervisor did not answer {message.get('op')!r} in time") from None


def shim_alive(sock_path: Path) -> bool:
    with contextlib.suppress(RuntimeFailure):
        return shim_request(sock_path, {"op": "state"}, timeout=5) is not None
    return False
