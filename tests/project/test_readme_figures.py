"""The README's figures are benchmarks/run.py's table, as it prints it: its header, and no figure with a verdict
but no goal (or a goal but no verdict) — a figure added by hand would have to say both."""

from __future__ import annotations

import sys

from tests.paths import ROOT


def test_the_readme_table_is_run_pys_markdown() -> None:
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        import run  # the benchmark suite's own formatter
    finally:
        sys.path.remove(str(ROOT / "benchmarks"))
    header = run.markdown([]).splitlines()
    lines = (ROOT / "README.md").read_text().splitlines()
    start = lines.index(header[0])
    assert lines[start + 1] == header[1]
    rows = []
    for line in lines[start + 2 :]:
        if not line.startswith("|"):
            break
        rows.append([cell.strip() for cell in line.strip("|").split(" | ")])
    assert len(rows) >= 25
    for figure, result, goal, met in rows:
        assert figure and result
        assert (goal == "") == (met == ""), figure
        assert met in ("", "yes", "NO"), figure
    rebuilt = run.markdown(
        [(f.replace("&nbsp;&nbsp;", "  "), r, g, None if m == "" else m == "yes") for f, r, g, m in rows]
    )
    assert rebuilt.splitlines()[2:] == lines[start + 2 : start + 2 + len(rows)]
