"""Kernel packet rules for our networks: masquerading, isolation, published ports.

All rules live in chains of our own (``PYCOMPOSE-*``), reached by one jump each from the
built-in chains; every rule we add carries a comment naming what it belongs to
(``pycompose:net:<id>`` or ``pycompose:ctr:<id>``) so it can be removed exactly. Changes
go through ``iptables-restore --noflush`` (one atomic batch per change), the same for IPv6
with ``ip6tables-restore``; the Debian package ``iptables`` provides both (nf_tables or
legacy backend alike).

nat:
  PREROUTING/OUTPUT -m addrtype --dst-type LOCAL -> PYCOMPOSE-DNAT   published ports
  POSTROUTING -> PYCOMPOSE-POST       masquerade outbound, loopback-sourced and hairpin traffic
filter:
  FORWARD -> PYCOMPOSE-FORWARD        established/DNAT accepted first, then per network:
                                      isolation from our other bridges, internal networks sealed
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from runtime.errors import RuntimeFailure
from runtime.network.records import BRIDGE_PREFIX, EndpointRecord, NetworkRecord

DNAT_CHAIN = "PYCOMPOSE-DNAT"
POST_CHAIN = "PYCOMPOSE-POST"
FORWARD_CHAIN = "PYCOMPOSE-FORWARD"
ALL_BRIDGES = BRIDGE_PREFIX + "+"

# (table, built-in chain, match before the jump, our chain)
JUMPS: tuple[tuple[str, str, str, str], ...] = (
    ("nat", "PREROUTING", "-m addrtype --dst-type LOCAL", DNAT_CHAIN),
    ("nat", "OUTPUT", "-m addrtype --dst-type LOCAL", DNAT_CHAIN),
    ("nat", "POSTROUTING", "", POST_CHAIN),
    ("filter", "FORWARD", "", FORWARD_CHAIN),
)
# Rules at the top of our FORWARD chain, before any network's own rules.
FORWARD_HEAD: tuple[str, ...] = (
    f"-o {ALL_BRIDGES} -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT",
    f"-o {ALL_BRIDGES} -m conntrack --ctstate DNAT -j ACCEPT",
)
BASE_TAG = "pycompose:base"


def net_tag(network_id: str) -> str:
    return f"pycompose:net:{network_id[:12]}"


def ctr_tag(container_id: str) -> str:
    return f"pycompose:ctr:{container_id[:12]}"


@dataclass(frozen=True)
class Rule:
    table: str
    chain: str
    spec: str
    tag: str

    def line(self, op: str = "-A") -> str:
        return f'{op} {self.chain} {self.spec} -m comment --comment "{self.tag}"'


def network_rules(rec: NetworkRecord, version: int = 4) -> list[Rule]:
    """Masquerading and forwarding rules of one network for IPv``version`` (none for IPv6
    on a network without an IPv6 subnet)."""
    br, tag = rec.bridge, net_tag(rec.id)
    subnet = rec.subnet(version)
    if version == 6 and subnet is None:
        return []
    nat: list[str] = [f"-o {br} -m addrtype --src-type LOCAL -j MASQUERADE"]
    if subnet is not None:
        nat.append(f"-s {subnet.subnet} -o {br} -m conntrack --ctstate DNAT -j MASQUERADE")
        if not rec.internal:
            nat.append(f"-s {subnet.subnet} ! -o {br} -j MASQUERADE")
    if rec.internal:
        forward = [f"-i {br} -o {br} -j ACCEPT", f"-i {br} -j DROP", f"-o {br} -j DROP"]
    else:
        forward = [f"-i {br} -o {br} -j ACCEPT", f"-i {br} -o {ALL_BRIDGES} -j DROP", f"-i {br} -j ACCEPT",
                   f"-o {br} -j DROP"]
    return [Rule("nat", POST_CHAIN, s, tag) for s in nat] + [Rule("filter", FORWARD_CHAIN, s, tag) for s in forward]


def port_rules(ep: EndpointRecord, address_of: dict[str, str], version: int = 4) -> list[Rule]:
    """DNAT rules of a container's published ports for IPv``version``; ``address_of`` maps
    each binding's ``port/protocol`` to the container address (of that family) receiving it.
    A binding without a host address is published on both families (as Docker); ``0.0.0.0``
    and ``::`` on one."""
    tag = ctr_tag(ep.container_id)
    wildcard = {4: "0.0.0.0", 6: "::"}[version]
    out = []
    for p in ep.ports:
        target = address_of.get(f"{p.container_port}/{p.protocol}")
        host_ip = p.host_ip or ""
        if target is None or (host_ip and (":" in host_ip) != (version == 6)):
            continue
        dest = f"-d {host_ip} " if host_ip and host_ip != wildcard else ""
        to = f"[{target}]" if version == 6 else target
        out.append(Rule("nat", DNAT_CHAIN,
                        f"{dest}-p {p.protocol} -m {p.protocol} --dport {p.host_port} "
                        f"-j DNAT --to-destination {to}:{p.container_port}", tag))
    return out


class Firewall:
    """The iptables side; one instance per operation (no state kept between calls)."""

    def __init__(self, version: int = 4) -> None:
        prefix = "ip6tables" if version == 6 else "iptables"
        self.version = version
        self.restore = shutil.which(f"{prefix}-restore")
        self.save = shutil.which(f"{prefix}-save")

    @property
    def available(self) -> bool:
        return bool(self.restore and self.save)

    def _require(self) -> tuple[str, str]:
        if not (self.restore and self.save):
            raise RuntimeFailure("iptables-restore/iptables-save not found: install the Debian package "
                                 "'iptables' (needed for masquerading and published ports)")
        return self.restore, self.save

    def dump(self, table: str) -> list[str]:
        _, save = self._require()
        proc = subprocess.run([save, "-t", table], capture_output=True, text=True, check=False)
        if proc.returncode != 0:
            raise RuntimeFailure(f"iptables-save -t {table} failed: {proc.stderr.strip()}")
        return proc.stdout.splitlines()

    def dumps(self, tables: Sequence[str] = ("nat", "filter")) -> dict[str, list[str]]:
        """``dump`` of several tables from one ``iptables-save`` run (one exec, not one a table)."""
        _, save = self._require()
        proc = subprocess.run([save], capture_output=True, text=True, check=False)
        if proc.returncode != 0:
            raise RuntimeFailure(f"iptables-save failed: {proc.stderr.strip()}")
        out: dict[str, list[str]] = {t: [] for t in tables}
        current: list[str] | None = None
        for line in proc.stdout.splitlines():
            if line.startswith("*"):
                current = out.get(line[1:].strip())
            elif current is not None:
                current.append(line)
        return out

    def apply(self, batches: dict[str, Sequence[str]]) -> None:
        restore, _ = self._require()
        text = ""
        for table, lines in batches.items():
            if lines:
                text += f"*{table}\n" + "\n".join(lines) + "\nCOMMIT\n"
        if not text:
            return
        proc = subprocess.run([restore, "-w", "--noflush"], input=text, capture_output=True, text=True,
                              check=False)
        if proc.returncode != 0:
            raise RuntimeFailure(f"iptables-restore failed: {proc.stderr.strip()}\n{text}")

    def ensure_base(self) -> None:
        """Our chains and the jumps into them (idempotent)."""
        batches: dict[str, list[str]] = {"nat": [], "filter": []}
        current = self.dumps()
        for table, lines in current.items():
            for chain in {c for t, _, _, c in JUMPS if t == table}:
                if not any(line.startswith(f":{chain} ") for line in lines):
                    batches[table].append(f":{chain} - [0:0]")
                    if chain == FORWARD_CHAIN:
                        batches[table] += [Rule(table, chain, s, BASE_TAG).line() for s in FORWARD_HEAD]
        for table, builtin, match, chain in JUMPS:
            spec = f"{match} -j {chain}".strip()
            if not any(line.startswith(f"-A {builtin} ") and f"-j {chain}" in line for line in current[table]):
                batches[table].append(f"-I {builtin} 1 {spec}")
        self.apply(batches)

    def add(self, rules: Iterable[Rule]) -> None:
        batches: dict[str, list[str]] = {}
        for rule in rules:
            batches.setdefault(rule.table, []).append(rule.line())
        self.apply(batches)

    def remove_tagged(self, tag: str, *, base: bool = False) -> int:
        """Delete every rule carrying ``tag``; returns how many. ``base``: also our jumps and
        chains if no rule of a network or container is left (see ``remove_base``); one
        ``iptables-save`` and one ``iptables-restore`` for all of it."""
        dumps = self.dumps()
        batches: dict[str, list[str]] = {}
        needle = f'--comment "{tag}"'
        alt = f"--comment {tag}"
        for table, lines in dumps.items():
            kept = []
            for line in lines:
                if line.startswith("-A ") and (line.endswith(needle) or line.endswith(alt)
                                                or f"{needle} " in line or f"{alt} " in line):
                    batches.setdefault(table, []).append("-D " + line[3:])
                else:
                    kept.append(line)
            dumps[table] = kept
        removed = sum(len(v) for v in batches.values())
        if base:
            for table, lines in self._base_removal(dumps).items():
                batches.setdefault(table, []).extend(lines)
        self.apply(batches)
        return removed

    def remove_base(self) -> None:
        """Our jumps and chains, once no network is left (gone already is fine). Another
        state root on the same host may still have rules in them: then they stay."""
        self.apply(self._base_removal(self.dumps()))

    @staticmethod
    def _base_removal(dumps: dict[str, list[str]]) -> dict[str, list[str]]:
        batches: dict[str, list[str]] = {"nat": [], "filter": []}
        if any("pycompose:net:" in line or "pycompose:ctr:" in line for lines in dumps.values() for line in lines):
            return {}
        for table in batches:
            lines = dumps[table]
            ours = {c for t, _, _, c in JUMPS if t == table}
            for line in lines:
                if line.startswith("-A ") and any(line.endswith(f"-j {c}") for c in ours):
                    batches[table].append("-D " + line[3:])
            for chain in sorted(ours):
                if any(line.startswith(f":{chain} ") for line in lines):
                    batches[table] += [f"-F {chain}", f"-X {chain}"]
        return batches
