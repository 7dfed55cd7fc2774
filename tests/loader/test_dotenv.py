"""``.env`` files: Docker Compose's syntax, substitution and errors."""

from __future__ import annotations

import pytest

from compose.errors import ConfigError
from compose.loader.dotenv import parse, parse_format, parse_raw, read_env_files


def test_plain_quoted_and_commented_values() -> None:
    text = (
        "# comment\n"
        "\n"
        "PLAIN=value\n"
        "SPACED = spaced value   \n"
        "COMMENTED=before # after\n"
        "HASH=a#b\n"
        "SINGLE='single $PLAIN \\n'\n"
        'DOUBLE="double $PLAIN"\n'
        "export EXPORTED=yes\n"
        "COLON: colon\n"
        "EMPTY=\n"
        "DOTS.AND-DASHES[0]=ok\n"
    )
    assert parse(text) == {
        "PLAIN": "value",
        "SPACED": "spaced value",
        "COMMENTED": "before",
        "HASH": "a#b",
        "SINGLE": "single $PLAIN \\n",
        "DOUBLE": "double value",
        "EXPORTED": "yes",
        "COLON": "colon",
        "EMPTY": "",
        "DOTS.AND-DASHES[0]": "ok",
    }


def test_double_quoted_escapes_and_multiline() -> None:
    text = 'A="tab\\there\\nnew \\"q\\" \\\\ \\$NOT"\nB="line one\nline two"\nC="\\0101"\n'
    assert parse(text) == {"A": 'tab\there\nnew "q" \\ $NOT', "B": "line one\nline two", "C": "A"}


def test_single_quotes_keep_everything_but_the_quote() -> None:
    assert parse("A='it\\'s $X'\n") == {"A": "it's $X"}


def test_values_see_the_environment_first_then_earlier_lines() -> None:
    env = {"SHELL": "from-shell", "BOTH": "shell-wins"}
    text = "BOTH=file\nA=${BOTH}\nB=${A}-${SHELL}\nC=${UNSET:-dflt}\n"
    assert parse(text, env.get) == {"BOTH": "file", "A": "shell-wins", "B": "shell-wins-from-shell", "C": "dflt"}


def test_bare_key_is_inherited_or_skipped() -> None:
    assert parse("FROM_SHELL\nMISSING\nX=1\n", {"FROM_SHELL": "v"}.get) == {"FROM_SHELL": "v", "X": "1"}


def test_bom_and_crlf() -> None:
    assert parse("\ufeffA=1\r\nB=2\r\n") == {"A": "1", "B": "2"}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("GOOD=1\nBAD KEY!=2\n", "line 2: unexpected character '!'"),
        ('A="never closed\nB=1\n', "unterminated quoted value"),
        ("A B=1\n", "key cannot contain a space"),
        ("A=${\n", "invalid interpolation format"),
        ("A=${X:?needed}\n", "required variable X is missing a value: needed"),
    ],
)
def test_errors(text: str, message: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse(text, file="x.env")
    assert message in str(info.value)
    assert info.value.file == "x.env"


def test_raw_format_takes_values_literally() -> None:
    text = "\ufeffA='x' # not a comment\n  B= y \r\n# comment\nC\nD\n"
    assert parse_raw(text, {"C": "from-env"}.get) == {"A": "'x' # not a comment", "B": " y ", "C": "from-env"}
    with pytest.raises(ConfigError, match="contains whitespaces"):
        parse_raw("A B=1\n")
    assert parse_format("A='q'\n", "raw") == {"A": "'q'"}
    assert parse_format("A='q'\n", None) == {"A": "q"}
    with pytest.raises(ConfigError, match="unsupported env_file format"):
        parse_format("", "yaml")


def test_read_env_files_in_order(tmp_path) -> None:
    (tmp_path / "one.env").write_text("A=one\nTAG=one\n")
    (tmp_path / "two.env").write_text("TAG=two\nB=${A}-two\n")
    values = read_env_files(["one.env", "two.env"], {"TAG": "shell"}, cwd=str(tmp_path))
    # later files override earlier ones; the process environment is only looked up
    assert values == {"A": "one", "TAG": "two", "B": "one-two"}


def test_read_env_files_errors(tmp_path) -> None:
    with pytest.raises(ConfigError, match="couldn't find env file"):
        read_env_files(["missing.env"], {}, cwd=str(tmp_path))
    (tmp_path / "dir.env").mkdir()
    with pytest.raises(ConfigError, match="is a directory"):
        read_env_files(["dir.env"], {}, cwd=str(tmp_path))
