"""``copy_into``: Docker's COPY semantics, checked on real directories (file to dir, a
directory's contents, wildcards, trailing slashes, missing sources, symlinks, hard links,
owners, modes, --chown/--chmod, --parents, --exclude, --from another stage's root)."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from runtime.build.copy import Sources, copy_into, parse_chmod, resolve_chown
from runtime.build.dockerignore import IgnoreMatcher
from runtime.build.errors import BuildError

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="needs root (owners)")


@pytest.fixture
def ctx(tmp_path: Path) -> Path:
    c = tmp_path / "ctx"
    (c / "dir/sub").mkdir(parents=True)
    (c / "a.txt").write_text("A")
    (c / "b.txt").write_text("B")
    (c / "c.md").write_text("C")
    (c / "dir/x").write_text("X")
    (c / "dir/sub/y").write_text("Y")
    (c / "dir/sub/y.log").write_text("log")
    os.chmod(c / "dir/x", 0o751)
    os.chown(c / "dir/x", 1234, 4321)
    os.symlink("a.txt", c / "link")
    os.symlink("dir", c / "dirlink")
    os.symlink("../a.txt", c / "dir/inner-link")
    os.link(c / "dir/sub/y", c / "dir/hard")
    return c


@pytest.fixture
def root(tmp_path: Path) -> Path:
    r = tmp_path / "rootfs"
    (r / "etc").mkdir(parents=True)
    (r / "existing").mkdir()
    (r / "etc/passwd").write_text("root:x:0:0::/root:/bin/sh\napp:x:1000:1001::/home/app:/bin/sh\n")
    (r / "etc/group").write_text("root:x:0:\nstaff:x:50:\napp:x:1001:\n")
    return r


def tree(root: Path, under: str) -> dict[str, str]:
    """relpath -> "f:<content>" | "d" | "l:<target>" below ``root/under``."""
    base = root / under.lstrip("/")
    out = {}
    for dirpath, dirs, files in os.walk(base):
        for name in dirs + files:
            full = Path(dirpath) / name
            rel = os.path.relpath(full, base)
            if full.is_symlink():
                out[rel] = "l:" + os.readlink(full)
            elif full.is_dir():
                out[rel] = "d"
            else:
                out[rel] = "f:" + full.read_text()
    return out


def copy(ctx: Path, root: Path, *srcs: str, dest: str, **kw: object) -> None:
    copy_into(root, Sources(ctx, srcs), dest, **kw)  # type: ignore[arg-type]


DIR_CONTENTS = {"x": "f:X", "sub": "d", "sub/y": "f:Y", "sub/y.log": "f:log", "inner-link": "l:../a.txt",
                "hard": "f:Y"}


@pytest.mark.parametrize(("srcs", "dest", "under", "expected"), [
    (("a.txt",), "/dst", "/", {"dst": "f:A"}),                                   # file to a new name
    (("a.txt",), "/dst/", "/dst", {"a.txt": "f:A"}),                             # trailing slash: into a dir
    (("a.txt",), "/existing", "/existing", {"a.txt": "f:A"}),                    # an existing dir
    (("dir",), "/dst", "/dst", DIR_CONTENTS),                                    # a dir's contents
    (("dir/",), "/dst/", "/dst", DIR_CONTENTS),
    (("dirlink",), "/dst", "/dst", DIR_CONTENTS),                                # a symlink source is followed
    (("link",), "/dst/", "/dst", {"link": "f:A"}),                               # ... and named as written
    (("*.txt",), "/dst/", "/dst", {"a.txt": "f:A", "b.txt": "f:B"}),             # wildcard
    (("?.md", "a.txt"), "/dst/", "/dst", {"c.md": "f:C", "a.txt": "f:A"}),       # several sources
    (("di*",), "/dst/", "/dst", DIR_CONTENTS),                                    # a matched dir: contents
    (("dir/*/y*",), "/dst/", "/dst", {"y": "f:Y", "y.log": "f:log"}),             # wildcard below a dir
    (("nothing*",), "/dst/", "/", {}),                                          # empty wildcard: nothing
    (("/../a.txt",), "/dst", "/", None),                                         # '..' stays in the context
    ((".",), "/dst", "/dst", None),                                              # the whole context
])
def test_copy_table(ctx: Path, root: Path, srcs: tuple[str, ...], dest: str, under: str,
                    expected: dict[str, str] | None) -> None:
    copy(ctx, root, *srcs, dest=dest)
    got = tree(root, under)
    if under == "/":  # leave out what the rootfs had before
        got = {k: v for k, v in got.items() if k.split("/")[0] not in ("etc", "existing")}
    if srcs == (".",):
        assert got["a.txt"] == "f:A" and got["dir/sub/y"] == "f:Y" and got["link"] == "l:a.txt"
    elif srcs == ("/../a.txt",):
        assert got == {"dst": "f:A"}
    else:
        assert got == expected


def test_relative_dest_is_under_workdir(ctx: Path, root: Path) -> None:
    copy(ctx, root, "a.txt", dest="rel/", workdir="/app")
    copy(ctx, root, "b.txt", dest=".", workdir="/app")
    assert (root / "app/rel/a.txt").read_text() == "A"
    assert (root / "app/b.txt").read_text() == "B"


def test_several_sources_need_a_directory(ctx: Path, root: Path) -> None:
    with pytest.raises(BuildError, match="destination must be a directory and end with a /"):
        copy(ctx, root, "a.txt", "b.txt", dest="/dst")
    assert not (root / "dst").exists()
    with pytest.raises(BuildError, match="destination must be a directory and end with a /"):
        copy(ctx, root, "a.txt", "b.txt", dest="/existing")  # the spelling counts, as Docker
    with pytest.raises(BuildError, match="destination must be a directory"):
        copy(ctx, root, "*.txt", dest="/dst")
    copy(ctx, root, "*.txt", dest="/existing")  # one source, several matches: an existing dir will do
    assert sorted(tree(root, "/existing")) == ["a.txt", "b.txt"]


def test_missing_source_names_the_path(ctx: Path, root: Path) -> None:
    with pytest.raises(BuildError, match=r'"nope/file": not found$'):
        copy(ctx, root, "nope/file", dest="/dst")


def test_ignored_source_names_the_dockerignore(ctx: Path, root: Path) -> None:
    matcher = IgnoreMatcher.from_patterns(["*.txt", "dir/sub"])
    with pytest.raises(BuildError, match=r'"a.txt": not found \(excluded by .dockerignore\)'):
        copy(ctx, root, "a.txt", dest="/dst", matcher=matcher)
    copy(ctx, root, "dir", dest="/d", matcher=matcher)
    assert "sub" not in tree(root, "/d") and "x" in tree(root, "/d")
    copy(ctx, root, "*", dest="/all/", matcher=matcher)
    assert "a.txt" not in tree(root, "/all") and "c.md" in tree(root, "/all")


def test_dockerignore_exception_inside_an_ignored_dir(ctx: Path, root: Path) -> None:
    matcher = IgnoreMatcher.from_patterns(["dir", "!dir/sub/y"])
    copy(ctx, root, ".", dest="/d", matcher=matcher)
    got = tree(root, "/d")
    assert got.get("dir/sub/y") == "f:Y"
    assert "dir/x" not in got and "dir/sub/y.log" not in got


def test_owners_and_modes(ctx: Path, root: Path) -> None:
    copy(ctx, root, "dir", dest="/d")
    st = os.lstat(root / "d/x")
    assert (st.st_uid, st.st_gid, stat.S_IMODE(st.st_mode)) == (0, 0, 0o751)  # context files: root-owned
    assert os.lstat(root / "d/inner-link").st_uid == 0
    copy(ctx, root, "dir", dest="/o", chown=(1000, 1001), chmod=0o640)
    for name in ("x", "sub", "sub/y"):
        st = os.lstat(root / "o" / name)
        assert (st.st_uid, st.st_gid, stat.S_IMODE(st.st_mode)) == (1000, 1001, 0o640)


def test_created_parents_are_0755(ctx: Path, root: Path) -> None:
    copy(ctx, root, "a.txt", dest="/p/q/r")
    assert stat.S_IMODE(os.lstat(root / "p/q").st_mode) == 0o755
    assert (root / "p/q/r").read_text() == "A"


def test_hard_links_stay_linked(ctx: Path, root: Path) -> None:
    copy(ctx, root, "dir", dest="/d")
    assert os.lstat(root / "d/hard").st_ino == os.lstat(root / "d/sub/y").st_ino


def test_from_another_stage_keeps_owners(ctx: Path, root: Path, tmp_path: Path) -> None:
    stage = tmp_path / "stage"
    (stage / "opt").mkdir(parents=True)
    (stage / "opt/bin").write_text("#!/bin/sh\n")
    os.chown(stage / "opt/bin", 7, 8)
    os.chmod(stage / "opt/bin", 0o4755)
    os.symlink("/opt/bin", stage / "abs-link")
    copy_into(root, Sources(stage, ("/abs-link",), context=False), "/usr/local/bin/tool")
    st = os.lstat(root / "usr/local/bin/tool")
    assert (st.st_uid, st.st_gid, stat.S_IMODE(st.st_mode)) == (7, 8, 0o4755)


def test_symlinks_in_the_rootfs_do_not_escape(ctx: Path, root: Path, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    os.symlink(str(outside), root / "escape")
    copy(ctx, root, "a.txt", dest="/escape/")
    assert not (outside / "a.txt").exists()
    assert (root / str(outside).lstrip("/") / "a.txt").read_text() == "A"


def test_file_over_a_directory_is_an_error(ctx: Path, root: Path) -> None:
    (root / "dst/a.txt").mkdir(parents=True)
    with pytest.raises(BuildError, match="directory"):
        copy(ctx, root, "a.txt", dest="/dst/")


def test_exclude(ctx: Path, root: Path) -> None:
    copy(ctx, root, "dir", dest="/d", exclude=("**/*.log", "x"))
    assert sorted(tree(root, "/d")) == ["hard", "inner-link", "sub", "sub/y"]
    copy(ctx, root, "*.txt", "c.md", dest="/w/", exclude=("b.*",))
    assert sorted(tree(root, "/w")) == ["a.txt", "c.md"]


def test_parents(ctx: Path, root: Path) -> None:
    copy(ctx, root, "dir/sub/y", "a.txt", dest="/p/", parents=True)
    assert tree(root, "/p") == {"dir": "d", "dir/sub": "d", "dir/sub/y": "f:Y", "a.txt": "f:A"}
    copy(ctx, root, "dir/./sub/*.log", dest="/q/", parents=True)
    assert tree(root, "/q") == {"sub": "d", "sub/y.log": "f:log"}
    with pytest.raises(BuildError, match="not found"):
        copy(ctx, root, "dir/none", dest="/r/", parents=True)


def test_chown_names_from_the_stage(root: Path) -> None:
    assert resolve_chown(root, "app") == (1000, 1001)
    assert resolve_chown(root, "app:staff") == (1000, 50)
    assert resolve_chown(root, "10:20") == (10, 20)
    assert resolve_chown(root, "10") == (10, 10)
    assert resolve_chown(root, "0:app") == (0, 1001)
    with pytest.raises(BuildError, match="unknown user 'ghost'"):
        resolve_chown(root, "ghost")
    with pytest.raises(BuildError, match="unknown group 'nogroup'"):
        resolve_chown(root, "app:nogroup")


def test_chmod_parse() -> None:
    assert parse_chmod("755") == 0o755
    assert parse_chmod("04755") == 0o4755
    for bad in ("u+x", "99", "777777"):
        with pytest.raises(BuildError, match="invalid chmod"):
            parse_chmod(bad)


def test_url_needs_add(ctx: Path, root: Path) -> None:
    with pytest.raises(BuildError, match="URL for COPY"):
        copy(ctx, root, "http://127.0.0.1/x", dest="/x")
