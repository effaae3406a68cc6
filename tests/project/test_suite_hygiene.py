"""The suite itself: it reads nothing of the caller's environment and leaves no directory behind."""

from __future__ import annotations

import os
import tempfile


def test_the_suite_never_sees_the_callers_settings_credentials_or_home() -> None:
    leaked = [name for name in os.environ if name.startswith(("GENESYSCLOUD_", "TUI_HEALTH_", "XDG_"))]
    assert leaked == []
    base = tempfile.gettempdir()
    assert os.path.basename(base).startswith("tui-health-tests-")  # removed when the test process ends
    assert os.environ["HOME"].startswith(base + os.sep) and os.environ["TMPDIR"] == base
