import ipaddress

from dnslib import QTYPE, RCODE, DNSRecord

from runtime.network.dns.answer import Forward, Rotor, answer
from runtime.network.dns.names import build, reverse_name_to_address
from runtime.network.ipam import IpamRequest, plan_subnet
from runtime.network.records import Attachment, EndpointRecord, NetworkRecord


def _net(nid: str, name: str, cidr: str, internal: bool = False) -> NetworkRecord:
    return NetworkRecord(nid, name, "pcb-" + nid, (plan_subnet(IpamRequest(), ipaddress.ip_network(cidr), name),),
                         internal=internal)


def _ep(cid: str, name: str, service: str, *atts: tuple[str, str, tuple[str, ...]], links=(), dns=()):
    return EndpointRecord(
        container_id=cid * 64, name=name, netns=f"/ns/{cid}", service=service, links=links, dns=dns,
        attachments=tuple(Attachment(nid, nid, f"eth{i}", f"pcv-{cid}{i}", "02:42:00:00:00:00", ip, None, aliases)
                          for i, (nid, ip, aliases) in enumerate(atts)))


NETS = [_net("a", "p_a", "172.30.1.0/24"), _net("b", "p_b", "172.30.2.0/24"),
        _net("i", "p_i", "172.30.3.0/24", internal=True)]
EPS = [
    _ep("1", "p-web-1", "web", ("a", "172.30.1.2", ("www",)), links=(("p-db-1", "database"),)),
    _ep("2", "p-db-1", "db", ("a", "172.30.1.3", ()), ("b", "172.30.2.2", ())),
    _ep("3", "p-api-1", "api", ("b", "172.30.2.3", ())),
    _ep("4", "p-api-2", "api", ("b", "172.30.2.4", ())),
    _ep("5", "p-sealed-1", "sealed", ("i", "172.30.3.2", ()), dns=("127.0.0.1:5353",)),
]
TABLE = build(EPS, NETS)


def test_scoping_per_shared_network():
    web, db = TABLE["/ns/1"], TABLE["/ns/2"]
    assert web.lookup("db") == ("172.30.1.3",)  # only db's address on the shared network
    assert web.lookup("p-db-1.") == ("172.30.1.3",)
    assert web.lookup("api") is None  # api is only on p_b
    assert db.lookup("api") == ("172.30.2.3", "172.30.2.4")
    assert db.lookup("WWW") == ("172.30.1.2",)
    assert db.lookup("1" * 12) == ("172.30.1.2",)  # short id


def test_links_alias_private_to_linker():
    assert TABLE["/ns/1"].lookup("database") == ("172.30.1.3",)
    assert TABLE["/ns/2"].lookup("database") is None


def test_internal_only_does_not_forward_and_keeps_own_dns():
    sealed = TABLE["/ns/5"]
    assert not sealed.forward and sealed.upstream == ("127.0.0.1:5353",)
    assert TABLE["/ns/1"].forward


def _ask(path: str, name: str, qtype: str = "A", rotor: Rotor | None = None):
    out = answer(DNSRecord.question(name, qtype).pack(), TABLE[path], rotor or Rotor())
    return out if isinstance(out, Forward) else DNSRecord.parse(out)


def test_answers_a_and_round_robin():
    rotor = Rotor()
    first = _ask("/ns/2", "api", rotor=rotor)
    second = _ask("/ns/2", "api", rotor=rotor)
    assert [str(r.rdata) for r in first.rr] == ["172.30.2.3", "172.30.2.4"]
    assert [str(r.rdata) for r in second.rr] == ["172.30.2.4", "172.30.2.3"]
    assert first.header.aa and first.rr[0].ttl == 600


def test_aaaa_for_v4_only_name_is_empty_noerror():
    reply = _ask("/ns/1", "db", "AAAA")
    assert reply.header.rcode == RCODE.NOERROR and not reply.rr


def test_unknown_name_is_forwarded_or_refused_when_internal():
    assert isinstance(_ask("/ns/1", "example.org"), Forward)
    assert isinstance(_ask("/ns/1", "api"), Forward)  # not on a shared network
    assert _ask("/ns/5", "example.org").header.rcode == RCODE.SERVFAIL


def test_ptr():
    reply = _ask("/ns/2", "2.2.30.172.in-addr.arpa", "PTR")
    assert reply.rr[0].rtype == QTYPE.PTR and str(reply.rr[0].rdata) == "p-db-1.p_b."
    assert isinstance(_ask("/ns/1", "3.2.30.172.in-addr.arpa", "PTR"), Forward)


def test_reverse_names():
    assert reverse_name_to_address("4.3.2.1.in-addr.arpa.") == "1.2.3.4"
    v6 = ipaddress.ip_address("fd30::1").reverse_pointer
    assert reverse_name_to_address(v6) == "fd30::1"
    assert reverse_name_to_address("example.org") is None


def test_garbage_is_dropped():
    assert answer(b"\x00\x01garbage", TABLE["/ns/1"], Rotor()) is None
