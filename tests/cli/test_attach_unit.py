"""Detach keys as Docker reads them, the escape filter over typed bytes, boolean flags."""

from __future__ import annotations

import argparse
import json

import pytest

from compose.cli.commands.attach import EscapeFilter, configured_detach_keys, parse_detach_keys
from compose.cli.goflags import add_bool, parse_bool
from compose.errors import UsageError


def test_detach_keys() -> None:
    assert parse_detach_keys("ctrl-p,ctrl-q") == b"\x10\x11"
    assert parse_detach_keys("ctrl-@,ctrl-[,ctrl-\\,ctrl-],ctrl-^,ctrl-_") == bytes([0, 27, 28, 29, 30, 31])
    assert parse_detach_keys("a,CTRL-A,ctrl-z") == b"a\x01\x1a"
    for bad in ("ctrl-1", "ctrl-", "ab", "", "ctrl-p,"):
        with pytest.raises(UsageError, match="invalid detach keys"):
            parse_detach_keys(bad)


def test_escape_filter_detaches_on_the_whole_sequence_only() -> None:
    f = EscapeFilter(b"\x10\x11")
    assert f.feed(b"ls\r") == (b"ls\r", False)
    assert f.feed(b"a\x10") == (b"a", False)  # held: it may start the sequence
    assert f.feed(b"b") == (b"\x10b", False)  # it did not: passed on with what follows
    assert f.feed(b"\x10\x10") == (b"\x10", False)  # a second start: the first passes, the second is held
    assert f.feed(b"\x11rest") == (b"", True)  # across reads; what follows the sequence is dropped
    assert f.feed(b"x\x10\x11") == (b"x", True)


def test_escape_filter_of_one_key() -> None:
    f = EscapeFilter(b"\x18")
    assert f.feed(b"abc") == (b"abc", False)
    assert f.feed(b"ab\x18cd") == (b"ab", True)


def test_detach_keys_from_the_client_configuration(tmp_path) -> None:
    assert configured_detach_keys({"DOCKER_CONFIG": str(tmp_path)}) is None
    (tmp_path / "config.json").write_text(json.dumps({"detachKeys": "ctrl-x,x"}))
    assert configured_detach_keys({"DOCKER_CONFIG": str(tmp_path)}) == "ctrl-x,x"
    (tmp_path / "config.json").write_text("[not an object")
    assert configured_detach_keys({"DOCKER_CONFIG": str(tmp_path)}) is None


def test_bool_flags() -> None:
    assert parse_bool("false") is False and parse_bool("1") is True and parse_bool("T") is True
    with pytest.raises(argparse.ArgumentTypeError):
        parse_bool("yes")  # not a Go boolean
    parser = argparse.ArgumentParser(allow_abbrev=False)
    add_bool(parser, "-p", "--pause", default=True, help="Pause")
    parser.add_argument("rest", nargs="*")
    assert parser.parse_args(["-p", "c"]) == argparse.Namespace(pause=True, rest=["c"])  # never takes a value
    assert parser.parse_args(["--pause=false", "c"]) == argparse.Namespace(pause=False, rest=["c"])
    assert parser.parse_args(["-p=0"]).pause is False and parser.parse_args(["--pause=True"]).pause is True
    assert parser.parse_args([]).pause is True
