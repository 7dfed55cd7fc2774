"""Helpers to act from inside a namespace in tests: listen, connect, exchange bytes."""

from __future__ import annotations

import socket
import threading

from runtime.network import netns


class Server:
    """A TCP or UDP echo server whose socket lives in a namespace (None: the host's)."""

    def __init__(self, path: str | None, host: str, port: int, proto: str = "tcp") -> None:
        kind = socket.SOCK_STREAM if proto == "tcp" else socket.SOCK_DGRAM
        family = socket.AF_INET6 if ":" in host else socket.AF_INET

        def make() -> socket.socket:
            s = socket.socket(family, kind)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind((host, port))
            if kind == socket.SOCK_STREAM:
                s.listen(16)
            return s

        self.sock = netns.inside(path, make) if path else make()
        self.port = self.sock.getsockname()[1]
        self.proto = proto
        self._stop = False
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        self.sock.settimeout(0.2)
        while not self._stop:
            try:
                if self.proto == "tcp":
                    conn, _ = self.sock.accept()
                    with conn:
                        conn.settimeout(5)
                        data = conn.recv(65536)
                        conn.sendall(b"echo:" + data)
                else:
                    data, peer = self.sock.recvfrom(65536)
                    self.sock.sendto(b"echo:" + data, peer)
            except (TimeoutError, OSError):
                continue

    def close(self) -> None:
        self._stop = True
        self.thread.join()
        self.sock.close()


def exchange(path: str | None, host: str, port: int, payload: bytes = b"ping", proto: str = "tcp",
             timeout: float = 5.0) -> bytes:
    """Send ``payload`` from inside ``path`` and return the reply (raises OSError when unreachable)."""

    def run() -> bytes:
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        if proto == "tcp":
            with socket.create_connection((host, port), timeout=timeout) as s:
                s.sendall(payload)
                return s.recv(65536)
        with socket.socket(family, socket.SOCK_DGRAM) as s:
            s.settimeout(timeout)
            s.sendto(payload, (host, port))
            return s.recvfrom(65536)[0]

    return netns.inside(path, run) if path else run()
