"""Network benchmarks: published-port throughput vs direct, connection rate, DNS latency,
per-container set-up time.

    sudo python benchmarks/network/bench_network.py [--mib 512] [--seconds 2] [--containers 20]

Everything runs on a private state root with the test suite's address pool; namespaces
made by the benchmark stand in for containers; all traffic stays on this host (loopback,
the host's own address, our bridges). Results are printed as one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from runtime.network import netns
from runtime.network.endpoints import ContainerNetworkRequest, EndpointManager, EndpointRequest
from runtime.network.networks import NetworkManager, NetworkSpec
from runtime.network.ports import PortRequest
from runtime.state import StateRoot

CHUNK = 1 << 20


class Sink:
    """A TCP server in a namespace that reads everything and reports the byte count."""

    def __init__(self, path: str, port: int) -> None:
        def make() -> socket.socket:
            s = socket.socket()
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind(("0.0.0.0", port))
            s.listen(512)
            return s

        self.sock = netns.inside(path, make)
        self.stop = False
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        buf = bytearray(CHUNK)
        while not self.stop:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with conn:
                while conn.recv_into(buf):
                    pass

    def close(self) -> None:
        self.stop = True
        self.sock.close()


def throughput(host: str, port: int, mib: int) -> float:
    """MiB/s sending ``mib`` MiB over one TCP connection."""
    payload = b"x" * CHUNK
    with socket.create_connection((host, port)) as s:
        start = time.perf_counter()
        for _ in range(mib):
            s.sendall(payload)
        s.shutdown(socket.SHUT_WR)
        s.recv(1)  # wait for the server to have read everything (it closes)
        return mib / (time.perf_counter() - start)


def connect_rate(host: str, port: int, seconds: float) -> float:
    end = time.perf_counter() + seconds
    n = 0
    start = time.perf_counter()
    while time.perf_counter() < end:
        with socket.create_connection((host, port)):
            n += 1
    return n / (time.perf_counter() - start)


class UserlandProxy:
    """For comparison only: what a trio userland proxy (Docker's docker-proxy idea) achieves."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.port = 0
        ready = threading.Event()
        self.thread = threading.Thread(target=self._run, args=(ready,), daemon=True)
        self.thread.start()
        ready.wait()

    def _run(self, ready: threading.Event) -> None:
        import trio

        async def pump(src, dst) -> None:  # type: ignore[no-untyped-def]
            try:
                while data := await src.receive_some(CHUNK):
                    await dst.send_all(data)
                await dst.send_eof()
            except (trio.BrokenResourceError, trio.ClosedResourceError):
                pass

        async def handle(client) -> None:  # type: ignore[no-untyped-def]
            try:
                upstream = await trio.open_tcp_stream(*self.target)
            except OSError:
                await client.aclose()
                return
            async with client, upstream, trio.open_nursery() as nursery:
                nursery.start_soon(pump, client, upstream)
                nursery.start_soon(pump, upstream, client)

        async def main() -> None:
            listeners = await trio.open_tcp_listeners(0, host="127.0.0.1")
            self.port = listeners[0].socket.getsockname()[1]
            ready.set()
            await trio.serve_listeners(handle, listeners)

        trio.run(main)


def host_address() -> str:
    from pyroute2 import IPRoute

    with IPRoute() as ipr:
        for addr in ipr.get_addr(family=2):
            ip = addr.get_attr("IFA_ADDRESS")
            if not ip.startswith(("127.", "172.30.")):
                return ip
    return "127.0.0.1"


def dns_latency(path: str, name: str, n: int) -> dict[str, float]:
    from dnslib import DNSRecord

    query = DNSRecord.question(name, "A").pack()

    def run() -> list[float]:
        out = []
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.connect(("127.0.0.11", 53))
            for _ in range(n):
                t = time.perf_counter()
                s.send(query)
                s.recv(4096)
                out.append((time.perf_counter() - t) * 1e6)
        return out

    samples = sorted(netns.inside(path, run))
    return {"median_us": statistics.median(samples), "p99_us": samples[int(len(samples) * 0.99) - 1]}


def setup_times(eps: EndpointManager, run: Path, count: int) -> dict[str, float]:
    """Per container: the wiring alone (namespace made beforehand by the 'runtime', as the
    containers facade does), and set-up as a whole (with the resolver reload)."""
    from runtime.network.endpoints import EndpointManager as _EM

    wiring: list[float] = []
    whole: list[float] = []
    ids = []
    original = _EM._build

    def timed_build(self, req, rec, records):  # type: ignore[no-untyped-def]
        t = time.perf_counter()
        from runtime.network.dns import control

        saved = control.reload
        control.reload = lambda *a, **k: None  # time the wiring without the resolver round trip
        try:
            original(self, req, rec, records)
        finally:
            control.reload = saved
        wiring.append((time.perf_counter() - t) * 1e3)
        control.reload(self.store, needed=True)

    _EM._build = timed_build  # type: ignore[method-assign]
    paths = [netns.create(run / "bench-ns" / f"{i:064x}") for i in range(count)]  # the runtime's part
    try:
        for i, path in enumerate(paths):
            cid = f"{i:064x}"
            t = time.perf_counter()
            eps.setup(ContainerNetworkRequest(cid, f"bench-{i}", service="bench", netns=str(path),
                                              networks=(EndpointRequest("bench_setup"),)))
            whole.append((time.perf_counter() - t) * 1e3)
            ids.append((cid, path))
    finally:
        _EM._build = original  # type: ignore[method-assign]
        for cid, _ in ids:
            eps.teardown(cid)
        for path in paths:
            netns.remove(path)
    return {"wiring_median_ms": statistics.median(wiring), "wiring_max_ms": max(wiring),
            "setup_median_ms": statistics.median(whole), "setup_max_ms": max(whole), "containers": count}


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mib", type=int, default=512)
    parser.add_argument("--seconds", type=float, default=2.0)
    parser.add_argument("--containers", type=int, default=20)
    parser.add_argument("--lookups", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=9)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="pycompose-netbench-"))
    os.environ.update(PYCOMPOSE_ROOT=str(tmp / "root"), PYCOMPOSE_RUN=str(tmp / "run"),
                      PYCOMPOSE_ADDRESS_POOLS="base=172.30.0.0/16,size=24",
                      PYCOMPOSE_NETWORK_CONFIG=str(tmp / "absent.json"),
                      PYCOMPOSE_DNS_UPSTREAM="127.0.0.1:9")
    nets = NetworkManager(StateRoot.from_env().ensure())
    eps = EndpointManager(nets)
    results: dict[str, object] = {}
    nets.create(NetworkSpec("bench_net"))
    try:
        srv = eps.setup(ContainerNetworkRequest("a" * 64, "bench-srv-1", service="srv",
                                                networks=(EndpointRequest("bench_net"),),
                                                ports=(PortRequest(5001),)))
        cli = eps.setup(ContainerNetworkRequest("b" * 64, "bench-cli-1", service="cli",
                                                networks=(EndpointRequest("bench_net"),)))
        port = srv.record.ports[0].host_port
        direct_ip = srv.record.attachments[0].ipv4 or ""
        sink = Sink(srv.netns or "", 5001)
        try:
            throughput(direct_ip, 5001, 64)  # warm up
            me = host_address()
            proxy = UserlandProxy((direct_ip, 5001))
            paths = {"direct": (direct_ip, 5001), "published_127.0.0.1": ("127.0.0.1", port),
                     f"published_{me}": (me, port), "userland_proxy_for_comparison": ("127.0.0.1", proxy.port)}
            # Interleaved rounds, best of each: on a shared machine the best run is the least
            # disturbed one, and interleaving exposes every path to the same background load.
            samples: dict[str, list[float]] = {k: [] for k in paths}
            for _ in range(args.rounds):
                for key, (host, p) in paths.items():
                    samples[key].append(throughput(host, p, args.mib))
            for label, pick in (("best", max), ("median", statistics.median)):
                value = {k: pick(v) for k, v in samples.items()}
                tput: dict[str, float] = {k: round(v) for k, v in value.items()}
                for key in paths:
                    if key != "direct":
                        tput[f"ratio_{key}"] = round(value[key] / value["direct"], 3)
                results[f"tcp_throughput_MiBps_{label}_of_{args.rounds}_rounds"] = tput
            # The same round's direct run is the fairest reference: the ratio per round, then
            # the median of those, is steadier than a ratio of two medians under a varying load.
            results["ratio_to_direct_median_of_per_round_ratios"] = {
                key: round(statistics.median(p / d for p, d in zip(v, samples["direct"], strict=True)), 3)
                for key, v in samples.items() if key != "direct"}
            results["connections_per_s"] = {"direct": round(connect_rate(direct_ip, 5001, args.seconds)),
                                            "published_127.0.0.1": round(connect_rate("127.0.0.1", port,
                                                                                      args.seconds)),
                                            "userland_proxy_for_comparison": round(
                                                connect_rate("127.0.0.1", proxy.port, args.seconds))}
        finally:
            sink.close()
        results["dns_lookup"] = {k: round(v, 1) for k, v in dns_latency(cli.netns or "", "srv",
                                                                         args.lookups).items()}
        eps.teardown("a" * 64)
        eps.teardown("b" * 64)
        nets.create(NetworkSpec("bench_setup"))
        results["setup_per_container"] = {k: round(v, 2) if isinstance(v, float) else v
                                          for k, v in setup_times(eps, tmp / "run", args.containers).items()}
    finally:
        for ep in nets.store.endpoints():
            eps.teardown(ep.container_id)
        for rec in nets.list():
            nets.remove(rec.id)
    print(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
