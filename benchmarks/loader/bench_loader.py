"""Loader benchmark: parse + schema validation of a realistic 50-service file, the whole
loader, and ``pycompose config -q`` against Docker Compose's ``docker-compose config -q``.

    python benchmarks/loader/bench_loader.py [--services 50] [--runs 15] [--baseline TREE]

Every "cold" figure is taken in a fresh Python process (imports included); figures
are medians over ``--runs``. The validation cache lives in a temporary directory, so
the user's cache is neither used nor touched. Results are recorded in
``benchmarks/README.md``.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(REPO))

from generate import write_project  # noqa: E402

# Runs in a fresh interpreter; prints one JSON object of timings in seconds.
PROBE = r"""
import json, sys, time
t0 = time.perf_counter()
from compose.loader.yamlsource import parse_document
from compose.validate import validate_file
t1 = time.perf_counter()
text = open(sys.argv[1]).read()
doc = parse_document(text, sys.argv[1])
t2 = time.perf_counter()
validate_file(doc.data, doc.source)
t3 = time.perf_counter()
validate_file(doc.data, doc.source)
t4 = time.perf_counter()
print(json.dumps({"import": t1 - t0, "parse": t2 - t1, "validate_first": t3 - t2, "validate_again": t4 - t3,
                  "jsonschema_imported": "jsonschema" in sys.modules}))
"""

PROBE_WARM = r"""
import json, sys, time, os
from compose.loader.yamlsource import parse_document
from compose.validate.document import strip_merge_tags
from compose.validate.schema import fast_check, validator
doc = parse_document(open(sys.argv[1]).read(), sys.argv[1])
data = strip_merge_tags(doc.data)
def median(check):
    runs = []
    for _ in range(10):
        t = time.perf_counter(); check(data); runs.append(time.perf_counter() - t)
    return sorted(runs)[len(runs) // 2]
assert fast_check()(data) and validator().is_valid(data)
print(json.dumps({"fast_warm": median(fast_check()), "jsonschema_warm": median(validator().is_valid)}))
"""

# An invalid file: the fast check refuses it, jsonschema is imported to explain why.
PROBE_ERROR = r"""
import json, sys, time
from compose.errors import ConfigError
from compose.loader.yamlsource import parse_document
from compose.validate import validate_file
text = open(sys.argv[1]).read().replace("    hostname: web0", "    hostnme: web0")
doc = parse_document(text, sys.argv[1])
t0 = time.perf_counter()
try:
    validate_file(doc.data, doc.source)
    raise SystemExit("the broken file was accepted")
except ConfigError:
    pass
print(json.dumps({"explain": time.perf_counter() - t0}))
"""

PROBE_LOAD = r"""
import json, sys, time
t0 = time.perf_counter()
from compose.loader.load import LoadOptions, load_project
t1 = time.perf_counter()
load_project(LoadOptions(files=(sys.argv[1],), cwd=sys.argv[2]))
t2 = time.perf_counter()
print(json.dumps({"load_import": t1 - t0, "load_project": t2 - t1}))
"""


def _environ(**extra: str) -> dict[str, str]:
    """As a user runs it: byte code compiled once and reused (kept out of the checkout)."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env.setdefault("PYTHONPYCACHEPREFIX", str(Path(tempfile.gettempdir()) / "pycompose-bench-pycache"))
    return {**env, **extra}


def _python(code: str, args: Sequence[str], cache: str) -> dict[str, float]:
    env = _environ(PYCOMPOSE_CACHE=cache)
    run = subprocess.run([sys.executable, "-c", code, *args], cwd=REPO, env=env, capture_output=True,
                         text=True, check=True)
    return json.loads(run.stdout)


OURS = "pycompose config -q (result cache hit)"
THEIRS = "docker-compose config -q"


def _median(samples: list[dict[str, float]], key: str) -> float:
    return statistics.median(s[key] for s in samples)


Timing = tuple[float, float]  # median wall seconds, median CPU seconds (user + system)


def _run_once(argv: Sequence[str], cwd: Path, env: dict[str, str]) -> Timing | None:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run(list(argv), cwd=cwd, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        sys.stderr.write(f"{' '.join(argv)} failed: {proc.stderr.strip()[:300]}\n")
        return None
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def _processes(commands: dict[str, tuple[list[str], dict[str, str]]], cwd: Path, runs: int) -> dict[str, Timing | None]:
    """Run the commands in turn, ``runs`` rounds, so that all of them see the same machine
    load; the median wall and CPU time of each."""
    samples: dict[str, list[Timing] | None] = {name: [] for name in commands}
    for _ in range(runs):
        for name, (argv, env) in commands.items():
            if samples[name] is None:
                continue
            timing = _run_once(argv, cwd, env)
            if timing is None:
                samples[name] = None
            else:
                samples[name].append(timing)  # type: ignore[union-attr]
    return {
        name: None if not got else (statistics.median(t[0] for t in got), statistics.median(t[1] for t in got))
        for name, got in samples.items()
    }


def _env_without_results(work: Path, env: dict[str, str]) -> dict[str, str]:
    """A cache root sharing the validation entries whose ``config`` entries cannot be
    stored (a file stands where their directory would be): every run loads."""
    root = work / "cache-validation-only"
    root.mkdir()
    (root / "validation").symlink_to(Path(env["PYCOMPOSE_CACHE"]) / "validation")
    (root / "config").write_text("")
    return {**env, "PYCOMPOSE_CACHE": str(root)}


def _oracle() -> Path | None:
    sys.path.insert(0, str(REPO / "tests"))
    try:
        from oracle import oracle_binary
    except ImportError:
        return None
    return oracle_binary()


def _has_config_command() -> bool:
    return (REPO / "compose" / "cli" / "commands" / "config.py").exists()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--services", type=int, default=50)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--baseline", metavar="TREE",
                        help="also time 'config -q' from another source tree (e.g. an older commit's "
                             "'git archive' of compose/, runtime/ and schemas/), side by side")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="pycompose-bench-"))
    try:
        project = work / "project"
        compose = write_project(project, args.services)
        cache = str(work / "cache")
        target = [str(compose)]
        rows: list[tuple[str, float | None]] = []

        _python(PROBE_LOAD, [*target, str(project)], "off")  # compile byte code once
        no_cache = [_python(PROBE, target, "off") for _ in range(args.runs)]
        rows.append(("import yamlsource + validate (no jsonschema)", _median(no_cache, "import")))
        rows.append(("parse YAML (go-yaml rules, positions)", _median(no_cache, "parse")))
        rows.append(("validate, no cache: compile fast check + check", _median(no_cache, "validate_first")))
        warm = [_python(PROBE_WARM, target, "off") for _ in range(max(3, args.runs // 3))]
        rows.append(("  fast check alone (compiled, warm)", _median(warm, "fast_warm")))
        rows.append(("  jsonschema alone (validator built, warm)", _median(warm, "jsonschema_warm")))
        errors = [_python(PROBE_ERROR, target, "off") for _ in range(args.runs)]
        rows.append(("invalid file: import jsonschema + explain", _median(errors, "explain")))
        _python(PROBE, target, cache)  # fill the cache
        hits = [_python(PROBE, target, cache) for _ in range(args.runs)]
        assert not any(h["jsonschema_imported"] for h in hits), "cache hit imported jsonschema"
        rows.append(("validate, cache hit (fresh process)", _median(hits, "validate_first")))

        try:
            loads = [_python(PROBE_LOAD, [*target, str(project)], cache) for _ in range(args.runs)]
            rows.append(("load_project, whole loader (validation cache warm)", _median(loads, "load_project")))
            cold = [_python(PROBE_LOAD, [*target, str(project)], "off") for _ in range(args.runs)]
            rows.append(("load_project, whole loader (no cache)", _median(cold, "load_project")))
        except subprocess.CalledProcessError as exc:
            sys.stderr.write(f"load_project not measured: {exc.stderr.strip().splitlines()[-1:]}\n")

        env = _environ(PYCOMPOSE_CACHE=cache)
        commands: dict[str, tuple[list[str], dict[str, str]]] = {
            "python -c pass (interpreter start-up)": ([sys.executable, "-c", "pass"], env),
        }
        if _has_config_command():
            argv = [sys.executable, "-m", "compose", "-f", str(compose), "config", "-q"]
            _run_once(argv, project, env)  # fill the caches
            commands[OURS] = (argv, env)
            commands["pycompose config -q (result miss, validation hit)"] = (argv, _env_without_results(work, env))
            commands["pycompose config -q (no cache)"] = (argv, {**env, "PYCOMPOSE_CACHE": "off"})
        if args.baseline:
            older = {**env, "PYTHONPATH": str(Path(args.baseline).resolve())}
            _run_once(argv, project, older)  # byte code, validation cache
            commands["baseline tree: config -q (validation cache warm)"] = (argv, older)
            commands["baseline tree: config -q (no cache)"] = (argv, {**older, "PYCOMPOSE_CACHE": "off"})
        oracle = _oracle()
        if oracle is not None:
            commands[THEIRS] = ([str(oracle), "-f", str(compose), "config", "-q"], env)
        processes = list(_processes(commands, project, args.runs).items())
        ours, theirs = dict(processes).get(OURS), dict(processes).get(THEIRS)
        width = max(len(name) for name, _ in [*rows, *processes])
        print(f"{args.services} services, {len(compose.read_text().splitlines())} lines, median of {args.runs}")
        print(f"{'in-process step'.ljust(width)}  ms")
        for name, value in rows:
            shown = "n/a" if value is None else f"{value * 1000:8.1f}"
            print(f"{name.ljust(width)}  {shown}")
        if processes:
            print(f"\n{'whole process'.ljust(width)}  wall ms   cpu ms")
            for name, pair in processes:
                shown = "n/a" if pair is None else f"{pair[0] * 1000:8.1f}  {pair[1] * 1000:7.1f}"
                print(f"{name.ljust(width)}  {shown}")
        if ours is not None and theirs is not None:
            print(f"pycompose / docker-compose: wall {ours[0] / theirs[0]:.2f}, cpu {ours[1] / theirs[1]:.2f} "
                  "(target: wall < 0.50)")
        return 0
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
