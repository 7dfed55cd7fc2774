"""How commands talk to shims when a shim comes and goes (no container needed)."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from runtime.supervisor import client, protocol


@pytest.fixture
def listener(tmp_path: Path):  # type: ignore[no-untyped-def]
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.bind(str(tmp_path / "shim.sock"))
    sock.listen(4)
    yield sock
    sock.close()


def test_a_shim_closing_before_our_request_is_no_shim(listener, tmp_path, monkeypatch):
    """Connected, then the shim exits before we send: a broken pipe. It must read as "no
    shim" (the caller recovers), never reach the CLI, which takes BrokenPipeError for a
    closed stdout and exits 0."""
    real_connect = protocol.connect

    def connect_then_peer_closes(sock: socket.socket, path: str) -> None:
        real_connect(sock, path)
        conn, _ = listener.accept()
        conn.close()

    monkeypatch.setattr(protocol, "connect", connect_then_peer_closes)
    assert client.shim_request(tmp_path / "shim.sock", {"op": "state"}) is None


def test_wait_exit_keeps_one_request_open_until_the_shim_answers(listener, tmp_path):
    path = tmp_path / "shim.sock"
    waiter = client.wait_exit(path, None, 0.01)
    assert waiter is not None  # no answer yet: the same request is kept for the next pause
    conn, _ = listener.accept()
    with conn:
        msg, _ = protocol.receive(conn, bytearray())
        assert msg == {"op": "wait"}
        assert client.wait_exit(path, waiter, 0.01) is waiter
        protocol.send(conn, {"ok": True})
        assert client.wait_exit(path, waiter, 30) is None  # answered: ends the pause
    assert waiter.fileno() == -1  # and closed


def test_wait_exit_without_a_shim_pauses_and_asks_for_a_refresh(tmp_path):
    assert client.wait_exit(tmp_path / "missing.sock", None, 0.01) is None


def test_a_busy_shim_is_alive_and_a_dead_one_is_not(listener, tmp_path):
    """No answer in time: alive while the shim's process lives, dead once it does not."""
    import os
    import subprocess

    path = tmp_path / "shim.sock"
    (tmp_path / "shim.pid").write_text(str(os.getpid()))
    assert client.shim_alive(path, timeout=0.2)
    gone = subprocess.Popen(["true"])
    gone.wait()
    (tmp_path / "shim.pid").write_text(str(gone.pid))
    assert not client.shim_alive(path, timeout=0.2)
    (tmp_path / "shim.pid").unlink()
    assert not client.shim_alive(path, timeout=0.2)
