"""Real builds on the busybox test image: instructions, multi-stage, cache, secrets, failures."""

from __future__ import annotations

import json
import os
import tarfile
from pathlib import Path

import pytest

from runtime.api.build import BuildRequest, BuildSecret, BuildStepFailed
from tests.container.container_helpers import cli

pytestmark = pytest.mark.integration


def project(tmp_path: Path, dockerfile: str, **files: str) -> Path:
    ctx = tmp_path / "ctx"
    ctx.mkdir(parents=True, exist_ok=True)
    (ctx / "Dockerfile").write_text(dockerfile)
    for name, text in files.items():
        path = ctx / name.replace("__", "/")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return ctx


def build(builder, ctx: Path, **kw):  # type: ignore[no-untyped-def]
    events = []
    image = builder.build(BuildRequest(ctx, **kw), events.append)
    return image, events


def run(image: str, *args: str) -> str:
    result = cli("container", "run", "--rm", image, *args)
    assert result.returncode == 0, result.stderr
    return result.stdout.decode()


def test_config_instructions(builder, tmp_path: Path) -> None:
    ctx = project(tmp_path, """FROM busybox
ARG V=1
ENV A=a B="two words"
LABEL org.x="y" v=$V
WORKDIR /srv
WORKDIR sub
USER 1000:1000
EXPOSE 80 53/udp
VOLUME /data
STOPSIGNAL SIGQUIT
HEALTHCHECK --interval=5s --retries=2 CMD true
ENTRYPOINT ["/bin/sh", "-c"]
CMD ["echo $A"]
""")
    image, _ = build(builder, ctx, tags=("cfg:1",), args={"V": "2"})
    cfg = image.config
    assert ("A=a" in cfg.env and "B=two words" in cfg.env)
    assert image.labels == {"org.x": "y", "v": "2"}
    assert (cfg.working_dir, cfg.user, cfg.stop_signal) == ("/srv/sub", "1000:1000", "SIGQUIT")
    assert set(cfg.exposed_ports) == {"80/tcp", "53/udp"} and cfg.volumes == ("/data",)
    assert cfg.entrypoint == ("/bin/sh", "-c") and cfg.cmd == ("echo $A",)
    assert cfg.healthcheck is not None and cfg.healthcheck.test == ("CMD-SHELL", "true")
    inspect = json.loads(cli("image", "inspect", "cfg:1").stdout)[0]
    assert inspect["Config"]["WorkingDir"] == "/srv/sub"
    assert inspect["Config"]["Healthcheck"]["Interval"] == 5 * 10**9


def test_what_buildkit_writes_history_workdir_path_and_home(builder, tmp_path: Path) -> None:
    """What the BuildKit parity corpus (test_buildkit_parity.py, Docker as the oracle) showed, kept
    here without Docker: WORKDIR makes its directory (a layer, owned by USER), every stage has a
    PATH, RUN gets HOME, and history is written word for word as BuildKit writes it."""
    ctx = project(tmp_path, """FROM busybox
ARG NAME=n
ARG EMPTY
WORKDIR /etc
RUN rm /etc/passwd && echo "$HOME" > /home-seen
RUN id -u > /uid
USER 1000
WORKDIR /made/here
EXPOSE 8080 53/udp
HEALTHCHECK --interval=90s --retries=3 CMD true
ONBUILD RUN true
CMD echo "hi"
""")
    image, _ = build(builder, ctx, tags=("bk:1",), args={"NAME": "cli"})
    assert run("bk:1", "cat", "/home-seen", "/uid") == "/root\n0\n"  # no passwd left: still uid 0
    assert run("bk:1", "stat", "-c", "%u:%g %a", "/made", "/made/here") == "1000:1000 755\n1000:1000 755\n"
    assert image.config.env[-1] == "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
    inspect = json.loads(cli("image", "inspect", "bk:1").stdout)[0]
    assert inspect["Config"]["WorkingDir"] == "/made/here"
    history = created_by(builder, "bk:1")[-10:]
    assert history == [
        "ARG NAME=n", "ARG EMPTY", "WORKDIR /etc",
        '|2 NAME=cli EMPTY= /bin/sh -c rm /etc/passwd && echo "$HOME" > /home-seen'.join(("RUN ", " # buildkit")),
        "RUN |2 NAME=cli EMPTY= /bin/sh -c id -u > /uid # buildkit", "USER 1000", "WORKDIR /made/here",
        "EXPOSE map[53/udp:{} 8080/tcp:{}]",
        """HEALTHCHECK &{["CMD-SHELL" "true"] "1m30s" "0s" "0s" "0s" '\\x03'}""",
        'CMD ["/bin/sh" "-c" "echo \\"hi\\""]']  # ONBUILD writes no history
    scratch = project(tmp_path / "s", "FROM scratch\nCOPY Dockerfile /d\n")
    build(builder, scratch, tags=("bk-scratch:1",))
    cfg = json.loads(cli("image", "inspect", "bk-scratch:1").stdout)[0]["Config"]
    assert cfg["WorkingDir"] == "/"
    assert cfg["Env"] == ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"]


def created_by(builder, ref: str) -> list[str]:  # type: ignore[no-untyped-def]
    """The image's history, oldest first (``image history`` lists the newest first)."""
    from runtime.api.images import ImageStore

    return [row.created_by for row in reversed(ImageStore(builder.state).history(ref))]


def test_run_copy_and_multi_stage_into_scratch(builder, tmp_path: Path) -> None:
    ctx = project(tmp_path, """FROM busybox AS build
WORKDIR /app
COPY msg.txt ./
RUN echo "built: $(cat msg.txt)" > out.txt
FROM scratch
COPY --from=build /bin/busybox /bin/busybox
COPY --from=build /app/out.txt /
ENTRYPOINT ["/bin/busybox"]
CMD ["cat", "/out.txt"]
""", **{"msg.txt": "hello"})
    image, _ = build(builder, ctx, tags=("small:1",))
    assert run("small:1") == "built: hello\n"
    assert len(image.layers) == 2  # only what the scratch stage copied


def test_no_change_rebuild_runs_nothing_and_one_file_change_reruns_only_after_it(builder, tmp_path: Path) -> None:
    ctx = project(tmp_path, """FROM busybox
COPY a.txt /a.txt
RUN echo one > /one
COPY b.txt /b.txt
RUN cat /a.txt /b.txt > /both
""", **{"a.txt": "A", "b.txt": "B", "notes.md": "x", ".dockerignore": "*.md\n"})
    first, _ = build(builder, ctx, tags=("c:1",))
    again, events = build(builder, ctx, tags=("c:1",))
    assert again.id == first.id
    assert not [e for e in events if e.status == "start"], "a no-change rebuild ran a step"
    (ctx / "notes.md").write_text("edited, but ignored")
    (ctx / "unrelated.txt").write_text("not copied by anything")
    same, events = build(builder, ctx, tags=("c:1",))
    assert same.id == first.id
    (ctx / "b.txt").write_text("B2")
    _, events = build(builder, ctx, tags=("c:1",))
    ran = [e.step.split("] ", 1)[1] for e in events if e.status == "start"]
    cached = [e.step.split("] ", 1)[1] for e in events if e.status == "cached"]
    assert ran == ["COPY b.txt /b.txt", "RUN cat /a.txt /b.txt > /both"]
    assert cached == ["COPY a.txt /a.txt", "RUN echo one > /one"]
    assert run("c:1", "cat", "/both") == "AB2"
    _, events = build(builder, ctx, tags=("c:1",), no_cache=True)
    assert not [e for e in events if e.status == "cached"]


def test_copy_from_a_stage_is_keyed_by_the_files_it_copies(builder, tmp_path: Path) -> None:
    ctx = project(tmp_path, """FROM busybox AS build
COPY a.txt b.txt /src/
RUN cp /src/a.txt /a.out && cp /src/b.txt /b.out
FROM busybox
COPY --from=build /a.out /a
COPY --from=build /b.out /b
""", **{"a.txt": "A", "b.txt": "B"})
    build(builder, ctx, tags=("from:1",))
    (ctx / "b.txt").write_text("B2")  # the build stage changes, its /a.out does not
    _, events = build(builder, ctx, tags=("from:1",))
    status = {e.step.split("] ", 1)[1]: e.status for e in events if e.status in ("start", "cached")}
    assert status["COPY --from=build /a.out /a"] == "cached"
    assert status["COPY --from=build /b.out /b"] == "start"
    assert run("from:1", "cat", "/a", "/b") == "AB2"
    (ctx / "Dockerfile").write_text((ctx / "Dockerfile").read_text().replace(
        "cp /src/a.txt /a.out", "cp /src/a.txt /a.out && chmod 600 /a.out"))
    _, events = build(builder, ctx, tags=("from:1",))  # same bytes, other mode: copied again
    status = {e.step.split("] ", 1)[1]: e.status for e in events if e.status in ("start", "cached")}
    assert status["COPY --from=build /a.out /a"] == "start"
    assert run("from:1", "stat", "-c", "%a", "/a") == "600\n"


def test_copy_link_is_a_layer_of_its_own_reused_on_a_new_base(builder, tmp_path: Path) -> None:
    dockerfile = """FROM busybox
RUN mkdir /{t} && ln -s /{t} /app
COPY --link --chown=5:6 a.txt /app/
"""
    ctx = project(tmp_path, dockerfile.format(t="target1"), **{"a.txt": "A"})
    first, _ = build(builder, ctx, tags=("link:1",))
    # nothing of the base is read: /app is a directory of the layer, not the symlink to /target1
    assert run("link:1", "sh", "-c", "cat /app/a.txt; test -L /app || echo dir; ls /target1 | wc -l; "
               "stat -c %u:%g /app/a.txt") == "Adir\n0\n5:6\n"
    (ctx / "Dockerfile").write_text(dockerfile.format(t="target2"))  # the step before it changes
    second, events = build(builder, ctx, tags=("link:1",))
    ran = [e.step.split("] ", 1)[1] for e in events if e.status == "start"]
    assert "COPY --chown=5:6 --link a.txt /app/" in ran  # merged onto the new base ...
    assert second.layers[-1] == first.layers[-1]  # ... as the very same layer (a plain COPY writes /target2/a.txt)
    assert second.layers[-2] != first.layers[-2]


def test_heredoc_and_build_args(builder, tmp_path: Path) -> None:
    ctx = project(tmp_path, "FROM busybox\nARG NAME=world\nRUN <<EOF\nset -e\necho \"hello $NAME\" > /greeting\n"
                            "EOF\nCOPY <<-'X' /literal\n\tkeep $NAME\n\tX\n")
    build(builder, ctx, tags=("h:1",), args={"NAME": "build"})
    assert run("h:1", "cat", "/greeting", "/literal") == "hello build\nkeep $NAME\n"


def _layer_names_and_bytes(saved: Path) -> tuple[list[str], bytes]:
    """Every file name inside every layer of a saved image, and all their bytes."""
    import gzip
    import io

    names: list[str] = []
    blob = b""
    with tarfile.open(saved) as outer:
        for member in outer.getmembers():
            if not member.isfile():
                continue
            data = outer.extractfile(member).read()  # type: ignore[union-attr]
            if data[:2] == b"\x1f\x8b":
                data = gzip.decompress(data)
            blob += data
            if data[257:262] == b"ustar":
                with tarfile.open(fileobj=io.BytesIO(data)) as layer:
                    names += layer.getnames()
    return names, blob


def test_secret_is_readable_in_run_and_never_in_a_layer(builder, tmp_path: Path) -> None:
    secret = tmp_path / "token"
    secret.write_text("s3cr3t-value")
    ctx = project(tmp_path, "FROM busybox\nRUN --mount=type=secret,id=token wc -c < /run/secrets/token > /len\n")
    build(builder, ctx, tags=("s:1",), secrets=(BuildSecret("token", file=str(secret)),))
    assert run("s:1", "cat", "/len").strip() == "12"
    saved = tmp_path / "s.tar"
    assert cli("image", "save", "-o", str(saved), "s:1").returncode == 0
    names, data = _layer_names_and_bytes(saved)
    assert "len" in [n.lstrip("./") for n in names]
    assert b"s3cr3t-value" not in data and not [n for n in names if "secrets/token" in n]


def test_failed_run_names_the_step_and_leaves_nothing(builder, tmp_path: Path) -> None:
    ctx = project(tmp_path, "FROM busybox\nRUN echo before-failing && exit 3\n")
    with pytest.raises(BuildStepFailed) as err:
        build(builder, ctx, tags=("f:1",))
    assert err.value.step_exit_code == 3 and "before-failing" in err.value.output_tail
    assert "exit code: 3" in str(err.value)
    assert cli("image", "inspect", "f:1").returncode != 0


def test_network_none_has_only_loopback(builder, tmp_path: Path) -> None:
    ctx = project(tmp_path, "FROM busybox\nRUN --network=none ls /sys/class/net > /ifaces\n")
    build(builder, ctx, tags=("n:1",))
    assert run("n:1", "cat", "/ifaces").split() == ["lo"]


def test_cache_mount_persists_between_builds(builder, tmp_path: Path) -> None:
    ctx = project(tmp_path, "FROM busybox\nARG N\nRUN --mount=type=cache,target=/cache echo $N >> /cache/log && "
                            "cat /cache/log > /seen\n")
    build(builder, ctx, tags=("m:1",), args={"N": "1"})
    build(builder, ctx, tags=("m:1",), args={"N": "2"})
    assert run("m:1", "cat", "/seen") == "1\n2\n"


def test_bind_mounts_from_a_stage_and_of_the_context(builder, tmp_path: Path) -> None:
    ctx = project(tmp_path, """FROM busybox AS tools
RUN mkdir /out && echo from-stage > /out/v
FROM busybox
RUN --mount=type=bind,from=tools,source=/out,target=/m cat /m/v > /got
RUN --mount=type=bind,rw,target=/ctx echo scribble > /ctx/in.txt && echo new > /ctx/new && cat /ctx/in.txt > /rw
RUN --mount=type=bind,source=in.txt,target=/in.txt cat /in.txt > /ro
""", **{"in.txt": "one\n"})
    build(builder, ctx, tags=("bind:1",))
    assert run("bind:1", "cat", "/got", "/rw", "/ro") == "from-stage\nscribble\none\n"
    assert (ctx / "in.txt").read_text() == "one\n" and not (ctx / "new").exists()  # rw writes are dropped
    assert run("bind:1", "ls", "/").split().count("m") == 0  # the mount point is not in the image
    (ctx / "in.txt").write_text("two\n")  # what a bind shows is part of its step's key
    build(builder, ctx, tags=("bind:1",))
    assert run("bind:1", "cat", "/ro") == "two\n"
    missing = project(tmp_path / "x", "FROM busybox\nRUN --mount=type=bind,source=nope,target=/n true\n")
    with pytest.raises(Exception, match="nope"):
        build(builder, missing, tags=("bind:2",))


def test_a_bind_mount_from_a_stage_is_keyed_by_what_it_shows(builder, tmp_path: Path) -> None:
    dockerfile = """FROM busybox AS tools
RUN mkdir /out && echo {v} > /out/v && echo {other} > /elsewhere
FROM busybox
RUN --mount=type=bind,from=tools,source=/out,target=/m cat /m/v > /got
"""
    ctx = project(tmp_path, dockerfile.format(v="one", other="a"))
    build(builder, ctx, tags=("bindkey:1",))

    def ran() -> list[str]:
        _, events = build(builder, ctx, tags=("bindkey:1",))
        return [e.step.split("] ", 1)[1] for e in events if e.status == "start"]

    (ctx / "Dockerfile").write_text(dockerfile.format(v="one", other="b"))  # /out stays as it was
    assert ran() == ["RUN mkdir /out && echo one > /out/v && echo b > /elsewhere"]
    (ctx / "Dockerfile").write_text(dockerfile.format(v="two", other="b"))
    assert ran() == ["RUN mkdir /out && echo two > /out/v && echo b > /elsewhere",
                     "RUN --mount=type=bind,from=tools,source=/out,target=/m cat /m/v > /got"]
    assert run("bindkey:1", "cat", "/got") == "two\n"


def test_additional_contexts_directories_and_images(builder, tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    (shared / "lib").mkdir(parents=True)
    (shared / "lib" / "v").write_text("shared-1\n")
    (shared / "skip.me").write_text("ignored\n")
    (shared / ".dockerignore").write_text("skip.me\n")  # a named directory has its own .dockerignore
    root = tmp_path / "rootdir"
    root.mkdir()
    (root / "marker").write_text("from-dir\n")
    ctx = project(tmp_path, """FROM busybox AS src
RUN echo from-stage > /v
FROM busybox AS tools
FROM rootdir AS dirstage
FROM busybox
COPY --from=src lib/ /lib-copy/
COPY --from=dirstage /marker /marker
COPY --from=tools /bin/busybox /tools-busybox
RUN --mount=type=bind,from=src,target=/m cat /m/lib/v > /mounted && ls /m > /listing
""")
    contexts = {"src": os.fspath(shared), "rootdir": os.fspath(root), "tools": "docker-image://busybox"}
    _, events = build(builder, ctx, tags=("named:1",), additional_contexts=contexts)
    assert run("named:1", "cat", "/lib-copy/v", "/marker", "/mounted") == "shared-1\nfrom-dir\nshared-1\n"
    assert run("named:1", "cat", "/listing").split() == ["lib"]  # as sent: without what .dockerignore drops
    assert run("named:1", "sh", "-c", "test -x /tools-busybox && echo ok") == "ok\n"
    # the named context replaces the stage of its name: the stage's RUN never ran
    assert not any("echo from-stage" in e.step for e in events)
    _, again = build(builder, ctx, tags=("named:1",), additional_contexts=contexts)
    assert all(e.status != "start" for e in again)  # nothing changed: every step cached
    (shared / "lib" / "v").write_text("shared-2\n")
    (shared / "skip.me").write_text("changed, and ignored\n")
    _, third = build(builder, ctx, tags=("named:1",), additional_contexts=contexts)
    assert run("named:1", "cat", "/lib-copy/v", "/mounted") == "shared-2\nshared-2\n"
    assert [e.step.split("] ", 1)[1] for e in third if e.status == "start"] == [
        "COPY --from=src lib/ /lib-copy/", "COPY --from=dirstage /marker /marker",
        "COPY --from=tools /bin/busybox /tools-busybox",
        "RUN --mount=type=bind,from=src,target=/m cat /m/lib/v > /mounted && ls /m > /listing"]
    with pytest.raises(Exception, match="is not a directory"):
        build(builder, ctx, tags=("named:2",), additional_contexts={"src": os.fspath(tmp_path / "nope")})
    with pytest.raises(Exception, match="only local directories and docker-image://"):
        build(builder, ctx, tags=("named:2",), additional_contexts={"src": "https://example.invalid/x.git"})


@pytest.mark.skipif((os.cpu_count() or 1) < 2, reason="stages run side by side only with two cores or more")
def test_independent_stages_run_side_by_side(builder, tmp_path: Path) -> None:
    # each stage waits (up to 60 s) for the other's mark in a shared cache mount: one at a time, both fail
    wait = "for i in $(seq 600); do [ -e /c/{0} ] && exit 0; sleep 0.1; done; exit 1"
    ctx = project(tmp_path, f"""FROM busybox AS a
RUN --mount=type=cache,id=meet,target=/c touch /c/a && {wait.format("b")}
RUN echo a > /a
FROM busybox AS b
RUN --mount=type=cache,id=meet,target=/c touch /c/b && {wait.format("a")}
RUN echo b > /b
FROM busybox
COPY --from=a /a /a
COPY --from=b /b /b
""")
    build(builder, ctx, tags=("par:1",))
    assert run("par:1", "cat", "/a", "/b") == "a\nb\n"


@pytest.mark.skipif((os.cpu_count() or 1) < 2, reason="stages run side by side only with two cores or more")
def test_cache_mount_sharing_locked_and_private(builder, tmp_path: Path) -> None:
    def two_stages(step: str, name: str) -> Path:
        return project(tmp_path / name, f"""FROM busybox AS a
{step.format("a")}
FROM busybox AS b
{step.format("b")}
FROM busybox
COPY --from=a /seen /a-seen
COPY --from=b /seen /b-seen
""")
    locked = ("RUN --mount=type=cache,id=l,target=/c,sharing=locked mkdir /c/busy && sleep 1 && rmdir /c/busy"
              " && echo {0} > /seen")
    build(builder, two_stages(locked, "locked"), tags=("locked:1",))  # one at a time: no mkdir finds the other's
    private = "RUN --mount=type=cache,id=p,target=/c,sharing=private touch /c/{0} && sleep 1 && ls /c > /seen"
    build(builder, two_stages(private, "private"), tags=("private:1",))
    assert run("private:1", "cat", "/a-seen", "/b-seen").split() == ["a", "b"]  # at once, each its own


@pytest.mark.skipif((os.cpu_count() or 1) < 2, reason="stages run side by side only with two cores or more")
def test_a_failing_stage_stops_the_others(builder, tmp_path: Path) -> None:
    ctx = project(tmp_path, """FROM busybox AS slow
RUN --mount=type=cache,id=stop,target=/c touch /c/started && sleep 30 && touch /c/slept
RUN --mount=type=cache,id=stop,target=/c touch /c/next-step
FROM busybox AS broken
RUN --mount=type=cache,id=stop,target=/c for i in $(seq 300); do [ -e /c/started ] && break; sleep 0.1; done; exit 3
FROM busybox
COPY --from=slow /etc/hostname /s
COPY --from=broken /etc/hostname /b
""")
    with pytest.raises(BuildStepFailed) as failed:
        build(builder, ctx, tags=("stop:1",))
    assert failed.value.step_exit_code == 3  # the stage that failed is the one reported, not the one stopped
    seen = project(tmp_path / "look", "FROM busybox\nRUN --mount=type=cache,id=stop,target=/c ls /c > /seen\n")
    build(builder, seen, tags=("stop:look",))
    assert run("stop:look", "cat", "/seen").split() == ["started"]  # killed mid-step; no later step ran


def test_run_output_arrives_while_the_step_runs(builder, tmp_path: Path) -> None:
    # the step prints, then waits for a file that the progress callback writes once it sees the line
    ctx = project(tmp_path, """FROM busybox
RUN --mount=type=bind,target=/ctx echo first && for i in $(seq 600); do [ -e /ctx/go ] && exit; sleep 0.1; done; exit 1
""")
    seen = []

    def progress(event) -> None:  # type: ignore[no-untyped-def]
        seen.append((event.status, event.text))
        if event.status == "log" and event.text == "first":
            (ctx / "go").write_text("")

    builder.build(BuildRequest(ctx, tags=("live:1",)), progress)
    assert ("log", "first") in seen and seen.index(("log", "first")) < [s for s, _ in seen].index("done", 2)


def test_cli_image_build(builder, tmp_path: Path) -> None:
    ctx = project(tmp_path, "FROM busybox\nRUN echo from-cli > /f\n")
    result = cli("image", "build", "-q", "-t", "cli:1", str(ctx))
    assert result.returncode == 0, result.stderr
    assert result.stdout.decode().startswith("sha256:")
    assert run("cli:1", "cat", "/f") == "from-cli\n"
    bad = project(tmp_path / "bad", "FROM busybox\nRUNN x\n")
    result = cli("image", "build", str(bad))
    assert result.returncode != 0
    assert "Dockerfile:2: unknown instruction: RUNN (did you mean RUN?)" in result.stderr.decode()
    assert "Traceback" not in result.stderr.decode()


def test_builder_prune_forgets_the_cache(builder, tmp_path: Path) -> None:
    ctx = project(tmp_path, "FROM busybox\nRUN echo one > /f\n")
    build(builder, ctx, tags=("p:1",))
    _image, events = build(builder, ctx, tags=("p:1",))
    assert any(e.status == "cached" for e in events)
    result = cli("builder", "prune", "-a", "-f")
    assert result.returncode == 0, result.stderr
    assert result.stdout.decode().startswith("Total:")
    _image, events = build(builder, ctx, tags=("p:1",))
    assert [e.step for e in events if e.status == "cached"] == []
    assert run("p:1", "cat", "/f") == "one\n"


def test_the_cache_keeps_within_its_bound_least_recently_used_out_first(builder, tmp_path: Path,
                                                                         monkeypatch) -> None:
    # each build makes one 3 MiB layer (an intermediate step) and a tagged final image holding it
    def steps(name: str) -> Path:
        return project(tmp_path / name, f"FROM busybox\nRUN head -c 3145728 /dev/urandom > /{name}\n"
                                        f"RUN echo {name} > /name\n")

    def cached(name: str) -> bool:
        _, events = build(builder, steps(name), tags=(f"lru-{name}:1",))
        return any(e.status == "cached" and "head -c" in e.step for e in events)

    monkeypatch.setenv("PYCOMPOSE_BUILD_CACHE_MAX", "5m")
    for name in ("a", "b"):
        assert not cached(name)
    assert cached("a")  # a is now the more recently used of the two
    for name in ("a", "b"):  # untag the finals: their layers count against the bound from now on
        assert cli("image", "rm", f"lru-{name}:1").returncode == 0
    assert not cached("c")  # a and b: 6 MiB no tag holds (c's is tagged); the least recently used goes
    assert cached("a") and cached("c")
    assert not cached("b")
    monkeypatch.setenv("PYCOMPOSE_BUILD_CACHE_MAX", "lots")
    with pytest.raises(Exception, match="PYCOMPOSE_BUILD_CACHE_MAX='lots'"):
        build(builder, steps("d"), tags=("lru-d:1",))


def test_cli_dockerfile_from_stdin(builder, tmp_path: Path) -> None:
    ctx = project(tmp_path, "FROM busybox\nRUN echo from-file > /f\n", **{"data.txt": "ctx-file\n"})
    result = cli("image", "build", "-q", "-t", "stdin:1", "-f", "-", str(ctx),
                 input=b"FROM busybox\nCOPY data.txt /data.txt\n")
    assert result.returncode == 0, result.stderr
    assert run("stdin:1", "cat", "/data.txt") == "ctx-file\n"
    assert run("stdin:1", "ls", "/").split().count("f") == 0
