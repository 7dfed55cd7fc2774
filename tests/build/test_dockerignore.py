""".dockerignore: Docker's pattern rules, exceptions, ** and which file is read."""

from __future__ import annotations

from pathlib import Path

import pytest

from runtime.build.dockerignore import IgnoreMatcher, read_patterns


@pytest.mark.parametrize(("patterns", "path", "excluded"), [
    (["*.md"], "README.md", True),
    (["*.md"], "docs/README.md", False),  # * does not cross /
    (["**/*.md"], "docs/a/README.md", True),
    (["**/*.md"], "README.md", True),  # ** matches no directory too
    (["docs"], "docs/a/b.txt", True),  # a parent directory matches
    (["/docs"], "docs/x", True),
    (["./docs/../docs"], "docs/x", True),
    (["docs/**"], "docs", False),
    (["docs/**"], "docs/a", True),
    (["a?c"], "abc", True),
    (["a?c"], "a/c", False),
    (["[a-c]x"], "bx", True),
    (["[!a-c]x"], "bx", False),
    (["*", "!keep"], "keep", False),
    (["*", "!keep"], "other", True),
    (["*.txt", "!important.txt", "important.txt"], "important.txt", True),  # the last match wins
    (["dir", "!dir/sub/y"], "dir/sub/y", False),
    (["dir", "!dir/sub/y"], "dir/sub/x", True),
    (["temp?"], "temp1/file", True),
    (["*/temp*"], "somedir/temporary.txt", True),
    (["*/*/temp*"], "somedir/subdir/temporary.txt", True),
    (["\\*x"], "*x", True),
    (["\\*x"], "ax", False),
    ([], "anything", False),
])
def test_excluded(patterns: list[str], path: str, excluded: bool) -> None:
    assert IgnoreMatcher.from_patterns(patterns).excluded(path) is excluded


def test_reading_skips_comments_and_blanks_and_cleans() -> None:
    assert read_patterns("# comment\n\n  *.log  \n!  keep.log\n/abs/./x/\n") == ["*.log", "!keep.log", "abs/x"]


def test_may_contain_included() -> None:
    m = IgnoreMatcher.from_patterns(["dir", "!dir/sub/y"])
    assert m.may_contain_included("dir") and m.may_contain_included("dir/sub")
    assert not m.may_contain_included("other")
    assert not IgnoreMatcher.from_patterns(["dir"]).may_contain_included("dir")
    assert IgnoreMatcher.from_patterns(["*", "!**/keep"]).may_contain_included("deep/er")


def test_dockerfile_specific_ignore_file_wins(tmp_path: Path) -> None:
    (tmp_path / ".dockerignore").write_text("a\n")
    (tmp_path / "app.Dockerfile").write_text("FROM scratch\n")
    assert IgnoreMatcher.load(tmp_path, tmp_path / "app.Dockerfile").excluded("a")
    (tmp_path / "app.Dockerfile.dockerignore").write_text("b\n")
    m = IgnoreMatcher.load(tmp_path, tmp_path / "app.Dockerfile")
    assert m.excluded("b") and not m.excluded("a")
    assert not IgnoreMatcher.load(tmp_path / "nowhere").excluded("a")
