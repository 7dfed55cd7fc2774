"""The Dockerfile frontend: parse, expand words as BuildKit does, predefined build args.

``parse(text, file)`` gives a :class:`Dockerfile` of stages and instructions whose words are
not yet expanded; the executor expands each instruction with the environment it sees
(``expand_instruction``), so that ``ARG``/``ENV`` scoping stays its job.
"""

from __future__ import annotations

import platform as _platform
from collections.abc import Mapping
from dataclasses import replace

from runtime.build.dockerfile import instructions as ins
from runtime.build.dockerfile.expand import expand, split_words
from runtime.build.dockerfile.instructions import Dockerfile, Instruction, Stage
from runtime.build.dockerfile.parser import parse

PROXY_ARGS = frozenset({"HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "FTP_PROXY", "ftp_proxy",
                        "NO_PROXY", "no_proxy", "ALL_PROXY", "all_proxy"})
_ARCH = {"x86_64": ("amd64", ""), "amd64": ("amd64", ""), "aarch64": ("arm64", ""), "arm64": ("arm64", ""),
         "armv7l": ("arm", "v7"), "armv6l": ("arm", "v6"), "i686": ("386", ""), "i386": ("386", ""),
         "ppc64le": ("ppc64le", ""), "s390x": ("s390x", ""), "riscv64": ("riscv64", "")}


def host_platform() -> str:
    arch, variant = _ARCH.get(_platform.machine(), (_platform.machine(), ""))
    return f"linux/{arch}/{variant}" if variant else f"linux/{arch}"


def predefined_args(platform: str | None = None) -> dict[str, str]:
    """``TARGETPLATFORM`` and friends (the target is the host: only the host's platform builds)."""
    target = platform or host_platform()
    build = host_platform()
    out: dict[str, str] = {}
    for prefix, value in (("TARGET", target), ("BUILD", build)):
        os_, _, rest = value.partition("/")
        arch, _, variant = rest.partition("/")
        out.update({f"{prefix}PLATFORM": value, f"{prefix}OS": os_, f"{prefix}ARCH": arch,
                    f"{prefix}VARIANT": variant})
    return out


def expand_instruction(instr: Instruction, env: Mapping[str, str], *, escape: str = "\\") -> Instruction:
    """``instr`` with its words expanded where BuildKit expands them: ADD COPY ENV EXPOSE FROM
    LABEL STOPSIGNAL USER VOLUME WORKDIR ARG (and ``COPY`` heredoc bodies whose delimiter was
    not quoted); RUN, CMD, ENTRYPOINT, SHELL, HEALTHCHECK and ONBUILD are left to the shell."""
    def x(word: str) -> str:
        return expand(word, env, escape=escape, file=instr.location.file, line=instr.location.line)

    if isinstance(instr, ins.From):
        return replace(instr, image=x(instr.image), platform=x(instr.platform) if instr.platform else None)
    if isinstance(instr, ins.Copy):
        docs = tuple(replace(d, content=x(d.content)) if d.expand else d for d in instr.heredocs)
        return replace(instr, sources=tuple(x(s) for s in instr.sources), dest=x(instr.dest), heredocs=docs,
                       from_=x(instr.from_) if instr.from_ else None, chown=x(instr.chown) if instr.chown else None,
                       chmod=x(instr.chmod) if instr.chmod else None, exclude=tuple(x(e) for e in instr.exclude))
    if isinstance(instr, ins.Env | ins.Label):
        return replace(instr, pairs=tuple((x(k), x(v)) for k, v in instr.pairs))
    if isinstance(instr, ins.Arg):
        return replace(instr, pairs=tuple((k, x(v) if v is not None else None) for k, v in instr.pairs))
    if isinstance(instr, ins.Expose):
        return replace(instr, ports=tuple(p for w in instr.ports for p in x(w).split()))
    if isinstance(instr, ins.Volume):
        return replace(instr, paths=tuple(x(p) for p in instr.paths))
    if isinstance(instr, ins.Workdir):
        return replace(instr, path=x(instr.path))
    if isinstance(instr, ins.User):
        return replace(instr, user=x(instr.user))
    if isinstance(instr, ins.StopSignal):
        return replace(instr, signal=x(instr.signal))
    return instr


__all__ = ["PROXY_ARGS", "Dockerfile", "Instruction", "Stage", "expand", "expand_instruction", "host_platform",
           "parse", "predefined_args", "split_words"]
