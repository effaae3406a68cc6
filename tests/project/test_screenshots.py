"""The committed screenshots are exactly what scripts/screenshots.py makes from the current code."""

from __future__ import annotations

import subprocess
import sys

from tests.paths import ROOT


def test_screenshots_are_current(tmp_path):
    proc = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "screenshots.py"), "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    made = sorted(p.name for p in tmp_path.glob("*.svg"))
    committed = sorted(p.name for p in (ROOT / "screenshots").glob("*.svg"))
    assert made == committed
    stale = [
        name for name in made if (tmp_path / name).read_text() != (ROOT / "screenshots" / name).read_text()
    ]
    assert stale == [], f"run: python scripts/screenshots.py  (stale: {stale})"
