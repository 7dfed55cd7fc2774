"""``pycompose version``: the client (this program) and the runtime it drives on this host.

``--short`` prints the version alone; ``-f json`` the whole document; ``-f TEMPLATE`` a Go
template over it, as ``docker version --format '{{.Client.Version}}'``. Only the standard library
is imported: the command stays as fast as ``--help``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys

from compose import __version__


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-f", "--format", default="pretty",
                        help="Format the output: pretty, json, or a Go template ({{.Client.Version}})")
    parser.add_argument("--short", action="store_true", help="Show only the version number")


def _arch() -> str:
    machine = platform.machine()
    return {"x86_64": "amd64", "aarch64": "arm64", "armv7l": "arm"}.get(machine, machine)


def document() -> dict[str, dict[str, str]]:
    unified = os.path.exists("/sys/fs/cgroup/cgroup.controllers")
    hybrid = os.path.isdir("/sys/fs/cgroup/unified")
    from runtime.state import StateRoot  # light: no runtime import beyond the paths

    state = StateRoot.from_env()
    return {
        "Client": {"Version": __version__, "PythonVersion": platform.python_version(),
                   "Os": "linux", "Arch": _arch(), "Executable": sys.executable},
        "Runtime": {"Version": __version__, "Daemonless": "true", "KernelVersion": platform.release(),
                    "CgroupVersion": "2" if unified else "1", "CgroupDriver": "cgroupfs",
                    "Hybrid": "true" if hybrid and not unified else "false",
                    "StateRoot": os.fspath(state.root), "RunRoot": os.fspath(state.run)},
    }


def run(opts: object, args: argparse.Namespace) -> int:
    if args.short:
        print(__version__)
        return 0
    doc = document()
    if args.format == "json":
        print(json.dumps(doc))
    elif args.format == "pretty":
        c, r = doc["Client"], doc["Runtime"]
        print(f"pycompose version {__version__}")
        print(f"Client:\n Version:           {c['Version']}\n Python version:    {c['PythonVersion']}\n"
              f" OS/Arch:           {c['Os']}/{c['Arch']}\n")
        print(f"Runtime:\n Version:           {r['Version']} (daemonless)\n Kernel Version:    {r['KernelVersion']}\n"
              f" Cgroup Version:    {r['CgroupVersion']}{' (hybrid)' if r['Hybrid'] == 'true' else ''}\n"
              f" State root:        {r['StateRoot']}\n Run root:          {r['RunRoot']}")
    else:
        from compose.cli.gotemplate import render

        print(render(args.format, doc))
    return 0
