"""The 127.0.0.11:53 redirect in a namespace, by nf_tables over netlink and by iptables."""

from __future__ import annotations

import shutil
import socket

import pytest

from runtime.network import netns
from runtime.network.dns import redirect

pytestmark = pytest.mark.integration


def _roundtrip(install) -> tuple[bytes, tuple[str, int]]:  # type: ignore[no-untyped-def]
    from pyroute2 import IPRoute

    with IPRoute() as ipr:
        ipr.link("set", index=1, state="up")
    server = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    server.bind(("127.0.0.11", 0))
    listener = socket.socket()
    listener.bind(("127.0.0.11", 0))
    listener.listen(1)
    install({"udp": server.getsockname()[1], "tcp": listener.getsockname()[1]})
    with server, listener, socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as client:
        client.settimeout(5)
        client.sendto(b"q", ("127.0.0.11", 53))
        data, peer = server.recvfrom(16)
        server.sendto(b"a:" + data, peer)
        reply, source = client.recvfrom(16)  # the answer seems to come from port 53
        with socket.create_connection(("127.0.0.11", 53), timeout=5):
            conn, _ = listener.accept()
            conn.close()
    return reply, source


@pytest.mark.parametrize("install", [
    redirect._install_nft,
    pytest.param(redirect._install_iptables, marks=pytest.mark.skipif(
        shutil.which("iptables-restore") is None, reason="needs iptables")),
])
def test_redirect(net_env, install):
    _, run = net_env
    path = netns.create(run / "redirect-ns")
    try:
        reply, source = netns.inside(str(path), lambda: _roundtrip(install))
    finally:
        netns.remove(path)
    assert reply == b"a:q" and source == ("127.0.0.11", 53)
