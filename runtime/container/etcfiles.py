"""The files a container gets in /etc (hosts, hostname, resolv.conf), and generated names."""

from __future__ import annotations

import contextlib
from pathlib import Path

from runtime.container.spec import ContainerSpec

LOCALHOST_LINES = ("127.0.0.1\tlocalhost", "::1\tlocalhost ip6-localhost ip6-loopback", "fe00::0\tip6-localnet",
                   "ff00::0\tip6-mcastprefix", "ff02::1\tip6-allnodes", "ff02::2\tip6-allrouters")


def write(directory: Path, spec: ContainerSpec, hostname: str) -> None:
    """Write ``hostname``, ``hosts`` and ``resolv.conf`` for the container into ``directory``."""
    (directory / "hostname").write_text(hostname + "\n")
    hosts = [*LOCALHOST_LINES, *(f"{addr}\t{host}" for host, addr in spec.extra_hosts)]
    (directory / "hosts").write_text("\n".join(hosts) + "\n")
    (directory / "resolv.conf").write_text(resolv_conf(spec))


def resolv_conf(spec: ContainerSpec) -> str:
    if spec.dns:
        servers = list(spec.dns)
        search, options = list(spec.dns_search), list(spec.dns_options)
    else:
        servers, search, options = [], list(spec.dns_search), list(spec.dns_options)
        with contextlib.suppress(OSError):
            for line in Path("/etc/resolv.conf").read_text().splitlines():
                words = line.split()
                if not words:
                    continue
                if words[0] == "nameserver" and len(words) > 1 and not words[1].startswith("127."):
                    servers.append(words[1])
                elif words[0] == "search" and not search:
                    search = words[1:]
                elif words[0] == "options" and not options:
                    options = words[1:]
        if not servers:
            servers = ["8.8.8.8", "8.8.4.4"]  # Docker's fallback when the host only has a local resolver
    lines = [f"nameserver {s}" for s in servers]
    if search:
        lines.append("search " + " ".join(search))
    if options:
        lines.append("options " + " ".join(options))
    return "\n".join(lines) + "\n"


_ADJECTIVES = ("brave", "calm", "eager", "fancy", "gentle", "happy", "jolly", "kind", "lucid", "merry", "nifty",
               "proud", "quirky", "sharp", "tender", "vivid", "witty", "zealous")
_NAMES = ("babbage", "curie", "darwin", "euler", "fermi", "gauss", "hopper", "kepler", "lovelace", "noether",
          "pascal", "ritchie", "shannon", "turing", "wozniak")


def random_name(cid: str) -> str:
    n = int(cid[:8], 16)
    return f"{_ADJECTIVES[n % len(_ADJECTIVES)]}_{_NAMES[(n // 97) % len(_NAMES)]}_{cid[:4]}"


