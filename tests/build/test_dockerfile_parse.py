"""The Dockerfile parser: directives, continuations, heredocs, forms, flags, located errors."""

from __future__ import annotations

import pytest

from runtime.build.dockerfile import expand_instruction, parse, predefined_args
from runtime.build.dockerfile import instructions as ins
from runtime.build.errors import DockerfileError


def only(text: str) -> list[ins.Instruction]:
    return list(parse("FROM busybox\n" + text).stages[0].instructions)


def test_directives_only_at_the_top() -> None:
    df = parse("# syntax=docker/dockerfile:1\n# escape=`\n# check=skip=all\nFROM busybox\n")
    assert (df.syntax, df.escape, df.checks) == ("docker/dockerfile:1", "`", "skip=all")
    assert parse("# a comment\n# escape=`\nFROM busybox\n").escape == "\\"
    with pytest.raises(DockerfileError, match="only one escape"):
        parse("# escape=`\n# escape=\\\nFROM x\n")


def test_continuations_comments_and_blank_lines_inside() -> None:
    (run,) = only("RUN echo a \\\n  # comment\n\n    && echo b\n")
    assert isinstance(run, ins.Run) and run.command == ("echo a     && echo b",) and run.shell_form
    assert run.location.line == 2 and run.location.end_line == 5


def test_backtick_escape_continues_lines() -> None:
    df = parse("# escape=`\nFROM busybox\nRUN dir c:\\ `\n  && echo ok\n")
    assert df.stages[0].instructions[0].command == ("dir c:\\   && echo ok",)


def test_exec_and_shell_forms() -> None:
    cmd, ep, run = only('CMD ["a", "b c"]\nENTRYPOINT top -b\nRUN ["not json"\n')
    assert (cmd.command, cmd.shell_form) == (("a", "b c"), False)
    assert (ep.command, ep.shell_form) == (("top -b",), True)
    assert (run.command, run.shell_form) == (('["not json"',), True)


def test_keywords_any_case_and_stages() -> None:
    df = parse("from busybox as Build\nrun true\nFROM build\nFROM scratch AS final\n")
    assert [s.name for s in df.stages] == ["build", None, "final"]
    assert df.stage("BUILD").index == 0 and df.stage("1").index == 1
    with pytest.raises(DockerfileError, match="could not be found"):
        df.stage("nope")


def test_global_args_before_from() -> None:
    df = parse("ARG V=1\nARG W\nFROM busybox:$V\n")
    assert [a.pairs for a in df.args] == [(("V", "1"),), (("W", None),)]


def test_env_label_pairs_and_legacy_form() -> None:
    env, legacy, label = only('ENV a=1 b="x y" c=\nENV KEY some value here\nLABEL "com.x"=1 y=z\n')
    assert env.pairs == (("a", "1"), ("b", '"x y"'), ("c", ""))
    assert legacy.pairs == (("KEY", "some value here"),)
    assert label.pairs == (('"com.x"', "1"), ("y", "z"))


def test_heredocs() -> None:
    run, copy = only("RUN <<EOF bash\nset -e\necho $HOME\nEOF\nCOPY <<-'A' <<B /dst/\n\tx $V\n\tA\ny\nB\n")
    assert run.heredocs == (ins.Heredoc("EOF", "set -e\necho $HOME\n", True, False),)
    assert copy.heredocs == (ins.Heredoc("A", "x $V\n", False, True), ins.Heredoc("B", "y\n", True, False))
    assert copy.sources == ("<<-'A'", "<<B") and copy.dest == "/dst/"
    with pytest.raises(DockerfileError, match="unterminated heredoc EOF"):
        only("RUN <<EOF\necho\n")


def test_flags() -> None:
    copy, add, run = only("COPY --from=b --chown=1:2 --chmod=644 --link --exclude=*.md --exclude=x a /d\n"
                          "ADD --checksum=sha256:ab --keep-git-dir=true u /d\n"
                          "RUN --mount=type=secret,id=tok,required --mount=type=tmpfs,target=/t,size=1m "
                          "--network=none true\n")
    assert (copy.from_, copy.chown, copy.chmod, copy.link, copy.exclude) == ("b", "1:2", "644", True, ("*.md", "x"))
    assert add.is_add and add.checksum == "sha256:ab" and add.keep_git_dir
    assert run.mounts[0] == ins.RunMount("secret", id="tok", required=True)
    assert (run.mounts[1].type, run.mounts[1].target, run.mounts[1].size) == ("tmpfs", "/t", 1024 * 1024)
    assert run.network == "none" and run.command == ("true",)


def test_healthcheck() -> None:
    hc, none = only('HEALTHCHECK --interval=1m30s --timeout=3s --start-period=1s --retries=2 CMD ["t", "-x"]\n'
                    "HEALTHCHECK NONE\n")
    assert hc.test == ("CMD", "t", "-x") and hc.interval == 90 * 10**9 and hc.timeout == 3 * 10**9
    assert hc.retries == 2 and none.test is None


@pytest.mark.parametrize(("text", "message"), [
    ("", "cannot be empty"),
    ("# only a comment\n", "cannot be empty"),
    ("RUN true\n", "Dockerfile:1: RUN: no build stage"),
    ("FROM busybox\nRUNN true\n", "Dockerfile:2: unknown instruction: RUNN (did you mean RUN?)"),
    ("FROM busybox\nCOPY --form=x a b\n", "Dockerfile:2: COPY: unknown flag: --form (did you mean --from?)"),
    ("FROM busybox\nCOPY a\n", "COPY requires at least two arguments"),
    ("FROM busybox\nSHELL /bin/sh\n", "SHELL requires the arguments to be in JSON form"),
    ("FROM busybox\nHEALTHCHECK --interval=soon CMD true\n", "invalid duration"),
    ("FROM busybox\nENV A\n", "ENV names A but gives no value"),
    ("FROM a AS x\nFROM b AS X\n", "duplicate stage name"),
    ("FROM busybox\nONBUILD FROM x\n", "isn't allowed as an ONBUILD trigger"),
    ("FROM busybox\nRUN --mount=type=cache true\n", "needs a target"),
])
def test_errors_are_located(text: str, message: str) -> None:
    with pytest.raises(DockerfileError) as err:
        parse(text)
    assert message in str(err.value)


def test_expand_instruction_applies_where_buildkit_does() -> None:
    env = {"V": "1", "D": "/app"}
    copy, run, workdir, env_i = only('COPY $D/a "${D}/b" /x/$V\nRUN echo $V\nWORKDIR $D\nENV X="$V two"\n')
    assert expand_instruction(copy, env).sources == ("/app/a", "/app/b")
    assert expand_instruction(copy, env).dest == "/x/1"
    assert expand_instruction(run, env) == run  # the shell expands RUN
    assert expand_instruction(workdir, env).path == "/app"
    assert expand_instruction(env_i, env).pairs == (("X", "1 two"),)


def test_predefined_args_are_the_hosts() -> None:
    args = predefined_args()
    assert args["TARGETOS"] == "linux" and args["BUILDPLATFORM"] == args["TARGETPLATFORM"]
    assert args["TARGETPLATFORM"].startswith(f"linux/{args['TARGETARCH']}")
