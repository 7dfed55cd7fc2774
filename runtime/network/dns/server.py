"""The resolver process: one per state root, serving every container on our networks.

There is no daemon, so the resolver is a small process of its own, started by the first
command that attaches a container to a network and ending by itself when no container
is left. It reads the state files (networks and endpoints), so it outlives the command
that started it and sees every later change when told to ``reload`` over its control
socket (``<run>/network/dns.sock``).

For each container namespace it opens a UDP and a TCP socket on 127.0.0.11 *inside that
namespace* (the thread joins the namespace, creates the sockets, and returns; the sockets
stay in it), at free ports, and a DNAT rule in the namespace (``redirect``) sends
127.0.0.11:53 there, so that port 53 stays free for a DNS server of the container's own,
as with Docker. Queries it cannot answer
are forwarded from the host's namespace to the upstream servers: the container's
``dns``, else the configured upstream, else the host's resolv.conf servers.

Run as ``python -m runtime.network.dns.server [--detach]``; the state root comes from
``PYCOMPOSE_ROOT``/``PYCOMPOSE_RUN``.
"""

from __future__ import annotations

import argparse
import contextlib
import errno
import os
import socket
import sys
from collections.abc import Callable
from dataclasses import dataclass, field

import trio

from runtime.errors import RuntimeFailure
from runtime.network import netns
from runtime.network.dns import names, redirect
from runtime.network.dns.answer import Forward, Rotor, answer, servfail
from runtime.network.dns.control import control_path, pid_path
from runtime.network.host import host_resolvers
from runtime.network.pools import load_config, split_hostport
from runtime.network.records import NetworkStore
from runtime.state import FileLock, StateRoot, atomic_write

LISTEN = ("127.0.0.11", 53)
UPSTREAM_TIMEOUT = 3.0
RETRY_INTERVAL = 1.0
TCP_IDLE = 10.0


@dataclass
class Served:
    """The sockets of one namespace and the scope of the tasks that serve them."""

    udp: trio.socket.SocketType
    tcp: trio.socket.SocketType
    scope: trio.CancelScope = field(default_factory=trio.CancelScope)

    def close(self) -> None:
        self.scope.cancel()
        self.udp.close()
        self.tcp.close()


def _open_sockets() -> tuple[socket.socket, socket.socket]:
    """In the container's namespace: UDP and TCP sockets on 127.0.0.11 at free ports, and
    the redirect of 127.0.0.11:53 to them (``redirect``)."""
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        udp.bind((LISTEN[0], 0))
        tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        tcp.bind((LISTEN[0], 0))
        tcp.listen(64)
        redirect.install({"udp": udp.getsockname()[1], "tcp": tcp.getsockname()[1]})
    except BaseException:
        udp.close()
        tcp.close()
        raise
    return udp, tcp


class Resolver:
    def __init__(self, store: NetworkStore, nursery: trio.Nursery) -> None:
        self.store = store
        self.nursery = nursery
        self.askers: dict[str, names.Asker] = {}
        self.served: dict[str, Served] = {}
        self.rotor = Rotor()
        self.default_upstream: tuple[str, ...] = ()

    def reload(self) -> int:
        """Re-read the state; open/close namespace sockets; the number of namespaces served."""
        config = load_config()
        # The resolver runs in the host's namespace, so a loopback stub resolver of the host
        # (127.0.0.53 of systemd-resolved) is reachable and kept, unlike in a container.
        self.default_upstream = config.upstream if config.upstream is not None else host_resolvers()
        askers = names.build(self.store.endpoints(), self.store.networks())
        for path in set(self.served) - set(askers):
            self.served.pop(path).close()
        for path in set(askers) - set(self.served):
            try:
                udp, tcp = netns.inside(path, _open_sockets)
            except (OSError, RuntimeFailure) as exc:
                print(f"dns: cannot listen in {path}: {exc}", file=sys.stderr)
                continue
            served = Served(trio.socket.from_stdlib_socket(udp), trio.socket.from_stdlib_socket(tcp))
            self.served[path] = served
            self.nursery.start_soon(self._serve, path, served)
        self.askers = askers
        return len(self.served)

    async def _serve(self, path: str, served: Served) -> None:
        with served.scope:
            async with trio.open_nursery() as nursery:
                nursery.start_soon(self._serve_udp, path, served.udp)
                nursery.start_soon(self._serve_tcp, path, served.tcp)

    async def _serve_udp(self, path: str, sock: trio.socket.SocketType) -> None:
        async with trio.open_nursery() as nursery:
            while True:
                try:
                    data, peer = await sock.recvfrom(4096)
                except OSError:
                    return

                async def reply(data: bytes = data, peer: object = peer) -> None:
                    try:
                        out = await self._respond(path, data, tcp=False)
                        if out is not None:
                            await sock.sendto(out, peer)
                    except Exception as exc:  # one bad query must not stop the resolver
                        print(f"dns: udp query in {path}: {exc!r}", file=sys.stderr)

                nursery.start_soon(reply)

    async def _serve_tcp(self, path: str, sock: trio.socket.SocketType) -> None:
        async with trio.open_nursery() as nursery:
            while True:
                try:
                    conn, _ = await sock.accept()
                except OSError:
                    return
                nursery.start_soon(self._tcp_conn, path, conn)

    async def _tcp_conn(self, path: str, conn: trio.socket.SocketType) -> None:
        try:
            await self._tcp_queries(path, conn)
        except Exception as exc:  # one bad connection must not stop the resolver
            print(f"dns: tcp query in {path}: {exc!r}", file=sys.stderr)

    async def _tcp_queries(self, path: str, conn: trio.socket.SocketType) -> None:
        with conn, trio.move_on_after(TCP_IDLE):
            while True:
                head = await _recv_exact(conn, 2)
                if head is None:
                    return
                data = await _recv_exact(conn, int.from_bytes(head, "big"))
                if data is None:
                    return
                out = await self._respond(path, data, tcp=True)
                if out is None:
                    return
                await _send_all(conn, len(out).to_bytes(2, "big") + out)

    async def _respond(self, path: str, data: bytes, *, tcp: bool) -> bytes | None:
        asker = self.askers.get(path)
        if asker is None:
            return servfail(data)
        result = answer(data, asker, self.rotor)
        if not isinstance(result, Forward):
            return result
        for server in asker.upstream or self.default_upstream:
            host, port = split_hostport(server)
            out = await (_forward_tcp if tcp else _forward_udp)(host, port, data)
            if out is not None:
                return out
        return servfail(data)


async def _recv_exact(conn: trio.socket.SocketType, n: int) -> bytes | None:
    buf = b""
    while len(buf) < n:
        chunk = await conn.recv(n - len(buf))
        if not chunk:
            return None
        buf += chunk
    return buf


async def _send_all(conn: trio.socket.SocketType, data: bytes) -> None:
    view = memoryview(data)
    while view:
        sent = await conn.send(view)
        view = view[sent:]


async def _forward_udp(host: str, port: int, data: bytes) -> bytes | None:
    """The upstream's answer to ``data``, asking again every second (a lost datagram is
    retried, as stub resolvers do) until UPSTREAM_TIMEOUT."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with trio.socket.socket(family, socket.SOCK_DGRAM) as sock, trio.move_on_after(UPSTREAM_TIMEOUT):
        try:
            await sock.connect((host, port))
        except OSError:
            return None
        while True:
            with trio.move_on_after(RETRY_INTERVAL):
                try:
                    await sock.send(data)
                    while True:
                        reply = await sock.recv(65535)
                        if reply[:2] == data[:2]:  # same id: the answer to our query
                            return reply
                except OSError:
                    return None
    return None


async def _forward_tcp(host: str, port: int, data: bytes) -> bytes | None:
    with trio.move_on_after(UPSTREAM_TIMEOUT):
        try:
            stream = await trio.open_tcp_stream(host, port)
        except OSError:
            return None
        async with stream:
            await stream.send_all(len(data).to_bytes(2, "big") + data)
            buf = b""
            while len(buf) < 2 or len(buf) < 2 + int.from_bytes(buf[:2], "big"):
                chunk = await stream.receive_some(65535)
                if not chunk:
                    return None
                buf += chunk
            return buf[2 : 2 + int.from_bytes(buf[:2], "big")]
    return None


async def serve(store: NetworkStore, ready: Callable[[], None]) -> None:
    sock_path = control_path(store)
    with contextlib.suppress(FileNotFoundError):
        sock_path.unlink()
    control = trio.socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    await control.bind(str(sock_path))
    control.listen(16)
    atomic_write(pid_path(store), f"{os.getpid()}\n", sync=False)
    try:
        async with trio.open_nursery() as nursery:
            resolver = Resolver(store, nursery)
            count = resolver.reload()
            ready()
            while count:
                conn, _ = await control.accept()
                with conn:
                    line = await conn.recv(64)
                    if line.strip() == b"ping":
                        await conn.send(b"pong\n")
                        continue
                    if line.strip() != b"reload":
                        await conn.send(b"error\n")
                        continue
                    count = resolver.reload()
                    await conn.send(b"ok\n" if count else b"bye\n")
            nursery.cancel_scope.cancel()
    finally:
        control.close()
        with contextlib.suppress(FileNotFoundError):
            sock_path.unlink()
        with contextlib.suppress(FileNotFoundError):
            pid_path(store).unlink()


def _acquire(lock: FileLock, store: NetworkStore, wait: float = 5.0) -> bool:
    """The resolver lock. Held by a live resolver (it answers ``ping``): False at once; held
    by one that is just exiting: it is released within ``wait``."""
    import time

    deadline = time.monotonic() + wait
    while not lock.acquire(blocking=False):
        if _answers(store) or time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


def _answers(store: NetworkStore) -> bool:
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
            s.settimeout(1.0)
            s.connect(str(control_path(store)))
            s.sendall(b"ping\n")
            return s.recv(16).strip() == b"pong"
    except OSError:
        return False


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="pycompose-dns")
    parser.add_argument("--detach", action="store_true", help="fork, and return once serving")
    args = parser.parse_args(argv)
    store = NetworkStore(StateRoot.from_env().ensure())
    store.run.mkdir(parents=True, exist_ok=True)
    read_end, write_end = os.pipe()
    if args.detach and os.fork() != 0:
        os.close(write_end)
        with os.fdopen(read_end, "rb") as pipe:
            return 0 if pipe.read() == b"ready" else 1
    os.close(read_end)
    if args.detach:
        os.setsid()
    lock = FileLock(store.run / "dns.lock")
    if not _acquire(lock, store):
        os.write(write_end, b"ready")  # another resolver serves this state root
        os.close(write_end)
        return 0

    def ready() -> None:
        with contextlib.suppress(OSError):
            os.write(write_end, b"ready")
            os.close(write_end)

    try:
        trio.run(serve, store, ready)
    except OSError as exc:
        if exc.errno != errno.EINTR:
            raise
    finally:
        lock.release()
    return 0


if __name__ == "__main__":
    sys.exit(main())
