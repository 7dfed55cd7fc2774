"""Boolean flags as Docker's CLI (Go's pflag) takes them: ``--flag`` sets one, ``--flag=false``
(or any value of Go's ``strconv.ParseBool``) gives its value, and the next word is never taken
as the value (``attach --sig-proxy web`` attaches to ``web``).

argparse looks a whole ``--flag=value`` word up among the option strings before splitting it, so
each spelled-out value is a hidden option string of its own.
"""

from __future__ import annotations

import argparse

TRUE = ("1", "t", "T", "TRUE", "true", "True")
FALSE = ("0", "f", "F", "FALSE", "false", "False")


def parse_bool(text: str) -> bool:
    """Go's ``strconv.ParseBool``."""
    if text in TRUE:
        return True
    if text in FALSE:
        return False
    raise argparse.ArgumentTypeError(f"invalid boolean value {text!r}: use true or false")


def add_bool(parser: argparse.ArgumentParser | argparse._ArgumentGroup, *flags: str, default: bool,
             help: str) -> None:
    """``flags`` (e.g. ``"-p", "--pause"``) as one Go boolean flag, ``default`` when not given."""
    dest = max(flags, key=len).lstrip("-").replace("-", "_")
    parser.add_argument(*flags, dest=dest, action="store_const", const=True, default=default,
                        help=f"{help} (default {str(default).lower()})")
    spelled = [f"{flag}={value}" for flag in flags for value in TRUE + FALSE]
    on = [s for s in spelled if s.split("=", 1)[1] in TRUE]
    off = [s for s in spelled if s.split("=", 1)[1] in FALSE]
    parser.add_argument(*on, dest=dest, action="store_const", const=True, help=argparse.SUPPRESS)
    parser.add_argument(*off, dest=dest, action="store_const", const=False, help=argparse.SUPPRESS)
