"""The 127.0.0.11:53 redirect in a namespace, by nf_tables over netlink and by iptables."""

from __future__ import annotations

import errno
import shutil
import socket
import struct

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
    redirect._install_batch,
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


def test_batch_refusal_names_the_errno(net_env):
    """A message the kernel refuses (a chain in a table that does not exist) is an OSError
    with its errno, not silence."""
    from runtime.network.dns import nftbatch

    _, run = net_env
    path = netns.create(run / "refuse-ns")
    batch, seqs = nftbatch.redirect_batch("pycompose", "dns", -100, "127.0.0.11", {"udp": 1000})
    table_msg_len = int.from_bytes(batch[20:24], "little")  # drop the table message
    broken = batch[:20] + batch[20 + table_msg_len:]
    try:
        with pytest.raises(OSError) as info:
            netns.inside(str(path), lambda: nftbatch.commit(broken, seqs[1:]))
    finally:
        netns.remove(path)
    assert info.value.errno == errno.ENOENT


def test_errors_parses_acks_and_refusals():
    from runtime.network.dns import nftbatch

    def error(seq: int, code: int) -> bytes:
        return struct.pack("=IHHIIi", 20, nftbatch.NLMSG_ERROR, 0, seq, 0, code)

    assert nftbatch.errors(error(2, 0) + error(3, -errno.EEXIST)) == {2: 0, 3: errno.EEXIST}
