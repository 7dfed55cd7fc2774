"""``context.checksum``: it covers exactly the files the sources select (names, modes,
contents, symlink targets, owners where the copy keeps them), never times."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from runtime.build.context import checksum
from runtime.build.dockerignore import IgnoreMatcher
from runtime.build.errors import BuildError


@pytest.fixture
def ctx(tmp_path: Path) -> Path:
    c = tmp_path / "ctx"
    (c / "src/pkg").mkdir(parents=True)
    (c / "docs").mkdir()
    (c / "src/main.c").write_text("int main(){}\n")
    (c / "src/pkg/util.c").write_text("util\n")
    (c / "src/notes.log").write_text("log\n")
    (c / "docs/readme").write_text("docs\n")
    (c / "Makefile").write_text("all:\n")
    os.symlink("main.c", c / "src/link")
    return c


def sums(ctx: Path, *sources: str, **kw: object) -> str:
    return checksum(ctx, sources, kw.pop("matcher", None), **kw)  # type: ignore[arg-type]


def test_stable_and_outside_edits_do_not_count(ctx: Path) -> None:
    before = sums(ctx, "src", "Makefile")
    assert sums(ctx, "src", "Makefile") == before
    (ctx / "docs/readme").write_text("changed\n")
    (ctx / "new-file").write_text("new\n")
    assert sums(ctx, "src", "Makefile") == before


@pytest.mark.parametrize("change", ["content", "mode", "new", "delete", "rename", "link"])
def test_inside_edits_count(ctx: Path, change: str) -> None:
    before = sums(ctx, "src")
    target = ctx / "src/pkg/util.c"
    if change == "content":
        target.write_text("util2\n")
    elif change == "mode":
        os.chmod(target, 0o700)
    elif change == "new":
        (ctx / "src/pkg/new.c").write_text("")
    elif change == "delete":
        target.unlink()
    elif change == "rename":
        target.rename(ctx / "src/pkg/util2.c")
    else:
        os.unlink(ctx / "src/link")
        os.symlink("pkg/util.c", ctx / "src/link")
    assert sums(ctx, "src") != before


def test_times_do_not_count(ctx: Path) -> None:
    before = sums(ctx, "src", "*.c", "Makefile")
    for path in (ctx / "src/main.c", ctx / "Makefile", ctx / "src/pkg"):
        os.utime(path, (12345, 12345))
    assert sums(ctx, "src", "*.c", "Makefile") == before


def test_wildcards_select(ctx: Path) -> None:
    before = sums(ctx, "src/*.c")
    (ctx / "src/pkg/util.c").write_text("not matched by src/*.c\n")
    (ctx / "src/notes.log").write_text("nor this\n")
    assert sums(ctx, "src/*.c") == before
    (ctx / "src/extra.c").write_text("matched\n")
    assert sums(ctx, "src/*.c") != before


def test_ignored_and_excluded_files_do_not_count(ctx: Path) -> None:
    matcher = IgnoreMatcher.from_patterns(["**/*.log"])
    before = sums(ctx, "src", matcher=matcher)
    before_ex = sums(ctx, "src", exclude=("pkg",))
    (ctx / "src/notes.log").write_text("edited\n")
    (ctx / "src/pkg/util.c").write_text("edited\n")
    assert sums(ctx, "src", matcher=matcher) != before  # util.c is selected
    assert sums(ctx, "src", exclude=("pkg",)) != before_ex  # notes.log is selected here
    before = sums(ctx, "src", matcher=matcher, exclude=("pkg",))
    (ctx / "src/notes.log").write_text("edited again\n")
    (ctx / "src/pkg/util.c").write_text("edited again\n")
    assert sums(ctx, "src", matcher=matcher, exclude=("pkg",)) == before


def test_destination_names_count(ctx: Path) -> None:
    # the same content under another source name lands elsewhere
    (ctx / "copy.c").write_text((ctx / "src/main.c").read_text())
    assert sums(ctx, "src/main.c") != sums(ctx, "copy.c")


def test_owners_only_when_kept(ctx: Path) -> None:
    if os.geteuid() != 0:
        pytest.skip("needs root (chown)")
    before, before_owned = sums(ctx, "src"), sums(ctx, "src", owners=True)
    os.chown(ctx / "src/main.c", 1000, 1000)
    assert sums(ctx, "src") == before
    assert sums(ctx, "src", owners=True) != before_owned


def test_missing_source(ctx: Path) -> None:
    with pytest.raises(BuildError, match='"nope": not found'):
        sums(ctx, "nope")


def test_memo_reuses_digests(ctx: Path) -> None:
    memo: dict = {}
    first = checksum(ctx, ["src"], None, memo=memo)
    assert memo and checksum(ctx, ["src"], None, memo=memo) == first
    (ctx / "src/main.c").write_text("changed, same memo\n")
    assert checksum(ctx, ["src"], None, memo=memo) != first
