"""Where things are, for tests anywhere in the tree: the repository, the tests, their fixtures and data."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
"""The repository (README, packaging, the package)."""
TESTS = ROOT / "tests"
FIXTURES = TESTS / "fixtures" / "genesys"
"""Genesys' own shapes, each naming the SDK model or recorded answer it copies."""
DATA = TESTS / "data"
