"""The redirect inside a container's namespace: 127.0.0.11:53 -> the resolver's sockets.

The resolver listens on 127.0.0.11 at free ports so that port 53 stays free for a DNS
server the container runs itself (Docker does the same with iptables). The rules are one
nf_tables table (``pycompose``) with a nat chain on the output hook, written over
netlink as one batch packed by ``nftbatch`` (pyroute2's encoder as the second way)
from the calling thread, which must already be inside the namespace:
no process is started. Where nf_tables cannot be used, ``iptables-restore`` writes the
same rules. The rules go away with the namespace.
"""

from __future__ import annotations

import shutil
import socket
import struct
import subprocess
from collections import OrderedDict
from typing import Any

from runtime.errors import RuntimeFailure

ADDRESS = "127.0.0.11"
TABLE = "pycompose"
CHAIN = "dns"
NAT_OUTPUT_PRIORITY = -100  # NF_IP_PRI_NAT_DST
PROTOCOLS = {"udp": 17, "tcp": 6}
NFT_PAYLOAD_NETWORK_HEADER = 1
NFT_PAYLOAD_TRANSPORT_HEADER = 2
NFT_NAT_DNAT = 1
NFPROTO_IPV4 = 2


def install(ports: dict[str, int]) -> None:
    """Redirect 127.0.0.11:53 (``udp``/``tcp``) to ``ports`` in this thread's namespace."""
    try:
        _install_batch(ports)
        return
    except OSError:  # refused by this kernel's nf_tables: try pyroute2's encoding, then iptables
        pass
    try:
        _install_nft(ports)
    except Exception as exc:  # no nf_tables, or pyroute2 without it: fall back to iptables
        try:
            _install_iptables(ports)
        except RuntimeFailure as fallback:
            raise RuntimeFailure(f"cannot redirect 127.0.0.11:53: nf_tables: {exc}; {fallback}") from None


def _expr(name: str, **attrs: Any) -> dict[str, Any]:
    data = [(f"NFTA_{name.upper()}_{key.upper()}", value) for key, value in attrs.items()]
    return {"attrs": [("NFTA_EXPR_NAME", name), ("NFTA_EXPR_DATA", {"attrs": data})]}


def _value(data: bytes) -> dict[str, Any]:
    return {"attrs": [("NFTA_DATA_VALUE", data)]}


def _match(base: int, offset: int, data: bytes) -> list[dict[str, Any]]:
    """Load ``len(data)`` bytes of a header into register 1 and compare them with ``data``."""
    from pyroute2.netlink.nfnetlink.nftsocket import Cmp, Regs

    load = OrderedDict(dreg=Regs.NFT_REG_1, base=base, offset=offset, len=len(data))
    return [_expr("payload", **load),
            _expr("cmp", sreg=Regs.NFT_REG_1, op=Cmp.NFT_CMP_EQ, data=_value(data))]


def rule_expressions(protocol: str, port: int) -> list[dict[str, Any]]:
    """``ip daddr 127.0.0.11 <protocol> dport 53 dnat to 127.0.0.11:<port>``."""
    from pyroute2.netlink.nfnetlink.nftsocket import Regs

    address = socket.inet_aton(ADDRESS)
    return [
        *_match(NFT_PAYLOAD_NETWORK_HEADER, 16, address),  # destination address
        *_match(NFT_PAYLOAD_NETWORK_HEADER, 9, bytes([PROTOCOLS[protocol]])),  # protocol
        *_match(NFT_PAYLOAD_TRANSPORT_HEADER, 2, struct.pack("!H", 53)),  # destination port
        _expr("immediate", dreg=Regs.NFT_REG_1, data=_value(address)),
        _expr("immediate", dreg=Regs.NFT_REG_2, data=_value(struct.pack("!H", port))),
        _expr("nat", type=NFT_NAT_DNAT, family=NFPROTO_IPV4, reg_addr_min=Regs.NFT_REG_1,
              reg_proto_min=Regs.NFT_REG_2),
    ]


def _install_batch(ports: dict[str, int]) -> None:
    """The rules as one nf_tables transaction packed by ``nftbatch`` (a fraction of a
    millisecond, against ~3 ms for pyroute2's encoder)."""
    from runtime.network.dns import nftbatch

    nftbatch.commit(*nftbatch.redirect_batch(TABLE, CHAIN, NAT_OUTPUT_PRIORITY, ADDRESS, ports))


def _install_nft(ports: dict[str, int]) -> None:
    from pyroute2.nftables.main import NFTables

    nft = NFTables(nfgen_family=NFPROTO_IPV4)
    try:
        nft.table("add", name=TABLE)
        nft.chain("add", table=TABLE, name=CHAIN, hook="output", type="nat", priority=NAT_OUTPUT_PRIORITY)
        for protocol, port in sorted(ports.items()):
            nft.rule("add", table=TABLE, chain=CHAIN, expressions=[rule_expressions(protocol, port)])
    finally:
        nft.close()


def _install_iptables(ports: dict[str, int]) -> None:
    restore = shutil.which("iptables-restore")
    if restore is None:
        raise RuntimeFailure("iptables-restore not found")
    rules = "*nat\n" + "".join(
        f"-A OUTPUT -d {ADDRESS}/32 -p {protocol} --dport 53 -j DNAT --to-destination {ADDRESS}:{port}\n"
        for protocol, port in sorted(ports.items())) + "COMMIT\n"
    # Forked from this thread, iptables-restore runs in the namespace this thread is in.
    proc = subprocess.run([restore, "-w", "--noflush"], input=rules, text=True, capture_output=True, check=False)
    if proc.returncode != 0:
        raise RuntimeFailure(f"iptables-restore: {proc.stderr.strip()}")
