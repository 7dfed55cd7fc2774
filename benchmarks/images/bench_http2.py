"""HTTP/1.1 against HTTP/2 for a pull's blob downloads, side by side in one run.

    python benchmarks/images/bench_http2.py [--rounds 5] [--layers 10] [--layer-mb 20]

Needs the ``h2`` package (not a dependency of pycompose: this is how the choice of HTTP/1.1
was measured), root, ``docker-registry``, ``skopeo`` and ``openssl``. A ``docker-registry`` on
127.0.0.1 with TLS from a CA made here (the registry offers HTTP/2 through ALPN) holds an image
of ``--layers`` layers of random bytes. Each round downloads every blob of it the way
:mod:`runtime.registry.blobs` does (``max-concurrent-downloads`` = 3 threads, 1 MiB reads,
sha256, written to a file, fsynced), once over HTTP/1.1 (a connection per thread) and once
over HTTP/2 (the streams of one connection), in alternation; wall and CPU time, medians.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests"))
sys.path.insert(0, str(REPO / "benchmarks"))
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(Path(__file__).resolve().parent))


def cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def download(http2: bool, base: str, ca: Path, blobs: list[tuple[str, int]], out: Path) -> tuple[float, float]:
    import httpx

    out.mkdir()
    start, start_cpu = time.perf_counter(), cpu()
    with httpx.Client(http2=http2, verify=str(ca), limits=httpx.Limits(max_connections=16)) as client:
        def one(blob: tuple[str, int]) -> None:
            digest, size = blob
            hasher = hashlib.sha256()
            with client.stream("GET", f"{base}/blobs/{digest}") as response, open(out / digest[7:], "wb") as f:
                assert response.http_version == ("HTTP/2" if http2 else "HTTP/1.1"), response.http_version
                for chunk in response.iter_bytes(1 << 20):
                    hasher.update(chunk)
                    f.write(chunk)
                os.fsync(f.fileno())
            assert f"sha256:{hasher.hexdigest()}" == digest and (out / digest[7:]).stat().st_size == size

        with ThreadPoolExecutor(3) as pool:
            list(pool.map(one, blobs))
    took = time.perf_counter() - start, cpu() - start_cpu
    shutil.rmtree(out)
    return took


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--layers", type=int, default=10)
    parser.add_argument("--layer-mb", type=int, default=20)
    args = parser.parse_args()
    try:
        import h2  # noqa: F401
    except ImportError:
        raise SystemExit("this benchmark needs the h2 package (pip install h2)") from None
    from bench_registry import make_image  # type: ignore[import-not-found]
    from registry.test_client_tls_auth import make_ca_and_cert  # type: ignore[import-not-found]
    from registry.test_pull_kit import start_registry  # type: ignore[import-not-found]

    work = Path(tempfile.mkdtemp(prefix="pycompose-bench-http2-"))
    ca, cert, key = make_ca_and_cert(work / "ca")
    reg = start_registry(work / "registry", tls=(cert, key))
    results: dict[str, list[tuple[float, float]]] = {}
    try:
        archive = make_image(work, args.layers, args.layer_mb)
        subprocess.run(["skopeo", "copy", "-q", "--dest-tls-verify=false", f"docker-archive:{archive}:bench/big:1",
                        f"docker://{reg.host}/bench/big:1"], check=True, capture_output=True)
        oci = work / "oci"
        subprocess.run(["skopeo", "copy", "-q", "--src-tls-verify=false", f"docker://{reg.host}/bench/big:1",
                        f"oci:{oci}:x"], check=True, capture_output=True)
        index = json.loads((oci / "index.json").read_text())
        manifest = json.loads((oci / "blobs/sha256" / index["manifests"][0]["digest"][7:]).read_bytes())
        blobs = [(layer["digest"], layer["size"]) for layer in manifest["layers"]]
        shutil.rmtree(oci)
        base = f"https://{reg.host}/v2/bench/big"
        print(f"{len(blobs)} blobs, {sum(s for _d, s in blobs) / 1e6:.0f} MB; load {os.getloadavg()[0]:.2f}")
        for r in range(args.rounds):
            for http2 in (False, True):
                time.sleep(3)  # freed pages settle between runs, as between two commands
                name = "HTTP/2" if http2 else "HTTP/1.1"
                results.setdefault(name, []).append(download(http2, base, ca, blobs, work / f"out-{r}-{name[-1]}"))
    finally:
        reg.stop()
        shutil.rmtree(work, ignore_errors=True)
    print("| transport | wall, median | CPU, median |")
    print("|---|---:|---:|")
    for name, runs in results.items():
        wall, used = statistics.median(w for w, _c in runs), statistics.median(c for _w, c in runs)
        print(f"| {name} | {wall:.2f} s | {used:.2f} s |")


if __name__ == "__main__":
    main()
