"""The supervisors' wire format: one JSON object per line over a unix stream socket; file
descriptors (stdin, pty master) travel as SCM_RIGHTS beside a reply."""

from __future__ import annotations

import array
import json
import os
import socket
from typing import Any

MAX_FDS = 4


def send(sock: socket.socket, message: dict[str, Any], fds: list[int] | None = None) -> None:
    data = json.dumps(message).encode() + b"\n"
    if fds:
        sock.sendmsg([data], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", fds))])
    else:
        sock.sendall(data)


def receive(sock: socket.socket, buffer: bytearray) -> tuple[dict[str, Any] | None, list[int]]:
    """The next message (None at end of stream) and any fds that came with it."""
    fds: list[int] = []
    while b"\n" not in buffer:
        arr = array.array("i")
        data, anc, _flags, _addr = sock.recvmsg(65536, socket.CMSG_SPACE(MAX_FDS * arr.itemsize))
        for level, kind, payload in anc:
            if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
                arr.frombytes(payload[: len(payload) - len(payload) % arr.itemsize])
        fds.extend(arr)
        if not data:
            return None, fds
        buffer.extend(data)
    line, _, rest = bytes(buffer).partition(b"\n")
    buffer[:] = rest
    return json.loads(line), fds


def _short(path: str) -> tuple[str, int | None]:
    """A unix socket address may be at most 107 bytes: reach longer paths through
    ``/proc/self/fd/<dir fd>/<name>`` (the caller closes the returned fd)."""
    if len(os.fsencode(path)) < 100:
        return path, None
    directory, name = os.path.split(path)
    fd = os.open(directory, os.O_PATH | os.O_CLOEXEC)
    return f"/proc/self/fd/{fd}/{name}", fd


def bind(sock: socket.socket, path: str) -> None:
    address, fd = _short(path)
    try:
        sock.bind(address)
    finally:
        if fd is not None:
            os.close(fd)


def connect(sock: socket.socket, path: str) -> None:
    address, fd = _short(path)
    try:
        sock.connect(address)
    finally:
        if fd is not None:
            os.close(fd)


def request(path: str, message: dict[str, Any], *, timeout: float | None = 30.0,
            fds: list[int] | None = None) -> tuple[dict[str, Any], list[int]]:
    """Send one request (with ``fds``, if any) to the socket at ``path`` and wait for its reply."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM | socket.SOCK_CLOEXEC) as sock:
        sock.settimeout(timeout)
        connect(sock, path)
        send(sock, message, fds)
        reply, fds = receive(sock, bytearray())
    if reply is None:
        raise ConnectionResetError(f"{path}: closed without reply")
    return reply, fds
