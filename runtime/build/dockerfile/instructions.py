"""A parsed Dockerfile: frozen dataclasses, one per instruction; words are not yet expanded."""

from __future__ import annotations

from dataclasses import dataclass

from runtime.build.errors import DockerfileError


@dataclass(frozen=True)
class Location:
    file: str
    line: int
    end_line: int


@dataclass(frozen=True)
class Heredoc:
    name: str
    content: str
    expand: bool  # false when the delimiter was quoted
    chomp: bool  # ``<<-``: leading tabs removed


@dataclass(frozen=True)
class RunMount:
    type: str  # "bind" | "cache" | "tmpfs" | "secret" | "ssh"
    target: str | None = None
    source: str | None = None
    from_: str | None = None
    id: str | None = None
    sharing: str = "shared"
    readonly: bool = False
    required: bool = False
    mode: int | None = None
    uid: int | None = None
    gid: int | None = None
    size: int | None = None
    env: str | None = None


@dataclass(frozen=True)
class From:
    location: Location
    original: str
    image: str
    name: str | None = None
    platform: str | None = None


@dataclass(frozen=True)
class Run:
    location: Location
    original: str
    command: tuple[str, ...]
    shell_form: bool
    heredocs: tuple[Heredoc, ...] = ()
    mounts: tuple[RunMount, ...] = ()
    network: str | None = None
    security: str | None = None


@dataclass(frozen=True)
class Copy:
    location: Location
    original: str
    sources: tuple[str, ...]
    dest: str
    heredocs: tuple[Heredoc, ...] = ()
    is_add: bool = False
    from_: str | None = None
    chown: str | None = None
    chmod: str | None = None
    link: bool = False
    parents: bool = False
    exclude: tuple[str, ...] = ()
    checksum: str | None = None
    keep_git_dir: bool = False
    unpack: bool | None = None


@dataclass(frozen=True)
class Env:
    location: Location
    original: str
    pairs: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Arg:
    location: Location
    original: str
    pairs: tuple[tuple[str, str | None], ...]


@dataclass(frozen=True)
class Label:
    location: Location
    original: str
    pairs: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Workdir:
    location: Location
    original: str
    path: str


@dataclass(frozen=True)
class User:
    location: Location
    original: str
    user: str


@dataclass(frozen=True)
class Expose:
    location: Location
    original: str
    ports: tuple[str, ...]


@dataclass(frozen=True)
class Volume:
    location: Location
    original: str
    paths: tuple[str, ...]


@dataclass(frozen=True)
class Entrypoint:
    location: Location
    original: str
    command: tuple[str, ...]
    shell_form: bool


@dataclass(frozen=True)
class Cmd:
    location: Location
    original: str
    command: tuple[str, ...]
    shell_form: bool


@dataclass(frozen=True)
class Shell:
    location: Location
    original: str
    command: tuple[str, ...]


@dataclass(frozen=True)
class Healthcheck:
    location: Location
    original: str
    test: tuple[str, ...] | None  # None: HEALTHCHECK NONE
    interval: int | None = None  # nanoseconds
    timeout: int | None = None
    start_period: int | None = None
    start_interval: int | None = None
    retries: int | None = None


@dataclass(frozen=True)
class StopSignal:
    location: Location
    original: str
    signal: str


@dataclass(frozen=True)
class OnBuild:
    location: Location
    original: str
    text: str


@dataclass(frozen=True)
class Maintainer:
    location: Location
    original: str
    name: str


Instruction = (From | Run | Copy | Env | Arg | Label | Workdir | User | Expose | Volume | Entrypoint | Cmd | Shell
               | Healthcheck | StopSignal | OnBuild | Maintainer)


@dataclass(frozen=True)
class Stage:
    index: int
    name: str | None
    from_: From
    instructions: tuple[Instruction, ...]


@dataclass(frozen=True)
class Dockerfile:
    file: str
    escape: str
    syntax: str | None
    checks: str | None
    args: tuple[Arg, ...]  # the global ARGs, before the first FROM
    stages: tuple[Stage, ...]

    def stage(self, name_or_index: str) -> Stage:
        """A stage by name (case-insensitive) or index."""
        wanted = name_or_index.lower()
        for stage in self.stages:
            if stage.name is not None and stage.name.lower() == wanted:
                return stage
        if wanted.isdigit() and int(wanted) < len(self.stages):
            return self.stages[int(wanted)]
        names = ", ".join(s.name for s in self.stages if s.name) or "none"
        raise DockerfileError(f"target stage {name_or_index!r} could not be found (stages: {names})", self.file, 0)
