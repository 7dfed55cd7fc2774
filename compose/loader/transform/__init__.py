"""Short-to-long syntax rewrites of compose files (one module per key family)."""

from __future__ import annotations

from .canonical import CANONICAL, canonical, matches, walk
from .ports import parse_port
from .volumes import parse_volume

__all__ = ["CANONICAL", "canonical", "matches", "parse_port", "parse_volume", "walk"]
