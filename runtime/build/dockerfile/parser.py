"""Dockerfile text -> :class:`Dockerfile`, with BuildKit's rules.

* Parser directives (``# syntax=``, ``# escape=``, ``# check=``) only at the very top, before any
  other comment, blank line or instruction; the escape character is ``\\`` or a backtick.
* A line ending in the escape character continues on the next one; comment lines and empty
  lines inside a continuation are dropped. Comment lines start with ``#`` (after blanks).
* ``RUN``/``COPY``/``ADD`` heredocs: each ``<<[-]WORD`` of the instruction line (``"WORD"`` or
  ``'WORD'`` quoted: no expansion) takes the following lines up to one that is ``WORD``.
* An instruction is its keyword (any case), its ``--flags`` (for those that take some), then
  either a JSON array of strings (exec form) or the rest of the line (shell form).
"""

from __future__ import annotations

import difflib
import json
import re
from dataclasses import dataclass

from runtime.build.dockerfile import instructions as ins
from runtime.build.dockerfile.expand import split_words
from runtime.build.errors import DockerfileError
from runtime.images.changes import go_duration
from runtime.images.errors import ImageError

KEYWORDS = ("ADD", "ARG", "CMD", "COPY", "ENTRYPOINT", "ENV", "EXPOSE", "FROM", "HEALTHCHECK", "LABEL",
            "MAINTAINER", "ONBUILD", "RUN", "SHELL", "STOPSIGNAL", "USER", "VOLUME", "WORKDIR")
FLAGS = {
    "FROM": {"platform"},
    "RUN": {"mount", "network", "security"},
    "COPY": {"from", "chown", "chmod", "link", "parents", "exclude"},
    "ADD": {"chown", "chmod", "link", "parents", "exclude", "checksum", "keep-git-dir", "unpack"},
    "HEALTHCHECK": {"interval", "timeout", "start-period", "start-interval", "retries"},
}
_DIRECTIVE = re.compile(r"^#\s*([a-zA-Z][a-zA-Z0-9]*)\s*=\s*(.+?)\s*$")
_HEREDOC = re.compile(r"<<(-?)([\"']?)([A-Za-z_][A-Za-z0-9_]*)\2")


@dataclass
class _Line:
    keyword: str
    rest: str
    original: str
    start: int
    end: int
    heredocs: tuple[ins.Heredoc, ...]


def parse(text: str, file: str = "Dockerfile") -> ins.Dockerfile:
    lines = text.replace("\r\n", "\n").split("\n")
    directives, first = _directives(lines, file)
    escape = directives.get("escape", "\\")
    if escape not in ("\\", "`"):
        raise DockerfileError(f"invalid escape token {escape!r}: it must be \\ or `", file, 1)
    parsed = [_instruction(line, escape, file) for line in _logical_lines(lines, first, escape, file)]
    global_args: list[ins.Arg] = []
    stages: list[ins.Stage] = []
    current: ins.From | None = None
    body: list[ins.Instruction] = []
    for item in parsed:
        if isinstance(item, ins.From):
            if current is not None:
                stages.append(ins.Stage(len(stages), current.name, current, tuple(body)))
            current, body = item, []
        elif current is None:
            if not isinstance(item, ins.Arg):
                raise DockerfileError("no build stage in current context: the first instruction must be "
                                      "FROM (only ARG may come before it)", file, item.location.line,
                                      _keyword(item))
            global_args.append(item)
        else:
            body.append(item)
    if current is None:
        if not parsed:
            raise DockerfileError("the Dockerfile cannot be empty", file, 0)
        raise DockerfileError("no FROM instruction: nothing to build", file, 0)
    stages.append(ins.Stage(len(stages), current.name, current, tuple(body)))
    names = [s.name.lower() for s in stages if s.name]
    for name in names:
        if names.count(name) > 1:
            raise DockerfileError(f"duplicate stage name {name!r}", file, 0)
    return ins.Dockerfile(file, escape, directives.get("syntax"), directives.get("check"), tuple(global_args),
                          tuple(stages))


def _keyword(item: ins.Instruction) -> str:
    return item.original.split(None, 1)[0].upper() if item.original else ""


def _directives(lines: list[str], file: str) -> tuple[dict[str, str], int]:
    found: dict[str, str] = {}
    for i, line in enumerate(lines):
        m = _DIRECTIVE.match(line.strip())
        if not m:
            return found, i
        key = m.group(1).lower()
        if key not in ("syntax", "escape", "check"):
            return found, i  # an unknown directive is a comment, and ends the directives
        if key in found:
            raise DockerfileError(f"only one {key} parser directive can be used", file, i + 1)
        found[key] = m.group(2)
    return found, len(lines)


def _logical_lines(lines: list[str], first: int, escape: str, file: str) -> list[_Line]:
    out: list[_Line] = []
    i, n = first, len(lines)
    while i < n:
        raw = lines[i]
        stripped = raw.strip()
        if not stripped or stripped.startswith("#"):
            i += 1
            continue
        start = i
        parts: list[str] = []
        originals: list[str] = []
        while True:
            line = lines[i].rstrip()
            originals.append(lines[i])
            if line.endswith(escape):
                parts.append(line[:-1])
                i += 1
                while i < n and (not lines[i].strip() or lines[i].strip().startswith("#")):
                    i += 1  # comments and empty lines inside a continuation
                if i >= n:
                    break
                continue
            parts.append(line)
            i += 1
            break
        logical = "".join(parts).strip()
        keyword, _, rest = logical.partition(" ")
        if "\t" in keyword:
            keyword, _, more = keyword.partition("\t")
            rest = f"{more} {rest}".strip()
        keyword = keyword.upper()
        heredocs: list[ins.Heredoc] = []
        if keyword in ("RUN", "COPY", "ADD"):
            for m in _HEREDOC.finditer(rest):
                chomp, quote, name = m.group(1) == "-", m.group(2), m.group(3)
                body: list[str] = []
                while True:
                    if i >= n:
                        raise DockerfileError(f"unterminated heredoc {name}", file, start + 1, keyword)
                    line = lines[i]
                    originals.append(line)
                    i += 1
                    check = line.lstrip("\t") if chomp else line
                    if check == name:
                        break
                    body.append(check)
                content = "\n".join(body) + "\n" if body else ""
                heredocs.append(ins.Heredoc(name, content, expand=not quote, chomp=chomp))
        out.append(_Line(keyword, rest.strip(), "\n".join(originals).strip(), start + 1, i, tuple(heredocs)))
    return out


def _flags(line: _Line, file: str) -> tuple[dict[str, list[str]], str]:
    """Leading ``--name=value`` / ``--name`` words of the instruction; the rest of the line."""
    allowed = FLAGS.get(line.keyword, set())
    flags: dict[str, list[str]] = {}
    rest = line.rest
    while rest.startswith("--"):
        word, _, after = rest.partition(" ")
        name, eq, value = word[2:].partition("=")
        if name not in allowed:
            hint = f"did you mean --{close[0]}?" if (close := difflib.get_close_matches(name, allowed, 1)) else ""
            raise DockerfileError(f"unknown flag: --{name}", file, line.start, line.keyword, hint)
        flags.setdefault(name, []).append(value if eq else "true")
        rest = after.lstrip()
    return flags, rest


def _json_list(text: str) -> list[str] | None:
    if not text.startswith("["):
        return None
    try:
        value = json.loads(text)
    except ValueError:
        return None
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return value
    return None


def _bool_flag(flags: dict[str, list[str]], name: str, line: _Line, file: str) -> bool:
    value = flags.get(name, ["false"])[-1].lower()
    if value not in ("true", "false", "1", "0"):
        raise DockerfileError(f"--{name} takes true or false, not {value!r}", file, line.start, line.keyword)
    return value in ("true", "1")


def _duration(flags: dict[str, list[str]], name: str, line: _Line, file: str) -> int | None:
    if name not in flags:
        return None
    try:
        return go_duration(flags[name][-1])
    except ImageError:
        raise DockerfileError(f"--{name}: invalid duration {flags[name][-1]!r}", file, line.start,
                              line.keyword) from None


def _pairs(text: str, line: _Line, file: str, escape: str, *, legacy: bool) -> list[tuple[str, str | None]]:
    words = split_words(text, escape)
    if not words:
        raise DockerfileError(f"{line.keyword} requires at least one argument", file, line.start, line.keyword)
    if legacy and "=" not in words[0]:
        key, _, value = text.partition(" ")
        if not value.strip():
            raise DockerfileError(f"{line.keyword} names {key} but gives no value (use {key}=VALUE)", file,
                                  line.start, line.keyword)
        return [(key, value.strip())]
    out: list[tuple[str, str | None]] = []
    for word in words:
        key, eq, value = word.partition("=")
        if not key:
            raise DockerfileError(f"{line.keyword} names must not be empty", file, line.start, line.keyword)
        out.append((key, value if eq else None))
    return out


def _mount(spec: str, line: _Line, file: str) -> ins.RunMount:
    fields: dict[str, str] = {}
    for part in spec.split(","):
        key, eq, value = part.partition("=")
        fields[key.strip().lower()] = value.strip() if eq else "true"
    kind = fields.pop("type", "bind")
    if kind not in ("bind", "cache", "tmpfs", "secret", "ssh"):
        raise DockerfileError(f"--mount: unknown type {kind!r}", file, line.start, "RUN")

    def number(key: str, base: int = 10) -> int | None:
        if key not in fields:
            return None
        try:
            return int(fields[key], base)
        except ValueError:
            raise DockerfileError(f"--mount: {key} must be a number", file, line.start, "RUN") from None

    target = fields.get("target") or fields.get("dst") or fields.get("destination")
    if kind in ("bind", "cache", "tmpfs") and not target:
        raise DockerfileError(f"--mount type={kind} needs a target", file, line.start, "RUN")
    size = fields.get("size")
    size_bytes = None
    if size:
        m = re.fullmatch(r"(\d+)([kmgKMG]?)[bB]?", size)
        if not m:
            raise DockerfileError(f"--mount: invalid size {size!r}", file, line.start, "RUN")
        size_bytes = int(m.group(1)) * {"": 1, "k": 1024, "m": 1024**2, "g": 1024**3}[m.group(2).lower()]
    sharing = fields.get("sharing", "shared")
    if sharing not in ("shared", "private", "locked"):
        raise DockerfileError(f"--mount: sharing must be shared, private or locked, not {sharing!r}", file,
                              line.start, "RUN")
    readonly = fields.get("readonly", fields.get("ro", "false" if kind != "bind" else "true"))
    if "rw" in fields or "readwrite" in fields:
        readonly = "false"
    return ins.RunMount(
        type=kind, target=target, source=fields.get("source") or fields.get("src"), from_=fields.get("from"),
        id=fields.get("id"), sharing=sharing, readonly=readonly.lower() in ("true", "1"),
        required=fields.get("required", "false").lower() in ("true", "1"), mode=number("mode", 8),
        uid=number("uid"), gid=number("gid"), size=size_bytes, env=fields.get("env"))


def _instruction(line: _Line, escape: str, file: str) -> ins.Instruction:
    kw = line.keyword
    if kw not in KEYWORDS:
        close = difflib.get_close_matches(kw, KEYWORDS, 1)
        raise DockerfileError(f"unknown instruction: {kw}", file, line.start, hint=f"did you mean {close[0]}?"
                              if close else "")
    loc = ins.Location(file, line.start, line.end)
    flags, rest = _flags(line, file)

    def need(what: str = "an argument") -> None:
        if not rest and not line.heredocs:
            raise DockerfileError(f"{kw} requires {what}", file, line.start, kw)

    def command() -> tuple[tuple[str, ...], bool]:
        form = _json_list(rest)
        return (tuple(form), False) if form is not None else ((rest,), True)

    if kw == "FROM":
        need("an image")
        words = rest.split()
        if len(words) not in (1, 3) or (len(words) == 3 and words[1].upper() != "AS"):
            raise DockerfileError("FROM takes IMAGE [AS NAME]", file, line.start, kw)
        name = words[2] if len(words) == 3 else None
        if name is not None and not re.fullmatch(r"[a-zA-Z][a-zA-Z0-9_.-]*", name):
            raise DockerfileError(f"invalid stage name {name!r}", file, line.start, kw)
        return ins.From(loc, line.original, words[0], name.lower() if name else None,
                        flags.get("platform", [None])[-1])
    if kw == "RUN":
        need("a command")
        cmd, shell = command()
        mounts = tuple(_mount(m, line, file) for m in flags.get("mount", []))
        return ins.Run(loc, line.original, cmd, shell, line.heredocs, mounts, flags.get("network", [None])[-1],
                       flags.get("security", [None])[-1])
    if kw in ("COPY", "ADD"):
        form = _json_list(rest)
        words = form if form is not None else rest.split()
        if len(words) < (1 if line.heredocs else 2):
            raise DockerfileError(f"{kw} requires at least two arguments, but only {len(words)} given", file,
                                  line.start, kw)
        unpack = flags.get("unpack")
        return ins.Copy(loc, line.original, tuple(words[:-1]), words[-1], line.heredocs, kw == "ADD",
                        flags.get("from", [None])[-1], flags.get("chown", [None])[-1],
                        flags.get("chmod", [None])[-1], _bool_flag(flags, "link", line, file),
                        _bool_flag(flags, "parents", line, file), tuple(flags.get("exclude", [])),
                        flags.get("checksum", [None])[-1], _bool_flag(flags, "keep-git-dir", line, file),
                        None if unpack is None else _bool_flag(flags, "unpack", line, file))
    if kw == "ENV":
        pairs = _pairs(rest, line, file, escape, legacy=True)
        missing = [k for k, v in pairs if v is None]
        if missing:
            raise DockerfileError(f"ENV {missing[0]} has no value (use {missing[0]}=VALUE)", file, line.start, kw)
        return ins.Env(loc, line.original, tuple((k, v or "") for k, v in pairs))
    if kw == "ARG":
        return ins.Arg(loc, line.original, tuple(_pairs(rest, line, file, escape, legacy=False)))
    if kw == "LABEL":
        pairs = _pairs(rest, line, file, escape, legacy=True)
        return ins.Label(loc, line.original, tuple((k, v or "") for k, v in pairs))
    if kw == "WORKDIR":
        need("a path")
        return ins.Workdir(loc, line.original, rest)
    if kw == "USER":
        need("a user")
        return ins.User(loc, line.original, rest)
    if kw == "EXPOSE":
        need("at least one port")
        return ins.Expose(loc, line.original, tuple(rest.split()))
    if kw == "VOLUME":
        need("at least one path")
        form = _json_list(rest)
        return ins.Volume(loc, line.original, tuple(form if form is not None else rest.split()))
    if kw in ("ENTRYPOINT", "CMD"):
        cmd, shell = command()
        cls = ins.Entrypoint if kw == "ENTRYPOINT" else ins.Cmd
        return cls(loc, line.original, cmd if rest else (), shell and bool(rest))
    if kw == "SHELL":
        form = _json_list(rest)
        if not form:
            raise DockerfileError("SHELL requires the arguments to be in JSON form", file, line.start, kw)
        return ins.Shell(loc, line.original, tuple(form))
    if kw == "HEALTHCHECK":
        need("NONE or CMD")
        head, _, cmd_text = rest.partition(" ")
        if head.upper() == "NONE":
            if cmd_text.strip() or flags:
                raise DockerfileError("HEALTHCHECK NONE takes no other arguments", file, line.start, kw)
            return ins.Healthcheck(loc, line.original, None)
        if head.upper() != "CMD" or not cmd_text.strip():
            raise DockerfileError("HEALTHCHECK takes NONE or CMD COMMAND", file, line.start, kw)
        form = _json_list(cmd_text.strip())
        test = ("CMD", *form) if form is not None else ("CMD-SHELL", cmd_text.strip())
        retries = None
        if "retries" in flags:
            try:
                retries = int(flags["retries"][-1])
            except ValueError:
                raise DockerfileError("--retries must be a number", file, line.start, kw) from None
        return ins.Healthcheck(loc, line.original, tuple(test), _duration(flags, "interval", line, file),
                               _duration(flags, "timeout", line, file), _duration(flags, "start-period", line, file),
                               _duration(flags, "start-interval", line, file), retries)
    if kw == "STOPSIGNAL":
        need("a signal")
        return ins.StopSignal(loc, line.original, rest)
    if kw == "ONBUILD":
        need("an instruction")
        inner = rest.split(None, 1)[0].upper()
        if inner in ("ONBUILD", "FROM", "MAINTAINER"):
            raise DockerfileError(f"{inner} isn't allowed as an ONBUILD trigger", file, line.start, kw)
        return ins.OnBuild(loc, line.original, rest)
    need("a name")
    return ins.Maintainer(loc, line.original, rest)
