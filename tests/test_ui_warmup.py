"""The charts' modules are imported off the GUI thread before Insights is opened (a fresh interpreter, since
this one may have imported them already)."""

from __future__ import annotations

import subprocess
import sys

SCRIPT = """
import sys
from imrdesk.ui.warmup import LATER, warm_up
assert not any(m in sys.modules for m in (*LATER, "matplotlib")), "imported too early"
warm_up().join(120)
assert all(m in sys.modules for m in (*LATER, "matplotlib"))
warm_up(("imrdesk.no_such_module",)).join(10)  # an error is left for the import where it is used
print("ok")
"""


def test_the_charts_are_imported_on_a_background_thread():
    out = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=180)
    assert out.returncode == 0 and out.stdout.strip() == "ok", out.stderr
