"""The redirect's nf_tables batch, encoded by hand and sent in one ``sendmsg``.

pyroute2 spends ~3 ms encoding the four messages (table, chain, two rules) through its
generic message classes and sends them as four transactions; a container's set-up has
less than that to spend. The batch is small and fixed, so it is packed here with
``struct`` (attribute numbers from ``linux/netfilter/nf_tables.h``) and committed as one
transaction; the kernel acknowledges each message or names the one it refused.
"""

from __future__ import annotations

import errno
import os
import socket
import struct

NETLINK_NETFILTER = 12
NLM_F_REQUEST, NLM_F_ACK, NLM_F_CREATE, NLM_F_APPEND = 0x1, 0x4, 0x400, 0x800
NLMSG_ERROR = 2
NLA_F_NESTED = 0x8000
NFNL_MSG_BATCH_BEGIN, NFNL_MSG_BATCH_END = 0x10, 0x11
NFNL_SUBSYS_NFTABLES = 10
NFT_MSG_NEWTABLE, NFT_MSG_NEWCHAIN, NFT_MSG_NEWRULE = 0, 3, 6
NFPROTO_IPV4 = 2
NF_INET_LOCAL_OUT = 3
NFT_REG_1, NFT_REG_2 = 1, 2
NFT_CMP_EQ = 0
NFT_NAT_DNAT = 1
PAYLOAD_NETWORK, PAYLOAD_TRANSPORT = 1, 2
# attribute numbers: (message or expression, attribute) -> type
TABLE_NAME = 1
CHAIN_TABLE, CHAIN_NAME, CHAIN_HOOK, CHAIN_TYPE = 1, 3, 4, 7
HOOK_NUM, HOOK_PRIORITY = 1, 2
RULE_TABLE, RULE_CHAIN, RULE_EXPRESSIONS = 1, 2, 4
LIST_ELEM, EXPR_NAME, EXPR_DATA, DATA_VALUE = 1, 1, 2, 1
PAYLOAD = {"dreg": 1, "base": 2, "offset": 3, "len": 4}
CMP = {"sreg": 1, "op": 2, "data": 3}
IMMEDIATE = {"dreg": 1, "data": 2}
NAT = {"type": 1, "family": 2, "reg_addr_min": 3, "reg_proto_min": 5}
PROTOCOLS = {"udp": 17, "tcp": 6}
REPLY_TIMEOUT = 5.0


def attr(kind: int, payload: bytes) -> bytes:
    head = struct.pack("=HH", 4 + len(payload), kind)
    return head + payload + b"\0" * (-len(payload) % 4)


def nested(kind: int, *parts: bytes) -> bytes:
    return attr(kind | NLA_F_NESTED, b"".join(parts))


def string(kind: int, value: str) -> bytes:
    return attr(kind, value.encode() + b"\0")


def be32(kind: int, value: int) -> bytes:
    return attr(kind, struct.pack("!i" if value < 0 else "!I", value))


def expr(name: str, *parts: bytes) -> bytes:
    return nested(LIST_ELEM, string(EXPR_NAME, name), nested(EXPR_DATA, *parts))


def match(base: int, offset: int, data: bytes) -> list[bytes]:
    """Load ``len(data)`` bytes of a header into register 1, compare them with ``data``."""
    return [expr("payload", be32(PAYLOAD["dreg"], NFT_REG_1), be32(PAYLOAD["base"], base),
                 be32(PAYLOAD["offset"], offset), be32(PAYLOAD["len"], len(data))),
            expr("cmp", be32(CMP["sreg"], NFT_REG_1), be32(CMP["op"], NFT_CMP_EQ),
                 nested(CMP["data"], attr(DATA_VALUE, data)))]


def dnat_rule(address: str, protocol: str, port: int) -> bytes:
    """``ip daddr ADDRESS <protocol> dport 53 dnat to ADDRESS:<port>`` as rule expressions."""
    ip = socket.inet_aton(address)
    return nested(RULE_EXPRESSIONS,
                  *match(PAYLOAD_NETWORK, 16, ip),
                  *match(PAYLOAD_NETWORK, 9, bytes([PROTOCOLS[protocol]])),
                  *match(PAYLOAD_TRANSPORT, 2, struct.pack("!H", 53)),
                  expr("immediate", be32(IMMEDIATE["dreg"], NFT_REG_1),
                       nested(IMMEDIATE["data"], attr(DATA_VALUE, ip))),
                  expr("immediate", be32(IMMEDIATE["dreg"], NFT_REG_2),
                       nested(IMMEDIATE["data"], attr(DATA_VALUE, struct.pack("!H", port)))),
                  expr("nat", be32(NAT["type"], NFT_NAT_DNAT), be32(NAT["family"], NFPROTO_IPV4),
                       be32(NAT["reg_addr_min"], NFT_REG_1), be32(NAT["reg_proto_min"], NFT_REG_2)))


def message(kind: int, flags: int, seq: int, body: bytes, *, family: int = NFPROTO_IPV4,
            res_id: int = 0) -> bytes:
    payload = struct.pack("!BBH", family, 0, res_id) + body
    return struct.pack("=IHHII", 16 + len(payload), kind, flags, seq, 0) + payload


def redirect_batch(table: str, chain: str, priority: int, address: str,
                   ports: dict[str, int], seq: int = 1) -> tuple[bytes, list[int]]:
    """The whole batch (begin, table, chain, one rule per protocol, end) and the sequence
    numbers the kernel will acknowledge."""
    new = NFNL_SUBSYS_NFTABLES << 8
    create = NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE
    body = [
        (new | NFT_MSG_NEWTABLE, create, string(TABLE_NAME, table)),
        (new | NFT_MSG_NEWCHAIN, create,
         string(CHAIN_TABLE, table) + string(CHAIN_NAME, chain)
         + nested(CHAIN_HOOK, be32(HOOK_NUM, NF_INET_LOCAL_OUT), be32(HOOK_PRIORITY, priority))
         + string(CHAIN_TYPE, "nat")),
        *((new | NFT_MSG_NEWRULE, create | NLM_F_APPEND,
           string(RULE_TABLE, table) + string(RULE_CHAIN, chain) + dnat_rule(address, protocol, port))
          for protocol, port in sorted(ports.items())),
    ]
    seqs = list(range(seq + 1, seq + 1 + len(body)))
    parts = [message(NFNL_MSG_BATCH_BEGIN, NLM_F_REQUEST, seq, b"", family=0, res_id=NFNL_SUBSYS_NFTABLES)]
    parts += [message(kind, flags, s, data) for (kind, flags, data), s in zip(body, seqs, strict=True)]
    parts.append(message(NFNL_MSG_BATCH_END, NLM_F_REQUEST, seqs[-1] + 1, b"", family=0,
                         res_id=NFNL_SUBSYS_NFTABLES))
    return b"".join(parts), seqs


def errors(data: bytes) -> dict[int, int]:
    """seq -> errno (0 for an acknowledgement) of the NLMSG_ERROR messages in ``data``."""
    out: dict[int, int] = {}
    offset = 0
    while offset + 16 <= len(data):
        length, kind, _, seq, _ = struct.unpack_from("=IHHII", data, offset)
        if length < 16:
            break
        if kind == NLMSG_ERROR:
            out[seq] = -struct.unpack_from("=i", data, offset + 16)[0]
        offset += (length + 3) & ~3
    return out


def commit(batch: bytes, seqs: list[int]) -> None:
    """Send ``batch`` from the calling thread's network namespace; OSError with the errno
    of the first message the kernel refused."""
    with socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_NETFILTER) as sock:
        sock.settimeout(REPLY_TIMEOUT)
        sock.bind((0, 0))
        sock.sendall(batch)
        pending = set(seqs)
        while pending:
            replies = errors(sock.recv(65536))
            for seq in sorted(replies):
                if replies[seq] and seq in pending:
                    raise OSError(replies[seq], f"nf_tables: {os.strerror(replies[seq])} (message {seq - seqs[0] + 1})")
                pending.discard(seq)
            if not replies:
                raise OSError(errno.EPROTO, "nf_tables: unexpected reply")
