"""DNS messages in and out (pure): answer from the name table, or say "forward this".

Wire format through ``dnslib``. As Docker's resolver: A and AAAA for names we own (all
addresses, rotated per query for round-robin; TTL 600), an empty NOERROR answer when
the name is ours but has no address of that family, PTR for our addresses; anything
else goes to the upstream resolvers -- unless the container is on internal networks
only, which get SERVFAIL (no way out).
"""

from __future__ import annotations

import ipaddress
import itertools
from dataclasses import dataclass

from dnslib import AAAA, PTR, QTYPE, RCODE, RR, A, DNSRecord

from runtime.network.dns.names import Asker, reverse_name_to_address

TTL = 600


@dataclass(frozen=True)
class Forward:
    """The query is not ours: send it upstream as is."""

    query: DNSRecord


class Rotor:
    """Round-robin offsets per name (one per server process)."""

    def __init__(self) -> None:
        self._counters: dict[str, itertools.count[int]] = {}

    def next(self, key: str) -> int:
        return next(self._counters.setdefault(key, itertools.count()))


def answer(data: bytes, asker: Asker, rotor: Rotor) -> bytes | Forward | None:
    """The reply to the query ``data``; ``Forward`` when upstream must answer; None when
    ``data`` is not a DNS query we can read (dropped, as a server does with garbage)."""
    try:
        query = DNSRecord.parse(data)
    except Exception:  # dnslib raises several types for malformed input
        return None
    if query.header.qr or not query.questions:
        return None
    q = query.q
    qname = str(q.qname)
    reply = query.reply()  # aa, ra set; same id and question
    if q.qtype in (QTYPE.A, QTYPE.AAAA, QTYPE.ANY):
        addrs = asker.lookup(qname)
        if addrs is not None:
            want = {QTYPE.A: (4,), QTYPE.AAAA: (6,), QTYPE.ANY: (4, 6)}[q.qtype]
            chosen = [a for a in addrs if ipaddress.ip_address(a).version in want]
            if len(chosen) > 1:
                shift = rotor.next(qname.lower()) % len(chosen)
                chosen = chosen[shift:] + chosen[:shift]
            for addr in chosen:
                rdata = A(addr) if ipaddress.ip_address(addr).version == 4 else AAAA(addr)
                rtype = QTYPE.A if isinstance(rdata, A) else QTYPE.AAAA
                reply.add_answer(RR(q.qname, rtype, rdata=rdata, ttl=TTL))
            return reply.pack()
    if q.qtype == QTYPE.PTR:
        addr = reverse_name_to_address(qname)
        target = asker.lookup_reverse(addr) if addr else None
        if target is not None:
            reply.add_answer(RR(q.qname, QTYPE.PTR, rdata=PTR(target + "."), ttl=TTL))
            return reply.pack()
    if not asker.forward:
        reply.header.rcode = RCODE.SERVFAIL
        reply.header.ra = 0
        return reply.pack()
    return Forward(query)


def servfail(data: bytes) -> bytes | None:
    try:
        query = DNSRecord.parse(data)
    except Exception:
        return None
    reply = query.reply()
    reply.header.rcode = RCODE.SERVFAIL
    return reply.pack()
